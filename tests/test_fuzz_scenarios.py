"""Fuzz every option of every scenario, and lay out any measures in 120 columns.

The rules:

* whatever text a user types for an option, :meth:`Scenario.resolve` (each value's
  :class:`Param` declaration, then the scenario's ``check``) either refuses it with a
  ``ValueError`` that names the option as typed (``--n-features``), or returns parameters
  that lie within every declared range; and the same for several options at once, which
  reaches the rules tying them together;
* the smallest legal configuration of each scenario runs (through its ``experiment``, one
  cell of a sweep) without crashing: accepted parameters are parameters the code can run;
* :func:`measures_table` never prints a line wider than its width, whatever the measures.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oversight_gym.analysis.measures import Measure, Published, measures_table
from oversight_gym.runner.scenario import Param, Scenario, discover_scenarios

SCENARIOS = {name: sc for name, sc in discover_scenarios().items() if sc.module and
             sc.module.startswith("oversight_gym.scenarios.")}
OPTIONS = [(name, p.name) for name, sc in SCENARIOS.items() for p in sc.params]
#: texts people type by mistake, or at the edges
SPECIAL = ["nan", "inf", "-inf", "-1", "0", "1", "2", "1e12", "1e3", "1.5", "-0.0", "1e400", "", " ", "garbage",
           "true", "none", "1,,2", ",", ";", "0,0", "all", "1;2"]


def _param(scenario: str, name: str) -> Param:
    return next(p for p in SCENARIOS[scenario].params if p.name == name)


def _item_text(p: Param) -> st.SearchStrategy[str]:
    """One item as typed: a value from the declared range or just outside it, or a special text."""
    special = st.sampled_from(SPECIAL)
    if p.choices is not None:
        valid = st.sampled_from([str(c) for c in p.choices])
    elif p.type is int:
        lo = -10 if p.low is None else int(p.low)
        hi = lo + 10**6 if p.high is None else int(p.high)
        valid = st.one_of(st.integers(lo - 2, hi + 2), st.sampled_from([lo, hi, lo - 1, hi + 1])).map(str)
    elif p.type is float:
        lo = -1e6 if p.low is None else float(p.low)
        hi = 1e6 if p.high is None else float(p.high)
        valid = st.one_of(st.floats(lo - 1, hi + 1), st.sampled_from([lo, hi, lo - 1e-9, hi + 1e-9])).map(repr)
    elif p.type is bool:
        valid = st.sampled_from(["true", "false", "yes", "off", "maybe"])
    else:
        defaults = [str(v) for v in (p.default if isinstance(p.default, tuple) else (p.default,))]
        valid = st.one_of(st.sampled_from(defaults), st.text(max_size=12))
    return st.one_of(valid, special)


def _text(p: Param) -> st.SearchStrategy[str]:
    """A whole option as typed: one item, or for a list several (empty items included)."""
    if not p.many:
        return _item_text(p)
    return st.lists(st.one_of(_item_text(p), st.just("")), max_size=4).map(p.sep.join)


def _within(p: Param, value: Any) -> bool:
    """Whether a resolved value lies within its Param's declaration (written here from the
    declared fields, not with the code under test)."""
    if p.many:
        return isinstance(value, tuple) and len(value) > 0 and all(_one_within(p, v) for v in value) and \
            (not p.distinct or len(set(value)) == len(value)) and \
            (not p.increasing or all(a < b for a, b in zip(value, value[1:], strict=False)))
    return _one_within(p, value)


def _one_within(p: Param, v: Any) -> bool:
    if p.type is bool:
        return isinstance(v, bool)
    if not isinstance(v, p.type) or (p.type is int and isinstance(v, bool)):
        return False
    if p.choices is not None and v not in p.choices:
        return False
    if p.type in (int, float):
        if math.isnan(v) or (p.finite and math.isinf(v)):
            return False
        if p.low is not None and (v <= p.low if p.open_low else v < p.low):
            return False
        if p.high is not None and (v >= p.high if p.open_high else v > p.high):
            return False
    return p.rule is None or p.rule[0](v)


@pytest.mark.parametrize(("scenario", "name"), OPTIONS, ids=[f"{s}:{n}" for s, n in OPTIONS])
def test_every_option_is_refused_by_name_or_resolved_within_its_declaration(scenario: str, name: str) -> None:
    sc, p = SCENARIOS[scenario], _param(scenario, name)

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(text=_text(p), quick=st.booleans())
    def check(text: str, quick: bool) -> None:
        try:
            params = sc.resolve({name: text}, quick=quick)
        except ValueError as err:
            assert p.option in str(err), f"{scenario} {p.option} {text!r}: {err}"
            assert "\n" not in str(err), f"{scenario} {p.option} {text!r}: a one-line error, got {err}"
            return
        for q in sc.params:
            assert _within(q, params[q.name]), f"{scenario} {q.option}={params[q.name]!r} after {p.option} {text!r}"

    check()


def _legal_item(p: Param) -> st.SearchStrategy[Any]:
    """One item its declaration allows (the edges of the range often), so that options drawn
    together pass their own checks and reach the rules that tie them together."""
    if p.choices is not None:
        return st.sampled_from(p.choices)
    if p.type is bool:
        return st.booleans()
    if p.type is str:
        return st.sampled_from(p.default if isinstance(p.default, tuple) else (p.default,))
    lo = -10 if p.low is None else p.low
    hi = lo + 10**6 if p.high is None else p.high
    if p.type is int:
        lo, hi = math.ceil(lo) + p.open_low, math.floor(hi) - p.open_high
        values = st.one_of(st.sampled_from([lo, hi]), st.integers(lo, hi))
    else:
        values = st.one_of(st.sampled_from([lo, hi]), st.floats(lo, hi, exclude_min=p.open_low,
                                                               exclude_max=p.open_high))
    return values.filter(lambda v: _legal(p, v))


def _legal_text(p: Param) -> st.SearchStrategy[str]:
    """A whole option its declaration allows, as typed."""
    if not p.many:
        return _legal_item(p).map(str)
    items = st.lists(_legal_item(p), min_size=1, max_size=4, unique=p.distinct or p.increasing)
    return items.map(lambda xs: p.sep.join(str(x) for x in (sorted(xs) if p.increasing else xs)))


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_every_combination_of_options_is_refused_by_name_or_resolved_within_the_declarations(scenario: str) -> None:
    """Several options at once, each a value its declaration allows, so that the rules tying
    them together (the scenario's ``check``) are reached: a refusal names one of the options
    given, and what is accepted lies within every declaration."""
    sc = SCENARIOS[scenario]

    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(given=st.fixed_dictionaries({}, optional={p.name: _legal_text(p) for p in sc.params}), quick=st.booleans())
    def check(given: dict[str, str], quick: bool) -> None:
        try:
            params = sc.resolve(given, quick=quick)
        except ValueError as err:
            options = [p.option for p in sc.params if p.name in given]
            assert any(o in str(err) for o in options), f"{scenario} {given}: {err}"
            assert "\n" not in str(err), f"{scenario} {given}: a one-line error, got {err}"
            return
        for q in sc.params:
            assert _within(q, params[q.name]), f"{scenario} {q.option}={params[q.name]!r} after {given}"

    check()


def test_every_declared_default_is_legal() -> None:
    """The defaults, full and quick, pass the declarations and the cross-checks."""
    for sc in SCENARIOS.values():
        for quick in (False, True):
            params = sc.resolve({}, quick=quick)
            assert all(_within(p, params[p.name]) for p in sc.params), sc.name


def _legal(p: Param, value: Any) -> bool:
    try:
        p.parse(value)
    except ValueError:
        return False
    return True


def _smallest(sc: Scenario) -> dict[str, Any]:
    """The smallest legal configuration the fuzz can make: each integer at its lower bound
    (at 1 where 0 would switch a part off or mean "everything"), each list cut to its first
    items (two where the scenario needs more), other values at their quick defaults."""
    for keep in (1, 2, 3):
        given: dict[str, Any] = {}
        for p in sc.params:
            quick = p.quick_default
            if p.many:
                given[p.name] = quick[:keep]
            elif p.type is int and p.choices is None and p.low is not None:
                given[p.name] = next(v for v in range(max(int(p.low), 1), max(int(p.low), 1) + 100) if _legal(p, v))
        try:
            return sc.resolve(given, quick=True)
        except ValueError:
            continue
    raise AssertionError(f"{sc.name}: no small legal configuration")


@pytest.mark.parametrize("scenario", sorted(n for n, sc in SCENARIOS.items() if sc.experiment is not None))
def test_the_smallest_legal_configuration_runs(scenario: str) -> None:
    sc = SCENARIOS[scenario]
    params = _smallest(sc)
    if scenario == "amplification":
        pytest.importorskip("torch")
    # each run takes well under a second once its numba kernels are compiled (cached on disk)
    record = sc.experiment(params, 0)
    assert isinstance(record, dict), scenario  # a record may be empty (e.g. every pair excluded)


# --- the table ---------------------------------------------------------------------------------------
_words = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=60)
_numbers = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**12, 10**12))
_measures = st.builds(
    Measure,
    name=_words,
    value=st.one_of(_numbers, _words, st.none()),
    interval=st.one_of(st.none(), st.tuples(st.floats(-1e6, 1e6), st.floats(-1e6, 1e6))),
    n=st.one_of(st.none(), st.integers(0, 10**9)),
    unit=st.sampled_from(["", "%", "bits", "a rather long unit name"]),
    digits=st.integers(0, 6),
    published=st.one_of(st.none(), st.builds(Published, value=st.one_of(_numbers, _words), source=_words,
                                              note=_words)),
    setting=st.dictionaries(st.sampled_from(["task", "a long setting name", "p", "debaters", "x" * 30]),
                            st.one_of(_words, _numbers), max_size=4),
    group=st.sampled_from(["", "a group", "g" * 150]),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_measures, min_size=1, max_size=8), st.sampled_from([120, 80]))
def test_the_table_never_exceeds_its_width(measures: list[Measure], width: int) -> None:
    """Whatever the measures (long names, settings, values, sources), every printed line of
    the table fits the width."""
    for line in measures_table(measures, width).split("\n"):
        assert len(line) <= width, (len(line), line)


def test_a_group_too_wide_for_a_table_is_listed_whole() -> None:
    """A value longer than the width cannot sit in a column: the group is listed instead, with
    nothing cut off."""
    support = ", ".join(f"mcts(rollouts={10 ** k})" for k in range(1, 12))
    ms = [Measure("honest support", support, setting={"seat": "honest"}, group="equilibrium"),
          Measure("value", 0.25, (0.1, 0.4), n=200, setting={"seat": "honest"}, group="equilibrium")]
    text = measures_table(ms, 80)
    assert all(len(line) <= 80 for line in text.split("\n"))
    assert support.replace(" ", "") in text.replace("\n", "").replace(" ", "")
    assert "value: 0.250  [0.100, 0.400]  n=200" in text
