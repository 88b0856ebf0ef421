"""Figures of the amplification family: overseer errors in HCH against epsilon and depth,
an example decomposition tree, aggregation-tree error against height, recursive reward
modelling across iterations, and a learned overseer H' taking over from H.

Each function draws one figure, saves it to ``path`` (:func:`~oversight_gym.analysis.plots.save_figure`)
and returns the path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from oversight_gym.analysis.plots import pyplot, save_figure
from oversight_gym.envs.amplification.decomposition import normalised_quality
from oversight_gym.envs.amplification.metrics import draw_tree, learning_curve_plot
from oversight_gym.envs.amplification.tasks import get_task, hch, tree_graph


def plot_overseer_errors(cells: dict[tuple[str, int, float], dict[str, Any]], tasks: list[str], depths: list[int],
                         epsilons: list[float], size: int, path: str | Path) -> Path:
    """One panel per task: HCH's root error (95% interval) against epsilon, a line per
    depth, and the closed form for independent errors dashed. ``cells`` maps
    ``(task, depth, epsilon)`` to a record of
    :func:`~oversight_gym.envs.amplification.metrics.hch_error_cell`."""
    plt = pyplot()
    fig, axes = plt.subplots(1, len(tasks), figsize=(3.4 * len(tasks), 3.4), squeeze=False)
    colors = plt.cm.viridis(np.linspace(0, 0.9, len(depths)))
    for ax, t in zip(axes[0], tasks, strict=True):
        for c, d in zip(colors, depths, strict=True):
            ys = np.array([cells[(t, d, e)]["root_error"] for e in epsilons]) * 100
            lo = ys - np.array([cells[(t, d, e)]["ci_low"] for e in epsilons]) * 100
            hi = np.array([cells[(t, d, e)]["ci_high"] for e in epsilons]) * 100 - ys
            cf = np.array([cells[(t, d, e)]["closed_form"] for e in epsilons]) * 100
            ax.errorbar(epsilons, ys, yerr=[lo, hi], color=c, marker="o", ms=3, capsize=2, label=f"depth {d}")
            ax.plot(epsilons, cf, color=c, ls="--", lw=1)
        ax.set_title(t.replace("_", " "), fontsize=9)
        ax.set_xlabel("overseer error per step, epsilon")
        ax.set_ylim(0, 100)
    axes[0][0].set_ylabel("root error (%); dashed: closed form")
    axes[0][0].legend(fontsize=7)
    fig.suptitle(f"HCH root error, {size} names", fontsize=10)
    return save_figure(fig, path, dpi=110)


def plot_example_tree(task: str, size: int, depth: int, epsilon: float, seed: int, path: str | Path) -> Path:
    """One HCH decomposition tree (depth at most 3) with overseer errors at rate ``epsilon``
    on a seeded instance: circles H, squares M, red the wrong answers."""
    plt = pyplot()
    t = get_task(task)
    rng = np.random.default_rng([seed, 99])
    inst = t.generate(rng, size)
    q = t.sample_question(inst, rng, root=True)
    root = hch(t, inst, q, None, min(depth, 3), epsilon=epsilon, rng=rng)
    fig, ax = plt.subplots(figsize=(10, 5))
    draw_tree(tree_graph(t, inst, root), ax=ax)
    ax.set_title(f"{task}: HCH depth {min(depth, 3)}, epsilon {epsilon}", fontsize=9)
    return save_figure(fig, path, dpi=110)


def plot_aggregation_trees(cells: dict[tuple[str, float, int], dict[str, Any]], models: list[str], ps: list[float],
                           heights: list[int], branching: int, path: str | Path) -> Path:
    """One panel per error model: root error against tree height, a colour per node error
    p; solid the scripted sum, dotted the learned combiner, dashed the closed form.
    ``cells`` maps ``(error model, p, height)`` to a record of
    :func:`~oversight_gym.envs.amplification.decomposition.tree_cell`."""
    plt = pyplot()
    fig, axes = plt.subplots(1, len(models), figsize=(3.6 * len(models), 3.4), squeeze=False)
    colors = plt.cm.plasma(np.linspace(0, 0.85, len(ps)))
    for ax, m in zip(axes[0], models, strict=True):
        for c, p in zip(colors, ps, strict=True):
            ax.plot(heights, [100 * cells[(m, p, h)]["root_error"] for h in heights], "o-", color=c, label=f"p={p}")
            ax.plot(heights, [100 * cells[(m, p, h)]["learned_root_error"] for h in heights], "s:", color=c, ms=3)
            ax.plot(heights, [100 * cells[(m, p, h)]["closed_form"] for h in heights], "--", color=c, lw=0.8)
        ax.set_title(f"{m} (b={branching})", fontsize=9)
        ax.set_xticks(heights)
        ax.set_xlabel("tree height")
        ax.set_ylim(0, 100)
    axes[0][0].set_ylabel("root error (%)")
    axes[0][0].legend(fontsize=7, title="node error", title_fontsize=7, loc="upper left")
    grey = "#555555"
    styles = [plt.Line2D([], [], color=grey, marker="o", ls="-", label="scripted sum"),
              plt.Line2D([], [], color=grey, marker="s", ms=3, ls=":", label="learned combiner"),
              plt.Line2D([], [], color=grey, ls="--", lw=0.8, label="closed form")]
    axes[0][-1].legend(handles=styles, fontsize=7, loc="upper left")
    return save_figure(fig, path, dpi=110)


def plot_recursive_reward_modelling(runs: dict[float, list[dict[str, float]]], path: str | Path) -> Path:
    """Evaluation accuracy and A_k's normalised true quality against the iteration k, a
    line per ``mislead`` (records of
    :func:`~oversight_gym.envs.amplification.decomposition.recursive_reward_modelling`)."""
    plt = pyplot()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(8, 3.4))
    for mis, recs in runs.items():
        ks = [r["k"] for r in recs]
        a1.plot(ks, [100 * r["eval_accuracy"] for r in recs], "o-", label=f"mislead {mis}")
        a2.plot(ks, [normalised_quality(r) for r in recs], "o-", label=f"mislead {mis}")
    a1.set_xlabel("iteration k (evaluator of A_k assisted by A_{k-1})")
    a1.set_ylabel("evaluation accuracy (%)")
    a2.set_xlabel("iteration k")
    a2.set_ylabel("A_k true quality (0 random, 1 oracle)")
    a2.axhline(0, c="#999", lw=0.8)
    a1.legend(fontsize=7)
    return save_figure(fig, path, dpi=110)


def plot_ida_curves(task: str, runs: dict[str, list[dict[str, Any]]], sizes: tuple[int, ...],
                    path: str | Path) -> Path:
    """Learning curves of one task: M's accuracy on held-out instances of the largest size
    (and, with a curriculum, of the current size) for each run (``runs``: mode -> evaluation
    records of :func:`~oversight_gym.envs.amplification.learned.train_model`, with at least
    ``"ida"``), and Amplify^H(M) on the current size, against the training examples."""
    curves = {}
    for mode, recs in runs.items():
        curves[f"{mode}: M on {sizes[-1]} names"] = ([r["examples"] for r in recs], [r["acc_largest"] for r in recs])
        if len(sizes) > 1:
            curves[f"{mode}: M on current size"] = ([r["examples"] for r in recs], [r["acc_current"] for r in recs])
    recs = runs["ida"]
    curves["Amplify^H(M), current size"] = ([r["examples"] for r in recs], [r["amplified_acc_current"] for r in recs])
    return Path(learning_curve_plot(curves, f"{task}: IDA vs supervised (same model, same budget)", path,
                                    target=0.95))


def plot_learned_overseer(task: str, curve: list[dict[str, Any]], path: str | Path) -> Path:
    """A run of IDA with a learned overseer H': the share of moves H' makes and the calls to
    H per question (left), and Amplify^H'(M), Amplify^H(M) and M alone (right), against the
    training examples (evaluation records of
    :func:`~oversight_gym.envs.amplification.learned.train_model`)."""
    plt = pyplot()
    x = [r["examples"] for r in curve]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 3.4))
    a1.plot(x, [100 * r.get("learned_share", 0) for r in curve], "o-", label="share of moves made by H'")
    a1.set_ylabel("share of moves by H' (%)")
    a1b = a1.twinx()
    a1b.plot(x, [r.get("h_moves_per_question", 0) for r in curve], "s--", c="#c50", label="H moves per question")
    a1b.set_ylabel("calls to H per question")
    a1.set_xlabel("training examples")
    a1.legend(loc="upper left", fontsize=7)
    a1b.legend(loc="lower left", fontsize=7)
    a2.plot(x, [100 * r.get("hprime_amplified_acc_current", 0) for r in curve], "o-", label="Amplify^H'(M)")
    a2.plot(x, [100 * r.get("amplified_acc_current", 0) for r in curve], "s-", label="Amplify^H(M)")
    a2.plot(x, [100 * r["acc_current"] for r in curve], ":", label="M alone")
    a2.set_ylim(0, 101)
    a2.set_xlabel("training examples")
    a2.set_ylabel("accuracy, current size (%)")
    a2.legend(fontsize=7)
    fig.suptitle(f"{task}: a learned overseer H' takes over from H", fontsize=9)
    return save_figure(fig, path, dpi=110)
