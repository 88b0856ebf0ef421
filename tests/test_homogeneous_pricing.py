"""The homogeneous-good market of Asker, Fershtman and Pakes (2022): its profits against their
closed forms for any number of firms, its static Nash prices, the contest by rank against the
joint tables it replaces, and the theory of synchronous learners."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import oversight_gym
from oversight_gym.envs.collusion.homogeneous_pricing import HomogeneousPricingGame, static_nash
from oversight_gym.envs.collusion.memoryless import ASKER, run_markets
from oversight_gym.envs.collusion.stateless_q import JointStage, Learning, reference_session, run_sessions


def test_the_paper_grid_has_its_two_static_nash_prices() -> None:
    """The setup's stated fact: on 100 prices over [0.01, 10] with cost 2 the symmetric static
    Nash prices are 2.0282 and 2.1291."""
    assert HomogeneousPricingGame().nash_prices.round(4).tolist() == [2.0282, 2.1291]


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 40), st.integers(3, 30), st.floats(0.0, 3.0), st.data())
def test_profits_match_their_closed_forms(n: int, m: int, cost: float, data: st.DataObject) -> None:
    """For any number of firms: all at one price p <= value, each earns (p - cost) / n; a firm
    alone at the lowest price earns p - cost and the others nothing; the joint optimum is everyone
    at the value (the highest price that sells), value - cost in all, which no profile beats; at
    a static Nash price no firm gains by any deviation."""
    game = HomogeneousPricingGame(n_firms=n, m=m, p_low=0.5, p_high=10.0, cost=cost, value=10.0)
    k = data.draw(st.integers(0, m - 1))
    assert game.profits([k] * n) == pytest.approx([(game.grid[k] - cost) / n] * n)
    if k + 1 < m:
        assert game.profits([k] + [k + 1] * (n - 1)).tolist() == pytest.approx([game.grid[k] - cost] + [0.0] * (n - 1))
    assert game.profits([m - 1] * n).sum() == pytest.approx(10.0 - cost)  # the joint optimum
    other = data.draw(st.lists(st.integers(0, m - 1), min_size=n, max_size=n))
    assert game.profits(other).sum() <= 10.0 - cost + 1e-9
    for p in static_nash(game.grid, cost, 10.0, n):
        at_nash = game.profits([p] * n)[0]
        assert at_nash == pytest.approx((game.grid[p] - cost) / n)
        assert max(game.profits([b] + [p] * (n - 1))[0] for b in range(m)) <= at_nash + 1e-12


def test_static_nash_undercutting() -> None:
    grid = np.array([1.0, 2.0, 3.0, 4.0])
    assert static_nash(grid, 1.0, 10.0, 2) == [0, 1, 2]  # at 3: a half of 2 equals undercutting to 2
    assert static_nash(grid, 1.0, 10.0, 3) == [0, 1]


def test_a_price_above_the_value_does_not_sell() -> None:
    game = HomogeneousPricingGame(m=5, p_low=2.0, p_high=12.0, cost=1.0, value=10.0)
    assert game.profits([4, 4]).tolist() == [0.0, 0.0]  # both at 12 > value
    assert game.profits([3, 4]).tolist() == [game.grid[3] - 1.0, 0.0]


@settings(max_examples=10, deadline=None)
@given(st.integers(2, 3), st.integers(3, 9), st.booleans(), st.integers(0, 10**6))
def test_the_contest_by_rank_is_the_joint_tables(n: int, m: int, synchronous: bool, seed: int) -> None:
    """The rank stage and the tables over joint prices it replaces are one game: equal payoffs at
    every joint price, and identical learning sessions."""
    game = HomogeneousPricingGame(n_firms=n, m=m, p_low=0.5, cost=2.0)
    joint = game.stage.joint()
    digits = np.indices((m,) * n).reshape(n, -1)[::-1]  # firm 0 the lowest digit
    for j in range(m**n):
        assert (joint.share[:, j] * joint.prize[:, j]).tolist() == game.profits(digits[:, j]).tolist()
    learning = Learning(**{**ASKER, "eps0": 0.2, "eps_decay": 1e-3, "periods": 1500, "synchronous": synchronous})
    by_rank, by_table = run_sessions(game.stage, learning, 4, seed=seed), run_sessions(joint, learning, 4, seed=seed)
    assert (by_rank["actions"] == by_table["actions"]).all() and (by_rank["stable"] == by_table["stable"]).all()


@pytest.mark.parametrize("synchronous", [False, True])
def test_many_firms_engine_equals_reference(synchronous: bool) -> None:
    game = HomogeneousPricingGame(n_firms=9, m=6, p_low=0.5, cost=2.0)
    learning = Learning(**{**ASKER, "eps0": 0.3, "eps_decay": 2e-3, "periods": 800, "synchronous": synchronous})
    out = run_sessions(game.stage, learning, range(3, 5), seed=2)
    for row, session in enumerate(range(3, 5)):
        ref = reference_session(game.stage, learning, seed=2, session=session)
        assert ref["stable"] == out["stable"][row] and ref["actions"].tolist() == out["actions"][row].tolist()


@settings(max_examples=12, deadline=None)
@given(st.integers(2, 12), st.integers(4, 25), st.floats(0.0, 2.0), st.integers(0, 10**6))
def test_synchronous_learners_never_end_above_the_competitive_price(n: int, m: int, cost: float, seed: int) -> None:
    """Updating every price against the rivals' realised prices, a settled learner's greedy price
    is a best response, so the market ends at a static Nash price: never above the highest one,
    whatever the number of firms."""
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
    with pytest.raises(ValueError, match="n_firms"):
        HomogeneousPricingGame(n_firms=1)
    assert HomogeneousPricingGame(n_firms=50, m=100).stage.prize.shape == (100, 100)  # no tables of 100^50 prices
    with pytest.raises(ValueError, match="JointStage or a RankStage"):
        run_sessions(np.zeros((2, 4)), Learning(periods=1), 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="actions must be one per player"):
        HomogeneousPricingGame().profits([1, 2, 3])
    assert isinstance(HomogeneousPricingGame(n_firms=2, m=4).stage.joint(), JointStage)
