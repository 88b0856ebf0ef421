"""Evaluating AI-control protocols as Greenblatt et al. (2023) did: each protocol against the
red team's best response, as flat records, and the figures of the paper's kind.

* :func:`solve_protocols`: many protocols, each against the red team's best response (attack
  rate, monitor strategy and, for untrusted monitoring, the collusion signal), chosen on one set
  of deployments and reported on fresh ones, with the closed forms that exist for it (upfront
  auditing, no monitoring, online monitoring);
* :func:`calibrated_suspicion`: T's attack-suspicion model refitted to other values of the
  paper's measured facts (for sensitivity studies);
* :func:`plot_frontier`: safety against usefulness, one line per protocol family, single
  protocols as markers and published points as stars;
* :func:`plot_sensitivity`: safety against each calibrated quantity.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from oversight_gym.analysis.plots import pyplot, save_figure
from oversight_gym.envs.collusion import ai_control as A
from oversight_gym.envs.collusion.untrusted_monitoring import (
    PAPER_ATTEMPTS,
    PAPER_AUDITED,
    PAPER_BELOW_MEDIAN,
    PAPER_FPR,
    ControlConfig,
    fit_binormal,
)


def calibrated_suspicion(audited: float = PAPER_AUDITED / PAPER_ATTEMPTS,
                         below_median: float = PAPER_BELOW_MEDIAN) -> dict[str, float]:
    """``separation_trusted`` and ``spread_trusted`` fitted (:func:`~oversight_gym.envs.collusion.
    untrusted_monitoring.fit_binormal`) to a share ``audited`` of attempts above the honest 98th
    percentile (the paper: 24 of 71) and a share ``below_median`` below the honest median."""
    mean, spread = fit_binormal(audited, PAPER_FPR, below_median)
    return {"separation_trusted": mean, "spread_trusted": spread}


def record(br: A.BestResponse, variant: str = "") -> dict[str, Any]:
    """A best response as a flat record: safety and usefulness on fresh deployments, the red
    team's attack rate, attempts per deployment (planned: the rate over the whole deployment;
    made: before it ended), signal and monitor strategy, the search's own
    safety, the safety-by-attack-rate curve of the chosen strategy, and the closed forms of the
    protocol where there is one (``closed_form_*``)."""
    held = br.holdout
    if held is None:
        raise RuntimeError("the red team's best response has no evaluation on fresh deployments")
    cfg, red = held.cfg, held.red
    curve = sorted((e.red.attack_rate, e.safety.value) for e in br.searched
                   if e.cfg == cfg and e.red.signal == red.signal and e.red.monitor == red.monitor)
    # an input-keyed signal's attack rate is the share of the triggering inputs attacked
    share = cfg.signal_collision if red.signal and cfg.signal_kind == "input" else 1.0
    rec = {"search_safety": br.best.safety.value, **held.as_dict(), "variant": variant,
           "attempts_planned": red.attack_rate * share * cfg.n_tasks, "attempts_made": held.mean_attacks,
           "curve_rate": [r for r, _ in curve], "curve_safety": [s for _, s in curve]}
    if cfg.protocol == "upfront":
        r, s = A.upfront_best_response(cfg)
        rec.update(closed_form_safety=s, closed_form_rate=r,
                   closed_form_at_red_rate=A.upfront_safety(cfg, red.attack_rate))
    elif cfg.protocol == "none":
        rec.update(closed_form_at_red_rate=A.no_monitoring_safety(cfg, red.attack_rate))
    elif cfg.protocol == "trusted":
        rec.update(closed_form_at_red_rate=A.monitoring_safety_approx(cfg, red.attack_rate))
    return rec


def solve_protocols(protocols: Mapping[str, Mapping[str, ControlConfig]], deployments: int, seed: int,
                    rates: Sequence[float], refine: int, report: int | None = None) -> dict[str, dict[str, Any]]:
    """Each protocol (``{label: {variant name: config}}``: the variants are the same protocol
    with the collusion signals the red team may choose; one variant ``""`` where there is no
    choice) against the red team's best response (:func:`~oversight_gym.envs.collusion.ai_control.
    optimise_many` over ``rates`` and ``refine`` extra rates, all protocols on the same
    ``deployments``), evaluated on ``report`` fresh deployments (as many by default):
    ``{label: flat record}`` (:func:`record`)."""
    brs = A.optimise_many({lab: list(v.values()) for lab, v in protocols.items()}, deployments, seed,
                          rates=np.asarray(rates), refine=refine, holdout_deployments=report)
    out = {}
    for lab, br in brs.items():
        assert br.holdout is not None
        name = next(n for n, cfg in protocols[lab].items() if cfg == br.holdout.cfg)
        out[lab] = record(br, name)
    return out


COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


def plot_frontier(curves: Mapping[str, Sequence[Mapping[str, Any]]],
                  points: Mapping[str, tuple[Mapping[str, Any], str]],
                  published: Mapping[str, tuple[float, float]], path: str | Path,
                  title: str = "Safety-usefulness frontier (AI control)") -> Path:
    """Safety (with its interval) against usefulness: ``curves`` ({legend: records}) as lines
    sorted by usefulness, ``points`` ({legend: (record, marker)}) as black markers, and
    ``published`` ({short label: (safety, usefulness)}) as grey stars."""
    plt = pyplot()

    fig, ax = plt.subplots(figsize=(7.5, 5.5))
    for (legend, recs), colour in zip(curves.items(), COLOURS, strict=False):
        pts = sorted((r["usefulness"], r["safety"], r["safety_low"], r["safety_high"]) for r in recs)
        if pts:
            u, s, lo, hi = map(np.array, zip(*pts, strict=True))
            ax.errorbar(u, s, yerr=[s - lo, hi - s], fmt="-o", c=colour, ms=4, capsize=3, label=legend)
    for legend, (r, marker) in points.items():
        ax.scatter([r["usefulness"]], [r["safety"]], marker=marker, s=60, c="k", label=legend, zorder=3)
    for label, (s, u) in published.items():
        ax.scatter([u], [s], marker="*", s=90, c="#999", zorder=2)
        ax.annotate(label, (u, s), fontsize=7, color="#666", xytext=(4, -9), textcoords="offset points")
    if published:
        ax.scatter([], [], marker="*", c="#999", label="paper (Greenblatt et al. 2023)")
    ax.set_xlabel("usefulness (T = 0, U = 1)")
    ax.set_ylabel("safety vs best red team (95% CI)")
    ax.set_xlim(-0.05, 1.08)
    ax.set_ylim(-0.03, 1.03)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower left")
    ax.set_title(title)
    return save_figure(fig, path)


def plot_sensitivity(panels: Mapping[str, tuple[Mapping[str, Sequence[tuple[float, float]]], float]],
                     path: str | Path, title: str = "Safety against each calibrated quantity (AI control)",
                     log: Sequence[str] = ()) -> Path:
    """One panel per calibrated quantity (``{quantity: ({legend: [(value, safety)]}, calibrated
    value)}``): safety against the quantity, one line per protocol, the calibrated value as a
    dotted line; the quantities in ``log`` on a log axis."""
    plt = pyplot()
    n = len(panels)
    cols = min(3, n)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.4 * rows), squeeze=False)
    for ax, (quantity, (lines, calibrated)) in zip(axes.flat, panels.items(), strict=False):
        for (legend, pts), colour in zip(lines.items(), COLOURS, strict=False):
            x, y = zip(*sorted(pts), strict=True) if pts else ((), ())
            ax.plot(x, y, "-o", c=colour, ms=3, label=legend)
        ax.axvline(calibrated, ls=":", c="k", lw=1)
        if quantity in log:
            from matplotlib.ticker import NullFormatter

            ax.set_xscale("log")
            ax.xaxis.set_minor_formatter(NullFormatter())  # minor labels of a short decade overlap
        ax.set_xlabel(quantity, fontsize=8)
        ax.set_ylabel("safety", fontsize=8)
        ax.set_ylim(-0.03, 1.03)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    fig.suptitle(title + " (dotted: the calibrated value)", fontsize=9)
    fig.tight_layout()
    return save_figure(fig, path)


__all__ = ["calibrated_suspicion", "plot_frontier", "plot_sensitivity", "record", "solve_protocols"]
