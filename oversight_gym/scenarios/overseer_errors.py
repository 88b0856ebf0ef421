"""Overseer errors compound with the depth of decomposition (Christiano, Shlegeris, Amodei
2018, "Supervising strong learners by amplifying weak experts", arXiv 1810.08575).

The scripted overseer H of each of the five algorithmic tasks answers root questions by HCH
to a given depth: H decomposes, each subquestion is answered by HCH one level down, and a
perfect model M answers at the bottom (depth 1 is Amplify^H(M)). H errs with probability
epsilon at every step: a subquestion replaced by another of its kind, or a combination
replaced by a random other answer. We measure the root error against epsilon and depth and
put beside it the closed form for independent errors that all reach the root,
``1 - mean_q (1 - epsilon)^S_q``, with ``S_q`` the number of H's steps in question q's
error-free tree (:func:`oversight_gym.envs.amplification.metrics.independent_error`). The paper
gives no number for this; the closed form is the reference. Measured errors below it are
errors the decomposition absorbs (a wrong neighbour's distance that is not the minimum, a
wrong subquestion whose answer happens to be right).

Run: ``oversight-gym run overseer-errors [--quick]`` or ``python -m oversight_gym.scenarios.overseer_errors``.
Sweep: ``oversight-gym sweep overseer-errors --grid epsilons=0.01,0.1 --grid depths=1,2`` (the
experiment measures the first task, depth and epsilon it is given).
"""

from __future__ import annotations

from typing import Any

from tqdm import tqdm

from oversight_gym.analysis.claims import Claim, Ref
from oversight_gym.analysis.measures import Measure
from oversight_gym.envs.amplification.metrics import hch_error_cell, question_set
from oversight_gym.envs.amplification.plots import plot_example_tree, plot_overseer_errors
from oversight_gym.envs.amplification.tasks import PAPER, SIZES, TASKS, task_names
from oversight_gym.runner.records import RecordFile
from oversight_gym.runner.scenario import Context, Param, Scenario, ScenarioResult

#: a cell: (task, depth, epsilon)
Cell = tuple[str, int, float]


def _param(name: str) -> Param:
    return next(p for p in PARAMS if p.name == name)


def resolve_lists(params: dict[str, Any]) -> tuple[list[str], list[int], list[float]]:
    """The tasks, depths and epsilons of ``params`` (given as typed, ``"1,2"``, or parsed,
    ``(1, 2)``), checked against their Params; 'all' in ``--tasks`` stands alone."""
    tasks = task_names(_param("tasks").parse(params["tasks"]))
    return tasks, list(_param("depths").parse(params["depths"])), list(_param("epsilons").parse(params["epsilons"]))


def experiment(params: dict[str, Any], seed: int) -> dict[str, Any]:
    """One sweep cell: the first task, depth and epsilon of ``params`` (a sweep gives single
    values), at ``size`` names on ``questions`` root questions."""
    tasks, depths, epsilons = resolve_lists(params)
    qs = question_set(tasks[0], params["size"], params["questions"], seed)
    return hch_error_cell(tasks[0], params["size"], depths[0], epsilons[0], qs, seed)


def compute(params: dict[str, Any], ctx: Context) -> dict[Cell, dict[str, Any]]:
    """Every cell's record (:func:`~oversight_gym.envs.amplification.metrics.hch_error_cell`),
    appended to ``records.jsonl`` as it is measured; cells already there are kept."""
    tasks, depths, epsilons = resolve_lists(params)
    records = RecordFile(ctx.path("records.jsonl"), {"params": params, "seed": ctx.seed},
                         ("task", "depth", "epsilon"))
    done = records.done()
    todo = [(t, d, e) for t in tasks for d in depths for e in epsilons if (t, d, e) not in done]
    qsets: dict[str, Any] = {}
    cells = len(tasks) * len(depths) * len(epsilons)
    for t, d, e in tqdm(todo, total=cells, initial=cells - len(todo), desc="overseer errors", unit="cell",
                        disable=not ctx.progress):
        if t not in qsets:
            qsets[t] = question_set(t, params["size"], params["questions"], ctx.seed)
        records.append(hch_error_cell(t, params["size"], d, e, qsets[t], ctx.seed))
    return {(r["task"], r["depth"], r["epsilon"]): r for r in records.records}


def above_closed_form(cells: dict[Cell, dict[str, Any]]) -> list[Cell]:
    """The cells whose 95% interval lies entirely above the closed form."""
    return [k for k, r in cells.items() if r["ci_low"] > r["closed_form"] + 1e-9]


