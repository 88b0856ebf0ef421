"""The pricing game of Calvano et al. (2020): logit demand against its first-order conditions,
Nash and monopoly solutions, the price grid, the kernel and its views, the overseer, the
Q-learning agent through the Agent protocol, and clear errors for bad parameters."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pettingzoo.test import api_test, parallel_api_test

import oversight_gym
from oversight_gym.agents.learning.qlearning import QLearningAgent
from oversight_gym.envs.collusion.calvano import CalvanoConfig, pricing_q_agent
from oversight_gym.envs.collusion.pricing import (
    LogitDemand,
    PricingGame,
    joint_index,
    parallel_env,
    price_grid,
    profit_table,
    raw_env,
)
from oversight_gym.testing import check_determinism, check_env_contract

FEW = settings(max_examples=15, deadline=None)


def demands() -> st.SearchStrategy[LogitDemand]:
    """Markets with 1-3 firms, asymmetric qualities and costs, any differentiation."""

    @st.composite
    def build(draw: st.DrawFn) -> LogitDemand:
        n = draw(st.integers(1, 3))
        a = [draw(st.floats(1.0, 3.0)) for _ in range(n)]
        c = [draw(st.floats(0.2, 1.5)) for _ in range(n)]
        return LogitDemand(n, a, draw(st.floats(-1.0, 1.0)), c, draw(st.floats(0.05, 2.0)))

    return build()


def test_baseline_numbers_match_the_paper() -> None:
    d = LogitDemand()  # n = 2, a = 2, a0 = 0, c = 1, mu = 1/4
    p_n, pi_n = d.nash
    p_m, pi_m = d.monopoly
    np.testing.assert_allclose(p_n, 1.47293, atol=5e-6)
    np.testing.assert_allclose(p_m, 1.92498, atol=5e-6)
    np.testing.assert_allclose(pi_n, 0.22293, atol=5e-6)
    np.testing.assert_allclose(pi_m, 0.33749, atol=5e-6)


@FEW
@given(demands(), st.data())
def test_demand_is_a_logit_share_and_profit_is_margin_times_demand(d: LogitDemand, data: st.DataObject) -> None:
    p = np.array([data.draw(st.floats(0.0, 4.0)) for _ in range(d.n)])
    q = d.quantities(p)
    # the outside good keeps a share, though it can round away in floating point when a0 is
    # far below the firms' utilities
    outside = 1.0 - q.sum()
    assert np.all(q > 0) and outside >= -1e-12
    u = np.exp((d.qualities - p) / d.mu)
    np.testing.assert_allclose(q, u / (u.sum() + np.exp(d.a0 / d.mu)), rtol=1e-10)
    np.testing.assert_allclose(d.profits(p), (p - d.costs) * q, rtol=1e-10)
    # demand falls in the own price and rises in a rival's
    up = p.copy()
    up[0] += 0.1
    after = d.quantities(up)
    assert after[0] <= q[0] and np.all(after[1:] >= q[1:])
    if outside > 1e-9 and q[0] > 1e-9:  # strictly, unless a share rounds to 0 or 1
        assert after[0] < q[0]
        assert np.all(after[1:] > q[1:])


@FEW
@given(demands())
def test_nash_prices_solve_every_first_order_condition_and_are_best_responses(d: LogitDemand) -> None:
    p, pi = d.nash
    assert np.max(np.abs(d.foc(p))) < 1e-9
    # the FOC is the derivative of profit: check it by finite differences
    h = 1e-6
    for i in range(d.n):
        up, down = p.copy(), p.copy()
        up[i] += h
        down[i] -= h
        assert (d.profits(up)[i] - d.profits(down)[i]) / (2 * h) == pytest.approx(0.0, abs=1e-6)
        # no unilateral deviation on a fine range pays
        for x in np.linspace(d.costs[i], p[i] + 3 * d.mu, 301):
            trial = p.copy()
            trial[i] = x
            assert d.profits(trial)[i] <= pi[i] + 1e-12
        assert d.best_response(p, i) == pytest.approx(p[i], abs=1e-8)


@FEW
@given(demands())
def test_monopoly_prices_maximise_joint_profit(d: LogitDemand) -> None:
    p_m, pi_m = d.monopoly
    p_n, pi_n = d.nash
    assert pi_m.sum() >= pi_n.sum() - 1e-12
    rng = np.random.default_rng(0)
    for _ in range(50):
        trial = p_m + rng.normal(0, 0.05, d.n)
        assert d.profits(trial).sum() <= pi_m.sum() + 1e-10
    if d.n > 1 and np.ptp(d.qualities) == 0 and np.ptp(d.costs) == 0:
        assert np.all(p_m > p_n)  # symmetric firms: the cartel prices above Nash


def test_price_grid_spans_nash_and_monopoly_with_the_margin_xi() -> None:
    d = LogitDemand()
    g = price_grid(d, 15, 0.1)
    span = d.monopoly[0] - d.nash[0]
    assert g.shape == (2, 15)
    np.testing.assert_allclose(g[:, 0], d.nash[0] - 0.1 * span)
    np.testing.assert_allclose(g[:, -1], d.monopoly[0] + 0.1 * span)
    np.testing.assert_allclose(np.diff(g, axis=1), 1.2 * span[0] / 14)
    exact = price_grid(d, 2, 0.0)
    np.testing.assert_allclose(exact[:, 0], d.nash[0])
    np.testing.assert_allclose(exact[:, 1], d.monopoly[0])


@FEW
@given(st.integers(1, 3), st.integers(2, 5), st.data())
def test_profit_table_is_indexed_by_the_joint_action(n: int, m: int, data: st.DataObject) -> None:
    d = LogitDemand(n)
    grid = price_grid(d, m, 0.1)
    table = profit_table(d, grid)
    acts = [data.draw(st.integers(0, m - 1)) for _ in range(n)]
    prices = grid[np.arange(n), acts]
    np.testing.assert_allclose(table[:, joint_index(acts, m)], d.profits(prices), rtol=1e-12)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"mu": 0.0}, r"mu must be in \(0, 1e\+06\]"),
    ({"mu": -0.25}, r"mu must be in \(0, 1e\+06\], got -0.25"),
    ({"m": 1}, r"m must be in \[2"),
    ({"k": 0}, r"k must be in \[1"),
    ({"n_firms": 0}, r"n_firms must be in \[2"),
    ({"delta": 1.0}, r"delta must be in \[0, 1\)"),
    ({"xi": -0.1}, r"xi must be in \[0"),
    ({"xi": float("inf")}, r"xi must be a finite number"),
    ({"a": [2.0, 2.0, 2.0]}, "a must be a number or a sequence of n_firms numbers"),
    ({"a": -1.0}, r"\(a - c - a0\) / mu must be >= -2 .* degenerate market"),
    ({"n_firms": 3, "m": 10_000}, r"m=10000, n_firms=3: .* would need ~21.8 TiB of memory"),
    ({"audit_prob": 1.5}, "audit_prob"),
    ({"fine": -1.0}, "fine"),
])
def test_bad_market_parameters_get_clear_errors(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        PricingGame(**kwargs)
    with pytest.raises(ValueError, match=match):
        oversight_gym.make("collusion/pricing-v0", **kwargs)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"alpha": -0.1}, r"alpha \(the learning rate\) must be in \(0, 1\], got -0.1"),
    ({"alpha": 0.0}, "alpha"),
    ({"alpha": 1.5}, "alpha"),
    ({"beta": -1e-6}, "beta"),
    ({"mu": 0.0}, r"mu must be in \(0, 1e\+06\]"),
    ({"m": 1}, "m must be in"),
    ({"window": 0}, "window"),
])
def test_bad_learning_parameters_get_clear_errors(kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        CalvanoConfig(**kwargs)


def test_agent_rejects_a_negative_learning_rate() -> None:
    with pytest.raises(ValueError, match="alpha"):
        QLearningAgent(alpha=-0.5)


def test_three_firm_market_passes_the_pettingzoo_and_determinism_checks() -> None:
    kw = {"n_firms": 3, "m": 4, "k": 2, "horizon": 6, "audit_prob": 0.5, "fine": 0.1}
    api_test(raw_env(**kw), num_cycles=30)
    parallel_api_test(parallel_env(**kw), num_cycles=30)
    check_env_contract(lambda: oversight_gym.make("collusion/pricing-v0", **kw), num_cycles=30, episodes=2)
    check_determinism(lambda: oversight_gym.make("collusion/pricing-v0", **kw), seeds=(0, 1), episodes=2)


def test_parallel_env_rewards_are_profits_and_observations_the_last_k_prices() -> None:
    env = oversight_gym.make_parallel("collusion/pricing-v0", k=2, horizon=3)
    obs, _ = env.reset(seed=3)
    game = env.game
    first = obs["firm_0"]["observation"]
    assert first.shape == (4,) and obs["firm_1"]["observation"].tolist() == first.tolist()
    obs, rewards, terms, truncs, _ = env.step({"firm_0": 14, "firm_1": 2})
    prices = np.array([game.grid[0, 14], game.grid[1, 2]])
    expected = game.demand.profits(prices)
    assert rewards["firm_0"] == pytest.approx(expected[0]) and rewards["firm_1"] == pytest.approx(expected[1])
    assert rewards["firm_1"] > rewards["firm_0"]  # the cheaper firm sells more
    # the newest prices first, then the previous period (the first period's initial prices)
    assert obs["firm_0"]["observation"].tolist() == [14.0, 2.0, *first[:2].tolist()]
    assert not any(terms.values())
    env.step({"firm_0": 0, "firm_1": 0})
    _, _, terms, _, infos = env.step({"firm_0": 0, "firm_1": 0})
    assert all(terms.values()) and env.agents == []
    out = infos["firm_0"]["outcome"]
    assert out["periods"] == 3


def test_reset_option_sets_the_initial_prices() -> None:
    env = oversight_gym.make_parallel("collusion/pricing-v0", k=1)
    obs, _ = env.reset(seed=0, options={"initial_prices": [3, 7]})
    assert obs["firm_0"]["observation"].tolist() == [3.0, 7.0]
    with pytest.raises(ValueError, match="initial_prices"):
        env.reset(seed=0, options={"initial_prices": [3, 70]})


def test_regulator_fines_prices_above_the_threshold_when_it_audits() -> None:
    game = PricingGame(audit_prob=1.0, fine=0.5)
    assert game.p_nash[0] < game.audit_threshold < game.p_monopoly[0]
    state = game.new_initial_state(np.random.default_rng(0))
    state.apply_joint_action([14, 0])  # firm 0 above the threshold, firm 1 below
    profit = game.profits[:, joint_index([14, 0], 15)]
    np.testing.assert_allclose(state.returns(), profit - np.array([0.5, 0.0]))
    assert state.outcome()["detections"] == 1 and state.outcome()["audits"] == 1
    # never audited: no fines
    quiet = PricingGame(audit_prob=0.0, fine=0.5).new_initial_state(np.random.default_rng(0))
    quiet.apply_joint_action([14, 0])
    np.testing.assert_allclose(quiet.returns(), profit)


def test_outcome_profit_gain_is_zero_at_nash_and_one_at_monopoly() -> None:
    for index, expected in ((0, 0.0), (1, 1.0)):
        game = PricingGame(m=2, xi=0.0, horizon=4)  # the grid is exactly {p^N, p^M}
        state = game.new_initial_state(np.random.default_rng(0))
        while not state.is_terminal():
            state.apply_joint_action([index, index])
        assert state.outcome()["profit_gain"] == pytest.approx(expected, abs=1e-9)


def test_q_learning_agents_play_the_parallel_env_and_learn() -> None:
    def play(seed: int) -> tuple[list[int], QLearningAgent]:
        env = oversight_gym.make_parallel("collusion/pricing-v0", m=5, horizon=3000)
        agents = {name: pricing_q_agent(env.game, i, alpha=0.2, beta=2e-3, seed=seed + i)
                  for i, name in enumerate(env.possible_agents)}
        obs, _ = env.reset(seed=seed)
        trace = []
        while env.agents:
            acts = {a: agents[a].act(obs[a]["observation"], obs[a]["action_mask"]) for a in env.agents}
            nxt, rewards, terms, truncs, _ = env.step(acts)
            for a in acts:
                agents[a].update(obs[a], acts[a], rewards[a], nxt[a], done=terms[a])
            trace.append(acts["firm_0"])
            obs = nxt
        return trace, agents["firm_0"]

    t1, agent = play(0)
    t2, _ = play(0)
    assert t1 == t2  # same seeds, same play
    assert agent.t == 3000 and agent.epsilon < 0.01
    assert len(agent.q) > 1
    # late play is greedy: the action taken is the greedy one in almost every period
    assert len(set(t1[-200:])) < len(set(t1[:200]))
    assert oversight_gym.agents.base.make_agent("q-learning").classifier.learns
