"""Task decomposition: error compounding with the height of an aggregation tree (after Wu
et al. 2021, "Recursively summarizing books with human feedback", arXiv 2109.10862), and
recursive reward modelling with an assistant that can mislead (after Leike et al. 2018,
"Scalable agent alignment via reward modeling", arXiv 1811.07871).

Part 1, aggregation trees (:mod:`oversight_gym.envs.amplification.decomposition`): the
root of a complete tree of ``branching`` and height 1..H must report the total content of
its leaves; workers and combiners each err with probability p under an error model. We
measure the root error against height and p, beside the closed form for independent
errors that all reach the root, ``1 - (1 - p)^nodes``, and compare the scripted combiner
(the exact sum) with a learned one (per-level least squares on the lower levels' outputs).
Wu et al. report no such curve (their trees have height about 3, 10-13 children at height 1
and up to 8 above); the closed form is the reference.

Part 2, recursive reward modelling: A_1 .. A_K, the evaluator of A_k assisted by A_{k-1}.
Evaluation accuracy and A_k's true quality across iterations, with an honest assistant and
with assistants that hide harms with probability ``mislead``. Leike et al. give the scheme,
not numbers: expected is accuracy and quality rising with k for an honest assistant, and a
misleading assistant lowering both.

Run: ``oversight-gym run task-decomposition [--quick]`` or ``python -m oversight_gym.scenarios.task_decomposition``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from tqdm import tqdm

from oversight_gym.analysis.claims import Claim, Ref
from oversight_gym.analysis.measures import Measure
from oversight_gym.analysis.metrics import wilson_interval
from oversight_gym.core.params import human_bytes
from oversight_gym.envs.amplification.decomposition import (
    ERROR_MODELS,
    normalised_quality,
    recursive_reward_modelling,
    tree_cell,
)
from oversight_gym.envs.amplification.plots import plot_aggregation_trees, plot_recursive_reward_modelling
from oversight_gym.runner.records import RecordFile
from oversight_gym.runner.scenario import Context, Param, Scenario, ScenarioResult

LEIKE = "Leike et al. 2018, Scalable agent alignment via reward modeling (recursive reward modeling)"
LEIKE_NOTE = ("a scheme without numbers: with an assistant that helps, evaluation and the agent improve with each "
              "iteration")
#: a tree cell: (error model, p, height)
TreeCell = tuple[str, float, int]
#: how far a curve may dip from one step to the next and still "rise" (2 points of a rate)
TOLERANCE = 0.02


def _param(name: str) -> Param:
    return next(p for p in PARAMS if p.name == name)


def resolve_lists(params: dict[str, Any]) -> tuple[list[float], list[str], list[float]]:
    """The node error rates, error models and ``mislead`` values of ``params`` (given as
    typed, ``"0,0.05"``, or parsed, ``(0.0, 0.05)``), checked against their Params."""
    return tuple(list(_param(name).parse(params[name])) for name in ("node_errors", "error_models", "mislead"))


#: the most leaves one cell of aggregation trees may simulate at once (8 bytes each, 2 GiB)
MAX_LEAVES = 2**28


def check(params: dict[str, Any]) -> None:
    """The tallest trees of a cell fit in memory: ``--trees`` x ``--branching``^``--max-height``
    leaves are simulated at once."""
    leaves = params["trees"] * params["branching"] ** params["max_height"]
    if leaves > MAX_LEAVES:
        raise ValueError(f"--trees {params['trees']} --branching {params['branching']} --max-height "
                         f"{params['max_height']} would need ~{human_bytes(8 * leaves)} of memory (trees x "
                         f"branching^height leaves); at most {human_bytes(8 * MAX_LEAVES)}")


def experiment(params: dict[str, Any], seed: int) -> dict[str, Any]:
    """One sweep cell: the first p and error model, the largest height; and the RRM run with
    the first ``mislead`` value (final iteration)."""
    ps, models, misleads = resolve_lists(params)
    rec = tree_cell(params["branching"], params["max_height"], ps[0], models[0], params["trees"], True, seed)
    rrm = recursive_reward_modelling(params["iterations"], rho=params["rho"], mislead=misleads[0],
                                     labels=params["labels"], test=params["labels"], rng=np.random.default_rng(seed))
    rec.update({f"rrm_{k}": v for k, v in rrm[-1].items()}, mislead=misleads[0])
    return rec


def compute(params: dict[str, Any], ctx: Context) -> tuple[dict[TreeCell, dict[str, Any]],
                                                           dict[float, list[dict[str, float]]]]:
    """The aggregation-tree cells (appended to ``trees.jsonl`` as they are measured; cells
    already there are kept) and one recursive-reward-modelling run per ``mislead``."""
    ps, models, misleads = resolve_lists(params)
    heights = list(range(1, params["max_height"] + 1))
    records = RecordFile(ctx.path("trees.jsonl"), {"params": params, "seed": ctx.seed},
                         ("error_model", "p", "height"))
    done = records.done()
    todo = [(m, p, h) for m in models for p in ps for h in heights if (m, p, h) not in done]
    cells = len(models) * len(ps) * len(heights)
    for m, p, h in tqdm(todo, total=cells, initial=cells - len(todo), desc="aggregation trees", unit="cell",
                        disable=not ctx.progress):
        records.append(tree_cell(params["branching"], h, p, m, params["trees"], True, ctx.seed))
    trees = {(r["error_model"], r["p"], r["height"]): r for r in records.records}
    rrm = {mis: recursive_reward_modelling(params["iterations"], rho=params["rho"], mislead=mis,
                                           labels=params["labels"], test=params["labels"],
                                           rng=np.random.default_rng([ctx.seed, 7]))
           for mis in misleads}
    return trees, rrm


def rises(values: list[float], tolerance: float = TOLERANCE) -> bool:
    """Whether a curve rises: it ends above where it starts and never falls by more than
    ``tolerance`` from one step to the next."""
    return values[-1] > values[0] and all(b >= a - tolerance for a, b in zip(values, values[1:], strict=False))


def _rate(name: str, value: float, n: int, **kwargs: Any) -> Measure:
    """A rate in [0, 1] measured on ``n`` trials, with its Wilson interval."""
    return Measure(name, value, wilson_interval(int(round(value * n)), n), n, unit="%", **kwargs)


def measures(params: dict[str, Any], trees: dict[TreeCell, dict[str, Any]], rrm: dict[float, list[dict[str, float]]]
             ) -> list[Measure]:
    """Aggregation trees per (error model, p, height): the root error of the scripted sum and
    of the learned combiner (Wilson intervals), the closed form for independent errors, and
    both mean absolute root errors; whether the root error rises with height, and in how
    many cells the learned combiner beats the sum. Recursive reward modelling per (mislead,
    A_k): evaluation accuracy, A_k's normalised quality and the reward model's accuracy; and
    whether accuracy and quality rise with k. Wu et al. report no error curve (the closed form
    is the reference); Leike et al.'s expectation (no number) stands beside the honest
    assistant's trend."""
    ps, models, misleads = resolve_lists(params)
    heights = list(range(1, params["max_height"] + 1))
    out = []
    group = f"aggregation trees: branching {params['branching']}, binary leaves"
    for m in models:
        for p in ps:
            for h in heights:
                r = trees[(m, p, h)]
                setting = {"error model": m, "p": p, "height": h}
                kw = {"setting": setting, "group": group}
                out += [Measure("root error, scripted sum", r["root_error"], (r["ci_low"], r["ci_high"]), r["n"],
                                unit="%", **kw),
                        Measure("closed form, independent errors", r["closed_form"], unit="%", **kw),
                        _rate("root error, learned combiner", r["learned_root_error"], r["n"], **kw),
                        Measure("mean |error|, scripted sum", r["mean_abs_error"], n=r["n"], digits=2, **kw),
                        Measure("mean |error|, learned combiner", r["learned_mean_abs_error"], n=r["n"], digits=2,
                                **kw)]
    group = "aggregation trees: over the cells"
    monotone = all(trees[(m, p, h)]["root_error"] <= trees[(m, p, h + 1)]["root_error"] + TOLERANCE
                   for m in models for p in ps for h in heights[:-1])
    out.append(Measure("root error rises with height in every setting (within 2 points)", "yes" if monotone else "no",
                       n=len(models) * len(ps), group=group))
    for m in models:
        cells = [trees[(m, p, h)] for p in ps if p > 0 for h in heights]
        if cells:
            better = sum(c["learned_mean_abs_error"] < c["mean_abs_error"] for c in cells)
            out.append(Measure("cells where the learned combiner has the lower mean |error|", better, n=len(cells),
                               unit="cells", setting={"error model": m}, group=group))
    group = f"recursive reward modelling: {params['iterations']} aspects, rho {params['rho']}"
    for mis in misleads:
        for rec in rrm[mis]:
            kw = {"setting": {"mislead": mis, "agent": f"A_{rec['k']}"}, "group": group}
            out += [_rate("evaluation accuracy", rec["eval_accuracy"], params["labels"], **kw),
                    Measure("A_k quality (0 random, 1 best-of-n)", normalised_quality(rec), digits=2, **kw),
                    _rate("reward model accuracy", rec["rm_accuracy"], params["labels"], **kw)]
    group = "recursive reward modelling: across iterations"
    for mis in misleads:
        kw = {"setting": {"mislead": mis}, "group": group, "n": len(rrm[mis])}
        out += [Measure("evaluation accuracy rises with k", "yes" if rises([r["eval_accuracy"] for r in rrm[mis]])
                        else "no", **kw),
                Measure("A_k quality rises with k", "yes" if rises([normalised_quality(r) for r in rrm[mis]])
                        else "no", **kw)]
    return out


