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

import json
from typing import Any

import numpy as np
from tqdm import tqdm

from oversight_gym.analysis.metrics import rate
from oversight_gym.envs.amplification.decomposition import (
    ERROR_MODELS,
    fit_combiner,
    recursive_reward_modelling,
    simulate_trees,
)
from oversight_gym.envs.amplification.metrics import tree_error
from oversight_gym.runner.records import RecordFile
from oversight_gym.runner.scenario import Context, Param, Scenario, ScenarioResult


def _floats(text: str, name: str) -> list[float]:
    try:
        out = [float(x) for x in str(text).split(",") if x.strip()]
    except ValueError:
        raise ValueError(f"--{name}: a comma list of numbers in [0, 1], got {text!r}") from None
    if not out or min(out) < 0 or max(out) > 1:
        raise ValueError(f"--{name}: a comma list of numbers in [0, 1], got {text!r}")
    return out


def _models(text: str) -> list[str]:
    out = [m.strip() for m in str(text).split(",") if m.strip()]
    bad = [m for m in out if m not in ERROR_MODELS]
    if not out or bad:
        raise ValueError(f"--error-models: a comma list of {list(ERROR_MODELS)}, got {text!r}")
    return out


def tree_cell(branching: int, height: int, p: float, model: str, trees: int, learn: bool,
              seed: int) -> dict[str, Any]:
    """Root error of the scripted (and learned) combiner on ``trees`` trees."""
    rng = np.random.default_rng([seed, branching, height, int(round(p * 1e6)), ERROR_MODELS.index(model)])
    rec: dict[str, Any] = {"branching": branching, "height": height, "p": p, "error_model": model, "n": trees,
                           "closed_form": tree_error(branching, height, p)}
    sim = simulate_trees(trees, branching, height, 2, p, model, rng)
    r = rate((~sim["correct"]).tolist())
    rec.update(root_error=r.value, ci_low=r.interval[0], ci_high=r.interval[1],
               mean_abs_error=float(np.abs(sim["root"] - sim["truth"]).mean()))
    if learn:
        comb = fit_combiner(branching, height, 2, p, model, rng, train_trees=max(200, trees // 2))
        sim = simulate_trees(trees, branching, height, 2, p, model, rng, comb)
        rec.update(learned_root_error=float(1 - sim["correct"].mean()),
                   learned_mean_abs_error=float(np.abs(sim["root"] - sim["truth"]).mean()))
    return rec


def experiment(params: dict[str, Any], seed: int) -> dict[str, Any]:
    """One sweep cell: the first p and error model, the largest height; and the RRM run with
    the first ``mislead`` value (final iteration)."""
    p = _floats(params["node_errors"], "node-errors")[0]
    model = _models(params["error_models"])[0]
    rec = tree_cell(params["branching"], params["max_height"], p, model, params["trees"], True, seed)
    mis = _floats(params["mislead"], "mislead")[0]
    rrm = recursive_reward_modelling(params["iterations"], rho=params["rho"], mislead=mis, labels=params["labels"],
                                     test=params["labels"], rng=np.random.default_rng(seed))
    rec.update({f"rrm_{k}": v for k, v in rrm[-1].items()}, mislead=mis)
    return rec


def _learned_summary(trees: dict, models: list[str], ps: list[float], heights: list[int]) -> str:
    parts = []
    for m in models:
        cells = [trees[(m, p, h)] for p in ps if p > 0 for h in heights]
        if cells:
            better = sum(c["learned_mean_abs_error"] < c["mean_abs_error"] for c in cells)
            parts.append(f"lower mean |error| than the scripted sum in {better}/{len(cells)} {m} cells")
    return "; ".join(parts) + "."


def run(params: dict[str, Any], ctx: Context) -> ScenarioResult:
    ps = _floats(params["node_errors"], "node-errors")
    models = _models(params["error_models"])
    misleads = _floats(params["mislead"], "mislead")
    for name, low in (("branching", 1), ("max_height", 1), ("trees", 10), ("iterations", 1), ("labels", 10)):
        if params[name] < low:
            raise ValueError(f"--{name.replace('_', '-')} must be >= {low}, got {params[name]}")
    heights = list(range(1, params["max_height"] + 1))
    records = RecordFile(ctx.path("trees.jsonl"), {"params": params, "seed": ctx.seed},
                         ("error_model", "p", "height"))
    done = records.done()
    todo = [(m, p, h) for m in models for p in ps for h in heights if (m, p, h) not in done]
    for m, p, h in tqdm(todo, desc="aggregation trees", unit="cell", disable=not ctx.progress):
        records.append(tree_cell(params["branching"], h, p, m, params["trees"], True, ctx.seed))
    trees = {(r["error_model"], r["p"], r["height"]): r for r in records.records}
    rrm = {mis: recursive_reward_modelling(params["iterations"], rho=params["rho"], mislead=mis,
                                           labels=params["labels"], test=params["labels"],
                                           rng=np.random.default_rng([ctx.seed, 7]))
           for mis in misleads}
    rows = []
    for m in models:
        for p in ps:
            for h in heights:
                r = trees[(m, p, h)]
                rows.append({"part": "tree", "setting": f"{m}, p={p}, height {h}",
                             "published / closed form": f"{100 * r['closed_form']:.1f}% (independent)",
                             "ours: scripted root error | RRM eval acc": f"{100 * r['root_error']:.1f}%",
                             "95% CI": f"[{100 * r['ci_low']:.1f}, {100 * r['ci_high']:.1f}]",
                             "ours: learned root error | A_k quality": f"{100 * r['learned_root_error']:.1f}%",
                             "mean |error| scripted/learned | RM acc": f"{r['mean_abs_error']:.2f} / "
                                                              f"{r['learned_mean_abs_error']:.2f}"})
    for mis in misleads:
        for rec in rrm[mis]:
            span = rec["oracle_quality"] - rec["random_quality"]
            quality = (rec["true_quality"] - rec["random_quality"]) / span
            rows.append({"part": "RRM", "setting": f"mislead {mis}, A_{rec['k']}",
                         "published / closed form": "rises with k (qualitative)",
                         "ours: scripted root error | RRM eval acc": f"eval acc {100 * rec['eval_accuracy']:.1f}%",
                         "ours: learned root error | A_k quality": f"quality {quality:+.2f}",
                         "mean |error| scripted/learned | RM acc": f"RM acc {100 * rec['rm_accuracy']:.1f}%"})
    monotone = all(trees[(m, p, h)]["root_error"] <= trees[(m, p, h + 1)]["root_error"] + 0.02
                   for m in models for p in ps for h in heights[:-1])
    notes = [
        f"aggregation trees: branching {params['branching']}, binary leaves, {params['trees']} trees per cell; "
        f"root error rises with height in every setting (within 2 points): {monotone}.",
        "closed form 1 - (1 - p)^nodes assumes every node error reaches the root; errors that cancel (a replaced "
        "binary leaf is a +-1 flip, off_by_one steps) or are invisible (dropping an empty leaf) measure below it.",
        "learned combiner: per-level least squares of the true total on the children's sum (trained on its own "
        "level, inputs from lower levels' outputs, as in Wu et al.): " + _learned_summary(trees, models, ps, heights),
        f"RRM: {params['iterations']} aspects, aspect 0 correlated -{params['rho']} with the others; quality "
        "normalised 0 = random choice, 1 = best-of-n on the true quality. A_1 optimises only the visible "
        "aspect and is worse than random when rho (K - 1) > 1.",
    ]
    if ctx.quick:
        notes.append("QUICK MODE: fewer trees and labels; run without --quick for the full curves.")
    ctx.path("summary.json").write_text(json.dumps({"params": params, "trees": list(trees.values()),
                                                    "rrm": {str(k): v for k, v in rrm.items()}}, indent=2))
    files = [ctx.path("trees.jsonl"), ctx.path("summary.json"), *plot(trees, rrm, models, ps, heights, params, ctx)]
    title = "Task decomposition: aggregation-tree error against height; recursive reward modelling"
    return ScenarioResult(title, rows, notes, files)


def plot(trees: dict, rrm: dict, models: list[str], ps: list[float], heights: list[int], params: dict[str, Any],
         ctx: Context) -> list[Any]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(models), figsize=(3.6 * len(models), 3.4), squeeze=False)
    colors = plt.cm.plasma(np.linspace(0, 0.85, len(ps)))
    for ax, m in zip(axes[0], models, strict=True):
        for c, p in zip(colors, ps, strict=True):
            ax.plot(heights, [100 * trees[(m, p, h)]["root_error"] for h in heights], "o-", color=c, label=f"p={p}")
            ax.plot(heights, [100 * trees[(m, p, h)]["learned_root_error"] for h in heights], "s:", color=c, ms=3)
            ax.plot(heights, [100 * trees[(m, p, h)]["closed_form"] for h in heights], "--", color=c, lw=0.8)
        ax.set_title(f"{m} (b={params['branching']})", fontsize=9)
        ax.set_xlabel("tree height")
        ax.set_ylim(0, 100)
    axes[0][0].set_ylabel("root error (%)\nsolid scripted, dotted learned, dashed closed form")
    axes[0][0].legend(fontsize=7)
    f1 = ctx.save_figure(fig, "aggregation_trees.png", dpi=110)

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(8, 3.4))
    for mis, recs in rrm.items():
        ks = [r["k"] for r in recs]
        a1.plot(ks, [100 * r["eval_accuracy"] for r in recs], "o-", label=f"mislead {mis}")
        a2.plot(ks, [(r["true_quality"] - r["random_quality"]) / (r["oracle_quality"] - r["random_quality"])
                     for r in recs], "o-", label=f"mislead {mis}")
    a1.set_xlabel("iteration k (evaluator of A_k assisted by A_{k-1})")
    a1.set_ylabel("evaluation accuracy (%)")
    a2.set_xlabel("iteration k")
    a2.set_ylabel("A_k true quality (0 random, 1 oracle)")
    a2.axhline(0, c="#999", lw=0.8)
    a1.legend(fontsize=7)
    f2 = ctx.save_figure(fig, "recursive_reward_modelling.png", dpi=110)
    return [f1, f2]


