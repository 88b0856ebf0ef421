"""Declared game parameters (oversight_gym.core.params): the checks, the registry's use of
them, the spaces the registrations declare, and the gaps they close."""

from __future__ import annotations

import inspect
import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import oversight_gym
from oversight_gym.core.params import (
    PAYOFF,
    Bool,
    Choice,
    Estimate,
    Int,
    Params,
    Real,
    Reals,
    Rule,
    Text,
    is_,
    is_not,
    validate,
    validated,
)
from oversight_gym.core.payoffs import ZeroSum
from oversight_gym.core.registry import spec

IDS = oversight_gym.registered_ids()


# --- one parameter ---------------------------------------------------------------------------
@given(st.integers(-5, 5))
def test_an_int_in_range_passes_as_a_python_int_whatever_its_numpy_type(v: int) -> None:
    for value in (v, np.int64(v), np.int8(v)):
        out = Int(-5, 5).check("n", value)
        assert out == v and type(out) is int


@pytest.mark.parametrize("value", [True, np.bool_(False), 2.0, "2", None, float("nan")])
def test_an_int_refuses_bools_floats_strings_and_none(value: object) -> None:
    with pytest.raises(ValueError, match=r"^n must be an integer in \[0, 9\], got "):
        Int(0, 9).check("n", value)


def test_an_int_out_of_range_says_the_range() -> None:
    with pytest.raises(ValueError, match=r"^n must be in \[0, 9\], got 10$"):
        Int(0, 9).check("n", 10)


@given(st.floats(0.0, 0.99))
def test_a_real_in_range_passes_as_a_float(v: float) -> None:
    for value in (v, np.float64(v), np.float32(v)):
        assert type(Real(0.0, 1.0, open_high=True).check("x", value)) is float


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan"), True, "0.5", None, [0.5]])
def test_a_real_refuses_non_finite_values_bools_and_other_types(value: object) -> None:
    with pytest.raises(ValueError, match=r"^x must be a finite number in"):
        Real().check("x", value)


def test_a_real_may_declare_infinity_allowed_but_never_nan() -> None:
    assert Real(0.0, finite=False).check("x", float("inf")) == float("inf")
    with pytest.raises(ValueError, match="x must be a number"):
        Real(finite=False).check("x", float("nan"))


@pytest.mark.parametrize(("param", "value", "interval"), [
    (Real(0.0, 1.0, open_low=True), 0.0, r"\(0, 1\]"),
    (Real(0.0, 1.0, open_high=True), 1.0, r"\[0, 1\)"),
    (Real(0.0), -1e-300, r"\[0, inf\)"),
])
def test_open_bounds_exclude_the_bound(param: Real, value: float, interval: str) -> None:
    with pytest.raises(ValueError, match=f"x must be in {interval}, got"):
        param.check("x", value)


def test_reals_take_a_number_or_a_sequence_and_name_the_bad_element() -> None:
    assert Reals(0.0).check("c", np.array([1, 2])) == (1.0, 2.0)
    assert Reals(0.0).check("c", 3) == 3.0
    with pytest.raises(ValueError, match=r"c\[1\] must be in \[0, inf\), got -1"):
        Reals(0.0).check("c", [1.0, -1])
    with pytest.raises(ValueError, match=r"c\[0\] must be a finite number"):
        Reals(0.0).check("c", [float("inf")])


def test_a_choice_does_not_take_true_for_1_nor_1_for_a_string() -> None:
    c = Choice(1, 2, "a")
    assert c.check("k", np.int64(2)) == 2
    for bad in (True, "1", "A", None):
        with pytest.raises(ValueError, match=r"k must be one of \[1, 2, 'a'\]"):
            c.check("k", bad)


def test_bool_text_and_instance() -> None:
    assert Bool().check("b", np.bool_(True)) is True
    with pytest.raises(ValueError, match="b must be True or False, got 1"):
        Bool().check("b", 1)

    def parse(s: str) -> None:
        if s != "ok":
            raise ValueError(f"must be 'ok', got {s!r}")

    assert Text(parse).check("name", "ok") == "ok"
    with pytest.raises(ValueError, match="^name: must be 'ok', got 'no'$"):
        Text(parse).check("name", "no")
    assert PAYOFF.check("payoff", None) is None and isinstance(PAYOFF.check("payoff", ZeroSum()), ZeroSum)
    with pytest.raises(ValueError, match="payoff must be a payoff scheme"):
        PAYOFF.check("payoff", "zero-sum")


