"""Figures of the sequential-pricing study (Klein 2021)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from oversight_gym.analysis.plots import pyplot, save_figure


def plot_sequential(records: Sequence[Mapping[str, Any]], edgeworth: Mapping[int, float], path: str | Path) -> Path:
    """Left: the shares of runs in an equilibrium and at the joint-profit equilibrium, and mean
    profit per firm against the joint-profit maximum, by grid size. Right: mean prices around a
    forced undercut in the joint-profit runs of each grid."""
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    ks = [r["k"] for r in records]
    x = np.arange(len(ks))
    left.bar(x - 0.2, [r["equilibrium"] / r["runs"] for r in records], 0.4, color="#36c", label="equilibrium")
    left.bar(x + 0.2, [r["joint_profit"] / r["runs"] for r in records], 0.4, color="#9bd",
             label="equilibrium at the joint-profit price")
    left.set_xticks(x, [f"{k + 1} prices" for k in ks])
    left.set_ylabel("share of runs")
    left.set_ylim(0, 1)
    twin = left.twinx()
    twin.plot(x, [np.mean(r["profit"]) / 0.125 for r in records], "ko-", label="profit / joint-profit maximum")
    for i, k in enumerate(ks):
        if k in edgeworth:
            twin.plot([i], [edgeworth[k] / 0.125], "k^", label="competitive Edgeworth cycle")
    twin.set_ylim(0, 1.05)
    twin.set_ylabel("profit per firm / 1/8")
    handles = left.get_legend_handles_labels()
    more = twin.get_legend_handles_labels()
    left.legend(handles[0] + more[0], handles[1] + more[1], fontsize=8, loc="lower left")
    left.set_title("Equilibria and profit by grid")
    for r, c in zip(records, ("#c33", "#36c", "#393", "#999"), strict=False):
        if r["deviation"]:
            d = np.asarray(r["deviation"])
            t = np.arange(-1, len(d) - 1)
            right.plot(t, d[:, 0], "o-", c=c, label=f"{r['k'] + 1} prices: deviator")
            right.plot(t, d[:, 1], "s--", c=c, label=f"{r['k'] + 1} prices: rival")
    right.axvline(0, c="#ddd", lw=6, zorder=0)
    right.set_xlabel("move (forced undercut at 0)")
    right.set_ylabel("standing price, mean over joint-profit runs")
    right.set_title("A forced undercut and the answer")
    right.legend(fontsize=8)
    return save_figure(fig, path)
