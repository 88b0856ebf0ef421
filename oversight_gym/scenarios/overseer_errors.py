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
Sweep: ``oversight-gym sweep overseer-errors --grid epsilon=0.01,0.1 depth=1,2``.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from tqdm import tqdm

from oversight_gym.analysis.metrics import rate
from oversight_gym.envs.amplification.metrics import independent_error
from oversight_gym.envs.amplification.tasks import SIZES, TASKS, get_task, hch
from oversight_gym.runner.records import RecordFile
from oversight_gym.runner.scenario import Context, Param, Scenario, ScenarioResult


def _list(text: str, kind: type, name: str, low: float, high: float) -> list:
    try:
        out = [kind(x) for x in str(text).split(",") if x.strip()]
    except ValueError:
        raise ValueError(f"--{name}: a comma list of {kind.__name__}s in [{low}, {high}], got {text!r}") from None
    if not out or min(out) < low or max(out) > high:
        raise ValueError(f"--{name}: a comma list of {kind.__name__}s in [{low}, {high}], got {text!r}")
    return out


def _tasks(text: str) -> list[str]:
    out = [t.strip() for t in str(text).split(",") if t.strip()]
    if out == ["all"]:
        return list(TASKS)
    for t in out:
        get_task(t)  # names the allowed tasks if wrong
    return out


def question_set(task: str, size: int, n: int, seed: int) -> list[tuple[Any, Any]]:
    """``n`` (instance, root question) pairs, a fresh instance every 10 questions (seeded)."""
    t = get_task(task)
    rng = np.random.default_rng([seed, list(TASKS).index(task)])
    out = []
    inst = None
    for i in range(n):
        if i % 10 == 0:
            inst = t.generate(rng, size)
        out.append((inst, t.sample_question(inst, rng, root=True)))
    return out


def cell(task: str, size: int, depth: int, epsilon: float, questions: list[tuple[Any, Any]],
         seed: int) -> dict[str, Any]:
    """Root error of HCH(depth) with overseer error ``epsilon`` on ``questions``, and the
    closed form from the error-free trees."""
    t = get_task(task)
    rng = np.random.default_rng([seed, list(TASKS).index(task), depth, int(round(epsilon * 1e6))])
    wrong = []
    steps, sizes, hcalls = [], [], []
    for inst, q in questions:
        clean = hch(t, inst, q, None, depth)
        steps.append(clean.total_steps())
        sizes.append(clean.size())
        hcalls.append(clean.h_calls())
        root = hch(t, inst, q, None, depth, epsilon=epsilon, rng=rng) if epsilon > 0 else clean
        wrong.append(root.answer != t.answer(inst, q))
    r = rate(wrong)
    lo, hi = r.interval
    return {"task": task, "size": size, "depth": depth, "epsilon": epsilon, "n": r.n, "root_error": r.value,
            "ci_low": lo, "ci_high": hi, "closed_form": independent_error(steps, epsilon),
            "mean_steps": float(np.mean(steps)), "mean_tree_size": float(np.mean(sizes)),
            "mean_h_calls": float(np.mean(hcalls))}


def experiment(params: dict[str, Any], seed: int) -> dict[str, Any]:
    """One sweep cell: ``params`` holds ``task`` (one task), ``depth`` and ``epsilon``
    (single values), ``size`` and ``questions``."""
    task = _tasks(params["tasks"])[0]
    depth = _list(params["depths"], int, "depths", 1, 12)[0]
    eps = _list(params["epsilons"], float, "epsilons", 0.0, 1.0)[0]
    qs = question_set(task, params["size"], params["questions"], seed)
    return cell(task, params["size"], depth, eps, qs, seed)


