"""Shared plotting: the one way figures are made and saved, heatmaps of rates and curves with
interval bands.

Figures are written to files with matplotlib's Agg backend (:func:`pyplot`) and saved by
:func:`save_figure`, which lays them out, creates the folder, writes the PNG and closes the
figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the Agg backend (figures go to files, never to a screen)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig: Any, path: str | Path, dpi: int = 120,
                rect: tuple[float, float, float, float] | None = None) -> Path:
    """Lay out ``fig`` (within ``rect`` of the figure, if given, e.g. to leave room for a legend
    below), save it as a PNG at ``path`` (creating its folder), close it, and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout(rect=rect)
    fig.savefig(path, dpi=dpi)
    pyplot().close(fig)
    return path


def plot_heatmap(values: np.ndarray, x_labels: Sequence[Any], y_labels: Sequence[Any], x_name: str, y_name: str,
                 title: str, path: str | Path, vmin: float = 0.0, vmax: float = 1.0, annotate: bool = True) -> Path:
    """A heatmap of ``values[y, x]`` (rates in [0, 1])."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(max(5.0, 0.45 * len(x_labels) + 2), max(4.0, 0.4 * len(y_labels) + 1.5)))
    im = ax.imshow(values, origin="lower", aspect="auto", vmin=vmin, vmax=vmax, cmap="viridis")
    ax.set_xticks(range(len(x_labels)), [str(x) for x in x_labels], rotation=60, fontsize=7)
    ax.set_yticks(range(len(y_labels)), [str(y) for y in y_labels], fontsize=7)
    ax.set_xlabel(x_name)
    ax.set_ylabel(y_name)
    if annotate and values.size <= 144:
        for (i, j), v in np.ndenumerate(values):
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=6, color="w" if v < 0.6 else "k")
    fig.colorbar(im, ax=ax)
    ax.set_title(title, fontsize=9)
    return save_figure(fig, path)


def plot_curves(x: Sequence[float], curves: dict[str, dict[str, Sequence[float]]], x_name: str, y_name: str,
                title: str, path: str | Path, log_x: bool = False) -> Path:
    """Simulated curves with interval bands (``{"label": {"rate", "low", "high"}}``) and optional
    closed-form lines (``{"label": {"closed": [...]}}``), on one axis."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (label, c) in enumerate(curves.items()):
        col = colours[i % len(colours)]
        xs = c.get("x", x)
        if "rate" in c:
            ax.plot(xs, c["rate"], "o-", ms=3, color=col, label=label)
            if "low" in c:
                ax.fill_between(xs, c["low"], c["high"], color=col, alpha=0.2)
        if "closed" in c:
            ax.plot(xs, c["closed"], "--", color=col, lw=1.2, label=f"{label}: closed form" if "rate" in c else label)
    if log_x:
        ax.set_xscale("symlog", linthresh=1e-3)
    ax.set_xlabel(x_name)
    ax.set_ylabel(y_name)
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    ax.set_title(title, fontsize=9)
    return save_figure(fig, path)


__all__ = ["plot_curves", "plot_heatmap", "pyplot", "save_figure"]