def _honest(params: dict[str, Any]) -> bool:
    return 0.0 in resolve_lists(params)[2]


def _honest_and_misleading(params: dict[str, Any]) -> bool:
    misleads = resolve_lists(params)[2]
    return 0.0 in misleads and 0.5 in misleads and params["iterations"] == 6


CLAIMS = [
    Claim.finding("rrm-evaluation-improves", "with an assistant that helps, evaluation accuracy rises with k", LEIKE,
                  "yes", Ref("evaluation accuracy rises with k", mislead=0.0), reason=LEIKE_NOTE, must_hold=True,
                  quick=True, when=_honest),
    Claim.finding("rrm-agent-improves", "with an assistant that helps, A_k's true quality rises with k", LEIKE, "yes",
                  Ref("A_k quality rises with k", mislead=0.0), reason=LEIKE_NOTE, quick=True, when=_honest),
    Claim.greater("misleading-assistant-hurts", "an assistant that hides harms lowers the evaluator's accuracy",
                  LEIKE, Ref("evaluation accuracy", mislead=0.0, agent="A_6"),
                  Ref("evaluation accuracy", mislead=0.5, agent="A_6"),
                  published="lower",
                  reason="the scheme's premise: A_k's evaluator is only as good as its assistant", quick=True,
                  when=_honest_and_misleading),
]


