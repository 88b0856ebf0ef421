"""Figures can be read at a glance (``analysis/plots.py``).

Rules: ``save_figure`` flags text that overlaps other text or is cut by an edge, and only
that; text on a coloured cell is whichever of black and white contrasts more with it; an
interval is drawn within its quantity's support; tree drawings explain their marks.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import oversight_gym.analysis.plots as plots
from oversight_gym.analysis.plots import (
    FigureWarning,
    annotate_cells,
    clip_interval,
    pyplot,
    save_figure,
    text_colour_on,
    text_problems,
)
from oversight_gym.analysis.report import is_rate, plot_metric


def figure(**kw: Any) -> tuple[Any, Any]:
    plt = pyplot()
    return plt.subplots(figsize=kw.pop("figsize", (4, 3)), **kw)


# --- the readability check -------------------------------------------------------------------------
def test_a_plain_figure_has_no_text_problems() -> None:
    fig, ax = figure()
    ax.plot([0, 1], [0, 1], label="a line")
    ax.set(title="a title", xlabel="x", ylabel="y")
    ax.legend()
    fig.tight_layout()
    assert text_problems(fig) == []
    pyplot().close(fig)


def test_texts_on_top_of_each_other_are_named() -> None:
    fig, ax = figure()
    ax.text(0.5, 0.5, "first label", ha="center")
    ax.text(0.52, 0.51, "second label", ha="center")
    problems = text_problems(fig)
    assert problems == ["text 'first label' overlaps text 'second label'"]
    pyplot().close(fig)


def test_text_cut_by_the_figure_edge_is_named() -> None:
    fig, ax = figure()
    ax.text(0.95, 0.5, "a long label running off the right edge", transform=fig.transFigure)
    assert text_problems(fig) == ["text 'a long label running off the ...' is cut by the figure's edge"]
    pyplot().close(fig)


def test_slanted_tick_labels_side_by_side_pass_but_crowded_ones_do_not() -> None:
    """Rotated texts are compared as rotated rectangles: their bounding boxes overlap when
    slanted labels stand side by side, the labels themselves do not."""
    labels = [f"label number {i}" for i in range(6)]
    fig, ax = figure(figsize=(5, 3))
    ax.set_xticks(range(6), labels, rotation=45, ha="right")
    fig.tight_layout()
    assert text_problems(fig) == []
    pyplot().close(fig)
    fig, ax = figure(figsize=(2, 3))
    ax.set_xticks(range(6), labels, rotation=10)
    assert any("overlaps" in p for p in text_problems(fig))
    pyplot().close(fig)


def test_tick_labels_outside_the_view_are_not_counted(tmp_path: Path) -> None:
    fig, ax = figure()
    ax.set_xticks(range(100), [f"tick {i}" for i in range(100)])  # all but three out of view
    ax.set_xlim(-0.5, 2.5)
    fig.tight_layout()
    assert text_problems(fig) == []
    pyplot().close(fig)


def test_save_figure_warns_naming_the_file_and_still_writes_it(tmp_path: Path) -> None:
    fig, ax = figure()
    ax.text(0.5, 0.5, "one", ha="center")
    ax.text(0.5, 0.5, "two", ha="center")
    with pytest.warns(FigureWarning, match=r"unreadable figure .*bad.png: text 'one' overlaps text 'two'"):
        out = save_figure(fig, tmp_path / "bad.png")
    assert out.stat().st_size > 0


def test_a_suptitle_keeps_clear_of_the_top_row_on_a_tall_figure(tmp_path: Path) -> None:
    fig, axes = figure(nrows=8, ncols=1, figsize=(5, 18), dpi=40)
    for ax in axes.flat:
        ax.set_title("a subplot title", fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle("a figure title of some length", fontsize=9)
    fig.tight_layout()
    assert text_problems(fig)  # matplotlib's layout alone runs the top title into the suptitle
    with warnings.catch_warnings():
        warnings.simplefilter("error", FigureWarning)
        save_figure(fig, tmp_path / "tall.png", dpi=40)


# --- colours and intervals -------------------------------------------------------------------------
def contrast(a: np.ndarray, b: np.ndarray) -> float:
    def lum(c: np.ndarray) -> float:
        lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
        return float(lin @ [0.2126, 0.7152, 0.0722])

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@settings(max_examples=50, deadline=None)
@given(st.tuples(*[st.floats(0, 1)] * 3))
def test_cell_text_is_the_colour_that_contrasts_more(rgb: tuple[float, float, float]) -> None:
    cell = np.array(rgb)
    chosen = np.zeros(3) if text_colour_on(rgb) == "k" else np.ones(3)
    assert contrast(cell, chosen) >= contrast(cell, 1 - chosen) - 1e-9


def test_heatmap_text_is_black_on_yellow_and_white_on_purple() -> None:
    fig, ax = figure()
    values = np.array([[0.0, 1.0]])
    im = ax.imshow(values, cmap="viridis", vmin=0, vmax=1)
    annotate_cells(ax, im, values)
    assert [t.get_color() for t in ax.texts] == ["w", "k"]
    pyplot().close(fig)


@settings(max_examples=50, deadline=None)
@given(st.floats(-2, 3), st.floats(0, 2))
def test_a_drawn_interval_lies_within_the_support_and_is_unchanged_inside_it(mid: float, half: float) -> None:
    lo, hi = clip_interval(mid - half, mid + half, (0.0, 1.0))
    assert 0.0 <= lo <= hi <= 1.0
    if 0.0 <= mid - half and mid + half <= 1.0:
        assert (lo, hi) == (mid - half, mid + half)
    assert clip_interval(mid - half, mid + half, None) == (mid - half, mid + half)


def test_a_sweep_report_draws_a_rate_interval_within_0_1_and_takes_list_parameters(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    drawn: list[Any] = []
    real = plots.save_figure

    def keep(fig: Any, *args: Any, **kwargs: Any) -> Path:
        drawn.append([np.asarray(c.get_paths()[0].vertices) for c in fig.axes[0].collections])
        return real(fig, *args, **kwargs)

    monkeypatch.setattr(plots, "save_figure", keep)
    records = [{"eps": [e], "seed": s, "err": float(v)} for e, vals in ((0.1, (0, 0, 1)), (0.3, (1, 1, 0)))
               for s, v in enumerate(vals)]
    assert is_rate(records, "err") and not is_rate([{"x": 1.5}], "x")
    from oversight_gym.analysis.report import summarise

    rows = summarise(records, ["eps"], ["err"])
    assert rows[0]["err_lo"] < 0  # the Student-t interval of three 0/1 values reaches below 0
    plot_metric(rows, ["eps"], "err", tmp_path / "err.png", support=(0.0, 1.0))
    band = drawn[0][0]
    assert band[:, 1].min() >= 0.0 and band[:, 1].max() <= 1.0
    rows2 = summarise([{**r, "k": ["a", "b"][r["seed"] % 2]} for r in records], ["eps", "k"], ["err"])
    plot_metric(rows2, ["eps", "k"], "err", tmp_path / "heat.png", support=(0.0, 1.0))  # list values: no crash


# --- the figures that were unreadable --------------------------------------------------------------
def test_calvano_overseer_figure_labels_its_audit_probabilities_readably(tmp_path: Path) -> None:
    from oversight_gym.envs.collusion.calvano_runs import plot_overseer

    probs, fines = [0.05, 0.2, 0.3, 0.5], [0.2, 1.0]
    cells = [{"audit_prob": p, "fine": f, "delta": 0.6, "detection": 0.3} for f in fines for p in probs]
    with warnings.catch_warnings():
        warnings.simplefilter("error", FigureWarning)
        plot_overseer(cells, probs, fines, 0.85, 0.9, tmp_path / "overseer.png")


def test_a_decomposition_tree_has_a_legend_for_its_marks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import oversight_gym.envs.amplification.plots as amp_plots

    legends: list[list[str]] = []
    real = amp_plots.save_figure

    def keep(fig: Any, *args: Any, **kwargs: Any) -> Path:
        legends.append([t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()])
        return real(fig, *args, **kwargs)

    monkeypatch.setattr(amp_plots, "save_figure", keep)
    amp_plots.plot_example_tree("permutation_powering", 8, 2, 0.3, 0, tmp_path / "tree.png")
    assert legends == [["answered by H", "answered by the model M", "right answer", "wrong answer"]]


def test_a_figure_made_without_pyplot_is_checked_too(tmp_path: Path) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3, 2))
    ax = fig.add_subplot()
    ax.text(0.5, 0.5, "one", ha="center")
    ax.text(0.5, 0.5, "two", ha="center")
    fig.tight_layout()
    assert text_problems(fig) == ["text 'one' overlaps text 'two'"]


def test_a_tournament_heatmap_leaves_unplayed_pairings_and_unknown_intervals_blank(tmp_path: Path) -> None:
    from oversight_gym.runner.tournament import Entrant, TournamentResult

    entrants = [Entrant("random", label="a"), Entrant("random", label="b")]
    records = [{"assignment": [0, 1], "returns": [1.0, -1.0]},  # one match: no interval
               {"assignment": [1, 0], "returns": [-0.5, 0.5]}, {"assignment": [1, 0], "returns": [0.5, -0.5]}]
    result = TournamentResult("toy", ["first", "second"], entrants, 1, records)
    drawn: list[str] = []
    original = plots.save_figure

    def spy(fig: Any, path: Any, **kw: Any) -> Path:
        drawn.extend(t.get_text() for ax in fig.axes for t in ax.texts)
        return original(fig, path, **kw)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(plots, "save_figure", spy)
        result.plot(tmp_path / "t.png")
    assert drawn and not any("nan" in t for t in drawn), drawn
    assert "+1.00" in drawn and "+0.00\n±0.98" in drawn
