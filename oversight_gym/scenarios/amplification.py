"""Iterated amplification and distillation against supervised learning on the five
algorithmic tasks (Christiano, Shlegeris, Amodei 2018, "Supervising strong learners by
amplifying weak experts", arXiv 1810.08575).

For each task the same model M (:class:`~oversight_gym.envs.amplification.learned.AttentionModel`,
a transformer over the instance's set of facts) is trained twice on the same stream of
questions and with the same number of steps: by IDA, on the answers of Amplify^H(M) (the
scripted H decomposes, the current M answers the subquestions; M never sees a
ground-truth label), and by supervised learning on the ground truth. Both follow the
curriculum over instance sizes (the paper: 8 to 64 names). Accuracy is measured against the
ground truth on held-out instances (new fact sets) of the root questions. With
``--learned-overseer`` a third run trains H' on H's moves alongside IDA: H' makes every move
it is at least ``--confidence`` sure of, and we record the share of moves made by H', the
calls to H, and Amplify^{H'}(M) (H' alone) beside Amplify^H(M).

The paper's finding: IDA "is able to solve these tasks effectively with at worst a
modest slowdown" compared with supervised learning, without ground-truth labels. The paper
gives no number, so the claims (``CLAIMS``, one per task) read it as: IDA ends within 5
points of supervised, after the same steps, at the largest size of the curriculum at which
supervised M reaches 95% (the paper trains to 64 names). M is evaluated at every size of
the curriculum, and the scenario reports that size (where the supervised run ends at 95% or
more) and IDA's gap there. ``--minutes`` caps each run's wall time (20 by default: the steps
then depend on the machine's speed; 0 makes runs step-limited and reproducible).
``--workers`` trains that many runs at once, one core each.

The reproduction (``oversight-gym reproduce amplification``) takes about 16 minutes on 2
cores (the largest share of the ledger), while the paper trains for hours and the full
defaults cap each run at 20 minutes. It keeps all five tasks and M's full size, and trains
each run for 3,000 steps of 64 questions at 8 names (the curriculum's first size),
step-limited so that it is reproducible, without the learned overseer H' (no claim reads
it). So it tests the finding only at the first size and early in training: a task whose
supervised run does not reach 95% within the 3,000 steps leaves its claim unmeasured (the
ledger shows which), rather than passing on two undertrained models. The full defaults
(``run amplification``) are the faithful test.

Permutation powering's M runs its layers once per three names (sigma^k(x) is k lookups;
see ``LOOP_TASKS`` in :mod:`oversight_gym.envs.amplification.learned`).

Run: ``oversight-gym run amplification [--quick]`` or ``python -m oversight_gym.scenarios.amplification``.
"""

from __future__ import annotations

from typing import Any

from oversight_gym.analysis.claims import Claim, Ref
from oversight_gym.analysis.measures import Measure
from oversight_gym.analysis.metrics import wilson_interval
from oversight_gym.envs.amplification.learned import HEADS
from oversight_gym.envs.amplification.metrics import claim_size
from oversight_gym.envs.amplification.plots import plot_ida_curves, plot_learned_overseer
from oversight_gym.envs.amplification.tasks import PAPER, SIZES, TASKS, task_names
from oversight_gym.runner.episodes import run_parallel
from oversight_gym.runner.records import RecordFile
from oversight_gym.runner.scenario import Context, Param, Scenario, ScenarioResult

SOURCE = PAPER
#: the claim holds when IDA is within this many points of supervised
WITHIN = 5.0
GAP_THERE = "gap there, supervised - IDA"


def _runs_task(task: str) -> Any:
    """A claim's setting: the run trains on ``task``."""
    return lambda p: task in resolve_tasks(p["tasks"])


#: the paper's finding, one claim per task: IDA (no ground-truth label) ends within WITHIN points of supervised
#: learning on the ground truth, after the same steps, at the largest size where supervised reaches 95%
CLAIMS = [
    Claim.value(f"ida-matches-supervised-{task.replace('_', '-')}",
                f"{task}: IDA within {WITHIN:.0f} points of supervised, at the largest size where supervised "
                "reaches 95% (same steps)", SOURCE, 0.0, Ref(GAP_THERE, task=task), tolerance=WITHIN,
                reason=f"the paper gives no number: 'at worst a modest slowdown' is read as IDA ending within "
                       f"{WITHIN:.0f} points of supervised after the same steps; the paper trains to 64 names, our "
                       "reproduction only as far as its budget reaches (unmeasured when supervised reaches 95% at "
                       "no size of the curriculum)", when=_runs_task(task))
    for task in TASKS
]
#: the runs, as recorded (mode) and as shown
RUNS = {"supervised": "supervised", "ida": "IDA", "ida+h'": "IDA+H'"}


