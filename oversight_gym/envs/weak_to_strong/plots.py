"""Figures of the weak-to-strong family."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from oversight_gym.analysis.plots import fit_title, pyplot, save_figure
from oversight_gym.envs.weak_to_strong.metrics import PGREstimate, group_records


def plot_accuracy_and_pgr(records: list[dict], est: dict[tuple, PGREstimate], tasks: list[str], weaks: list[str],
                          strongs: list[str], path: str | Path) -> Path:
    """Figure 3 of Burns et al. 2023 in our setting: per task, test accuracy against strong
    capacity (one line per weak supervisor; solid naive, dashed confidence loss; black the
    ceiling, dotted the supervisors), and PGR below (``est``: PGR per (task, weak, strong,
    method), from :func:`~oversight_gym.envs.weak_to_strong.metrics.pgr_by_group`)."""
    plt = pyplot()
    groups = group_records(records, ("task", "weak", "strong", "method"))
    colors = plt.cm.viridis(np.linspace(0.0, 0.85, len(weaks)))
    fig, axes = plt.subplots(2, len(tasks), figsize=(3.6 * len(tasks), 6.4), squeeze=False)
    x = np.arange(len(strongs))
    for col, t in enumerate(tasks):
        ax, axp = axes[0, col], axes[1, col]
        ceiling = [np.mean([r["ceiling_acc"] for w in weaks for r in groups.get((t, w, s, "naive"), [])] or [np.nan])
                   for s in strongs]
        ax.plot(x, 100 * np.array(ceiling), "k-o", lw=2, label="strong ceiling")
        for w, c in zip(weaks, colors, strict=True):
            for m, style in (("naive", "-o"), ("confidence", "--s")):
                acc = [np.mean([r["student_acc"] for r in groups.get((t, w, s, m), [])] or [np.nan]) for s in strongs]
                if np.all(np.isnan(acc)):
                    continue
                ax.plot(x, 100 * np.array(acc), style, color=c, ms=4,
                        label=f"weak {w}" + (" (conf.)" if m == "confidence" else ""))
                pg = [est[(t, w, s, m)].value if (t, w, s, m) in est else np.nan for s in strongs]
                axp.plot(x, 100 * np.array(pg), style, color=c, ms=4)
            weak_acc = np.mean([r["weak_acc"] for r in records if r["task"] == t and r["weak"] == w] or [np.nan])
            ax.axhline(100 * weak_acc, color=c, ls=":", lw=1)
        ax.set_title(t, fontsize=9)
        ax.set_xticks(x, strongs, fontsize=7)
        axp.set_xticks(x, strongs, fontsize=7)
        axp.axhline(0, color="#999", lw=0.8)
        axp.axhline(100, color="#999", lw=0.8, ls=":")
        ax.set_xlabel("strong student (capacity)", fontsize=8)
        axp.set_xlabel("strong student (capacity)", fontsize=8)
        if col == 0:
            ax.set_ylabel("test accuracy (%)")
            axp.set_ylabel("PGR (%)")
    for axp in axes[1]:  # a PGR near a vanishing gap can be huge: keep the useful range in view
        lo, hi = axp.get_ylim()
        axp.set_ylim(max(lo, -60.0), min(max(hi, 105.0), 160.0))
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 5), fontsize=7, frameon=False)
    fig.suptitle(fit_title("Weak-to-strong: solid = naive, dashed = confidence loss, dotted = weak supervisor, "
                           "black = ceiling (PGR axis clipped to [-60, 160])", 0.95 * fig.get_figwidth()), fontsize=9)
    # the rectangle leaves room for the legend below
    return save_figure(fig, path, rect=(0, 0.04 + 0.025 * ((len(labels) + 4) // 5), 1, 1))