# --- a declaration ---------------------------------------------------------------------------
DECL = Params(
    {"kind": Choice("a", "b"), "size": Int(1, 100), "p": Real(0.0, 1.0, when=is_("kind", "b")),
     "q": Int(0, 9, none=True, when=is_not("kind", "b"))},
    rules=[Rule(("size", "q"), lambda c: c["q"] is None or c["q"] <= c["size"], "q must be at most size"),
           Estimate(("size",), lambda c: float(c["size"]) ** 10, 1e12, "cells")],
)
DEFAULTS = {"kind": "a", "size": 2, "p": 0.5, "q": None}


def test_validate_fills_in_the_defaults_and_normalises() -> None:
    assert validate(DECL, {"size": np.int64(3)}, DEFAULTS) == {"kind": "a", "size": 3, "p": 0.5, "q": None}


def test_an_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match="unknown parameter colour; the parameters are: kind, size, p, q"):
        validate(DECL, {"colour": 1}, DEFAULTS)


def test_a_parameter_that_does_not_apply_is_an_error_saying_when_it_applies() -> None:
    with pytest.raises(ValueError, match="^p applies only when kind is 'b'; got p=0.3 with kind='a'$"):
        validate(DECL, {"p": 0.3}, DEFAULTS)
    with pytest.raises(ValueError, match="^q applies only when kind is not 'b'; got q=1 with kind='b'$"):
        validate(DECL, {"kind": "b", "q": 1}, DEFAULTS)
    # its default is the same as not giving it
    assert validate(DECL, {"p": 0.5}, DEFAULTS)["p"] == 0.5
    assert validate(DECL, {"kind": "b", "p": 0.25}, DEFAULTS)["p"] == 0.25


@pytest.mark.parametrize("same", [0.5, np.float32(0.5), np.float64(0.5)])
def test_the_default_of_a_parameter_that_does_not_apply_may_be_given_in_any_numeric_type(same: object) -> None:
    assert validate(DECL, {"p": same}, DEFAULTS)["kind"] == "a"
    assert validate(DECL, {"kind": "b", "q": None}, DEFAULTS)["kind"] == "b"
    assert validate(Params({"k": Choice("a", "b"), "r": Real(when=is_("k", "b"))}), {"r": 0}, {"k": "a", "r": 0.0})
    with pytest.raises(ValueError, match="applies only when"):  # a bool is not the number 0
        validate(Params({"k": Choice("a", "b"), "r": Int(when=is_("k", "b"))}), {"r": False}, {"k": "a", "r": 0})


def test_rules_and_estimates_name_their_parameters() -> None:
    with pytest.raises(ValueError, match="^q must be at most size; got size=2, q=3$"):
        validate(DECL, {"q": 3}, DEFAULTS)
    with pytest.raises(ValueError, match=r"^size=100: 1e\+20 cells would need ~693.9 EiB of memory"):
        validate(DECL, {"size": 100}, DEFAULTS)


def test_validated_checks_positional_and_keyword_arguments_of_a_constructor() -> None:
    class Toy:
        @validated(Params({"size": Int(1, 9), "flag": Bool()}))
        def __init__(self, size: int = 2, flag: bool = False) -> None:
            self.size, self.flag = size, flag

    assert Toy(np.int64(3), flag=np.bool_(True)).size == 3
    with pytest.raises(ValueError, match="size must be in"):
        Toy(0)
    with pytest.raises(ValueError, match="unknown parameter colour"):
        Toy(colour=2)
    with pytest.raises(TypeError, match="two values for size"):
        Toy(3, size=4)


# --- the registry ----------------------------------------------------------------------------
@pytest.mark.parametrize("env_id", IDS)
def test_every_game_declares_every_parameter_of_its_factory(env_id: str) -> None:
    s = spec(env_id)
    decl = s.parameters()
    assert decl is not None, f"{env_id} declares no parameters (PARAMS on its class, or register(params=...))"
    sig = inspect.signature(s.game_factory())
    named = {n for n, p in sig.parameters.items() if p.kind is not inspect.Parameter.VAR_KEYWORD}
    assert named <= set(decl.names), f"{env_id}: undeclared {named - set(decl.names)}"
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in sig.parameters.values()):
        assert set(decl.names) <= named, f"{env_id}: declared but not taken: {set(decl.names) - named}"
    assert set(s.defaults()) >= set(decl.names) - {"payoff"}


def _space_configs(space: tuple) -> list[dict]:
    out = []
    for branch in space:
        dims = [[*range(d[0], d[1] + 1)] if isinstance(d, tuple) else d for d in branch.values()]
        out.extend(dict(zip(branch, combo, strict=True)) for combo in itertools.product(*dims))
    return out


@pytest.mark.parametrize("env_id", IDS)
def test_every_configuration_of_the_declared_space_passes_validation(env_id: str) -> None:
    """What property tests draw (``space=``) is within what the game declares valid."""
    s = spec(env_id)
    for config in _space_configs(s.space):
        s.validate(**config)


