"""Summaries of sweep results: one row per grid cell, the mean of every metric over the
seeds with a 95% confidence interval, written as a markdown report beside its figures.

A results file (see :mod:`oversight_gym.runner.sweep`) names its grid parameters in its
header; every other numeric field of a record (except the seed and timing fields) is a
metric. The interval is Student's t over the seeds' values (for 0/1 metrics with many
seeds it agrees with a normal interval on the proportion); with one seed it is empty.
"""

from __future__ import annotations

import itertools
import json
import math
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from oversight_gym.runner.records import load_results

_NOT_METRICS = ("seed", "seconds", "version")


def mean_interval(values: Sequence[float], level: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t interval of ``values`` (NaNs for the interval when n < 2).

    >>> m, lo, hi = mean_interval([1.0, 2.0, 3.0])
    >>> m, round(lo, 3), round(hi, 3)
    (2.0, -0.484, 4.484)
    """
    from scipy import stats

    x = np.asarray(values, dtype=float)
    if x.size == 0:
        raise ValueError("values: need at least one value")
    m = float(x.mean())
    if x.size < 2:
        return m, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + level / 2, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))
    return m, m - half, m + half


def summarise(records: Sequence[Mapping[str, Any]], params: Sequence[str],
              metrics: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """One row per combination of ``params``: ``n`` seeds and, per metric, mean and interval
    (``metric``, ``metric_lo``, ``metric_hi``). Rows keep the order cells first appear in.

    >>> recs = [{"a": 1, "seed": s, "y": float(s)} for s in range(4)]
    >>> row = summarise(recs, ["a"])[0]
    >>> row["a"], row["n"], row["y"]
    (1, 4, 1.5)
    """
    if metrics is None:
        metrics = metric_names(records, params)
    groups: dict[tuple, list[Mapping[str, Any]]] = {}
    for r in records:
        groups.setdefault(tuple(json.dumps(r.get(p), sort_keys=True) for p in params), []).append(r)
    rows = []
    count = count_column(params, metrics)
    for recs in groups.values():
        row: dict[str, Any] = {p: recs[0].get(p) for p in params}
        row[count] = len(recs)
        for m in metrics:
            vals = [float(r[m]) for r in recs if isinstance(r.get(m), int | float) and r.get(m) is not None]
            if vals:
                mean, lo, hi = mean_interval(vals)
                row[m], row[m + "_lo"], row[m + "_hi"] = mean, lo, hi
        rows.append(row)
    return rows


def plan_shortfalls(plan: Mapping[str, Any], rows: Sequence[Mapping[str, Any]], params: Sequence[str],
                    count: str = "n", limit: int = 5) -> list[str]:
    """Where the cells differ from the plan a results file's header promises (every grid point,
    every seed): missing cells and cells with another number of records than seeds."""
    if not plan or "seeds" not in plan:
        return []
    want = len(plan["seeds"])
    found = {tuple(json.dumps(r.get(p), sort_keys=True) for p in params): r[count] for r in rows}
    grid = plan.get("grid") or {}
    points = [tuple(json.dumps(v, sort_keys=True) for v in combo)
              for combo in itertools.product(*(grid.get(p, [None]) for p in params))] if grid else list(found)
    out = []
    missing = [pt for pt in points if pt not in found]
    if missing:
        out.append(f"{len(missing)} of {len(points)} planned cells have no records yet")
    short = [(pt, n) for pt, n in found.items() if n != want]
    if short:
        shown = "; ".join(", ".join(f"{p}={v}" for p, v in zip(params, pt, strict=True)) + f": n={n}"
                          for pt, n in short[:limit])
        out.append(f"{len(short)} cell(s) hold another number of records than the {want} seeds planned ({shown})")
    return out


def count_column(params: Sequence[str], names: Sequence[str]) -> str:
    """The name of the records-per-cell column: ``n``, unless a parameter or metric is called so."""
    taken = set(params) | set(names)
    return "n" if "n" not in taken else "n_records"


def metric_names(records: Sequence[Mapping[str, Any]], params: Sequence[str]) -> list[str]:
    """Numeric fields of the records that are neither parameters nor seed/timing fields."""
    names: list[str] = []
    for r in records:
        for k, v in r.items():
            if k in names or k in params or k in _NOT_METRICS:
                continue
            if isinstance(v, bool | int | float):
                names.append(k)
    return names


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return "—" if math.isnan(v) else f"{v:.4g}"
    if isinstance(v, list | tuple):  # a parameter that takes a list (--depths 1,2) is swept list by list
        return ",".join(_fmt(x) for x in v)
    return str(v)


def _scalar(v: Any) -> Any:
    """A one-item list parameter (``--grid epsilons=0.1,0.2`` sweeps ``[0.1]``, ``[0.2]``) as its item."""
    return v[0] if isinstance(v, list | tuple) and len(v) == 1 else v


def is_rate(records: Sequence[Mapping[str, Any]], metric: str) -> bool:
    """Whether ``metric`` is taken for a rate, a quantity whose support is [0, 1]: every value
    recorded for it lies in [0, 1] (so its interval is drawn within [0, 1])."""
    values = [r[metric] for r in records if isinstance(r.get(metric), int | float) and r.get(metric) is not None]
    return bool(values) and all(0.0 <= float(v) <= 1.0 for v in values)


def markdown_table(rows: Sequence[Mapping[str, Any]], params: Sequence[str], metrics: Sequence[str]) -> str:
    """A markdown table: parameters, n, then ``mean [lo, hi]`` per metric."""
    count = count_column(params, metrics)
    head = [*params, count, *metrics]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [_fmt(r.get(p)) for p in params] + [str(r[count])]
        for m in metrics:
            if m not in r:
                cells.append("—")
            elif math.isnan(r[m + "_lo"]):
                cells.append(_fmt(r[m]))
            else:
                cells.append(f"{_fmt(r[m])} [{_fmt(r[m + '_lo'])}, {_fmt(r[m + '_hi'])}]")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot_metric(rows: Sequence[Mapping[str, Any]], params: Sequence[str], metric: str, path: str | Path,
                support: tuple[float, float] | None = None) -> Path:
    """One figure for one metric: a line with its interval band over one numeric parameter, a
    heatmap over two parameters, else a bar per cell. Intervals are drawn within ``support``
    (the values the metric can take, e.g. (0, 1) for a rate; None: unbounded)."""
    from oversight_gym.analysis.plots import annotate_cells, clip_interval, pyplot, save_figure

    plt = pyplot()

    path = Path(path)
    rows = [{**r, **{p: _scalar(r.get(p)) for p in params}} for r in rows]
    numeric = [p for p in params if all(isinstance(r.get(p), int | float) and not isinstance(r.get(p), bool)
                                        for r in rows)]
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    if len(params) == 1 and numeric:
        p = params[0]
        xs = np.array([r[p] for r in rows], dtype=float)
        order = np.argsort(xs)
        ys = np.array([r.get(metric, np.nan) for r in rows], dtype=float)[order]
        lo = np.array([r.get(metric + "_lo", np.nan) for r in rows], dtype=float)[order]
        hi = np.array([r.get(metric + "_hi", np.nan) for r in rows], dtype=float)[order]
        ax.plot(xs[order], ys, marker="o")
        ax.fill_between(xs[order], *clip_interval(lo, hi, support), alpha=0.25, label="95% CI")
        ax.set_xlabel(p)
        ax.legend(fontsize=8)
    elif len(params) == 2:
        a, b = params
        av = list(dict.fromkeys(_fmt(r[a]) for r in rows))
        bv = list(dict.fromkeys(_fmt(r[b]) for r in rows))
        grid = np.full((len(av), len(bv)), np.nan)
        for r in rows:
            grid[av.index(_fmt(r[a])), bv.index(_fmt(r[b]))] = r.get(metric, np.nan)
        im = ax.imshow(grid, aspect="auto", origin="lower", cmap="viridis",
                       vmin=support[0] if support else None, vmax=support[1] if support else None)
        ax.set_yticks(range(len(av)), av)
        ax.set_xticks(range(len(bv)), bv, rotation=45 if len(bv) > 6 else 0, ha="right" if len(bv) > 6 else "center")
        ax.set_ylabel(a)
        ax.set_xlabel(b)
        fig.colorbar(im, ax=ax, label=metric)
        if grid.size <= 64:
            annotate_cells(ax, im, grid, fmt=_fmt, fontsize=7)
    else:
        labels = [", ".join(f"{p}={_fmt(r[p])}" for p in params) or "all" for r in rows]
        ys = np.array([r.get(metric, np.nan) for r in rows], dtype=float)
        lo, hi = clip_interval(np.array([r.get(metric + "_lo", np.nan) for r in rows], dtype=float),
                               np.array([r.get(metric + "_hi", np.nan) for r in rows], dtype=float), support)
        err = np.array([ys - lo, hi - ys])
        ax.bar(range(len(rows)), ys, yerr=np.nan_to_num(err), capsize=3)
        ax.set_xticks(range(len(rows)), labels, rotation=60, ha="right", fontsize=7)
    ax.set_title(metric if len(params) != 2 else f"{metric} (mean over seeds)")
    if len(params) != 2:
        ax.set_ylabel(f"{metric} (mean over seeds)")
    return save_figure(fig, path, dpi=110)


def write_report(results: str | Path, out: str | Path | None = None, figures: bool = True) -> Path:
    """``report.md`` (a table with intervals per cell) and one figure per metric, in ``out``
    (default: a folder named after the results file). Returns the markdown file."""
    results = Path(results)
    res = load_results(results)
    config, records = res.config, res.records
    if not records:
        raise ValueError(f"{results}: no records yet")
    if "keys" not in config:
        raise ValueError(f"{results}: not a sweep results file (its header names no grid parameters)")
    params = [k for k in config["keys"] if k != "seed"]
    metrics = metric_names(records, params)
    rows = summarise(records, params, metrics)
    out_dir = Path(out) if out is not None else results.with_suffix("")
    out_dir.mkdir(parents=True, exist_ok=True)
    seeds = sorted({r["seed"] for r in records})
    warnings_ = [*res.problems(), *plan_shortfalls(res.plan, rows, params, count_column(params, metrics))]
    for w in warnings_:
        warnings.warn(w, stacklevel=2)
    lines = [f"# Sweep report: {config.get('experiment', results.stem)}", "",
             f"Results file: `{results}`; {len(records)} records, {len(rows)} cells, {len(seeds)} seeds.",
             "Each cell: mean over seeds [95% Student-t interval]."]
    if warnings_:
        lines += ["", *(f"**Warning:** {w}" for w in warnings_)]
    if config.get("fixed"):
        lines.append("Fixed parameters: " + ", ".join(f"`{k}={v}`" for k, v in config["fixed"].items()) + ".")
    lines += ["", markdown_table(rows, params, metrics), ""]
    if figures:
        for m in metrics:
            safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in m)
            support = (0.0, 1.0) if is_rate(records, m) else None
            fig = plot_metric(rows, params, m, out_dir / f"{safe}.png", support=support)
            lines += [f"![{m}]({fig.name})", ""]
    md = out_dir / "report.md"
    md.write_text("\n".join(lines))
    return md
