"""Evaluating AI-control protocols as Greenblatt et al. (2023) did: each protocol against the
red team's best response, as flat records, and the safety-usefulness frontier as a figure.

* :func:`solve_protocol`: one protocol (a :class:`ControlConfig`) against the red team's best
  response, chosen on one set of deployments and reported on fresh ones, with the closed
  forms that exist for it (upfront auditing, no monitoring, trusted monitoring);
* :func:`plot_frontier`: safety against usefulness for defer-rate sweeps, single protocols
  as markers and published points as stars.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from oversight_gym.analysis.plots import pyplot, save_figure
from oversight_gym.envs.collusion import ai_control as A
from oversight_gym.envs.collusion.untrusted_monitoring import ControlConfig


def solve_protocol(cfg: ControlConfig, deployments: int, seed: int, rates: Sequence[float],
                   refine: int) -> dict[str, Any]:
    """``cfg`` against the red team's best response (:func:`~oversight_gym.envs.collusion.ai_control.
    optimise_red_team` over ``rates`` and ``refine`` extra rates), evaluated on fresh deployments:
    a flat record (safety and its interval, usefulness and its standard error, the red team's
    attack rate, signal and monitor), with the search's own safety (``search_safety``) and the
    closed forms of the protocol where there is one (``closed_form_*``)."""
    br = A.optimise_red_team(cfg, deployments, seed, rates=np.asarray(rates), refine=refine)
    held = br.holdout
    if held is None:  # optimise_red_team evaluates on fresh deployments by default
        raise RuntimeError("the red team's best response has no evaluation on fresh deployments")
    rec = {"search_safety": br.best.as_dict()["safety"], **held.as_dict()}
    if cfg.protocol == "upfront":
        r, s = A.upfront_best_response(cfg)
        rec.update(closed_form_safety=s, closed_form_rate=r,
                   closed_form_at_red_rate=A.upfront_safety(cfg, held.red.attack_rate))
    elif cfg.protocol == "none":
        rec.update(closed_form_at_red_rate=A.no_monitoring_safety(cfg, held.red.attack_rate))
    elif cfg.protocol == "trusted":
        rec.update(closed_form_at_red_rate=A.monitoring_safety_approx(cfg, held.red.attack_rate))
    return rec


def plot_frontier(curves: Mapping[str, Sequence[Mapping[str, Any]]],
                  points: Mapping[str, tuple[Mapping[str, Any], str]],
                  published: Mapping[str, tuple[float, float]], path: str | Path,
                  title: str = "Safety-usefulness frontier (AI control)") -> Path:
    """Safety (with its interval) against usefulness: ``curves`` ({legend: records}) as lines
    sorted by usefulness, ``points`` ({legend: (record, marker)}) as black markers, and
    ``published`` ({short label: (safety, usefulness)}) as grey stars."""
    plt = pyplot()

    fig, ax = plt.subplots(figsize=(7.5, 5.5))
    for (legend, recs), colour in zip(curves.items(), ("#1f77b4", "#d62728", "#2ca02c", "#9467bd"), strict=False):
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


__all__ = ["plot_frontier", "solve_protocol"]