def measures(cells: dict[Cell, dict[str, Any]], tasks: list[str], depths: list[int],
             epsilons: list[float]) -> list[Measure]:
    """Per (task, depth, epsilon): the root error with its Wilson interval and the closed
    form for independent errors; per (task, depth): the error-free tree's mean overseer
    steps and size (they do not depend on epsilon); and how many cells measure above the
    closed form. The paper reports no overseer-error curve: no published values."""
    out = []
    for t in tasks:
        for d in depths:
            for e in epsilons:
                r = cells[(t, d, e)]
                setting = {"task": t, "depth": d, "epsilon": e}
                out.append(Measure("root error", r["root_error"], (r["ci_low"], r["ci_high"]), r["n"], unit="%",
                                   setting=setting))
                out.append(Measure("closed form, independent errors", r["closed_form"], unit="%", setting=setting))
    group = "error-free trees (per root question, mean)"
    for t in tasks:
        for d in depths:
            r = cells[(t, d, epsilons[0])]
            setting = {"task": t, "depth": d}
            out.append(Measure("H steps", r["mean_steps"], n=r["n"], unit="steps", digits=1, setting=setting,
                               group=group))
            out.append(Measure("tree size", r["mean_tree_size"], n=r["n"], unit="nodes", digits=1, setting=setting,
                               group=group))
    out.append(Measure("cells above the closed form (95% CI entirely above)", len(above_closed_form(cells)),
                       n=len(cells), unit="cells", group="all cells"))
    return out


def notes(cells: dict[Cell, dict[str, Any]]) -> list[str]:
    above = above_closed_form(cells)
    out = [
        "The paper reports no overseer-error curve; the reference is the closed form 1 - mean (1 - eps)^S for "
        "independent errors that all reach the root (S: H's steps in the error-free tree). 95% intervals: Wilson.",
        "H steps and tree size are those of the error-free trees, the same for every epsilon.",
        "Measured below the closed form = errors the decomposition absorbs (e.g. a wrong distance that is not the "
        "minimum, a wrong subquestion whose answer is still right).",
    ]
    if above:
        out.append("Cells above the closed form (task, depth, epsilon): " + ", ".join(f"{k}" for k in above[:5]))
    return out


def run(params: dict[str, Any], ctx: Context) -> ScenarioResult:
    tasks, depths, epsilons = resolve_lists(params)
    cells = compute(params, ctx)
    files = [ctx.path("records.jsonl"),
             plot_overseer_errors(cells, tasks, depths, epsilons, params["size"], ctx.path("overseer_errors.png")),
             plot_example_tree(tasks[0], params["size"], max(depths), max(epsilons), ctx.seed,
                               ctx.path("example_tree.png"))]
    title = (f"Overseer errors in HCH: root error against epsilon and depth ({params['size']} names, "
             f"{params['questions']} root questions per cell, perfect M at the bottom)")
    return ScenarioResult(title, measures(cells, tasks, depths, epsilons), notes(cells), files)


COMPOUND = ("the failure mode this scenario measures: overseer errors compound with the depth of decomposition "
            "(Christiano et al. 2018 publish no curve)")
CLOSED = "closed form 1 - mean (1 - eps)^S for independent errors that all reach the root"
ORDER_TASK, ORDER_EPSILON = "permutation_powering", 0.05


def _order_applies(params: dict[str, Any]) -> bool:
    tasks, depths, epsilons = resolve_lists(params)
    return ORDER_TASK in tasks and {1, 2, 3} <= set(depths) and ORDER_EPSILON in epsilons


CLAIMS = [
    Claim.ordered("errors-compound-with-depth", "at a 5% overseer error rate, the root error grows with HCH's depth",
                  COMPOUND, [Ref("root error", task=ORDER_TASK, depth=d, epsilon=ORDER_EPSILON) for d in (1, 2, 3)],
                  published="depth 1 < 2 < 3", quick=True, must_hold=True, when=_order_applies),
    Claim.value("within-the-closed-form", "no cell's root error lies above the closed form for independent errors",
                f"{CLOSED} (the reference where the paper has none)",
                0, Ref("cells above the closed form (95% CI entirely above)"), tolerance=0,
                reason="errors can cancel or be absorbed, never add beyond reaching the root; a cell above it would "
                       "be a bug", quick=True),
]

PARAMS = [
    Param("tasks", str, "all", "comma list of tasks, or all", many=True, choices=(*TASKS, "all")),
    Param("size", int, 64, "names per instance", quick=16, choices=SIZES),
    Param("depths", int, "1,2,3,4", "comma list of HCH depths (1 = Amplify^H(M))", quick="1,2,3", many=True, low=1,
          high=12),
    Param("epsilons", float, "0,0.01,0.02,0.05,0.1,0.2", "comma list of overseer error rates per step",
          quick="0,0.05,0.2", many=True, low=0, high=1),
    Param("questions", int, 1000, "root questions per cell", quick=100, low=1, high=1_000_000),
]

SCENARIO = Scenario(
    name="overseer-errors",
    description="Root error of HCH against the overseer's error rate and the depth of decomposition",
    quick_note="small instances and few questions; run without --quick for 64 names.",
    citation=PAPER,
    params=PARAMS,
    run=run,
    experiment=experiment,
    check=resolve_lists,
    claims=CLAIMS,
)

if __name__ == "__main__":
    raise SystemExit(SCENARIO.main())