SCENARIO = Scenario(
    name="task-decomposition",
    description="Aggregation-tree error against height (Wu et al. 2021) and recursive reward modelling "
                "(Leike et al. 2018)",
    citation="Wu et al. 2021, arXiv 2109.10862; Leike et al. 2018, arXiv 1811.07871",
    params=[
        Param("branching", int, 4, "children per node of the aggregation tree"),
        Param("max_height", int, 5, "largest tree height", quick=3),
        Param("node_errors", str, "0,0.005,0.01,0.02,0.05", "comma list of per-node error probabilities",
              quick="0,0.01,0.05"),
        Param("error_models", str, "replace,off_by_one,drop", "comma list of node error models"),
        Param("trees", int, 4000, "trees per cell", quick=400),
        Param("iterations", int, 6, "RRM iterations K (= aspects of an outcome)"),
        Param("rho", float, 0.4, "RRM: correlation between the visible aspect and each hidden one (negated)"),
        Param("mislead", str, "0,0.25,0.5", "comma list of the assistant's probabilities of hiding a harm"),
        Param("labels", int, 4000, "RRM: labelled outcomes per reward model (and test pairs)", quick=800),
    ],
    run=run,
    experiment=experiment,
)

if __name__ == "__main__":
    raise SystemExit(SCENARIO.main())
