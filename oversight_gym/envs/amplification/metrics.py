"""Analysis of amplification and decomposition: how overseer errors compound, decomposition
trees, learning curves (Christiano, Shlegeris, Amodei 2018, arXiv 1810.08575; Wu et al.
2021, arXiv 2109.10862; Leike et al. 2018, arXiv 1811.07871).

Closed forms for independent errors. If each of the ``S`` overseer steps in a
decomposition tree (every subquestion asked and every combination) errs independently
with probability ``epsilon``, and any error spoils the root, the root is wrong with
probability ``1 - (1 - epsilon)^S``: :func:`independent_error`. Over a distribution of
questions the prediction is the mean over their trees. A complete tree of branching ``b``
and height ``h`` whose nodes each err with probability ``p`` (a leaf's worker and every
combiner) has ``(b^(h+1) - 1) / (b - 1)`` nodes: :func:`tree_error`. Errors that cancel (two
wrong subanswers whose minimum is still right, a wrong answer that a sum absorbs) make the
measured root error lower than the closed form; errors that are never caught make it equal.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from oversight_gym.analysis.metrics import rate
from oversight_gym.analysis.plots import pyplot, save_figure
from oversight_gym.envs.amplification.tasks import TASKS, get_task, hch


def independent_error(steps: Iterable[int] | np.ndarray, epsilon: float) -> float:
    """Mean over trees of ``1 - (1 - epsilon)^S``, S the number of overseer steps of each."""
    s = np.asarray(list(steps) if not isinstance(steps, np.ndarray) else steps, dtype=np.float64)
    if s.size == 0:
        return float("nan")
    return float(np.mean(1.0 - (1.0 - epsilon) ** s))


def tree_nodes(branching: int, height: int) -> int:
    """Nodes of a complete tree of ``branching`` and ``height`` (height 0: one leaf)."""
    if branching == 1:
        return height + 1
    return (branching ** (height + 1) - 1) // (branching - 1)


def tree_error(branching: int, height: int, p: float) -> float:
    """Root error of a complete aggregation tree when every node errs independently with
    probability ``p`` and every error reaches the root: ``1 - (1 - p)^nodes``."""
    return 1.0 - (1.0 - p) ** tree_nodes(branching, height)


def draw_tree(graph: Any, ax: Any = None, max_nodes: int = 80) -> Any:
    """Draw a decomposition tree (from ``tree_graph`` or ``AmplifyState.decomposition_graph``):
    green nodes answered right, red wrong; squares answered by the model, circles by H."""
    import networkx as nx

    plt = pyplot()

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 5))
    g = graph.subgraph(sorted(graph.nodes)[:max_nodes])
    pos = _tree_layout(g)
    for by, shape in (("H", "o"), ("M", "s")):
        nodes = [n for n, d in g.nodes(data=True) if d.get("by") == by]
        colors = ["#3a7" if g.nodes[n].get("correct") else "#d33" for n in nodes]
        nx.draw_networkx_nodes(g, pos, nodelist=nodes, node_color=colors, node_shape=shape, node_size=220, ax=ax)
    nx.draw_networkx_edges(g, pos, ax=ax, arrows=False, edge_color="#999")
    for n, d in g.nodes(data=True):  # beside the node, not on it: dark text on a dark marker cannot be read
        if g.out_degree(n):
            ax.annotate(f"{d.get('question', '')}\n= {d.get('answer', '')}", pos[n], xytext=(9, 0),
                        textcoords="offset points", ha="left", va="center", fontsize=6)
        else:  # leaves stand one unit apart: their labels run downwards, so neighbours cannot overlap
            ax.annotate(f"{d.get('question', '')} = {d.get('answer', '')}", pos[n], xytext=(0, -9),
                        textcoords="offset points", ha="center", va="top", rotation=90, fontsize=6)
    ys = [y for _, y in pos.values()]
    if ys:
        ax.set_ylim(min(ys) - 1.1, max(ys) + 0.4)
    ax.set_xlim(min(x for x, _ in pos.values()) - 0.5, max(x for x, _ in pos.values()) + 0.9)
    handles = [plt.Line2D([], [], ls="", marker="o", color="#888", ms=8, label="answered by H"),
               plt.Line2D([], [], ls="", marker="s", color="#888", ms=8, label="answered by the model M"),
               plt.Line2D([], [], ls="", marker="o", color="#3a7", ms=8, label="right answer"),
               plt.Line2D([], [], ls="", marker="o", color="#d33", ms=8, label="wrong answer")]
    ax.legend(handles=handles, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=4, frameon=False)
    ax.axis("off")
    return ax


def _tree_layout(g: Any) -> dict[int, tuple[float, float]]:
    """Leaves spread left to right, parents above the middle of their children."""
    roots = [n for n in g.nodes if g.in_degree(n) == 0]
    pos: dict[int, tuple[float, float]] = {}
    next_x = [0.0]

    def place(n: int, depth: int) -> float:
        kids = sorted(g.successors(n))
        if not kids:
            x = next_x[0]
            next_x[0] += 1.0
        else:
            xs = [place(c, depth + 1) for c in kids]
            x = (xs[0] + xs[-1]) / 2
        pos[n] = (x, -float(depth))
        return x

    for r in roots:
        place(r, 0)
    return pos


def question_set(task: str, size: int, n: int, seed: int) -> list[tuple[Any, Any]]:
    """``n`` (instance, root question) pairs of ``task`` at ``size`` names, a fresh instance
    every 10 questions (seeded by ``seed`` and the task)."""
    t = get_task(task)
    rng = np.random.default_rng([seed, list(TASKS).index(task)])
    out = []
    inst = None
    for i in range(n):
        if i % 10 == 0:
            inst = t.generate(rng, size)
        out.append((inst, t.sample_question(inst, rng, root=True)))
    return out


def hch_error_cell(task: str, size: int, depth: int, epsilon: float, questions: list[tuple[Any, Any]],
                   seed: int) -> dict[str, Any]:
    """Root error of HCH to ``depth`` (a perfect model at the bottom) when the overseer errs
    with probability ``epsilon`` per step, on ``questions``; beside it the closed form
    :func:`independent_error` over the error-free trees, and those trees' mean overseer
    steps, size and calls to H. A flat record (a 95% Wilson interval on the root error)."""
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


def claim_size(sup: dict[str, Any], ida: dict[str, Any], sizes: tuple[int, ...]) -> dict[str, Any]:
    """Where to compare IDA with supervised learning, from the final evaluation records of
    the two runs (:func:`~oversight_gym.envs.amplification.learned.train_model`): the
    largest curriculum size at which supervised M ends at 95% or more on held-out instances,
    with both accuracies there and the gap in points (``size`` None if there is none)."""
    sup_by = sup.get("acc_by_size") or {str(sizes[-1]): sup["acc_largest"]}
    ida_by = ida.get("acc_by_size") or {str(sizes[-1]): ida["acc_largest"]}
    reached = [s for s in sizes if sup_by.get(str(s), 0.0) >= 0.95 and str(s) in ida_by]
    if not reached:
        return {"size": None}
    s = max(reached)
    a, b = sup_by[str(s)], ida_by[str(s)]
    return {"size": s, "supervised": a, "ida": b, "gap": 100 * (a - b)}


def learning_curve_plot(curves: dict[str, tuple[list[float], list[float]]], title: str, path: Any,
                        xlabel: str = "training examples", target: float | None = None) -> Any:
    """One figure with a line per curve (``label -> (x, accuracy)``), saved to ``path``."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for label, (x, y) in curves.items():
        ax.plot(x, 100 * np.asarray(y), marker=".", label=label)
    if target is not None:
        ax.axhline(100 * target, ls=":", c="#777")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("accuracy on held-out instances (%)")
    ax.set_ylim(0, 101)
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    return save_figure(fig, path, dpi=110)
