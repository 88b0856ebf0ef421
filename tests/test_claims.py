"""Claims: the verdict rules stated as properties, and the declarations refused when malformed."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oversight_gym.analysis.claims import (
    DIFFERS,
    DIRECTION_ONLY,
    REPRODUCED,
    Claim,
    Ref,
    attach_published,
    check,
    claims_table,
    not_checked,
)
from oversight_gym.analysis.measures import Measure
from oversight_gym.runner.scenario import discover_scenarios

SRC = "Someone et al. 2020, Table 1"
finite = st.floats(-1e6, 1e6, allow_nan=False)
tolerances = st.floats(0, 1e3, allow_nan=False)


def ours(value: float, **setting: str) -> Measure:
    return Measure("x", value, (value - 1, value + 1), n=10, setting=setting)


@settings(max_examples=200, deadline=None)
@given(value=finite, published=finite, tol=tolerances)
def test_a_value_claim_is_reproduced_exactly_when_ours_is_within_the_tolerance(value: float, published: float,
                                                                                tol: float) -> None:
    v = check(Claim.value("c", "x", SRC, published, Ref("x"), tolerance=tol, reason="r"), [ours(value)])
    off = abs(value - published)
    if off <= tol * (1 - 1e-6):
        assert v.verdict == REPRODUCED
    elif off > tol * (1 + 1e-6) + 1e-9:
        assert v.verdict == DIFFERS


@settings(max_examples=200, deadline=None)
@given(value=finite, published=finite, tol=tolerances, tighter=st.floats(0, 1))
def test_tightening_a_tolerance_never_turns_a_difference_into_a_reproduction(value: float, published: float,
                                                                              tol: float, tighter: float) -> None:
    claim = Claim.value("c", "x", SRC, published, Ref("x"), tolerance=tol, reason="r")
    loose = check(claim, [ours(value)]).verdict
    tight = check(claim.with_(tolerance=tol * tighter), [ours(value)]).verdict
    assert not (loose == DIFFERS and tight == REPRODUCED)


@settings(max_examples=200, deadline=None)
@given(value=finite, published=finite, tol=tolerances, bound=finite)
def test_direction_only_means_the_number_differs_and_the_direction_holds(value: float, published: float,
                                                                           tol: float, bound: float) -> None:
    claim = Claim.value("c", "x", SRC, published, Ref("x"), tolerance=tol, reason="r", above=bound)
    v = check(claim, [ours(value)])
    plain = check(claim.with_(above=None), [ours(value)])
    if plain.verdict == REPRODUCED:
        assert v.verdict == REPRODUCED
    else:
        assert v.verdict == (DIRECTION_ONLY if value > bound else DIFFERS)


@settings(max_examples=100, deadline=None)
@given(lo=finite, width=st.floats(0, 1e3), t=st.floats(0, 1), tol=tolerances)
def test_any_value_inside_a_published_range_reproduces_it(lo: float, width: float, t: float, tol: float) -> None:
    value = lo + t * width
    claim = Claim.value("c", "x", SRC, (lo, lo + width), Ref("x"), tolerance=tol, reason="r")
    assert check(claim, [ours(value)]).verdict == REPRODUCED


@settings(max_examples=100, deadline=None)
@given(values=st.lists(finite, min_size=2, max_size=6))
def test_an_order_holds_exactly_when_the_values_strictly_increase(values: list[float]) -> None:
    ms = [ours(v, row=str(i)) for i, v in enumerate(values)]
    claim = Claim.ordered("c", "in order", SRC, [Ref("x", row=str(i)) for i in range(len(values))])
    increasing = all(b > a for a, b in zip(values, values[1:], strict=False))
    assert check(claim, ms).verdict == (REPRODUCED if increasing else DIFFERS)


@settings(max_examples=100, deadline=None)
@given(a=finite, b=finite, margin=st.floats(0, 10))
def test_a_direction_holds_exactly_when_the_difference_exceeds_the_margin(a: float, b: float, margin: float) -> None:
    claim = Claim.greater("c", "a beats b", SRC, Ref("x", row="a"), Ref("x", row="b"), margin=margin)
    v = check(claim, [ours(a, row="a"), ours(b, row="b")])
    assert v.verdict == (REPRODUCED if a - b > margin else DIFFERS)
    assert check(claim.with_(above=b), [ours(a, row="a")]).verdict == v.verdict  # against a number


def test_a_finding_compares_texts_without_case() -> None:
    m = Measure("punished", "Yes")
    assert check(Claim.finding("c", "punished", SRC, "yes", Ref("punished")), [m]).verdict == REPRODUCED
    assert check(Claim.finding("c", "punished", SRC, "no", Ref("punished")), [m]).verdict == DIFFERS


def test_a_claim_whose_measure_is_missing_or_ambiguous_differs_and_says_why() -> None:
    claim = Claim.value("c", "x", SRC, 1.0, Ref("x", row="z"), tolerance=0.1, reason="r")
    v = check(claim, [ours(1.0, row="a")])
    assert v.verdict == DIFFERS and "not measured" in v.detail and "row=a" in v.detail
    v = check(claim.with_(refs=(Ref("x"),)), [ours(1.0, row="a"), ours(1.0, row="b")])
    assert v.verdict == DIFFERS and "2 measures match" in v.detail
    v = check(claim, [Measure("x", "text", setting={"row": "z"})])
    assert v.verdict == DIFFERS and "not a finite number" in v.detail
    v = check(claim, [ours(math.nan, row="z")])
    assert v.verdict == DIFFERS


@pytest.mark.parametrize("kwargs, message", [
    ({"id": "Bad Id"}, "lower-case"),
    ({"tolerance": -1.0}, "tolerance must be a finite number >= 0"),
    ({"tolerance": math.inf}, "tolerance must be a finite number >= 0"),
    ({"reason": ""}, "gives the reason for its tolerance"),
    ({"published": "high"}, "must be a number or a"),
    ({"published": (2.0, 1.0)}, "must be a number or a"),
])
def test_malformed_claims_are_refused_with_what_is_wrong(kwargs: dict, message: str) -> None:
    base = {"id": "c", "published": 1.0, "tolerance": 0.1, "reason": "r"}
    base.update(kwargs)
    with pytest.raises(ValueError, match=message):
        Claim.value(base["id"], "x", SRC, base["published"], Ref("x"), tolerance=base["tolerance"],
                    reason=base["reason"])


def test_published_values_are_attached_to_the_measure_a_claim_names_and_only_there() -> None:
    ms = [ours(0.5, row="a"), ours(0.6, row="b")]
    claim = Claim.value("c", "x", SRC, 0.55, Ref("x", row="b"), tolerance=0.1, reason="data set")
    out = attach_published(ms, [claim, Claim.greater("d", "b > a", SRC, Ref("x", row="b"), Ref("x", row="a"))])
    assert out[0].published is None
    assert out[1].published is not None and out[1].published.value == 0.55 and out[1].published.note == "data set"
    assert ms[1].published is None  # the measures given are not changed


def test_the_claims_table_fits_the_terminal_and_explains_every_claim_not_reproduced() -> None:
    ms = [Measure("accuracy of the judge after a debate of many rounds", 0.3, (0.2, 0.4), n=99, unit="%",
                  setting={"who": "mcts"})]
    claims = [Claim.value(f"c{i}", "a long claim text " * 4, f"{SRC} " * 3, 0.9, Ref(ms[0].name), tolerance=0.02,
                          reason="a reason " * 8, must_hold=i == 0) for i in range(3)]
    verdicts = [check(c, ms) for c in claims] + [not_checked(claims[0].with_(id="q"), "needs the full run", ms)]
    table = claims_table(verdicts, width=100)
    assert max(len(line) for line in table.splitlines()) <= 100
    assert table.count("differs") >= 3 and "(must hold)" in table and "a reason" in table
    assert "not checked: needs the full run" in table and "90.0%" in table


def test_every_scenarios_claims_are_well_formed_and_apply_to_its_reproduction_settings() -> None:
    found = discover_scenarios()
    assert sum(len(sc.claims) for sc in found.values()) > 0
    for sc in found.values():
        params = sc.reproduction_params(quick=False)
        for c in sc.claims:
            assert c.applies(params), f"{sc.name}/{c.id} does not apply to the reproduction settings"
            assert c.source and c.text
            if c.quick:
                assert c.applies(sc.reproduction_params(quick=True)), f"{sc.name}/{c.id} is quick but not at --quick"