def notes(params: dict[str, Any]) -> list[str]:
    out = [
        f"Aggregation trees: {params['trees']} trees per cell; 95% intervals: Wilson. Wu et al. 2021 report no error "
        "curve (their trees have height about 3); the closed form 1 - (1 - p)^nodes is the reference. It assumes "
        "every node error reaches the root; errors that cancel (a replaced binary leaf is a +-1 flip, off_by_one "
        "steps) or are invisible (dropping an empty leaf) measure below it.",
        "Learned combiner: per-level least squares of the true total on the children's sum (trained on its own "
        "level, inputs from lower levels' outputs, as in Wu et al.); compared with the scripted sum in the cells "
        "with p > 0.",
        f"RRM: {params['iterations']} aspects, aspect 0 correlated -{params['rho']} with the others; quality "
        "normalised 0 = random choice, 1 = best-of-n on the true quality. A_1 optimises only the visible "
        "aspect and is worse than random when rho (K - 1) > 1. A curve 'rises' when it ends above where it "
        f"starts and never falls by more than {100 * TOLERANCE:.0f} points (0.02 of quality) from one k to the "
        "next. Leike et al. describe the scheme with an assistant that helps; their expectation is a claim on "
        "mislead 0 only.",
    ]
    return out


def run(params: dict[str, Any], ctx: Context) -> ScenarioResult:
    ps, models, _ = resolve_lists(params)
    trees, rrm = compute(params, ctx)
    heights = list(range(1, params["max_height"] + 1))
    files = [ctx.path("trees.jsonl"),
             plot_aggregation_trees(trees, models, ps, heights, params["branching"],
                                    ctx.path("aggregation_trees.png")),
             plot_recursive_reward_modelling(rrm, ctx.path("recursive_reward_modelling.png"))]
    title = "Task decomposition: aggregation-tree error against height; recursive reward modelling"
    return ScenarioResult(title, measures(params, trees, rrm), notes(params), files)


PARAMS = [
    Param("branching", int, 4, "children per node of the aggregation tree", low=1, high=64),
    Param("max_height", int, 5, "largest tree height", quick=3, low=1, high=30),
    Param("node_errors", float, "0,0.005,0.01,0.02,0.05", "comma list of per-node error probabilities",
          quick="0,0.01,0.05", many=True, low=0, high=1),
    Param("error_models", str, "replace,off_by_one,drop", "comma list of node error models", many=True,
          choices=ERROR_MODELS),
    Param("trees", int, 4000, "trees per cell", quick=400, low=10, high=10_000_000),
    Param("iterations", int, 6, "RRM iterations K (= aspects of an outcome)", low=1, high=64),
    Param("rho", float, 0.4, "RRM: correlation between the visible aspect and each hidden one (negated)", low=0,
          high=0.99),
    Param("mislead", float, "0,0.25,0.5", "comma list of the assistant's probabilities of hiding a harm", many=True,
          low=0, high=1),
    Param("labels", int, 4000, "RRM: labelled outcomes per reward model (and test pairs)", quick=800, low=10,
          high=10_000_000),
]

SCENARIO = Scenario(
    name="task-decomposition",
    description="Aggregation-tree error against height (Wu et al. 2021) and recursive reward modelling "
                "(Leike et al. 2018)",
    quick_note="fewer trees and labels; run without --quick for the full curves.",
    citation="Wu et al. 2021, arXiv 2109.10862; Leike et al. 2018, arXiv 1811.07871",
    params=PARAMS,
    run=run,
    experiment=experiment,
    check=check,
    claims=CLAIMS,
)

if __name__ == "__main__":
    raise SystemExit(SCENARIO.main())
