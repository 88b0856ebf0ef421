"""The homogeneous-good market of Asker, Fershtman and Pakes (2022): its profits against their
closed forms, its static Nash prices, and the theory of synchronous learners."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import oversight_gym
from oversight_gym.envs.collusion.homogeneous_pricing import HomogeneousPricingGame, static_nash
from oversight_gym.envs.collusion.memoryless import run_markets
from oversight_gym.envs.collusion.pricing import joint_index


def test_the_paper_grid_has_its_two_static_nash_prices() -> None:
    """The setup's stated fact: on 100 prices over [0.01, 10] with cost 2 the symmetric static
    Nash prices are 2.0282 and 2.1291."""
    assert HomogeneousPricingGame().nash_prices.round(4).tolist() == [2.0282, 2.1291]


@settings(max_examples=30, deadline=None)
@given(st.integers(2, 3), st.integers(3, 12), st.floats(0.0, 3.0), st.data())
def test_profits_match_their_closed_forms(n: int, m: int, cost: float, data: st.DataObject) -> None:
    """All at one price p <= value: each earns (p - cost) / n (the joint optimum is everyone at the
    value, the highest price that sells); a firm alone at the lowest price earns p - cost and the
    others nothing."""
    game = HomogeneousPricingGame(n_firms=n, m=m, p_low=0.5, p_high=10.0, cost=cost, value=10.0)
    k = data.draw(st.integers(0, m - 1))
    j = joint_index([k] * n, m)
    assert game.expected_payoffs[:, j] == pytest.approx((game.grid[k] - cost) / n)
    best = joint_index([m - 1] * n, m)
    assert game.expected_payoffs.sum(axis=0).max() == pytest.approx(10.0 - cost)  # the joint optimum ...
    assert game.expected_payoffs[:, best].sum() == pytest.approx(10.0 - cost)  # ... is everyone at the value
    if k + 1 < m:
        j = joint_index([k] + [k + 1] * (n - 1), m)
        assert game.expected_payoffs[:, j].tolist() == pytest.approx([game.grid[k] - cost] + [0.0] * (n - 1))


def test_static_nash_undercutting() -> None:
    grid = np.array([1.0, 2.0, 3.0, 4.0])
    assert static_nash(grid, 1.0, 10.0, 2) == [0, 1, 2]  # at 3: a half of 2 equals undercutting to 2
    assert static_nash(grid, 1.0, 10.0, 3) == [0, 1]


def test_a_price_above_the_value_does_not_sell() -> None:
    game = HomogeneousPricingGame(m=5, p_low=2.0, p_high=12.0, cost=1.0, value=10.0)
    top = joint_index([4, 4], 5)  # both at 12 > value
    assert (game.expected_payoffs[:, top] == 0).all()


@settings(max_examples=12, deadline=None)
@given(st.integers(2, 3), st.integers(4, 25), st.floats(0.0, 2.0), st.integers(0, 10**6))
def test_synchronous_learners_never_end_above_the_competitive_price(n: int, m: int, cost: float, seed: int) -> None:
    """Updating every price against the rivals' realised prices, a settled learner's greedy price
    is a best response, so the market ends at a static Nash price: never above the highest one."""
    config = {"n_firms": n, "m": m, "p_low": 0.5, "p_high": 10.0, "cost": cost, "synchronous": True,
              "periods": 3000, "window": 500}
    out = run_markets(config, 8, seed=seed)
    game = HomogeneousPricingGame(n_firms=n, m=m, p_low=0.5, p_high=10.0, cost=cost)
    settled = out["converged"]
    assert settled.any()
    assert (out["prices"][settled].min(axis=1) <= game.nash_prices.max() + 1e-12).all()


def test_registered_and_refuses_bad_markets() -> None:
    env = oversight_gym.make_parallel("collusion/homogeneous-pricing-v0", m=10, horizon=2)
    env.reset(seed=0)
    _, rewards, _, _, _ = env.step({"firm_0": 3, "firm_1": 5})
    assert rewards["firm_1"] == 0.0 and rewards["firm_0"] > 0
    with pytest.raises(ValueError, match="p_low must be below p_high"):
        HomogeneousPricingGame(p_low=5.0, p_high=1.0)
    with pytest.raises(ValueError, match="would need"):
        HomogeneousPricingGame(n_firms=5, m=100)
