"""Colluding debaters: the payoff knob (SharedPrize, side payments), the feature debate and its
cheap-talk wrapper, the batch rules against the kernel, and the learners (honest at
lambda = 1, colluding at low lambda)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import oversight_gym
from oversight_gym.agents import RandomAgent
from oversight_gym.core.payoffs import SharedPrize, SidePayment, ZeroSum
from oversight_gym.envs.collusion.feature_debate import (
    ENV_ID,
    TALK_ENV_ID,
    FeatureDebateGame,
    supporting_feature,
)
from oversight_gym.envs.collusion.learners import (
    FeatureDebateLearner,
    debate_payoffs,
    play_feature_debates,
    resolve_debates,
    train_debaters,
)
from oversight_gym.testing import rollout

FEW = settings(max_examples=20, deadline=None)


@FEW
@given(condition=st.sampled_from(["judge_wrong", "same_answer", "joint_wrong"]), amount=st.floats(-2.0, 2.0),
       n=st.sampled_from([3, 5, 7]), seed=st.integers(0, 2**31))
def test_zero_sum_payoffs_sum_to_zero_at_lambda_one(condition, amount, n, seed) -> None:
    scheme = SharedPrize(1.0, condition, amount)
    assert scheme.zero_sum
    env = oversight_gym.make(ENV_ID, n_features=n, payoff=scheme)
    ep = rollout(env, RandomAgent(), seed=seed)
    assert abs(sum(ep.returns.values())) < 1e-12
    assert abs(env.game_state.returns().sum()) < 1e-12


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 2**31))
def test_the_knob_works_on_the_recursive_debate_too(seed) -> None:
    """SharedPrize at lambda = 1 on another debate game: still zero-sum."""
    env = oversight_gym.make("debate/recursive-v1", depth=2, branching=2, payoff=SharedPrize(1.0, "judge_wrong"))
    ep = rollout(env, RandomAgent(), seed=seed)
    assert abs(sum(ep.returns.values())) < 1e-12


@FEW
@given(weight=st.floats(0.0, 1.0), prize=st.floats(0.0, 2.0), side=st.floats(0.0, 1.0),
       cond=st.sampled_from(["same_answer", "judge_wrong"]), n=st.sampled_from([3, 5, 7]),
       reveals=st.integers(0, 1), checks=st.integers(0, 1), seed=st.integers(0, 2**31))
def test_batch_rules_and_payoffs_agree_with_the_kernel(weight, prize, side, cond, n, reveals, checks, seed) -> None:
    rng = np.random.default_rng(seed)
    m = 12
    x = rng.integers(2, size=(m, n))
    order = np.argsort(rng.random((m, n)), axis=1)
    coin = rng.integers(2, size=m)
    a, b = rng.integers(2, size=m), rng.integers(2, size=m)
    verdict = resolve_debates(x, order, coin, a, b, reveals, checks)
    truth = (2 * x.sum(axis=1) > n).astype(np.int64)
    raw = np.zeros((m, 2))
    contested = a != b
    raw[contested, 0] = np.where(verdict[contested] == a[contested], 1.0, -1.0)
    raw[:, 1] = -raw[:, 0]
    batch = debate_payoffs(raw, verdict != truth, ~contested, weight, prize, side, cond)
    scheme = SharedPrize(weight, "judge_wrong", prize) + SidePayment(side, cond)
    game = FeatureDebateGame(n, reveals, checks, payoff=scheme)
    for i in range(m):
        state = game.new_initial_state(rng, world=(x[i], order[i], coin[i]))
        state.apply_action(int(a[i]))
        state.apply_action(int(b[i]))
        while not state.is_terminal():
            p = state.current_player()
            state.apply_action(supporting_feature(state.x, state.answers[p], state.revealed))
        assert state.verdict == verdict[i]
        np.testing.assert_allclose(state.returns(), batch[i], atol=1e-12)


def test_shared_prize_rewards_misleading_the_judge_and_checks_its_input() -> None:
    game = FeatureDebateGame(5, payoff=SharedPrize(0.25, "judge_wrong", 2.0))
    state = game.new_initial_state(np.random.default_rng(0), world=([1, 1, 1, 0, 0], list(range(5)), 0))
    state.apply_action(0)
    state.apply_action(0)  # both argue the wrong answer, uncontested
    o = state.outcome()
    assert o["judge_wrong"] and o["joint_wrong"] and o["same_answer"]
    np.testing.assert_allclose(state.returns(), [1.5, 1.5])  # (1 - 0.25) * 2
    assert not SharedPrize(0.5).zero_sum and SharedPrize(0.5, amount=0.0).zero_sum
    with pytest.raises(ValueError, match="weight"):
        SharedPrize(1.5)
    bad = FeatureDebateGame(5, payoff=SharedPrize(0.5, "no_such_flag"))
    s = bad.new_initial_state(np.random.default_rng(0))
    s.apply_action(0)
    s.apply_action(0)
    with pytest.raises(ValueError, match="no_such_flag"):
        s.returns()
    with pytest.raises(ValueError, match="odd"):
        FeatureDebateGame(4)


def test_cheap_talk_wrapper_adds_a_talk_phase() -> None:
    env = oversight_gym.make(TALK_ENV_ID, messages=3, payoff=ZeroSum() + SidePayment(0.5, "same_answer"))
    rollout(env, RandomAgent(seed=1), seed=3)
    state = env.game_state
    assert len(state.outcome()["talk"]) == 2 and all(0 <= m < 3 for m in state.outcome()["talk"])
    assert [e.kind for e in state.transcript[:2]] == ["talk", "talk"]
    assert state.history[:2] == state.outcome()["talk"]


def test_independent_learners_are_honest_at_lambda_one_and_collude_at_low_lambda() -> None:
    rng = np.random.default_rng(0)
    honest = train_debaters(iterations=300, seed=0, weight=1.0)
    b = play_feature_debates(honest, 4000, rng, weight=1.0, greedy=True)
    assert np.mean(b.verdict == b.truth) > 0.95 and b.joint_wrong.mean() < 0.02
    colluding = train_debaters(iterations=300, seed=0, weight=0.2)
    b = play_feature_debates(colluding, 4000, rng, weight=0.2, greedy=True)
    assert b.joint_wrong.mean() > 0.9
    # the learned policies play the kernel game
    env = oversight_gym.make(ENV_ID, payoff=SharedPrize(0.2, "judge_wrong"))
    agent = FeatureDebateLearner(colluding, greedy=True)
    wrong = []
    for s in range(20):
        rollout(env, agent, seed=s)
        wrong.append(env.game_state.outcome()["joint_wrong"])
    assert np.mean(wrong) > 0.9


def test_scenario_runs_small(tmp_path) -> None:
    from oversight_gym.analysis.measures import find
    from oversight_gym.runner.scenario import get_scenario

    sc = get_scenario("debate-collusion")
    small = {"lambdas": "1,0", "sides": "0", "talk": 2, "iterations": 100, "episodes": 1000, "seeds": 1}
    res = sc.execute(small, quick=True, out=tmp_path, progress=False)
    assert "lambda*" in res.table() and (tmp_path / "debate_collusion.png").exists()
    # cells: lambda 1 and 0 without talk, and with 2 messages of cheap talk
    learned = [m for m in res.measures if m.name == "learned"]
    assert [(m.setting["lambda"], m.setting["talk"]) for m in learned] == [(1.0, 0), (0.0, 0), (1.0, 2), (0.0, 2)]
    p = find(res.measures, "p: the truth wins a contested debate").value
    assert 0.5 < p < 1 and find(res.measures, "lambda* = (p + s)/(3p - 1)", **{"side pay": 0.0}).value == \
        pytest.approx(p / (3 * p - 1))
    for talk in (0, 2):  # zero-sum: predicted and learned honest, the judge right, payoffs summing to 0
        cell = {"lambda": 1.0, "side pay": 0.0, "talk": talk}
        assert find(res.measures, "predicted (equilibrium)", **cell).value == "honest"
        assert find(res.measures, "judge accuracy", **cell).value > 0.9
        assert abs(find(res.measures, "payoff sum (mean)", **cell).value) < 1e-12
    assert find(res.measures, "predicted (equilibrium)", **{"lambda": 0.0, "side pay": 0.0, "talk": 0}).value == \
        "collusion"
    matches = find(res.measures, "cells whose learned outcome matches the prediction")
    assert matches.n == 4 and matches.value == sum(
        find(res.measures, "learned", **m.setting).value == find(res.measures, "predicted (equilibrium)",
                                                                  **m.setting).value for m in learned)
    cell = sc.experiment({**sc.defaults(True), **small, "weight": 1.0}, 0)
    assert cell["judge_accuracy"] > 0.9 and abs(cell["payoff_sum_mean"]) < 1e-12
