"""Figures of the overoptimisation study: gold and proxy against ``d = sqrt(KL)`` with the
fitted form, and the fitted coefficients against reward-model data and constitution error."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from oversight_gym.analysis.plots import pyplot, save_figure
from oversight_gym.envs.feedback.overoptimisation import Curve, Fit
from oversight_gym.envs.feedback.overoptimisation_study import METHODS


def plot_overoptimisation_curves(curves: dict[tuple[str, str], Curve], analysed: dict[tuple[str, str], dict[str, Any]],
                                 judges: Sequence[str], path: str | Path) -> Path:
    """One row per judge of ``judges`` (and the smallest and largest reward model's first
    seed), one column per optimiser: gold (left axis) with its fitted form, and proxy (right
    axis), against d."""
    plt = pyplot()
    rm_labels = sorted({lab for (lab, _m) in curves if lab.startswith("reward model") and lab.endswith("seed 0")},
                       key=lambda s: int(s.split("m=")[1].split()[0]))
    labels = list(judges) + ([rm_labels[0], rm_labels[-1]] if rm_labels else [])
    fig, axes = plt.subplots(len(labels), 3, figsize=(12, 2.3 * len(labels)), squeeze=False)
    for i, lab in enumerate(labels):
        for k, method in enumerate(METHODS):
            ax = axes[i, k]
            if (lab, method) not in curves:
                ax.axis("off")
                continue
            c = curves[(lab, method)]
            a = analysed[(lab, method)]
            ax.plot(c.d, c.gold, "o-", ms=3, c="#1a6", label="gold")
            f = a["fits"][a["own_form"]]
            dd = np.linspace(0, c.d.max(), 200)
            fit = Fit(f["form"], f["alpha"], f["beta"], f["r2"], f["n_points"])
            ax.plot(dd, fit.predict(dd), ":", c="k", label=f"fit {f['form']} R²={f['r2']:.2f}")
            ax2 = ax.twinx()
            ax2.plot(c.d, c.proxy, "--", c="#c63", label="proxy (right axis)")
            ax2.tick_params(axis="y", labelcolor="#c63", labelsize=7)
            ax.tick_params(labelsize=7)
            ax.set_title(f"{lab}: {method}", fontsize=8)
            if i == len(labels) - 1:
                ax.set_xlabel("d = sqrt(KL)", fontsize=8)
            if k == 0:
                ax.set_ylabel("gold gain", fontsize=8)
            if k == len(METHODS) - 1 or (lab, METHODS[k + 1]) not in curves:
                ax2.set_ylabel("proxy gain", fontsize=8, color="#c63")
            handles = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
            ax.legend(handles=handles, fontsize=6, loc="upper left")
    fig.suptitle("gold (green, left axis) and proxy (orange, right axis) gain against d; dotted: fitted form",
                 fontsize=9)
    return save_figure(fig, path, dpi=100)


def plot_coefficients(rows: Sequence[dict[str, Any]], path: str | Path) -> Path:
    """alpha, beta and the gold lost against reward-model comparisons (top) and constitution
    error (bottom), for best-of-n and RL (``rows`` from
    :func:`~oversight_gym.envs.feedback.overoptimisation_study.coefficients`)."""
    plt = pyplot()
    fig, axes = plt.subplots(2, 3, figsize=(12, 6), squeeze=False)
    for row, group in enumerate(("rm", "error")):
        for method, colour in (("bon", "#26a"), ("rl", "#a26")):
            sel = [r for r in rows if r["group"] == group and r["optimiser"] == method]
            xs = [r["x"] for r in sel]
            for col, key in enumerate(("alpha", "beta", "gold lost")):
                axes[row, col].plot(xs, [r[key] for r in sel], "o-", c=colour, label=method)
                axes[row, col].set_title(f"{key} vs {'RM comparisons' if group == 'rm' else 'constitution error'}",
                                         fontsize=9)
                if group == "rm":  # the comparison counts run, not crowded 10^k minor labels
                    axes[row, col].set_xscale("log")
                    axes[row, col].set_xticks(xs, [f"{x:g}" for x in xs])
                    axes[row, col].set_xticks([], minor=True)
                axes[row, col].legend(fontsize=7)
    return save_figure(fig, path, dpi=100)


__all__ = ["plot_coefficients", "plot_overoptimisation_curves"]
