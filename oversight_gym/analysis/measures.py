"""Measures: what a scenario found, as data, and the table, summary and figure derived from them.

A scenario returns a list of :class:`Measure`: a name, our value with its interval and
sample size, the setting it was measured in (a few labels, such as the debaters or the
protocol), and, where the literature has one, the :class:`Published` value with its source.
Everything people read is derived from these by the shared code below, so no scenario
formats its own table:

* :func:`measures_table`: the printed table, grouped by ``Measure.group``, published values
  beside ours and their sources as numbered footnotes, wrapped to a terminal's width;
* :func:`measures_json`: the measures as plain JSON (``summary.json``);
* :func:`plot_measures`: our values with their intervals, the published ones beside them.

>>> from oversight_gym.analysis.measures import Measure, Published, measures_table
>>> m = Measure("judge accuracy", 0.983, (0.964, 0.992), n=360, unit="%",
...             published=Published(0.889, "Irving et al. 2018, MNIST"), setting={"debaters": "mcts"})
>>> print(measures_table([m]))
debaters  measure         ours   95% CI        n    published
--------  --------------  -----  ------------  ---  ---------
mcts      judge accuracy  98.3%  [96.4, 99.2]  360  88.9% [1]
<BLANKLINE>
[1] Irving et al. 2018, MNIST
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: the width tables are wrapped to (a terminal of 120 columns)
WIDTH = 120


@dataclass(frozen=True)
class Published:
    """A published value to compare ours with: the number (or a text such as ``"yes"`` or a
    range ``"0.70-0.90"``), its source (paper, table or figure) and a note on what differs
    (a data set, a scale)."""

    value: float | int | str
    source: str
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"value": _plain(self.value), "source": self.source, "note": self.note}


@dataclass(frozen=True)
class Measure:
    """One measured quantity.

    ``value`` is ours (a number, or a text for a categorical finding); ``interval`` its
    confidence interval (95% unless the scenario says otherwise) and ``n`` the sample
    behind it. ``unit="%"`` shows a rate in [0, 1] as a percentage; ``digits`` sets the
    decimals of other numbers. ``setting`` labels the conditions (they become columns of
    the table); ``group`` puts the measure in a section of its own.
    """

    name: str
    value: float | int | str | None
    interval: tuple[float, float] | None = None
    n: int | None = None
    unit: str = ""
    digits: int = 3
    published: Published | None = None
    setting: Mapping[str, Any] = field(default_factory=dict)
    group: str = ""

    @classmethod
    def rate(cls, name: str, rate: Any, **kwargs: Any) -> Measure:
        """A measure of a :class:`~oversight_gym.analysis.metrics.Rate` (value, Wilson interval, n),
        shown as a percentage."""
        kwargs.setdefault("unit", "%")
        return cls(name, float(rate.value), tuple(float(x) for x in rate.interval), int(rate.n), **kwargs)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "value": _plain(self.value),
                "interval": None if self.interval is None else [_plain(x) for x in self.interval],
                "n": self.n, "unit": self.unit, "setting": {k: _plain(v) for k, v in self.setting.items()},
                "group": self.group, "published": None if self.published is None else self.published.as_dict()}

    # --- formatting -----------------------------------------------------------------------------
    def format(self, x: Any) -> str:
        """``x`` in this measure's unit: ``98.3%``, ``0.848``, ``12``; text as it is."""
        if x is None:
            return "—"
        if isinstance(x, bool) or isinstance(x, str):
            return str(x)
        if isinstance(x, int) and self.unit != "%":
            return f"{x:,}" if abs(x) >= 10_000 else str(x)
        x = float(x)
        if math.isnan(x):
            return "undefined"
        if self.unit == "%":
            return f"{100 * x:.1f}%"
        if x != 0 and abs(x) < 0.5 * 10.0 ** -self.digits:  # too small for the decimals: scientific
            return f"{x:.2e}" + (f" {self.unit}" if self.unit else "")
        return f"{x:.{self.digits}f}" + (f" {self.unit}" if self.unit else "")

    def format_interval(self) -> str:
        if self.interval is None:
            return ""
        lo, hi = self.interval
        if self.unit == "%":
            return f"[{100 * lo:.1f}, {100 * hi:.1f}]"
        return f"[{lo:.{self.digits}f}, {hi:.{self.digits}f}]"


