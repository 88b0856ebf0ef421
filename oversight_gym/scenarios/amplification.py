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

The paper's claim: IDA "is able to solve these tasks effectively with at worst a modest
slowdown" compared with supervised learning, without ground-truth labels. The issue asks
for IDA within 5 points of supervised on permutation powering and wildcard search at the
largest size at which supervised reaches 95% within 20 minutes on 2 cores. M is evaluated
at every size of the curriculum, and the scenario reports that size (where the supervised
run ends at 95% or more) and IDA's gap there. ``--minutes`` caps each run's wall time (20 by
default: the steps then depend on the machine's speed; 0 makes runs step-limited and
reproducible). ``--workers`` trains that many runs at once, one core each.

Permutation powering's M runs its layers once per three names (sigma^k(x) is k lookups;
see ``LOOP_TASKS`` in :mod:`oversight_gym.envs.amplification.learned`).

Run: ``oversight-gym run amplification [--quick]`` or ``python -m oversight_gym.scenarios.amplification``.
"""

from __future__ import annotations

import json
from typing import Any

from oversight_gym.envs.amplification.metrics import learning_curve_plot
from oversight_gym.envs.amplification.tasks import SIZES, TASKS, get_task
from oversight_gym.runner.episodes import run_parallel
from oversight_gym.runner.records import RecordFile
from oversight_gym.runner.scenario import Context, Param, Scenario, ScenarioResult

PUBLISHED = "IDA ~ supervised, 'at worst a modest slowdown' (64 names)"


def _tasks(text: str) -> list[str]:
    out = [t.strip() for t in str(text).split(",") if t.strip()]
    if out == ["all"]:
        return list(TASKS)
    for t in out:
        get_task(t)
    return out


def _sizes(text: str) -> tuple[int, ...]:
    try:
        out = tuple(int(x) for x in str(text).split(",") if x.strip())
    except ValueError:
        raise ValueError(f"--sizes: a comma list of sizes from {list(SIZES)}, got {text!r}") from None
    if not out or any(s not in SIZES for s in out) or list(out) != sorted(out):
        raise ValueError(f"--sizes: an increasing comma list of sizes from {list(SIZES)}, got {text!r}")
    return out


def train_run(task: str, mode: str, params: dict[str, Any], seed: int, progress: bool,
              on_eval: Any = None) -> dict[str, Any]:
    """One training run (``mode``: ``supervised``, ``ida`` or ``ida+h'``)."""
    try:
        import torch
    except ImportError as err:
        raise ImportError("scenario amplification trains a torch model: install the CPU build of torch "
                          "(pip install 'torch==2.13.0' --index-url https://download.pytorch.org/whl/cpu)") from err
    from oversight_gym.envs.amplification.learned import train_model

    torch.set_num_threads(1)
    return train_model(task, "supervised" if mode == "supervised" else "ida", params["steps"],
                       sizes=_sizes(params["sizes"]), batch=params["batch"], eval_every=params["eval_every"],
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
    if params["learned_overseer"] and (params["overseer_tasks"] == "all" or task in
                                       _tasks(params["overseer_tasks"])):
        out.append("ida+h'")
    return out


def experiment(params: dict[str, Any], seed: int) -> dict[str, Any]:
    """One sweep cell: the first task, supervised and IDA; final accuracies and H calls."""
    task = _tasks(params["tasks"])[0]
    out: dict[str, Any] = {"task": task}
    for mode in ("supervised", "ida"):
        res = train_run(task, mode, params, seed, progress=False)
        last = res["curve"][-1]
        out[f"{mode}_accuracy"] = last["acc_largest"]
        out[f"{mode}_final_size"] = res["final_size"]
        out[f"{mode}_h_decompositions"] = res["h_decompositions"]
    out["gap"] = out["supervised_accuracy"] - out["ida_accuracy"]
    return out


def claim_size(sup: dict[str, Any], ida: dict[str, Any], sizes: tuple[int, ...]) -> dict[str, Any]:
    """The issue's test, from the final evaluation records of the two runs: the largest
    curriculum size at which supervised M ends at 95% or more on held-out instances, and
    IDA's M there (``size`` None if there is none)."""
    sup_by = sup.get("acc_by_size") or {str(sizes[-1]): sup["acc_largest"]}
    ida_by = ida.get("acc_by_size") or {str(sizes[-1]): ida["acc_largest"]}
    reached = [s for s in sizes if sup_by.get(str(s), 0.0) >= 0.95 and str(s) in ida_by]
    if not reached:
        return {"size": None}
    s = max(reached)
    a, b = sup_by[str(s)], ida_by[str(s)]
    return {"size": s, "supervised": a, "ida": b, "gap": 100 * (a - b)}


def run(params: dict[str, Any], ctx: Context) -> ScenarioResult:
    tasks = _tasks(params["tasks"])
    sizes = _sizes(params["sizes"])
    for name, low in (("steps", 1), ("batch", 1), ("eval_every", 1), ("eval_questions", 10), ("lr", 0),
                      ("target_every", -1), ("loops", 0)):
        if params[name] < low:
            raise ValueError(f"--{name.replace('_', '-')} must be >= {low}, got {params[name]}")
    records = RecordFile(ctx.path("curves.jsonl"), {"params": params, "seed": ctx.seed}, ("task", "mode", "step"))
    finished = {(r["task"], r["mode"]) for r in records.records if r.get("final")}
    todo = []
    for task in tasks:
        for mode in modes(params, task):
            if (task, mode) not in finished:
                # a run cut short restarts from scratch; finished runs are kept
                records.records = [r for r in records.records if (r["task"], r["mode"]) != (task, mode)]
                todo.append((task, mode, params, ctx.seed, ctx.progress and ctx.workers <= 1))

    def save(done: tuple[str, str, list[dict[str, Any]], int]) -> None:
        task, mode, curve, final_size = done
        for i, rec in enumerate(curve):
            records.append({"task": task, "mode": mode, **rec, "final": i == len(curve) - 1, "final_size": final_size})

    # runs are independent (each single-threaded): with --workers > 1 they share the cores
    run_parallel(_job, todo, workers=ctx.workers, on_result=save, progress=ctx.progress and ctx.workers > 1,
                 desc="training runs")
    runs = {(t, m): [r for r in records.records if (r["task"], r["mode"]) == (t, m)]
            for t in tasks for m in modes(params, t)}
    rows, files, summary = [], [ctx.path("curves.jsonl")], {}
    claims = {}
    for task in tasks:
        sup, ida = runs[(task, "supervised")][-1], runs[(task, "ida")][-1]
        gap = 100 * (sup["acc_largest"] - ida["acc_largest"])
        claims[task] = claim_size(sup, ida, sizes)
        row = {"task": task, "largest size": sizes[-1], "size reached (sup/IDA)":
               f"{sup['final_size']}/{ida['final_size']}", "published": PUBLISHED if task == tasks[0] else "",
               "supervised acc": f"{100 * sup['acc_largest']:.1f}%", "IDA acc": f"{100 * ida['acc_largest']:.1f}%",
               "gap (points)": f"{gap:+.1f}", "within 5": gap <= 5,
               "largest size sup >= 95%": claims[task]["size"] or "none",
               "gap there (points)": "" if claims[task]["size"] is None else f"{claims[task]['gap']:+.1f}",
               "Amplify^H(M) acc": f"{100 * ida.get('amplified_acc_current', float('nan')):.1f}%",
               "H calls (IDA)": ida["h_decompositions"], "steps sup/IDA": f"{sup['step']}/{ida['step']}",
               "minutes sup/IDA": f"{sup['seconds'] / 60:.1f}/{ida['seconds'] / 60:.1f}"}
        if (task, "ida+h'") in runs:
            hp = runs[(task, "ida+h'")]
            row["H' share of moves (first->last)"] = (f"{100 * hp[0].get('learned_share', 0):.0f}%->"
                                                     f"{100 * hp[-1].get('learned_share', 0):.0f}%")
            row["H moves/question (first->last)"] = (f"{hp[0].get('h_moves_per_question', 0):.2f}->"
                                                    f"{hp[-1].get('h_moves_per_question', 0):.2f}")
            row["Amplify^H' vs ^H acc"] = (f"{100 * hp[-1].get('hprime_amplified_acc_current', 0):.1f}% vs "
                                           f"{100 * hp[-1].get('amplified_acc_current', 0):.1f}%")
            row["IDA+H' acc"] = f"{100 * hp[-1]['acc_largest']:.1f}%"
        rows.append(row)
        summary[task] = {m: runs[(task, m)][-1] for m in modes(params, task)}
        curves = {}
        for m in modes(params, task):
            rs = runs[(task, m)]
            curves[f"{m}: M on {sizes[-1]} names"] = ([r["examples"] for r in rs], [r["acc_largest"] for r in rs])
            if len(sizes) > 1:
                curves[f"{m}: M on current size"] = ([r["examples"] for r in rs], [r["acc_current"] for r in rs])
        rs = runs[(task, "ida")]
        curves["Amplify^H(M), current size"] = ([r["examples"] for r in rs],
                                                [r["amplified_acc_current"] for r in rs])
        files.append(learning_curve_plot(curves, f"{task}: IDA vs supervised (same model, same budget)",
                                         ctx.path(f"curve_{task}.png"), target=0.95))
        if (task, "ida+h'") in runs:
            files.append(_plot_overseer(task, runs[(task, "ida+h'")], ctx))
    ctx.path("summary.json").write_text(json.dumps({"params": params, "final": summary}, indent=2, default=str))
    files.append(ctx.path("summary.json"))
    notes = [
        f"published: {PUBLISHED}; the issue's bar: IDA within 5 points of supervised on permutation powering "
        "and wildcard search at the largest size where supervised reaches 95% in 20 minutes on 2 cores.",
        "accuracy: M alone on held-out instances (new fact sets), root questions, at the largest curriculum size; "
        "'largest size sup >= 95%': the largest size at which supervised M ends at 95% (IDA compared there).",
        "H calls (IDA): questions whose training target H decomposed (validation targets included); the "
        "supervised run calls H zero times.",
    ]
    for task in ("permutation_powering", "wildcard_search"):
        if task in claims:
            c = claims[task]
            if c["size"] is None:
                notes.append(f"{task}: supervised reaches 95% at none of {list(sizes)} names within this budget: "
                             "the claim is not testable here.")
                continue
            verdict = "reproduced" if c["gap"] <= 5 else "NOT reproduced"
            notes.append(f"{task}: the largest size at which supervised reaches 95% is {c['size']} names (supervised "
                         f"{100 * c['supervised']:.1f}%, IDA {100 * c['ida']:.1f}%, gap {c['gap']:+.1f} points): "
                         f"claim {verdict}.")
    if ctx.quick:
        notes.append("QUICK MODE: 8 names and very few steps: the models have barely started; run without --quick.")
    title = (f"Iterated amplification vs supervised: curriculum {list(sizes)}, {params['steps']} steps of "
             f"{params['batch']} questions per run, seed {ctx.seed}")
    return ScenarioResult(title, rows, notes, files)


def _plot_overseer(task: str, recs: list[dict[str, Any]], ctx: Context) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = [r["examples"] for r in recs]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 3.4))
    a1.plot(x, [100 * r.get("learned_share", 0) for r in recs], "o-", label="share of moves made by H'")
    a1.set_ylabel("share of moves by H' (%)")
    a1b = a1.twinx()
    a1b.plot(x, [r.get("h_moves_per_question", 0) for r in recs], "s--", c="#c50", label="H moves per question")
    a1b.set_ylabel("calls to H per question")
    a1.set_xlabel("training examples")
    a1.legend(loc="upper left", fontsize=7)
    a1b.legend(loc="lower left", fontsize=7)
    a2.plot(x, [100 * r.get("hprime_amplified_acc_current", 0) for r in recs], "o-", label="Amplify^H'(M)")
    a2.plot(x, [100 * r.get("amplified_acc_current", 0) for r in recs], "s-", label="Amplify^H(M)")
    a2.plot(x, [100 * r["acc_current"] for r in recs], ":", label="M alone")
    a2.set_ylim(0, 101)
    a2.set_xlabel("training examples")
    a2.set_ylabel("accuracy, current size (%)")
    a2.legend(fontsize=7)
    fig.suptitle(f"{task}: a learned overseer H' takes over from H", fontsize=9)
    path = ctx.save_figure(fig, f"overseer_{task}.png", dpi=110)
    return path


