"""Repeated auctions (Banchio and Skrzypacz 2022): the stage game's rules against auction theory,
the kernel against its tables, and the stateless Q-learning engine against its reference and
against what it must learn in games whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import oversight_gym
from oversight_gym.envs.collusion.auction import AuctionGame, bid_grid, joint_index, rank_stage, stage_outcome
from oversight_gym.envs.collusion.auction_runs import optimistic_q0, run_auctions, split_config
from oversight_gym.envs.collusion.stateless_q import JointStage, Learning, reference_session, run_sessions

FEW = settings(max_examples=25, deadline=None)


@st.composite
def auctions(draw: st.DrawFn) -> AuctionGame:
    n = draw(st.integers(2, 3))
    k = draw(st.integers(2, 9))
    return AuctionGame(n_bidders=n, n_bids=k, value=draw(st.floats(0.5, 3.0)), a=draw(st.floats(1.0, 2.0)),
                       reserve=draw(st.sampled_from([0.0, 0.2, 0.45])))


def test_the_paper_grid_and_prices() -> None:
    assert np.allclose(bid_grid(19, 1.0), np.arange(1, 20) * 0.05)
    first, second = AuctionGame(a=1.0), AuctionGame(a=2.0)
    j = joint_index([18, 9], 19)  # bids 0.95 and 0.50
    assert first.price[j] == pytest.approx(0.95) and second.price[j] == pytest.approx(0.50)
    assert first.share[:, j].tolist() == [1.0, 0.0]
    assert AuctionGame(a=1.5).price[j] == pytest.approx(0.725)  # half way between the two rules


@FEW
@given(auctions(), st.data())
def test_second_price_bidding_the_highest_bid_up_to_value_is_a_best_response(game: AuctionGame,
                                                                             data: st.DataObject) -> None:
    """In the second-price stage game (a = 2) no bid earns more than the highest grid bid (all
    grid bids are below the value), whatever the others bid: truthful bidding is dominant."""
    game = AuctionGame(n_bidders=game.n_bidders, n_bids=game.n_bids, value=game.value, a=2.0, reserve=game.reserve)
    others = data.draw(st.lists(st.integers(0, game.n_bids - 1), min_size=game.n_bidders - 1,
                                max_size=game.n_bidders - 1))
    payoff = game.expected_payoffs
    values = [payoff[0, joint_index([b, *others], game.n_bids)] for b in range(game.n_bids)]
    assert values[-1] >= max(values) - 1e-12


@FEW
@given(auctions(), st.data())
def test_a_common_bid_splits_the_surplus_at_that_price(game: AuctionGame, data: st.DataObject) -> None:
    """Closed forms: if all bid b >= reserve, each expects (value - b) / n and revenue is b under
    every payment rule; the bidders' joint optimum is the lowest eligible bid at the lowest second price."""
    b = data.draw(st.integers(0, game.n_bids - 1))
    j = joint_index([b] * game.n_bidders, game.n_bids)
    bid = game.grid[b]
    if bid >= game.reserve:
        assert game.expected_payoffs[:, j] == pytest.approx((game.value - bid) / game.n_bidders)
        assert game.price[j] == pytest.approx(bid)
    else:
        assert (game.expected_payoffs[:, j] == 0).all() and game.price[j] == 0
    eligible = np.flatnonzero(game.grid >= game.reserve)
    if len(eligible):
        # the bidders' joint optimum: the lowest eligible bid wins, and the second price is the
        # reserve if the others can bid below it (else the same lowest bid)
        low = game.grid[eligible[0]]
        second = game.reserve if game.grid[0] < game.reserve else low
        optimum = game.value - ((2 - game.a) * low + (game.a - 1) * second)
        assert game.expected_payoffs.sum(axis=0).max() == pytest.approx(optimum)


@FEW
@given(st.lists(st.floats(0.0, 1.0), min_size=2, max_size=5), st.floats(1.0, 2.0), st.floats(0.0, 1.0))
def test_price_lies_between_second_and_highest_bid(bids: list[float], a: float, reserve: float) -> None:
    winners, price = stage_outcome(np.array(bids), a, reserve)
    eligible = [b for b in bids if b >= reserve]
    if not eligible:
        assert not winners.any() and price == 0.0
        return
    top = max(eligible)
    rest = sorted(eligible)[:-1]
    second = max(rest[-1] if rest else reserve, reserve)
    assert min(second, top) - 1e-12 <= price <= top + 1e-12
    assert winners.sum() == sum(b == top for b in eligible)


def test_kernel_pays_the_tables_and_draws_a_fair_lottery() -> None:
    env = oversight_gym.make_parallel("collusion/auction-v0", horizon=4000)
    env.reset(seed=0)
    wins = np.zeros(2)
    for _ in range(4000):
        _, rewards, _, _, _ = env.step({"bidder_0": 10, "bidder_1": 10})  # a tie at 0.55
        wins += np.array([rewards["bidder_0"], rewards["bidder_1"]]) > 0
        assert sorted(rewards.values()) == pytest.approx([0.0, 0.45])
    assert abs(wins[0] / 4000 - 0.5) < 4 * 0.5 / np.sqrt(4000)
    split = oversight_gym.make_parallel("collusion/auction-v0", tie_rule="split", max_cycles=3)
    split.reset(seed=0)
    _, rewards, _, _, _ = split.step({"bidder_0": 10, "bidder_1": 10})
    assert list(rewards.values()) == pytest.approx([0.225, 0.225])