def _plain(x: Any) -> Any:
    """A JSON-ready value: numpy scalars become Python numbers, NaN becomes None and an
    infinite number the string ``"inf"`` or ``"-inf"`` (strict JSON has neither)."""
    if hasattr(x, "item") and not isinstance(x, str):
        x = x.item()
    if isinstance(x, float) and math.isnan(x):
        return None
    if isinstance(x, float) and math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


# --- the table -------------------------------------------------------------------------------------
def _lines(cell: str) -> list[str]:
    return cell.split("\n")


def _widths(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[int]:
    return [max(len(line) for cell in [h, *(r[i] for r in rows)] for line in _lines(cell))
            for i, h in enumerate(header)]


def _render(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """The table as lines: a header (cells may hold several lines), a rule, and the rows, whose
    cells holding several lines become several printed lines."""
    widths = _widths(header, rows)

    def lines(cells: Sequence[str]) -> list[str]:
        parts = [_lines(c) for c in cells]
        return ["  ".join((p[k] if k < len(p) else "").ljust(w) for p, w in zip(parts, widths, strict=True)).rstrip()
                for k in range(max(len(p) for p in parts))]

    return [*lines(header), "  ".join("-" * w for w in widths), *(x for r in rows for x in lines(r))]


def _total(header: Sequence[str], rows: Sequence[Sequence[str]]) -> int:
    return sum(_widths(header, rows)) + 2 * (len(header) - 1)


def _fit(header: list[str], rows: list[list[str]], width: int, wrappable: Sequence[int]) -> None:
    """Wrap the widest wrappable column (a setting, the measure's name) until the table fits."""
    for _ in range(40):
        excess = _total(header, rows) - width
        if excess <= 0 or not wrappable:
            return
        widths = _widths(header, rows)
        i = max(wrappable, key=lambda j: widths[j])
        target = max(12, widths[i] - excess)
        if target >= widths[i]:
            return
        for r in rows:
            r[i] = "\n".join(textwrap.wrap(r[i].replace("\n", " "), target) or [""])
        header[i] = "\n".join(textwrap.wrap(header[i].replace("\n", " "), target, break_long_words=False) or [""])


class _Footnotes:
    """Published values as ``value [k]`` with their sources numbered in order of first use."""

    def __init__(self) -> None:
        self.sources: list[str] = []

    def cell(self, m: Measure) -> str:
        if m.published is None:
            return ""
        text = m.published.source + (f"; {m.published.note}" if m.published.note else "")
        if text not in self.sources:
            self.sources.append(text)
        return f"{m.format(m.published.value)} [{self.sources.index(text) + 1}]"


def _blank_repeats(rows: list[list[str]], k: int) -> None:
    """Leave a setting (the first ``k`` cells) blank where it repeats the row above."""
    previous: list[str] = []
    for r in rows:
        labels = r[:k]
        r[:k] = ["" if labels[:i + 1] == previous[:i + 1] else v for i, v in enumerate(labels)]
        previous = labels


def _long(ms: list[Measure], keys: list[str], notes: _Footnotes) -> tuple[list[str], list[list[str]]]:
    """One row per measure: the setting, the measure's name, ours, interval, n, published."""
    has_ci = any(m.interval is not None for m in ms)
    has_n = any(m.n is not None for m in ms)
    has_pub = any(m.published is not None for m in ms)
    header = [*keys, "measure", "ours"] + (["95% CI"] if has_ci else []) + (["n"] if has_n else []) \
        + (["published"] if has_pub else [])
    rows = []
    for m in ms:
        row = [str(m.setting.get(k, "")) for k in keys] + [m.name, m.format(m.value)]
        row += [m.format_interval()] if has_ci else []
        row += ["" if m.n is None else str(m.n)] if has_n else []
        row += [notes.cell(m)] if has_pub else []
        rows.append(row)
    _blank_repeats(rows, len(keys))
    return header, rows


def _wide(ms: list[Measure], keys: list[str], notes: _Footnotes) -> tuple[list[str], list[list[str]]] | None:
    """One row per setting and a column per measure's name (value and interval; the published
    value in a column beside), when that reads better: several settings, each naming a measure
    at most once, and at least half the cells filled. None when the group is not of that form."""
    settings: dict[tuple, dict[str, Measure]] = {}
    for m in ms:
        row = settings.setdefault(tuple(str(m.setting.get(k, "")) for k in keys), {})
        if m.name in row:
            return None
        row[m.name] = m
    names = list(dict.fromkeys(m.name for m in ms))
    if len(settings) < 2 or len(names) < 2 or len(ms) < 0.5 * len(settings) * len(names):
        return None
    ns = {tuple(m.n for m in row.values() if m.n is not None) for row in settings.values()}
    one_n = all(len(set(n)) <= 1 for n in ns) and any(n for n in ns)
    published = [n for n in names if any(m.published is not None for m in ms if m.name == n)]
    header = list(keys)
    for name in names:
        header.append(name)
        if name in published:
            header.append(f"{name}, published")
    header += ["n"] if one_n else []
    rows = []
    for labels, row in settings.items():
        cells = list(labels)
        for name in names:
            m = row.get(name)
            value = "" if m is None else " ".join(x for x in (m.format(m.value), m.format_interval()) if x)
            if m is not None and m.n is not None and not one_n:
                value += f" (n={m.n})"
            cells.append(value)
            if name in published:
                cells.append("" if m is None else notes.cell(m))
        if one_n:
            n = [m.n for m in row.values() if m.n is not None]
            cells.append(str(n[0]) if n else "")
        rows.append(cells)
    for i in range(len(keys), len(header)):  # a measure's name wraps to the width of its values
        w = max(12, *(len(r[i]) for r in rows))
        header[i] = "\n".join(textwrap.wrap(header[i], w, break_long_words=False) or [header[i]])
    _blank_repeats(rows, len(keys))
    return header, rows


def _listed(ms: list[Measure], keys: list[str], notes: _Footnotes, width: int) -> list[str]:
    """The measures as a list, for a group too wide for a table even wrapped: each setting on
    a line of its own (when it changes), then one indented entry per measure (name: ours,
    interval, n, published), every line wrapped to ``width``."""
    out: list[str] = []
    previous = None
    for m in ms:
        labels = ", ".join(f"{k}={m.setting[k]}" for k in keys if k in m.setting)
        if labels and labels != previous:
            out += textwrap.wrap(labels, width, subsequent_indent="  ")
        previous = labels
        parts = [f"{m.name}: {m.format(m.value)}", m.format_interval(), "" if m.n is None else f"n={m.n}",
                 f"published {notes.cell(m)}" if m.published is not None else ""]
        out += textwrap.wrap("  ".join(p for p in parts if p), width, initial_indent="  ",
                             subsequent_indent="      ") or [""]
    return out


def measures_table(measures: Iterable[Measure], width: int = WIDTH) -> str:
    """The measures as text tables, one per group, published values beside ours and their
    sources (with notes) as numbered footnotes; wrapped to ``width`` columns.

    A group whose settings each have the same few measures is laid out wide (a row per
    setting, a column per measure) when that fits the width; otherwise a row per measure,
    its settings and names wrapped; and a group that still does not fit (long values, many
    settings) is listed, a measure per entry. No line is wider than ``width``.
    """
    measures = list(measures)
    notes = _Footnotes()
    groups: dict[str, list[Measure]] = {}
    for m in measures:
        groups.setdefault(m.group, []).append(m)
    out: list[str] = []
    for group, ms in groups.items():
        keys = list(dict.fromkeys(k for m in ms for k in m.setting))
        trial = _Footnotes()
        trial.sources = list(notes.sources)
        wide = _wide(ms, keys, trial)
        if wide is not None:
            header, rows = wide
            _fit(header, rows, width, list(range(len(keys))))
            if _total(header, rows) <= width:
                notes = trial
            else:
                wide = None
        if wide is None:
            header, rows = _long(ms, keys, notes)
            _fit(header, rows, width, list(range(len(keys) + 1)))
        if out:
            out.append("")
        if group:
            out += textwrap.wrap(group, width)
        # a table that cannot be wrapped to the width (long values, many settings) is listed instead
        out += _render(header, rows) if _total(header, rows) <= width else _listed(ms, keys, notes, width)
    if notes.sources:
        out.append("")
        for i, s in enumerate(notes.sources, 1):
            out += textwrap.wrap(f"[{i}] {s}", width, subsequent_indent=" " * (len(str(i)) + 3))
    return "\n".join(out)


def measures_json(measures: Iterable[Measure]) -> list[dict[str, Any]]:
    """The measures as plain JSON-ready dicts (what ``summary.json`` holds)."""
    return [m.as_dict() for m in measures]


def find(measures: Iterable[Measure], name: str, **setting: Any) -> Measure:
    """The one measure called ``name`` whose setting includes ``setting``."""
    hits = [m for m in measures if m.name == name and all(m.setting.get(k) == v for k, v in setting.items())]
    if len(hits) != 1:
        raise KeyError(f"{len(hits)} measures named {name!r} with setting {setting}")
    return hits[0]


# --- the figure ------------------------------------------------------------------------------------
def plot_measures(measures: Sequence[Measure], path: str | Path, title: str = "",
                  limit: int = 40) -> Path | None:
    """The estimates among the measures (finite numbers with an interval or a published value
    to compare with) as points with interval bars, one row each, the published value beside
    each as a hollow diamond; measures of one unit share an axis, and at most ``limit`` rows
    are drawn (the first ones; the title says how many). Returns the path, or None when no
    measure qualifies."""
    def estimate(m: Measure) -> bool:
        if not isinstance(m.value, int | float) or isinstance(m.value, bool) or not math.isfinite(m.value):
            return False
        pub = m.published.value if m.published is not None else None
        return m.interval is not None or (isinstance(pub, int | float) and not isinstance(pub, bool))

    candidates = [m for m in measures if estimate(m)]
    numeric = candidates[:limit]
    if not numeric:
        return None
    if len(candidates) > limit:
        title = f"{title} (the first {limit} of {len(candidates)} estimates)".strip()
    from oversight_gym.analysis.plots import clip_interval, fit_title, pyplot, save_figure

    plt = pyplot()

    units = list(dict.fromkeys(m.unit for m in numeric))
    heights = [len([m for m in numeric if m.unit == u]) for u in units]
    fig, axes = plt.subplots(len(units), 1, figsize=(8.5, 1.2 + 0.32 * sum(heights) + 0.5 * len(units)),
                             gridspec_kw={"height_ratios": heights}, squeeze=False)
    for ax, unit in zip(axes[:, 0], units, strict=True):
        ms = [m for m in numeric if m.unit == unit]
        scale = 100.0 if unit == "%" else 1.0
        ys = list(range(len(ms)))[::-1]
        for y, m in zip(ys, ms, strict=True):
            x = float(m.value) * scale
            if m.interval is not None:  # a rate's interval is drawn within [0, 1]
                lo, hi = (float(v) * scale for v in clip_interval(*m.interval, (0.0, 1.0) if unit == "%" else None))
                ax.errorbar(x, y, xerr=[[max(0.0, x - lo)], [max(0.0, hi - x)]], fmt="o", color="#1f6fb4", ms=4,
                            capsize=3)
            else:
                ax.plot(x, y, "o", color="#1f6fb4", ms=4)
            if m.published is not None and isinstance(m.published.value, int | float) \
                and not isinstance(m.published.value, bool):
                ax.plot(float(m.published.value) * scale, y, "D", mfc="none", mec="#c0392b", ms=6)
        labels = [": ".join([", ".join(f"{k}={v}" for k, v in m.setting.items()), m.name] if m.setting
                            else [m.name]) for m in ms]
        ax.set_yticks(ys, [textwrap.shorten(s, 72) for s in labels], fontsize=7)
        ax.set_xlabel("%" if unit == "%" else (unit or "value"), fontsize=8)
        ax.grid(axis="x", alpha=0.3)
        if unit == "%":
            ax.set_xlim(-2, 102)
    handles = [plt.Line2D([], [], marker="o", color="#1f6fb4", ls="", label="ours (interval)"),
               plt.Line2D([], [], marker="D", mfc="none", mec="#c0392b", ls="", label="published")]
    axes[0, 0].legend(handles=handles, fontsize=7, loc="best")
    if title:
        fig.suptitle(fit_title(title, 0.95 * fig.get_figwidth()), fontsize=9)
    return save_figure(fig, path)


__all__ = ["WIDTH", "Measure", "Published", "find", "measures_json", "measures_table", "plot_measures"]
