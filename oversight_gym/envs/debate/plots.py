"""Figures for debate studies: a recursive debate drawn as its argument tree, the debate
tournament's meta-game equilibrium, the obfuscated-arguments study (the cliff as a heatmap
and as curves beside the closed form, the protocols as bars) and the irreducible-complexity
study (wrong verdicts against d - L and the prior's strength).

All functions write a PNG with matplotlib's Agg backend and return its path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from oversight_gym.analysis.metrics import grouped_rates
from oversight_gym.analysis.plots import plot_curves, plot_heatmap, pyplot, save_figure
from oversight_gym.envs.debate.argument_trees import node_depths
from oversight_gym.envs.debate.metrics import limit_failure_probability, random_search_win_probability


def plot_debate_tree(state: Any, path: str | Path, title: str | None = None, max_nodes: int = 127) -> Path:
    """Draw a (finished) recursive debate as its argument tree.

    Fill: the claim's truth (green true, red false). Label: the claimant's asserted value
    (T/F) or the estimator's probability. Thick blue edges: the paths the judge decided;
    a star: the node where a path ended (leaf checked or prior used). Leaves the challenger
    verified have an orange ring. Trees larger than ``max_nodes`` show only the decided
    paths and the subclaims beside them.
    """
    import networkx as nx

    plt = pyplot()
    tree, g = state.tree, state.game
    b, d = tree.branching, tree.depth
    depths = node_depths(b, d)
    paths = [list(p) for p in state.paths] or [list(state.path)]
    on_path = {v for p in paths for v in p}
    if tree.num_nodes <= max_nodes:
        shown = set(range(tree.num_nodes))
    else:
        shown = {0} | on_path
        for v in on_path:
            shown |= set(tree.children(v))
    graph = tree.graph().subgraph(sorted(shown))
    pos: dict[int, tuple[float, float]] = {}
    next_x = [0.0]

    def place(v: int) -> float:  # tidy layout: shown leaves left to right, parents centred
        kids = [c for c in tree.children(v) if c in shown]
        if kids:
            x = float(np.mean([place(c) for c in kids]))
        else:
            x = next_x[0]
            next_x[0] += 1.0
        pos[v] = (x, -float(depths[v]))
        return x

    place(0)
    colours = ["#7ccf7c" if tree.truth[v] else "#f08080" for v in graph.nodes]
    labels = {}
    for v in graph.nodes:
        if not np.isnan(state.estimate[v]):
            labels[v] = f"{state.estimate[v]:.2g}"
        elif state.assertion[v] >= 0:
            labels[v] = "T" if state.assertion[v] else "F"
        else:
            labels[v] = ""
    width = max(6.0, min(18.0, 0.35 * next_x[0] + 3))
    fig, ax = plt.subplots(figsize=(width, 1.1 * d + 2.5))
    path_edges = {(p[i], p[i + 1]) for p in paths for i in range(len(p) - 1)}
    other = [e for e in graph.edges if e not in path_edges]
    nx.draw_networkx_edges(graph, pos, edgelist=other, ax=ax, edge_color="#bbbbbb", arrows=False)
    nx.draw_networkx_edges(graph, pos, edgelist=[e for e in graph.edges if e in path_edges], ax=ax,
                           edge_color="#1f4fbf", width=3.0, arrows=False)
    size = 380 if len(shown) <= 63 else 160
    nx.draw_networkx_nodes(graph, pos, ax=ax, node_color=colours, node_size=size, edgecolors="#333333")
    by_challenger = {e.data["leaf"] + tree.num_internal for e in state.transcript
                     if e.kind == "verify" and e.player == 1}
    verified = [v for v in graph.nodes if v in by_challenger]
    if verified:
        nx.draw_networkx_nodes(graph, pos, nodelist=verified, ax=ax, node_color="none", node_size=size * 1.9,
                               edgecolors="#ff8c00", linewidths=2.0)
    nx.draw_networkx_labels(graph, pos, labels, ax=ax, font_size=7 if len(shown) <= 63 else 5)
    ends = [p[-1] for p in paths if p]
    ax.scatter([pos[v][0] for v in ends], [pos[v][1] - 0.32 for v in ends], marker="*", s=140, c="#1f4fbf",
               zorder=5)
    out = state.outcome()
    verdict = ""
    if out:
        verdict = (f"claim {'true' if out['root_claim'] else 'false'} "
                   f"(truth {'true' if out['root_truth'] else 'false'}); "
                   f"winner {'claimant' if out['claimant_wins'] else 'challenger'} ({out['ended_by']})")
    ax.set_title(title or f"{g.protocol} debate, {tree.kind} tree, N={tree.num_leaves}, L={g.max_rounds}\n{verdict}",
                 fontsize=9)
    ax.axis("off")
    ax.legend(handles=_debate_tree_legend(plt, bool(verified)), fontsize=7, loc="upper center",
              bbox_to_anchor=(0.5, 0.0), ncol=3, frameon=False)
    return save_figure(fig, path)


def _debate_tree_legend(plt: Any, verified: bool) -> list[Any]:
    """What the marks of :func:`plot_debate_tree` mean."""
    def mark(**kw: Any) -> Any:
        return plt.Line2D([], [], ls="", **kw)

    handles = [mark(marker="o", ms=8, mfc="#7ccf7c", mec="#333333", label="claim true"),
               mark(marker="o", ms=8, mfc="#f08080", mec="#333333", label="claim false"),
               mark(marker="$T$", ms=7, color="k", label="label: the claimant's T/F or the estimate"),
               plt.Line2D([], [], color="#1f4fbf", lw=3, label="path the judge decided"),
               mark(marker="*", ms=11, color="#1f4fbf", label="where a path ended (leaf checked or prior used)")]
    if verified:
        handles.append(mark(marker="o", ms=10, mfc="none", mec="#ff8c00", mew=2, label="leaf the challenger verified"))
    return handles


def plot_equilibrium(labels: list[str], eq: Any, path: str | Path) -> Path:
    """Bars of each agent's weight in the meta-game equilibrium ``eq``
    (:class:`~oversight_gym.analysis.equilibria.Equilibrium`), honest seat beside liar seat."""
    plt = pyplot()
    x = np.arange(len(labels))
    fig, ax = plt.subplots(figsize=(1.5 + 1.1 * len(labels), 3.6))
    ax.bar(x - 0.2, eq.row, 0.4, label="honest seat", color="#3a7")
    ax.bar(x + 0.2, eq.col, 0.4, label="liar seat", color="#c44")
    ax.set_xticks(x, labels, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("weight in the equilibrium mixture")
    ax.set_ylim(0, 1.05)
    ax.set_title(f"meta-game equilibrium: honest value {eq.row_value:+.2f}")
    ax.legend(fontsize=8)
    return save_figure(fig, path, dpi=110)


def plot_cliff_heatmap(grid: list[dict[str, Any]], challenger: str, budgets: list[int], flaws: list[int],
                       n_leaves: int, path: str | Path) -> Path:
    """The honest challenger's win rate over budget B/N and flaw count k (the ``grid`` part of
    the obfuscated-arguments study, one challenger)."""
    rs = {(r["flaws"], r["budget"]): r["rate"]
          for r in grouped_rates([g for g in grid if g["challenger"] == challenger], ["flaws", "budget"])}
    mat = np.array([[rs[(k, b)] for b in budgets] for k in flaws])
    return plot_heatmap(mat, [f"{b / n_leaves:.3f}" for b in budgets], flaws, "budget B/N", "flaws k",
                        f"honest challenger's win rate ({challenger} search), obfuscated argument, N={n_leaves}", path)


def plot_cliff(grid: list[dict[str, Any]], budgets: list[int], flaws: list[int], n_leaves: int,
               path: str | Path) -> Path:
    """The honest challenger's win rate against B/N for about four flaw counts, with intervals,
    and the closed form of random search dashed beside each."""
    curves: dict[str, dict[str, Any]] = {}
    fr = [b / n_leaves for b in budgets]
    for k in flaws[:: max(1, len(flaws) // 4)]:
        rs = {r["budget"]: r for r in grouped_rates([g for g in grid if g["challenger"] == "honest" and
                                                     g["flaws"] == k], ["budget"])}
        curves[f"k={k}"] = {"rate": [rs[b]["rate"] for b in budgets], "low": [rs[b]["low"] for b in budgets],
                            "high": [rs[b]["high"] for b in budgets],
                            "closed": [random_search_win_probability(n_leaves, k, b) for b in budgets]}
    return plot_curves(fr, curves, "verification budget B/N (symlog)", "honest challenger win rate",
                       f"the obfuscation cliff: N={n_leaves}; dashed: closed form of random search", path, log_x=True)


def plot_protocols(prot: list[dict[str, Any]], path: str | Path) -> Path | None:
    """Bars of the honest side's win rate per tree structure and protocol, one panel per honest
    role (``prot``: grouped rates by structure, protocol and honest role). None when empty."""
    if not prot:
        return None
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    for ax, role in zip(axes, ("challenger", "claimant"), strict=True):
        sel = [r for r in prot if r["honest_role"] == role]
        labels = [f"{r['structure']}\n{r['protocol']}" for r in sel]
        vals = np.array([r["rate"] for r in sel])
        err = np.array([[r["rate"] - r["low"] for r in sel], [r["high"] - r["rate"] for r in sel]])
        cols = ["#4a7" if r["structure"] == "stable" else "#47a" for r in sel]
        ax.bar(range(len(sel)), vals, yerr=err, color=cols, capsize=3)
        ax.set_xticks(range(len(sel)), labels, rotation=70, fontsize=7)
        ax.set_title(f"honest {role}", fontsize=9)
        ax.set_ylim(0, 1)
    axes[0].set_ylabel("honest win rate (95% CI)")
    return save_figure(fig, path)


def _failure_points(curve: list[dict[str, Any]], judge: str,
                    truth_depth: int) -> tuple[list[dict[str, Any]], list[int]]:
    sel = [r for r in curve if r["judge_limit"] == judge and r["truth_depth"] == truth_depth]
    return sel, sorted({r["d_minus_L"] for r in sel})


def plot_failure_curve(curve: list[dict[str, Any]], judge: str, truth_depth: int, strengths: list[float] | tuple,
                       depth: int, path: str | Path) -> Path:
    """The wrong-verdict rate against d - L at one truth depth d, a curve per prior strength s
    with its interval, the closed form dashed (``curve``: grouped rates by judge, d, s and d - L)."""
    sel, xs = _failure_points(curve, judge, truth_depth)
    curves = {}
    for s in strengths:
        pts = {r["d_minus_L"]: r for r in sel if r["strength"] == s}
        curves[f"s={s:g}"] = {"x": xs, "rate": [pts[x]["rate"] for x in xs], "low": [pts[x]["low"] for x in xs],
                              "high": [pts[x]["high"] for x in xs],
                              "closed": [limit_failure_probability(truth_depth - x, truth_depth, s, depth, judge)
                                         for x in xs]}
    return plot_curves(xs, curves, f"d - L (d = {truth_depth}: depth of the convincing argument; L: length)",
                       "wrong-verdict rate", f"irreducible complexity, {judge} judge, depth {depth}, "
                       f"both roles (dashed: closed form)", path)


def plot_failure_heatmap(curve: list[dict[str, Any]], judge: str, truth_depth: int, strengths: list[float] | tuple,
                         path: str | Path) -> Path:
    """The wrong-verdict rate over d - L and the prior strength s at one truth depth d."""
    sel, xs = _failure_points(curve, judge, truth_depth)
    mat = np.array([[next((r["rate"] for r in sel if r["strength"] == s and r["d_minus_L"] == x), np.nan)
                     for x in xs] for s in strengths])
    return plot_heatmap(mat, xs, [f"{s:g}" for s in strengths], f"d - L (d = {truth_depth})", "prior strength s",
                        f"wrong-verdict rate, {judge} judge", path)


__all__ = ["plot_cliff", "plot_cliff_heatmap", "plot_debate_tree", "plot_equilibrium", "plot_failure_curve",
           "plot_failure_heatmap", "plot_protocols"]