def test_make_refuses_an_unknown_parameter_listing_the_known_ones() -> None:
    with pytest.raises(ValueError, match="unknown parameter colour; the parameters are: n_firms, a, a0"):
        oversight_gym.make("collusion/pricing-v0", colour="red")


def test_register_params_declares_a_factory_function_and_make_game_checks_it() -> None:
    from oversight_gym.core.registry import _REGISTRY, register

    def build(n: int = 2, payoff=None):  # noqa: ANN001, ANN202 - a factory without its own checks
        return oversight_gym.make_game("collusion/feature-debate-v0", n_features=2 * n + 1, payoff=payoff)

    register("toy/params-check-v0", build, "a factory function with declared parameters",
             params={"n": Int(1, 7), "payoff": PAYOFF})
    try:
        assert oversight_gym.make_game("toy/params-check-v0", n=np.int64(3)).n_features == 7
        with pytest.raises(ValueError, match=r"n must be in \[1, 7\], got 8"):
            oversight_gym.make_game("toy/params-check-v0", n=8)
    finally:
        del _REGISTRY["toy/params-check-v0"]


# --- the gaps, each with its parameter named -------------------------------------------------
@pytest.mark.parametrize(("env_id", "kwargs", "match"), [
    # these gave NaN rewards
    ("collusion/pricing-v0", {"xi": float("inf")}, "xi must be a finite number"),
    ("feedback/constitutional-v0", {"noise": float("inf")}, "noise must be a finite number"),
    ("feedback/constitutional-v0", {"tail": float("inf")}, "tail must be a finite number"),
    # this was silently ignored
    ("debate/recursive-v1", {"kind": "obfuscated", "leaf_p": 0.3},
     "leaf_p applies only when kind is not 'obfuscated'; got leaf_p=0.3 with kind='obfuscated'"),
    # a degenerate market: no trade, and the Nash and monopoly prices coincide
    ("collusion/pricing-v0", {"a": -1}, r"\(a - c - a0\) / mu must be >= -2 .*degenerate market.*got a=-1"),
    ("collusion/pricing-v0", {"n_firms": 1}, r"n_firms must be in \[2, 64\]"),
    # the monopoly price's optimiser stopped short (a wrong price grid, without an error)
    ("collusion/pricing-v0", {"a": 1e12}, r"a must be in \[-1e\+06, 1e\+06\], got 1000000000000.0"),
    # this tried to allocate 21.8 TiB
    ("collusion/pricing-v0", {"m": 10_000, "n_firms": 3}, "would need ~21.8 TiB of memory"),
])
def test_each_gap_is_closed_on_both_paths(env_id: str, kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        oversight_gym.make(env_id, **kwargs)
    with pytest.raises(ValueError, match=match):
        spec(env_id).game_factory()(**kwargs)  # the class itself, as library code builds it


@settings(max_examples=20, deadline=None)
@given(xi=st.floats(0.0, 10.0), a=st.floats(0.5, 4.0), mu=st.floats(0.05, 2.0))
def test_a_market_the_declaration_accepts_has_finite_profits_and_a_real_price_range(xi, a, mu) -> None:
    from oversight_gym.envs.collusion.pricing import MIN_MARGIN

    kwargs = {"xi": xi, "a": a, "mu": mu, "m": 5}
    try:
        spec("collusion/pricing-v0").validate(**kwargs)
    except ValueError as err:
        assert (a - 1.0) / mu < MIN_MARGIN and "degenerate" in str(err)
        return
    game = oversight_gym.make_game("collusion/pricing-v0", **kwargs)
    assert np.all(np.isfinite(game.profits))
    assert np.all(game.p_monopoly - game.p_nash > 1e-3 * mu)


# --- the helper for non-game code ------------------------------------------------------------
def test_check_float_applies_the_rule_of_a_declared_real() -> None:
    from oversight_gym.core.errors import check_float

    assert check_float("lr", "0.5", 0.0, 1.0) == 0.5 and check_float("lr", np.float32(0.25)) == 0.25
    assert check_float("beta", float("inf"), 0.0, finite=False) == float("inf")
    for value in (float("inf"), float("-inf"), float("nan")):
        with pytest.raises(ValueError, match=r"^lr must be a finite number in \[0, inf\), got "):
            check_float("lr", value, 0.0)
    with pytest.raises(ValueError, match=r"^lr must be in \[0, 1\], got 2.0$"):
        check_float("lr", 2, 0.0, 1.0)
    with pytest.raises(ValueError, match=r"^lr must be a finite number in \(-inf, inf\), got 'fast'$"):
        check_float("lr", "fast")