SCENARIO = Scenario(
    name="amplification",
    description="Iterated amplification and distillation vs supervised learning on five algorithmic tasks",
    citation="Christiano, Shlegeris, Amodei 2018, Supervising strong learners by amplifying weak experts, "
             "arXiv 1810.08575",
    params=[
        Param("tasks", str, "all", "comma list of tasks, or all"),
        Param("sizes", str, "8,16,32,64", "curriculum of instance sizes (names)", quick="8"),
        Param("steps", int, 40_000, "training steps per run (same for IDA and supervised)", quick=40),
        Param("batch", int, 64, "questions per step", quick=32),
        Param("eval_every", int, 250, "steps between evaluations", quick=20),
        Param("eval_questions", int, 500, "held-out root questions per size", quick=60),
        Param("advance_at", float, 0.9, "curriculum: move on when M agrees with its targets this often"),
        Param("min_stage_steps", int, 500, "curriculum: least steps at a size", quick=20),
        Param("lr", float, 0.0, "Adam learning rate of M (0: the task's default, 5e-4 for permutation powering "
              "and 1e-3 for the others; see TASK_TRAINING)"),
        Param("target_every", int, -1, "IDA: steps between refreshes of the frozen M answering subquestions "
              "(a target network; 0: the current M; -1: the task's default, 250 for permutation powering and "
              "50 for the others)"),
        Param("layers", int, 3, "transformer layers of M"),
        Param("loops", int, 0, "passes of M's layers (shared weights); 0: the task's default (permutation "
              "powering: ceil(names / layers), one lookup per name; the others: 1)"),
        Param("width", int, 64, "model width of M"),
        Param("learned_overseer", bool, True, "also run IDA with a learned overseer H'"),
        Param("overseer_tasks", str, "permutation_powering,wildcard_search", "tasks for the H' run, or all",
              quick="wildcard_search"),
        Param("confidence", float, 0.9, "H' makes a move when it is at least this sure; else H is called"),
        Param("minutes", float, 20.0, "wall-time cap per run in minutes (0: none; with a cap the number of "
              "steps depends on the machine's speed)", quick=0.0),
    ],
    run=run,
    experiment=experiment,
)

if __name__ == "__main__":
    raise SystemExit(SCENARIO.main())
