"""Shared plotting: the one way figures are made and saved, heatmaps of rates and curves with
interval bands.

Figures are written to files with matplotlib's Agg backend (:func:`pyplot`) and saved by
:func:`save_figure`, which lays them out, checks that their text is readable
(:func:`text_problems`: no two texts overlap, none is cut by the figure's or its axes' edge),
creates the folder, writes the PNG and closes the figure. A figure that fails the check is
still written, with a :class:`FigureWarning` naming the texts; the test suite turns that
warning into an error (``filterwarnings`` in ``pyproject.toml``).

Two rules every figure follows are written here once: the text on a coloured cell is black or
white by the cell's luminance (:func:`text_colour_on`, :func:`annotate_cells`), and an interval
is drawn within the support of its quantity (:func:`clip_interval`: a rate's within [0, 1]).
"""

from __future__ import annotations

import itertools
import warnings
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


class FigureWarning(UserWarning):
    """A saved figure has text that cannot be read: texts on top of each other, or cut by an edge."""


def save_figure(fig: Any, path: str | Path, dpi: int = 120,
                rect: tuple[float, float, float, float] | None = None, check: bool = True) -> Path:
    """Lay out ``fig`` (within ``rect`` of the figure, if given, e.g. to leave room for a legend
    below), check its text (:func:`text_problems`; a :class:`FigureWarning` lists what is
    unreadable), save it as a PNG at ``path`` (creating its folder), close it, and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout(rect=rect)
    top = _below_suptitle(fig)
    if top is not None:  # lay out again below the suptitle
        fig.tight_layout(rect=(*(rect or (0.0, 0.0, 1.0))[:3], min(top, rect[3] if rect else 1.0)))
    if check:
        problems = text_problems(fig)
        if problems:
            shown = "; ".join(problems[:6]) + (f"; and {len(problems) - 6} more" if len(problems) > 6 else "")
            warnings.warn(f"unreadable figure {path}: {shown}", FigureWarning, stacklevel=2)
    fig.savefig(path, dpi=dpi)
    pyplot().close(fig)
    return path


def _renderer(fig: Any) -> Any:
    """The renderer that will draw ``fig`` (an Agg one, for a figure made outside :func:`pyplot`)."""
    if not hasattr(fig.canvas, "get_renderer"):
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(fig)
    return fig.canvas.get_renderer()


def _below_suptitle(fig: Any) -> float | None:
    """When ``fig``'s suptitle runs into its axes (``tight_layout`` alone lets it on tall
    figures), the top (figure fraction) of the part of ``fig`` below the suptitle; else None."""
    title = getattr(fig, "_suptitle", None)
    if title is None or not title.get_visible() or not title.get_text().strip():
        return None
    renderer = _renderer(fig)
    box = title.get_window_extent(renderer)
    if not any(box.overlaps(ax.get_tightbbox(renderer)) for ax in fig.axes if ax.get_visible()):
        return None
    return min(1.0, max(0.5, (box.y0 - 0.05 * fig.dpi) / fig.bbox.height))


def _drawn_texts(fig: Any) -> tuple[list[Any], Any]:
    """The text artists that drawing ``fig`` actually draws (visible, not empty; tick labels of
    ticks in view only), and the renderer that drew them."""
    from matplotlib.text import Text

    renderer = _renderer(fig)
    drawn: dict[int, Any] = {}
    original = Text.draw

    def record(self: Any, r: Any) -> Any:
        if r is renderer and self.get_visible() and self.get_text().strip():
            drawn.setdefault(id(self), self)
        return original(self, r)

    Text.draw = record  # type: ignore[method-assign]
    try:
        with renderer._draw_disabled():  # text extents need a draw; the pixels do not (savefig draws them)
            fig.draw(renderer)
    finally:
        Text.draw = original  # type: ignore[method-assign]
    return list(drawn.values()), renderer


def _corners(text: Any, renderer: Any) -> np.ndarray | None:
    """The four corners (display pixels) of the rectangle a text's glyphs occupy, rotated with it."""
    box = text.get_window_extent(renderer)
    if not np.all(np.isfinite(box.extents)) or box.width <= 0 or box.height <= 0:
        return None
    angle = text.get_rotation() % 180
    if angle % 90 == 0:
        return np.array([[box.x0, box.y0], [box.x1, box.y0], [box.x1, box.y1], [box.x0, box.y1]])
    text.set_rotation(0)  # the unrotated size; the rotated rectangle shares its bounding box's centre
    try:
        flat = text.get_window_extent(renderer)
    finally:
        text.set_rotation(angle)
    w, h = (flat.height, flat.width) if angle % 180 == 90 else (flat.width, flat.height)
    t = np.deg2rad(angle)
    rot = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    half = np.array([[-w, -h], [w, -h], [w, h], [-w, h]]) / 2
    return half @ rot.T + [(box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2]


def _overlap_depth(a: np.ndarray, b: np.ndarray) -> float:
    """How deep two convex quadrilaterals overlap (pixels; <= 0 when apart), by separating axes."""
    depth = np.inf
    for quad in (a, b):
        for i in range(4):
            edge = quad[(i + 1) % 4] - quad[i]
            normal = np.array([-edge[1], edge[0]]) / (np.hypot(*edge) or 1.0)
            pa, pb = a @ normal, b @ normal
            depth = min(depth, min(pa.max(), pb.max()) - max(pa.min(), pb.min()))
    return float(depth)


def _name(text: Any) -> str:
    s = " ".join(text.get_text().split())
    return repr(s if len(s) <= 32 else s[:29] + "...")


def text_problems(fig: Any, tolerance: float = 1.5) -> list[str]:
    """What makes the text of ``fig`` unreadable, as drawn: a text that overlaps another by more
    than ``tolerance`` pixels, or that sticks out of the figure (or, when clipped, out of its
    axes) by more than that. Empty when every text can be read. Rotated texts are compared as
    rotated rectangles, not as their bounding boxes, so slanted tick labels side by side pass."""
    texts, renderer = _drawn_texts(fig)
    quads = [(t, q) for t in texts if (q := _corners(t, renderer)) is not None]
    problems = []
    frame = fig.bbox
    for t, q in quads:
        clip = t.get_clip_box() if t.get_clip_on() else None
        for edge, name in ((frame, "the figure's edge"), (clip, "its axes' edge")):
            if edge is not None and (q[:, 0].min() < edge.x0 - tolerance or q[:, 0].max() > edge.x1 + tolerance
                                     or q[:, 1].min() < edge.y0 - tolerance or q[:, 1].max() > edge.y1 + tolerance):
                problems.append(f"text {_name(t)} is cut by {name}")
                break
    if len(quads) > 1:
        lo = np.array([q.min(axis=0) for _, q in quads])
        hi = np.array([q.max(axis=0) for _, q in quads])
        near = ((np.minimum(hi[:, None], hi[None]) - np.maximum(lo[:, None], lo[None])) > tolerance).all(axis=2)
        for i, j in itertools.combinations(range(len(quads)), 2):
            if near[i, j] and _overlap_depth(quads[i][1], quads[j][1]) > tolerance:
                problems.append(f"text {_name(quads[i][0])} overlaps text {_name(quads[j][0])}")
    return problems


#: the relative luminance at which black and white text contrast equally (the rounded 0.179 picked the
#: weaker colour on cells between the two, found by the property test)
EQUAL_CONTRAST_LUMINANCE = (1.05 * 0.05) ** 0.5 - 0.05


def text_colour_on(colour: Any) -> str:
    """Black or white, whichever reads better on ``colour`` (any matplotlib colour): black on
    light colours (relative luminance above sqrt(1.05 * 0.05) - 0.05 = 0.17913, where the two
    WCAG contrasts (L + 0.05) / 0.05 and 1.05 / (L + 0.05) are equal), white on dark ones."""
    from matplotlib.colors import to_rgb

    rgb = np.asarray(to_rgb(colour))
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return "k" if float(linear @ [0.2126, 0.7152, 0.0722]) > EQUAL_CONTRAST_LUMINANCE else "w"


def annotate_cells(ax: Any, image: Any, values: np.ndarray, fmt: Any = "{:.2f}".format, fontsize: float = 7) -> None:
    """Write each finite value of ``values[y, x]`` in its cell of ``image`` (an ``imshow`` of them),
    in black or white by the cell's colour (:func:`text_colour_on`)."""
    for (i, j), v in np.ndenumerate(values):
        if np.isfinite(v):
            ax.text(j, i, fmt(v), ha="center", va="center", fontsize=fontsize,
                    color=text_colour_on(image.cmap(image.norm(v))))


def clip_interval(low: Any, high: Any, support: tuple[float, float] | None = (0.0, 1.0)) -> tuple[Any, Any]:
    """An interval ``[low, high]`` (numbers or arrays) as drawn: within ``support``, the values
    the quantity can take (a rate's [0, 1]). An interval from a normal or Student-t
    approximation can reach past the support, where the quantity cannot be."""
    if support is None:
        return low, high
    return np.clip(low, *support), np.clip(high, *support)


def fit_title(text: str, width_inches: float, fontsize: float = 9.0) -> str:
    """``text`` wrapped into lines that fit over an axes ``width_inches`` wide at ``fontsize``
    points (an average character is about 0.55 of the font size wide)."""
    import textwrap

    chars = max(20, int(width_inches * 72 / (0.55 * fontsize)))
    return "\n".join(textwrap.fill(line, chars) for line in text.split("\n"))


def plot_heatmap(values: np.ndarray, x_labels: Sequence[Any], y_labels: Sequence[Any], x_name: str, y_name: str,
                 title: str, path: str | Path, vmin: float = 0.0, vmax: float = 1.0, annotate: bool = True) -> Path:
    """A heatmap of ``values[y, x]`` (rates in [0, 1])."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(max(5.0, 0.45 * len(x_labels) + 2), max(4.0, 0.4 * len(y_labels) + 1.5)))
    im = ax.imshow(values, origin="lower", aspect="auto", vmin=vmin, vmax=vmax, cmap="viridis")
    long = max((len(str(x)) for x in x_labels), default=0) > 4
    ax.set_xticks(range(len(x_labels)), [str(x) for x in x_labels], rotation=60 if long else 0, fontsize=7)
    ax.set_yticks(range(len(y_labels)), [str(y) for y in y_labels], fontsize=7)
    ax.set_xlabel(x_name)
    ax.set_ylabel(y_name)
    if annotate and values.size <= 144:
        annotate_cells(ax, im, np.asarray(values, dtype=float), fontsize=6)
    fig.colorbar(im, ax=ax)
    ax.set_title(fit_title(title, 0.75 * fig.get_figwidth()), fontsize=9)
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
                ax.fill_between(xs, *clip_interval(c["low"], c["high"]), color=col, alpha=0.2)
        if "closed" in c:
            ax.plot(xs, c["closed"], "--", color=col, lw=1.2, label=f"{label}: closed form" if "rate" in c else label)
    if log_x:
        ax.set_xscale("symlog", linthresh=1e-3)
    ax.set_xlabel(x_name)
    ax.set_ylabel(y_name)
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    ax.set_title(fit_title(title, 0.85 * fig.get_figwidth()), fontsize=9)
    return save_figure(fig, path)


__all__ = ["FigureWarning", "annotate_cells", "clip_interval", "fit_title", "plot_curves", "plot_heatmap", "pyplot",
           "save_figure", "text_colour_on", "text_problems"]
