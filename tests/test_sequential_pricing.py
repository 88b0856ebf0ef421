"""Sequential pricing (Klein 2021): the stage profits against their closed forms, the equilibrium
test against cases whose answer is known, the kernel against its table, and the compiled
Q-learning engine against its readable reference."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import oversight_gym
from oversight_gym.envs.collusion.klein import KleinConfig, classify, deviation_path, reference_run, run_runs
from oversight_gym.envs.collusion.sequential_pricing import (
    SequentialPricingGame,
    best_response_q,
    is_equilibrium,
    price_grid,
    profit_table,
)


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 40).map(lambda h: 2 * h))
def test_profits_at_the_joint_optimum_and_at_cost(k: int) -> None:
    """Closed forms: both at 1/2 share the monopoly profit 1/4 (1/8 each); both at cost earn 0;
    the lower price takes p (1 - p); a higher price earns nothing."""
    table = profit_table(k)
    half = k // 2
    assert table[half, half] == pytest.approx(0.125)
    assert table[0, 0] == 0.0
    p = price_grid(k)
    for own in range(k):
        assert table[own, own + 1] == pytest.approx(p[own] * (1 - p[own]))
        assert table[own + 1, own] == 0.0
    assert SequentialPricingGame(k=k).monopoly_profit == pytest.approx(0.125)


def test_best_response_to_a_rival_who_always_charges_one_is_the_monopoly_price() -> None:
    k = 6
    q = best_response_q(profit_table(k), np.full(k + 1, k), 0.95)
    # where the rival stands above 1/2, the monopoly price earns most now and next period
    assert (q.argmax(axis=1)[k // 2 + 1:] == k // 2).all()


def test_equilibrium_test_on_known_cases() -> None:
    k, delta = 6, 0.95
    table = profit_table(k)
    cost = np.zeros((2, k + 1), dtype=np.int64)  # both always price at cost
    assert is_equilibrium(table, cost, delta, states=[[0], [0]])  # at cost nothing earns more than 0
    assert not is_equilibrium(table, cost, delta)  # but undercutting a high standing price pays once
    stay = np.full((2, k + 1), k // 2)  # both always charge 1/2 whatever the rival does: undercutting pays
    assert not is_equilibrium(table, stay, delta, states=[[k // 2], [k // 2]])
    info = classify(KleinConfig(k=k), stay, np.array([k // 2, k // 2]), periods=10)
    assert info["cycle_length"] == 2 and info["joint_profit"] and not info["equilibrium"]
    assert info["cycle_profit"] == pytest.approx(0.125)


def test_a_forced_undercut_path_starts_one_step_below() -> None:
    k = 6
    stay = np.full((2, k + 1), k // 2)
    path = deviation_path(KleinConfig(k=k), stay, np.array([3, 3]), periods=10, moves=4)
    assert path[0].tolist() == [3, 3] and path[1].tolist() == [2, 3]


def test_kernel_pays_the_table() -> None:
    env = oversight_gym.make("collusion/sequential-pricing-v0", horizon=4)
    env.reset(seed=0, options={"initial_prices": [6, 6]})
    table = profit_table(6)
    env.step(3)  # firm_0 undercuts to 1/2 against 1
    assert env.rewards["firm_0"] == pytest.approx(table[3, 6]) and env.rewards["firm_1"] == 0.0


@pytest.mark.parametrize("k", [2, 6])
def test_engine_equals_reference(k: int) -> None:
    cfg = KleinConfig(k=k, periods=5000, window=200)
    out = run_runs(cfg, range(1, 4), seed=9)
    for row, run in enumerate(range(1, 4)):
        ref = reference_run(cfg, seed=9, run=run)
        assert (ref["policies"] == out["policies"][row]).all()
        assert (ref["final_prices"] == out["final_prices"][row]).all()
        assert np.array_equal(ref["profits"], out["profits"][row])


def test_bad_parameters_are_named() -> None:
    with pytest.raises(ValueError, match="alpha"):
        KleinConfig(alpha=0.0)
    with pytest.raises(ValueError, match="eps_end"):
        KleinConfig(eps_end=0.0)
    with pytest.raises(ValueError, match="k must be in"):
        SequentialPricingGame(k=0)
