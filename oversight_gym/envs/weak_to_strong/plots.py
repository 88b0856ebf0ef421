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
        ax.set_xticks(x, strongs, fontsize=7, rotation=45 if len(strongs) > 4 else 0)
        axp.set_xticks(x, strongs, fontsize=7, rotation=45 if len(strongs) > 4 else 0)
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


def plot_pretrained(records: list[dict], est: dict[tuple, PGREstimate], tasks: list[str], weaks: list[str],
                    strongs: list[str], path: str | Path, method: str = "naive") -> Path:
    """The paper's main figure (Burns et al. 2023, Fig. 3) for pretrained and scratch-trained
    students. Top, per task: test accuracy against student strength (each student placed at
    its ceiling accuracy, the student trained on ground truth), one line per weak supervisor
    through the pretrained probes (circles; fine-tuned students dashed, triangles) with the
    scratch-trained students as crosses;
    the ceiling is the diagonal, each supervisor's own accuracy a dotted line. Bottom: PGR
    as a heatmap over (supervisor, student), undefined or excluded pairs blank."""
    from oversight_gym.analysis.plots import annotate_cells

    plt = pyplot()
    groups = group_records(records, ("task", "weak", "strong", "method"))
    colors = plt.cm.viridis(np.linspace(0.0, 0.85, len(weaks)))
    fig, axes = plt.subplots(2, len(tasks), figsize=(max(4.2, 0.45 * len(strongs) + 1.6) * len(tasks), 7.4),
                             squeeze=False)
    for col, t in enumerate(tasks):
        ax, axh = axes[0, col], axes[1, col]
        strength = {s: np.mean([r["ceiling_acc"] for w in weaks for r in groups.get((t, w, s, method), [])] or
                               [np.nan]) for s in strongs}
        probes = sorted((s for s in strongs if s.startswith("probe-") and np.isfinite(strength[s])),
                        key=lambda s: strength[s])
        tuned = sorted((s for s in strongs if s.startswith("tune-") and np.isfinite(strength[s])),
                       key=lambda s: strength[s])
        scratch = [s for s in strongs if not s.startswith(("probe-", "tune-")) and np.isfinite(strength[s])]
        known = [v for v in strength.values() if np.isfinite(v)]
        if known:
            lo, hi = 100 * min(known), 100 * max(known)
            ax.plot([lo, hi], [lo, hi], "k-", lw=1.5, label="ceiling (student on ground truth)")
        for w, c in zip(weaks, colors, strict=True):
            def acc(s: str, w: str = w, t: str = t) -> float:
                return float(np.mean([r["student_acc"] for r in groups.get((t, w, s, method), [])] or [np.nan]))

            ax.plot([100 * strength[s] for s in probes], [100 * acc(s) for s in probes], "-o", color=c, ms=4,
                    label=f"weak {w} (pretrained)")
            ax.plot([100 * strength[s] for s in scratch], [100 * acc(s) for s in scratch], "x", color=c, ms=7,
                    mew=1.5, label=f"weak {w} (scratch)")
            if tuned:
                ax.plot([100 * strength[s] for s in tuned], [100 * acc(s) for s in tuned], "--^", color=c, ms=5,
                        label=f"weak {w} (fine-tuned)")
            weak_acc = np.mean([r["weak_acc"] for r in records if r["task"] == t and r["weak"] == w] or [np.nan])
            ax.axhline(100 * weak_acc, color=c, ls=":", lw=1)
        ax.set_title(t, fontsize=9)
        ax.set_xlabel("student strength: ceiling accuracy (%)", fontsize=8)
        if col == 0:
            ax.set_ylabel("test accuracy (%)")
        values = np.array([[est[(t, w, s, method)].value if (t, w, s, method) in est
                            and not est[(t, w, s, method)].excluded else np.nan for s in strongs] for w in weaks])
        image = axh.imshow(np.clip(values, -0.5, 1.0), aspect="auto", vmin=-0.5, vmax=1.0, cmap="viridis")
        annotate_cells(axh, image, values, fmt=lambda v: f"{100 * v:.0f}", fontsize=6)
        axh.set_xticks(range(len(strongs)), strongs, rotation=60, fontsize=7)
        axh.set_yticks(range(len(weaks)), weaks if col == 0 else [""] * len(weaks), fontsize=7)
        axh.set_xlabel("student", fontsize=8)
        if col == 0:
            axh.set_ylabel("weak supervisor")
        if col == len(tasks) - 1:
            fig.colorbar(image, ax=axh, label=f"PGR {method}, clipped", fraction=0.08)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 3), fontsize=7, frameon=False)
    fig.suptitle(fit_title(f"Weak-to-strong with pretrained students ({method} loss): accuracy against student "
                           "strength (dotted = weak supervisor, black = ceiling) and PGR (blank = undefined or "
                           "excluded)", 0.95 * fig.get_figwidth()), fontsize=9)
    return save_figure(fig, path, rect=(0, 0.04 + 0.025 * ((len(labels) + 2) // 3), 1, 1))