def _param(name: str) -> Param:
    return next(p for p in PARAMS if p.name == name)


def resolve_tasks(value: Any, name: str = "tasks") -> list[str]:
    """Tasks of ``--tasks`` or ``--overseer-tasks`` (typed, ``"a,b"``, or parsed, ``("a", "b")``);
    ``all`` is every task."""
    param = _param(name)
    return task_names(param.parse(value), param.option)


def resolve_sizes(value: Any) -> tuple[int, ...]:
    """The curriculum of ``--sizes``: increasing sizes from :data:`SIZES` (typed or parsed)."""
    return _param("sizes").parse(value)


def train_run(task: str, mode: str, params: dict[str, Any], seed: int, progress: bool,
              on_eval: Any = None) -> dict[str, Any]:
    """One training run (``mode``: ``supervised``, ``ida`` or ``ida+h'``)."""
    from oversight_gym.envs.amplification.learned import require_torch, train_model

    require_torch().set_num_threads(1)
    return train_model(task, "supervised" if mode == "supervised" else "ida", params["steps"],
                       sizes=resolve_sizes(params["sizes"]), batch=params["batch"], eval_every=params["eval_every"],
                       eval_questions=params["eval_questions"], advance_at=params["advance_at"],
                       min_stage_steps=params["min_stage_steps"], seed=seed,
                       model_kwargs={"lr": params["lr"] or None, "layers": params["layers"], "d_model": params["width"],
                                     "loops": params["loops"] or None},
                       learned_overseer=mode == "ida+h'", confidence=params["confidence"], progress=progress,
                       on_eval=on_eval, minutes=params["minutes"],
                       target_every=None if params["target_every"] < 0 else params["target_every"])


def _job(job: tuple[str, str, dict[str, Any], int, bool]) -> tuple[str, str, list[dict[str, Any]], int]:
    """One run, in this or a worker process: its evaluation records and final size."""
    task, mode, params, seed, progress = job
    res = train_run(task, mode, params, seed, progress)
    return task, mode, res["curve"], res["final_size"]


def modes(params: dict[str, Any], task: str) -> list[str]:
    out = ["supervised", "ida"]
    if params["learned_overseer"] and task in resolve_tasks(params["overseer_tasks"], "overseer_tasks"):
        out.append("ida+h'")
    return out


def experiment(params: dict[str, Any], seed: int) -> dict[str, Any]:
    """One sweep cell: the first task, supervised and IDA; final accuracies and H calls."""
    task = resolve_tasks(params["tasks"])[0]
    out: dict[str, Any] = {"task": task}
    for mode in ("supervised", "ida"):
        res = train_run(task, mode, params, seed, progress=False)
        last = res["curve"][-1]
        out[f"{mode}_accuracy"] = last["acc_largest"]
        out[f"{mode}_final_size"] = res["final_size"]
        out[f"{mode}_h_decompositions"] = res["h_decompositions"]
    out["gap"] = out["supervised_accuracy"] - out["ida_accuracy"]
    return out


def check(params: dict[str, Any]) -> None:
    """'all' stands alone in ``--tasks`` and ``--overseer-tasks`` (each value's own range is
    declared by its Param)."""
    resolve_tasks(params["tasks"])
    resolve_tasks(params["overseer_tasks"], "overseer_tasks")


