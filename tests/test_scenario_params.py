"""Scenario options are validated by their declarations: each bad value ends in one line that
names the option as typed, the value and what is allowed, before any work starts; and the
package's printed text cites papers, not development notes."""

from __future__ import annotations

import ast
import math
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oversight_gym.cli import main
from oversight_gym.core.params import Int, Real
from oversight_gym.runner.scenario import (
    Param,
    Scenario,
    ScenarioResult,
    bounds,
    discover_scenarios,
    get_scenario,
    memory,
    parse_value,
    seconds,
)

PACKAGE = Path(__file__).resolve().parents[1] / "oversight_gym"


# --- the cases measured on main, each now a one-line error naming its option -------------------------
@pytest.mark.parametrize(("argv", "message"), [
    # an even number of features: the help says odd (the question is their majority); it used to run
    (["debate-collusion", "--n-features", "4"], "--n-features must be an integer in [3, 15] (odd), got 4"),
    # nan among the weights on winning: it used to end in a KeyError after training
    (["debate-collusion", "--lambdas", "1,nan"], "each value of --lambdas must be a finite number in [0, 1], got nan"),
    # a trillion rollouts: it used to end in a 7 TiB MemoryError inside a worker
    (["pixel-debate", "--rollouts", "1e12"], "--rollouts 1e12 would need ~1.4 PiB of memory"),
    # no sessions: it used to say "need at least one array to stack"
    (["calvano2020", "--sessions", "0"], "--sessions must be an integer in [1, 100000], got 0"),
    (["calvano2020", "--firms", "8"], "--firms 8 --grid 15 --k 1 would need ~2.2 TiB of Q tables per session"),
    # Q tables of 10^300 bytes: writing the size used to overflow a float (a traceback)
    (["calvano2020", "--firms", "8", "--grid", "251", "--k", "16"], "would need ~2.0e+293 EiB of Q tables"),
    (["overoptimisation", "--n-max", "1e6"], "--n-max must be an integer in [3, 524288], got 1e6"),
    (["overoptimisation", "--universe", "256", "--n-max", "64"], "--n-max must be at most --universe / 8 = 32"),
    (["irreducible-complexity", "--depth", "3", "--truth-depths", "2,4"], "--truth-depths: each must be at most"),
    (["ai-control", "--audit-budget", "0.9"], "--audit-budget 0.9 plus the largest defer rate"),
    (["ai-control", "--deployments", "1e12"], "--deployments 1e12 would need ~"),
    (["weak-to-strong", "--seeds", "1"], "--seeds must be an integer in [2, 1000], got 1"),
    (["task-decomposition", "--trees", "1e7", "--branching", "64"], "would need ~"),
    (["debate-tournament", "--agents", "random,mcts:rollouts=1e12"], "--agents: mcts(rollouts=1000000000000) would"),
    (["amplification", "--width", "30"], "--width must be an integer in [4, 4096] (a multiple of 4"),
    (["amplification", "--sizes", "16,8"], "--sizes must be a comma-separated list"),
    (["covert-signalling", "--strengths", "0,0.5,0.5"], "--strengths lists 0.5 twice"),
    (["overseer-errors", "--size", "12"], "--size must be one of 8, 16, 32, 64, got 12"),
    (["overseer-errors", "--tasks", "all,union_find"], "--tasks: 'all' stands alone (it means every task), got all,"),
    (["amplification", "--overseer-tasks", "union_find,all"], "--overseer-tasks: 'all' stands alone"),
])
def test_bad_options_end_in_one_line_naming_them(argv: list[str], message: str,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", *argv, "--quick", "--no-progress", "--out", "/nonexistent/never-written"]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert message in err, err
    assert not Path("/nonexistent/never-written").exists()


def test_help_states_each_options_range(capsys: pytest.CaptureFixture[str]) -> None:
    main(["run", "debate-collusion", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "an integer in [3, 15] (odd)" in text and "each a finite number in [0, 1]" in text


def test_every_options_help_states_what_it_allows_and_its_defaults() -> None:
    """In every scenario's --help, each option says what a value may be and both defaults."""
    import argparse

    for sc in discover_scenarios().values():
        parser = argparse.ArgumentParser(prog=sc.name)
        sc.add_arguments(parser)
        text = "".join(parser.format_help().split())  # argparse wraps lines, at hyphens too
        for p in sc.params:
            said = f"{p.allowed()}(default{p.show(p.default)};--quick{p.show(p.quick_default)})"
            assert "".join(said.split()) in text, f"{sc.name} {p.option}: {said}"


# --- the declaration ---------------------------------------------------------------------------------
def test_ints_may_be_typed_as_integral_floats_only() -> None:
    p = Param("n", int, 10, "n", low=1)
    assert p.parse("1e3") == 1000 and p.parse(" 7 ") == 7 and p.parse(2.0) == 2 and p.parse("2.5e1") == 25
    for text in ("1.5", "1e-3", "nan", "inf", "x", "", True):
        with pytest.raises(ValueError, match="--n must be an integer >= 1, got"):
            p.parse(text)
    assert parse_value("1e3") == 1000 and parse_value("1.0") == 1.0 and parse_value("1e-3") == 0.001


def test_bounds_open_ends_finiteness_and_rules() -> None:
    p = Param("rate", float, 0.5, "r", low=0, high=1, open_low=True)
    assert p.parse("1") == 1.0 and p.allowed() == "a finite number in (0, 1]"
    for text in ("0", "1.0001", "nan", "inf", "-inf"):
        with pytest.raises(ValueError, match=r"--rate must be a finite number in \(0, 1\], got"):
            p.parse(text)
    free = Param("score", float, 0.0, "s", finite=False)
    assert math.isinf(free.parse("inf"))
    with pytest.raises(ValueError, match="--score must be a number, got nan"):  # as for game parameters: never nan
        free.parse("nan")
    odd = Param("k", int, 3, "k", low=1, high=9, rule=(lambda n: n % 2 == 1, "odd"))
    with pytest.raises(ValueError, match=r"--k must be an integer in \[1, 9\] \(odd\), got 4"):
        odd.parse("4")
    with pytest.raises(ValueError, match="is not allowed by its declaration"):
        Param("k", int, 4, "k", rule=(lambda n: n % 2 == 1, "odd"))  # a default outside its own range
    typed = Param("x", float, 1, "x", quick="2.5")
    assert (typed.default, typed.quick_default) == (1.0, 2.5) and isinstance(typed.default, float)


def test_lists_check_each_item_once_and_in_order() -> None:
    p = Param("xs", int, "1,2", "xs", many=True, low=1, increasing=True)
    assert p.parse("1,,3,") == (1, 3)  # empty items are skipped
    with pytest.raises(ValueError, match="at least one value"):
        p.parse(",")
    with pytest.raises(ValueError, match="each value of --xs must be an integer >= 1, got 0"):
        p.parse("0,1")
    with pytest.raises(ValueError, match=r"--xs must be a comma-separated list \(increasing\), each an integer >= 1"):
        p.parse("3,2")
    with pytest.raises(ValueError, match="--ys lists 2 twice"):
        Param("ys", int, "1", "ys", many=True).parse("2,1,2")


def test_an_absurd_size_is_refused_with_what_it_would_need() -> None:
    p = Param("rollouts", int, 10, "r", low=1, high=10**6, cost=memory(1536, "the tree"))
    with pytest.raises(ValueError, match=r"--rollouts 1e12 would need ~1.4 PiB of memory \(the tree\); at most "):
        p.parse("1e12")
    t = Param("sessions", int, 10, "s", low=1, high=1000, cost=seconds(60))
    with pytest.raises(ValueError, match="--sessions 100000 would need ~69.4 days on one core; at most 1000"):
        t.parse("100000")


@settings(max_examples=50, deadline=None)
@given(st.sampled_from([Real(0.0, 1.0), Real(0.0, 1.0, open_high=True), Real(0.0, open_low=True),
                        Real(finite=False), Int(2, 64), Int(0)]),
       st.one_of(st.floats(-3, 80), st.sampled_from([0.0, 1.0, 2.0, 64.0, math.inf, -math.inf, math.nan])))
def test_an_option_that_sets_a_game_parameter_refuses_what_the_game_refuses(spec: Int | Real, x: float) -> None:
    """``bounds`` carries a game parameter's declared range to the option: both refuse the same values."""
    kind = int if isinstance(spec, Int) else float
    value = int(x) if kind is int and math.isfinite(x) else x
    option = Param("x", kind, None, "x", **bounds(spec))

    def refused(check: Any) -> bool:
        try:
            check(value)
        except ValueError:
            return True
        return False

    assert refused(option.parse) == refused(lambda v: spec.check("x", v))


def test_resolve_runs_the_scenarios_cross_check() -> None:
    def check(params: dict) -> None:
        if params["lo"] > params["hi"]:
            raise ValueError(f"--lo must be at most --hi {params['hi']}, got {params['lo']}")

    sc = Scenario("toy-check", "toy", [Param("lo", int, 1, "lo", low=0), Param("hi", int, 5, "hi", low=0)],
                  lambda params, ctx: ScenarioResult("toy"), check=check)
    assert sc.resolve({"lo": "5"}, quick=False)["lo"] == 5
    with pytest.raises(ValueError, match="--lo must be at most --hi 5, got 6"):
        sc.resolve({"lo": "6"}, quick=False)


def test_a_sweep_checks_the_cross_rules_in_each_cell_of_its_grid(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """The rules tying options together are checked up front in every cell, and only there: a
    default that the grid replaces (--depth 4 under --quick) does not refuse a sweep whose
    cells are all legal, and a cell that breaks a rule is named."""
    import oversight_gym.runner.sweep as sweep

    def planned(experiment: object, grid: dict, seeds: object, *, fixed: dict, **kw: object) -> None:
        raise ValueError(f"planned grid={grid} truth_depths={fixed['truth_depths']}")

    monkeypatch.setattr(sweep, "run_sweep", planned)
    argv = ["sweep", "irreducible-complexity", "--quick", "--set", "truth_depths=5", "--seeds", "1",
            "--results", str(tmp_path / "sweep.jsonl")]
    assert main([*argv, "--grid", "depth=5,6"]) == 2
    assert "planned grid={'depth': [5, 6]} truth_depths=(5,)" in capsys.readouterr().err
    assert main([*argv, "--grid", "depth=6,3"]) == 2
    assert "the cell depth=3 of --grid: --truth-depths: each must be at most --depth 3" in capsys.readouterr().err


def _name(chars: str, longest: int) -> st.SearchStrategy[str]:
    return st.builds(str.__add__, st.sampled_from("abc"), st.text(st.sampled_from(chars), max_size=longest))


@settings(max_examples=40, deadline=None)
@given(st.lists(_name("abc,=-_.x", 90), min_size=1, max_size=4), st.lists(_name("ab_.-", 40), min_size=1, max_size=6))
def test_the_written_files_fit_the_table_and_are_all_named(folders: list[str], names: list[str]) -> None:
    """A run folder's name alone may take 90 columns (``runs/NAME/full,a=1,b=2,...``): the
    files a run wrote are still listed in lines of at most 120 columns, each one named (its
    folder once, then its name within it)."""
    root = Path("runs", *folders)
    files = [root / name for name in names]
    lines = ScenarioResult("toy", files=files).table().split("\n")
    assert all(len(line) <= 120 for line in lines), [len(line) for line in lines]
    text = "".join(line.strip() for line in lines)
    assert f"written in {root}/" in text and all(name in text for name in names)


@settings(max_examples=40, deadline=None)
@given(st.integers(-10**6, 10**6), st.integers(0, 20))
def test_ints_typed_in_scientific_notation_parse_to_themselves(mantissa: int, exponent: int) -> None:
    """``AeB`` is accepted for an int exactly when it is integral, and means A * 10^B."""
    p = Param("n", int, 0, "n")
    assert p.parse(f"{mantissa}e{exponent}") == mantissa * 10**exponent


def test_pixel_debate_images_beyond_the_test_split_are_refused_by_name(tmp_path: Path) -> None:
    sc = get_scenario("pixel-debate")
    with pytest.raises(ValueError, match="--images must be at most"):
        sc.execute({"images": 99_999, "judge_steps": 300, "pixels": 4}, quick=True, out=tmp_path, progress=False)


# --- product text --------------------------------------------------------------------------------
FORBIDDEN = re.compile(r"\bissues?\b|REFERENCES(\.md)?|the issue's bar|the issue asks", re.IGNORECASE)


def test_printed_text_cites_papers_not_development_notes() -> None:
    """No string in the package (messages, tables, notes, titles, docstrings) mentions an
    issue or REFERENCES.md: results cite the papers themselves. Comments may."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and FORBIDDEN.search(node.value):
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: {FORBIDDEN.search(node.value).group()}")
    assert not found, found