def test_bad_parameters_are_named() -> None:
    with pytest.raises(ValueError, match="a must be in"):
        AuctionGame(a=0.5)
    with pytest.raises(ValueError, match="reserve must be at most value"):
        AuctionGame(reserve=2.0)
    with pytest.raises(ValueError, match="tie_rule must be one of"):
        AuctionGame(tie_rule="coin")
    with pytest.raises(ValueError, match="q0_high must be above q0"):
        Learning(q0=1.0, q0_high=0.5)
    with pytest.raises(ValueError, match="unknown learning option"):
        split_config({"beta": 1.0})


@pytest.mark.parametrize("synchronous", [False, True])
@pytest.mark.parametrize("tie_rule", ["random", "split"])
def test_engine_equals_reference(synchronous: bool, tie_rule: str) -> None:
    game = AuctionGame(n_bidders=3, n_bids=5, a=1.25, tie_rule=tie_rule)
    learning = Learning(periods=1500, eps0=0.3, eps_decay=1e-3, q0=0.0, q0_high=2.0, synchronous=synchronous)
    out = run_sessions(game.stage, learning, range(2, 5), seed=7, random_ties=tie_rule == "random")
    for row, session in enumerate(range(2, 5)):
        ref = reference_session(game.stage, learning, seed=7, session=session,
                                random_ties=tie_rule == "random")
        assert ref["stable"] == out["stable"][row] and ref["actions"].tolist() == out["actions"][row].tolist()


def test_a_session_depends_only_on_seed_and_id() -> None:
    game = AuctionGame()
    learning = Learning(periods=20_000, q0=0.0, q0_high=1.0)
    whole = run_sessions(game.stage, learning, 6, seed=3)
    part = run_sessions(game.stage, learning, range(4, 6), seed=3)
    assert (whole["actions"][4:] == part["actions"]).all()
    other = run_sessions(game.stage, learning, 6, seed=4)
    assert (whole["actions"] != other["actions"]).any()


def test_a_learner_facing_a_fixed_problem_finds_its_best_bid() -> None:
    """A decision problem whose answer is known: bidder 0 wins whenever it bids at least a
    reserve of 0.35 and pays its bid (whatever the other bids), so its best bid is the lowest
    grid bid at or above the reserve (0.4 on a grid of 0.1 steps)."""
    grid = bid_grid(9, 1.0)
    own = np.arange(9 * 9) % 9  # bidder 0's bid index in each joint profile
    share = np.zeros((2, 81))
    prize = np.zeros((2, 81))
    share[0] = grid[own] >= 0.35
    prize[0] = 1.0 - grid[own]
    learning = Learning(periods=20_000, gamma=0.0, q0=1.0, eps0=0.1, eps_decay=1e-4)
    out = run_sessions(JointStage(prize, share), learning, 4, seed=0)
    assert grid[out["actions"][:, 0]] == pytest.approx([0.4] * 4)


def test_optimistic_start_and_revenue_bookkeeping() -> None:
    game = AuctionGame()
    assert optimistic_q0(game, 0.99) == pytest.approx(95.0)
    out = run_auctions({"periods": 5000}, 3, seed=0)
    assert out["bids"].shape == (3, 2) and out["revenue"].shape == (3,)
    for bids, revenue in zip(out["bids"], out["revenue"], strict=True):
        assert revenue == pytest.approx(stage_outcome(bids, 1.0, 0.0)[1])


@FEW
@given(auctions(), st.booleans(), st.sampled_from(["random", "split"]), st.integers(0, 10**6))
def test_the_auction_as_a_contest_by_rank_is_its_tables(game: AuctionGame, synchronous: bool, tie_rule: str,
                                                        seed: int) -> None:
    """The auction's rules written by rank (own bid, highest rival bid, their number) are its
    joint tables: equal expected payoffs at every profile and identical learning sessions."""
    stage = rank_stage(game.n_bidders, game.grid, game.value, game.a, game.reserve)
    joint = stage.joint()
    assert (joint.share == game.share).all() and (joint.share * joint.prize == game.expected_payoffs).all()
    learning = Learning(periods=600, eps0=0.3, eps_decay=1e-3, q0=0.0, q0_high=2.0, synchronous=synchronous)
    ties = tie_rule == "random"
    by_rank = run_sessions(stage, learning, 3, seed=seed, random_ties=ties)
    by_table = run_sessions(game.stage, learning, 3, seed=seed, random_ties=ties)
    assert (by_rank["actions"] == by_table["actions"]).all() and (by_rank["stable"] == by_table["stable"]).all()
