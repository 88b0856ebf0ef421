"""Structured results: measures, the table, summary and figure derived from them, and
list-valued scenario parameters."""

from __future__ import annotations

import doctest
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oversight_gym.analysis import measures as measures_module
from oversight_gym.analysis.measures import Measure, Published, find, measures_json, measures_table, plot_measures
from oversight_gym.analysis.metrics import Rate
from oversight_gym.runner import sweep as sweep_module
from oversight_gym.runner.scenario import Context, Param, Scenario, ScenarioResult


def test_docstring_examples() -> None:
    for module in (measures_module, sweep_module):
        failed, tried = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert tried > 0 and failed == 0, module.__name__


def test_a_rate_measure_carries_its_wilson_interval_and_formats_as_percent() -> None:
    m = Measure.rate("accuracy", Rate(45, 50), setting={"who": "a"})
    assert m.value == 0.9 and m.n == 50 and m.interval == Rate(45, 50).interval and m.unit == "%"
    assert m.format(m.value) == "90.0%" and m.format_interval().startswith("[") and m.format(None) == "—"
    assert Measure("count", 12_345).format(12_345) == "12,345"
    assert Measure("pgr", float("nan")).format(float("nan")) == "undefined"
    assert Measure("regret", 3e-9).format(3e-9) == "3.00e-09" and Measure("r", 0.0).format(0.0) == "0.000"


def test_table_groups_footnotes_and_blank_repeated_settings() -> None:
    ms = [Measure("a", 0.5, (0.4, 0.6), 100, unit="%", setting={"protocol": "x"},
                  published=Published(0.62, "Paper A, Table 1")),
          Measure("b", 1.25, setting={"protocol": "x"}, published=Published(1.0, "Paper A, Table 1")),
          Measure("c", "yes", group="second part", published=Published("yes", "Paper B", note="other data"))]
    text = measures_table(ms)
    lines = text.splitlines()
    assert lines[0].split() == ["protocol", "measure", "ours", "95%", "CI", "n", "published"]
    assert "62.0% [1]" in text and "1.000 [1]" in text and "yes [2]" in text
    assert "[1] Paper A, Table 1" in text and "[2] Paper B; other data" in text
    row_b = next(line for line in lines if line.split()[:1] == ["b"])
    assert row_b.startswith(" ")  # the repeated setting "x" is left blank
    assert "second part" in lines


@settings(max_examples=30, deadline=None)
@given(names=st.lists(st.text(st.characters(codec="ascii", categories=["L", "N", "Zs"]), min_size=1, max_size=90),
                      min_size=1, max_size=6))
def test_tables_fit_the_width(names: list[str]) -> None:
    ms = [Measure(n, 0.5, (0.1, 0.9), 10, unit="%", setting={"condition": n[::-1]},
                  published=Published(0.3, "A long source " * 12)) for n in names]
    assert all(len(line) <= 120 for line in measures_table(ms).splitlines())


def test_json_and_find() -> None:
    ms = [Measure("a", 0.5, setting={"k": 1}), Measure("a", 0.7, setting={"k": 2}), Measure("nan", float("nan"))]
    data = json.loads(json.dumps(measures_json(ms)))
    assert data[0]["name"] == "a" and data[0]["setting"] == {"k": 1} and data[2]["value"] is None
    assert find(ms, "a", k=2).value == 0.7
    with pytest.raises(KeyError, match="2 measures named 'a'"):
        find(ms, "a")


def test_plot_measures_draws_the_estimates(tmp_path) -> None:
    """Finite numbers with an interval or a published number are drawn; text, infinities and bare
    numbers are not (a figure of nothing is not written)."""
    ms = [Measure.rate("r", Rate(3, 10), published=Published(0.5, "P")), Measure("x", 2.0, unit="points",
          published=Published(1.5, "P")), Measure("t", "text"), Measure("inf", float("inf"), (0.0, 1.0))]
    assert plot_measures(ms, tmp_path / "m.png", "title").exists()
    assert plot_measures([Measure("t", "text"), Measure("bare", 3.0)], tmp_path / "none.png") is None
    assert json.loads(json.dumps(measures_json([Measure("inf", float("inf"))])))[0]["value"] == "inf"


def test_list_valued_parameters_parse_check_and_show() -> None:
    p = Param("sizes", int, "8,16", "sizes", quick=(8,), many=True, choices=(8, 16, 32))
    assert p.default == (8, 16) and p.quick_default == (8,)
    assert p.parse("16, 32") == (16, 32) and p.parse([8]) == (8,) and p.show(p.default) == "8,16"
    assert p.parse(16) == (16,)  # one value alone, e.g. from --set sizes=16
    with pytest.raises(ValueError, match="each value of --sizes must be one of 8, 16, 32, got x"):
        p.parse("8,x")
    with pytest.raises(ValueError, match="each value of --sizes must be one of"):
        p.parse("8,12")
    with pytest.raises(ValueError, match="at least one value"):
        p.parse(" , ")
    tasks = Param("tasks", str, "a:n=2,d=3;b", "tasks", many=True, sep=";")
    assert tasks.default == ("a:n=2,d=3", "b")


def test_execute_derives_summary_and_figure_from_the_measures(tmp_path) -> None:
    def run(params: dict, ctx: Context) -> ScenarioResult:
        xs = params["xs"]
        return ScenarioResult("toy", [Measure("twice", 2 * sum(xs), (2 * min(xs), 2 * max(xs) * len(xs)),
                                              setting={"n": len(xs)})], ["a note"])

    sc = Scenario("toy-measures", "toy", [Param("xs", int, "1,2", "values", many=True)], run)
    result = sc.execute({"xs": "3,4,5"}, out=tmp_path, progress=False)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["params"]["xs"] == [3, 4, 5] and summary["measures"][0]["value"] == 24
    assert summary["notes"] == ["a note"] and (tmp_path / "measures.png").exists()
    assert "twice" in result.table() and f"written in {tmp_path}/" in result.table()
    assert "summary.json" in result.table()