def run(params: dict[str, Any], ctx: Context) -> ScenarioResult:
    tasks = _tasks(params["tasks"])
    depths = _list(params["depths"], int, "depths", 1, 12)
    epsilons = _list(params["epsilons"], float, "epsilons", 0.0, 1.0)
    if params["size"] not in SIZES:
        raise ValueError(f"--size must be one of {list(SIZES)}, got {params['size']}")
    if params["questions"] < 1:
        raise ValueError(f"--questions must be >= 1, got {params['questions']}")
    records = RecordFile(ctx.path("records.jsonl"), {"params": params, "seed": ctx.seed},
                         ("task", "depth", "epsilon"))
    done = records.done()
    todo = [(t, d, e) for t in tasks for d in depths for e in epsilons if (t, d, e) not in done]
    qsets: dict[str, Any] = {}
    for t, d, e in tqdm(todo, desc="overseer errors", unit="cell", disable=not ctx.progress):
        if t not in qsets:
            qsets[t] = question_set(t, params["size"], params["questions"], ctx.seed)
        records.append(cell(t, params["size"], d, e, qsets[t], ctx.seed))
    recs = {(r["task"], r["depth"], r["epsilon"]): r for r in records.records}
    rows = []
    for t in tasks:
        for d in depths:
            for e in epsilons:
                r = recs[(t, d, e)]
                rows.append({"task": t, "depth": d, "epsilon": e, "H steps": round(r["mean_steps"], 1),
                             "tree size": round(r["mean_tree_size"], 1),
                             "root error (ours)": f"{100 * r['root_error']:.1f}%",
                             "95% CI": f"[{100 * r['ci_low']:.1f}, {100 * r['ci_high']:.1f}]",
                             "closed form, independent": f"{100 * r['closed_form']:.1f}%"})
    files = [ctx.path("records.jsonl")]
    files.append(plot(recs, tasks, depths, epsilons, params, ctx))
    files.append(example_tree(tasks[0], params["size"], max(depths), max(epsilons), ctx))
    above = [(k, r) for k, r in recs.items() if r["ci_low"] > r["closed_form"] + 1e-9]
    notes = [
        "published: the paper reports no overseer-error curve; the reference is the closed form "
        "1 - mean (1 - eps)^S for independent errors that all reach the root (S: H's steps in the error-free tree).",
        f"{len(above)} of {len(recs)} cells measured above the closed form (95% CI entirely above)"
        + ("" if not above else ": " + ", ".join(f"{k}" for k, _ in above[:5])),
        "measured below the closed form = errors the decomposition absorbs (e.g. a wrong distance that is not the "
        "minimum, a wrong subquestion whose answer is still right).",
    ]
    if ctx.quick:
        notes.append("QUICK MODE: small instances and few questions; run without --quick for 64 names.")
    ctx.path("summary.json").write_text(json.dumps({"params": params, "cells": list(recs.values())}, indent=2,
                                                   default=str))
    files.append(ctx.path("summary.json"))
    title = (f"Overseer errors in HCH: root error against epsilon and depth ({params['size']} names, "
             f"{params['questions']} root questions per cell, perfect M at the bottom)")
    return ScenarioResult(title, rows, notes, files)


def plot(recs: dict, tasks: list[str], depths: list[int], epsilons: list[float], params: dict[str, Any],
         ctx: Context) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(tasks), figsize=(3.4 * len(tasks), 3.4), squeeze=False)
    colors = plt.cm.viridis(np.linspace(0, 0.9, len(depths)))
    for ax, t in zip(axes[0], tasks, strict=True):
        for c, d in zip(colors, depths, strict=True):
            ys = np.array([recs[(t, d, e)]["root_error"] for e in epsilons]) * 100
            lo = ys - np.array([recs[(t, d, e)]["ci_low"] for e in epsilons]) * 100
            hi = np.array([recs[(t, d, e)]["ci_high"] for e in epsilons]) * 100 - ys
            cf = np.array([recs[(t, d, e)]["closed_form"] for e in epsilons]) * 100
            ax.errorbar(epsilons, ys, yerr=[lo, hi], color=c, marker="o", ms=3, capsize=2, label=f"depth {d}")
            ax.plot(epsilons, cf, color=c, ls="--", lw=1)
        ax.set_title(t.replace("_", " "), fontsize=9)
        ax.set_xlabel("overseer error per step, epsilon")
        ax.set_ylim(0, 100)
    axes[0][0].set_ylabel("root error (%); dashed: closed form")
    axes[0][0].legend(fontsize=7)
    fig.suptitle(f"HCH root error, {params['size']} names", fontsize=10)
    path = ctx.save_figure(fig, "overseer_errors.png", dpi=110)
    return path


def example_tree(task: str, size: int, depth: int, epsilon: float, ctx: Context) -> Any:
    """Draw one HCH decomposition tree with overseer errors (red: wrong answers)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from oversight_gym.envs.amplification.metrics import draw_tree
    from oversight_gym.envs.amplification.tasks import tree_graph

    t = get_task(task)
    rng = np.random.default_rng([ctx.seed, 99])
    inst = t.generate(rng, size)
    q = t.sample_question(inst, rng, root=True)
    root = hch(t, inst, q, None, min(depth, 3), epsilon=epsilon, rng=rng)
    fig, ax = plt.subplots(figsize=(10, 5))
    draw_tree(tree_graph(t, inst, root), ax=ax)
    ax.set_title(f"{task}: HCH depth {min(depth, 3)}, epsilon {epsilon} (circles H, squares M; red = wrong)",
                 fontsize=9)
    path = ctx.save_figure(fig, "example_tree.png", dpi=110)
    return path


SCENARIO = Scenario(
    name="overseer-errors",
    description="Root error of HCH against the overseer's error rate and the depth of decomposition",
    citation="Christiano, Shlegeris, Amodei 2018, Supervising strong learners by amplifying weak experts, "
             "arXiv 1810.08575",
    params=[
        Param("tasks", str, "all", "comma list of tasks, or all"),
        Param("size", int, 64, "names per instance (8, 16, 32, 64)", quick=16),
        Param("depths", str, "1,2,3,4", "comma list of HCH depths (1 = Amplify^H(M))", quick="1,2,3"),
        Param("epsilons", str, "0,0.01,0.02,0.05,0.1,0.2", "comma list of overseer error rates per step",
              quick="0,0.05,0.2"),
        Param("questions", int, 1000, "root questions per cell", quick=100),
    ],
    run=run,
    experiment=experiment,
)

if __name__ == "__main__":
    raise SystemExit(SCENARIO.main())