def compute(params: dict[str, Any], ctx: Context) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Every (task, mode) run's evaluation records, appended to ``curves.jsonl`` as runs
    finish; finished runs are kept, a run cut short restarts from scratch. Runs are
    independent (each single-threaded): with ``--workers`` > 1 they share the cores."""
    tasks = resolve_tasks(params["tasks"])
    records = RecordFile(ctx.path("curves.jsonl"), {"params": params, "seed": ctx.seed}, ("task", "mode", "step"))
    finished = {(r["task"], r["mode"]) for r in records.records if r.get("final")}
    todo = []
    for task in tasks:
        for mode in modes(params, task):
            if (task, mode) not in finished:
                records.records = [r for r in records.records if (r["task"], r["mode"]) != (task, mode)]
                todo.append((task, mode, params, ctx.seed, ctx.progress and ctx.workers <= 1))

    def save(done: tuple[str, str, list[dict[str, Any]], int]) -> None:
        task, mode, curve, final_size = done
        for i, rec in enumerate(curve):
            records.append({"task": task, "mode": mode, **rec, "final": i == len(curve) - 1, "final_size": final_size})

    run_parallel(_job, todo, workers=ctx.workers, on_result=save, progress=ctx.progress and ctx.workers > 1,
                 desc="training runs")
    return {(t, m): [r for r in records.records if (r["task"], r["mode"]) == (t, m)]
            for t in tasks for m in modes(params, t)}


def _accuracy(name: str, value: float, n: int, **kwargs: Any) -> Measure:
    """An accuracy on ``n`` held-out root questions, with its Wilson interval."""
    return Measure(name, value, wilson_interval(int(round(value * n)), n), n, unit="%", **kwargs)


def measures(params: dict[str, Any], runs: dict[tuple[str, str], list[dict[str, Any]]]) -> list[Measure]:
    """Per task and run: M's final accuracy on held-out instances of the largest size, the
    size the curriculum reached, the steps and minutes; for IDA, Amplify^H(M) and the calls
    to H; for IDA with a learned overseer H', Amplify^H'(M) beside Amplify^H(M) and H''s share
    of the moves and H's moves per question at the first and last evaluation. Per task, IDA
    against supervised: the gap at the largest size (the paper's value beside it when that
    size is the paper's, 64 names), and the gap at the largest size where supervised M
    reaches 95%."""
    tasks = resolve_tasks(params["tasks"])
    sizes = resolve_sizes(params["sizes"])
    n = params["eval_questions"]
    group = f"M alone on held-out instances of {sizes[-1]} names; Amplify on the size reached"
    out = []
    for task in tasks:
        for mode in modes(params, task):
            recs = runs[(task, mode)]
            last = recs[-1]
            kw = {"setting": {"task": task, "run": RUNS[mode]}, "group": group}
            out.append(_accuracy("M accuracy", last["acc_largest"], n, **kw))
            if mode == "ida":
                out.append(_accuracy("Amplify^H(M) accuracy", last["amplified_acc_current"], n, **kw))
                out.append(Measure("calls to H (questions H decomposed)", last["h_decompositions"], unit="calls", **kw))
            if mode == "ida+h'":
                out += [_accuracy("Amplify^H'(M) accuracy", last.get("hprime_amplified_acc_current", 0), n, **kw),
                        _accuracy("Amplify^H(M) accuracy", last.get("amplified_acc_current", 0), n, **kw),
                        Measure("H' share of moves, first evaluation", recs[0].get("learned_share", 0), unit="%", **kw),
                        Measure("H' share of moves, last evaluation", last.get("learned_share", 0), unit="%", **kw),
                        Measure("H moves per question, first evaluation", recs[0].get("h_moves_per_question", 0),
                                digits=2, **kw),
                        Measure("H moves per question, last evaluation", last.get("h_moves_per_question", 0),
                                digits=2, **kw)]
            if mode != "ida+h'":
                out += [Measure("size reached", last["final_size"], unit="names", **kw),
                        Measure("steps", last["step"], unit="steps", **kw),
                        Measure("wall time", last["seconds"] / 60, unit="minutes", digits=1, **kw)]
    group = f"IDA against supervised (largest size: {sizes[-1]} names)"
    for task in tasks:
        sup, ida = runs[(task, "supervised")][-1], runs[(task, "ida")][-1]
        gap = 100 * (sup["acc_largest"] - ida["acc_largest"])
        claim = claim_size(sup, ida, sizes)
        kw = {"setting": {"task": task}, "group": group}
        out += [Measure("gap at the largest size, supervised - IDA", gap, unit="points", digits=1, **kw),
                Measure(f"IDA within {WITHIN:.0f} points at the largest size", "yes" if gap <= WITHIN else "no", **kw),
                Measure("largest size where supervised reaches 95%", claim["size"] or "none", unit="names", **kw)]
        if claim["size"] is not None:
            out += [Measure(GAP_THERE, claim["gap"], unit="points", digits=1, **kw),
                    Measure(f"IDA within {WITHIN:.0f} points there", "yes" if claim["gap"] <= WITHIN else "no", **kw)]
    return out


def notes(params: dict[str, Any], runs: dict[tuple[str, str], list[dict[str, Any]]]) -> list[str]:
    """How the paper's finding is tested, what the accuracies are, and the tasks where it cannot
    be tested in this run's budget."""
    tasks = resolve_tasks(params["tasks"])
    sizes = resolve_sizes(params["sizes"])
    out = [
        f"The paper's finding (IDA solves the tasks 'with at worst a modest slowdown' against supervised learning) "
        f"is tested per task as IDA within {WITHIN:.0f} points of supervised, after the same steps, at the largest "
        "size where supervised reaches 95% (see the claims).",
        f"Accuracy: M alone on {params['eval_questions']} held-out root questions (new fact sets) per size, 95% "
        "intervals: Wilson; 'largest size where supervised reaches 95%': the largest size at which supervised M "
        "ends at 95% (IDA compared there). Amplify accuracies are on the size the run reached.",
        "Calls to H (IDA): questions whose training target H decomposed (validation targets included); the "
        "supervised run calls H zero times. H' share of moves and H moves per question: over the steps before the "
        "first and the last evaluation.",
    ]
    untested = [t for t in tasks if claim_size(runs[(t, "supervised")][-1], runs[(t, "ida")][-1], sizes)["size"]
                is None]
    if untested:
        out.append(f"Supervised reaches 95% at none of {list(sizes)} names within this budget on: "
                   f"{', '.join(untested)}; the finding is not tested there.")
    return out


def run(params: dict[str, Any], ctx: Context) -> ScenarioResult:
    sizes = resolve_sizes(params["sizes"])
    runs = compute(params, ctx)
    files = [ctx.path("curves.jsonl")]
    for task in resolve_tasks(params["tasks"]):
        mine = {m: runs[(task, m)] for m in modes(params, task)}
        files.append(plot_ida_curves(task, mine, sizes, ctx.path(f"curve_{task}.png")))
        if "ida+h'" in mine:
            files.append(plot_learned_overseer(task, mine["ida+h'"], ctx.path(f"overseer_{task}.png")))
    title = (f"Iterated amplification vs supervised: curriculum {list(sizes)}, {params['steps']} steps of "
             f"{params['batch']} questions per run, seed {ctx.seed}")
    return ScenarioResult(title, measures(params, runs), notes(params, runs), files)


PARAMS = [
    Param("tasks", str, "all", "comma list of tasks, or all", many=True, choices=(*TASKS, "all")),
    Param("sizes", int, "8,16,32,64", "curriculum of instance sizes (names)", quick="8", many=True, choices=SIZES,
          increasing=True),
    Param("steps", int, 40_000, "training steps per run (same for IDA and supervised)", quick=40, low=1,
          high=10_000_000),
    Param("batch", int, 64, "questions per step", quick=32, low=1, high=4096),
    Param("eval_every", int, 250, "steps between evaluations", quick=20, low=1, high=10_000_000),
    Param("eval_questions", int, 500, "held-out root questions per size", quick=60, low=10, high=100_000),
    Param("advance_at", float, 0.9, "curriculum: move on when M agrees with its targets this often", low=0, high=1),
    Param("min_stage_steps", int, 500, "curriculum: least steps at a size", quick=20, low=0, high=10_000_000),
    Param("lr", float, 0.0, "Adam learning rate of M (0: the task's default, 5e-4 for permutation powering "
          "and 1e-3 for the others)", low=0, high=1),
    Param("target_every", int, -1, "IDA: steps between refreshes of the frozen M answering subquestions "
          "(a target network; 0: the current M; -1: the task's default, 250 for permutation powering and "
          "50 for the others)", low=-1, high=10_000_000),
    Param("layers", int, 3, "transformer layers of M", low=1, high=64),
    Param("loops", int, 0, "passes of M's layers (shared weights); 0: the task's default (permutation "
          "powering: ceil(names / layers), one lookup per name; the others: 1)", low=0, high=1000),
    Param("width", int, 64, "model width of M", low=4, high=4096, rule=(lambda w: w % HEADS == 0,
          f"a multiple of {HEADS}, M's attention heads")),
    Param("learned_overseer", bool, True, "also run IDA with a learned overseer H'"),
    Param("overseer_tasks", str, "permutation_powering,wildcard_search", "tasks for the H' run, or all",
          quick="wildcard_search", many=True, choices=(*TASKS, "all")),
    Param("confidence", float, 0.9, "H' makes a move when it is at least this sure; else H is called", low=0,
          high=1),
    Param("minutes", float, 20.0, "wall-time cap per run in minutes (0: none; with a cap the number of "
          "steps depends on the machine's speed)", quick=0.0, low=0, high=100_000),
]

SCENARIO = Scenario(
    name="amplification",
    description="Iterated amplification and distillation vs supervised learning on five algorithmic tasks",
    quick_note="8 names and very few steps: the models have barely started; run without --quick.",
    citation=PAPER,
    params=PARAMS,
    run=run,
    experiment=experiment,
    check=check,
    claims=CLAIMS,
    reproduce={"sizes": "8", "steps": 3000, "eval_every": 250, "learned_overseer": False, "minutes": 0.0},
)

if __name__ == "__main__":
    raise SystemExit(SCENARIO.main())
