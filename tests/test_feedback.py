"""``feedback/constitutional-v0`` and its world: gold utility, constitutions, judges, the
Bradley-Terry reward model, best-of-n in the environment, and the scenario end to end."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import oversight_gym
from oversight_gym.analysis.measures import find as find_measure
from oversight_gym.envs.feedback.best_of_n import BestOfNAgent
from oversight_gym.envs.feedback.model import (
    CONSTITUTIONS,
    DEFAULT_CONSTITUTION,
    FEATURES,
    GOLD,
    BradleyTerryRewardModel,
    Constitution,
    ConstitutionJudge,
    Principle,
    ResponseUniverse,
    blend,
    gold_comparisons,
    make_judge,
    polynomial_features,
    train_reward_model,
)

ENV_ID = "feedback/constitutional-v0"


def play(env, agent) -> None:
    for _name in env.agent_iter():
        obs, _, term, trunc, _ = env.last()
        env.step(None if term or trunc else agent.act(obs, obs["action_mask"]))


# --- the environment ----------------------------------------------------------------------
@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000), k=st.integers(1, 6), rounds=st.integers(1, 3))
def test_reward_is_the_judge_and_gold_stays_hidden(seed: int, k: int, rounds: int) -> None:
    env = oversight_gym.make(ENV_ID, num_candidates=k, rounds=rounds, universe_size=256, noise=0.5)
    env.reset(seed=seed)
    game = env.unwrapped.game
    total = 0.0
    for _ in env.agent_iter():
        obs, reward, term, trunc, _ = env.last()
        total += reward
        if term or trunc:
            env.step(None)
            continue
        state = env.unwrapped.game_state
        feats = obs["observation"][: k * len(FEATURES)].reshape(k, len(FEATURES))
        np.testing.assert_allclose(feats, np.clip(game.universe.features[state.candidates], -6, 6), rtol=1e-6)
        env.step(int(np.random.default_rng(seed).integers(k)))
    state = env.unwrapped.game_state
    out = state.outcome()
    assert out["proxy"] == pytest.approx(total)
    assert out["proxy"] == pytest.approx(game.proxy_scores[state.chosen].sum())
    assert out["gold"] == pytest.approx(GOLD.score(game.universe.features[state.chosen]).sum())
    assert len(state.chosen) == rounds


def test_best_of_n_agent_in_the_env() -> None:
    """With the judge equal to gold, best-of-K keeps the gold-best candidate; best-of-1 keeps the first."""
    env = oversight_gym.make(ENV_ID, num_candidates=6, rounds=4, judge="gold", universe_size=512)
    for n in (1, 6):
        env.reset(seed=3)
        agent = BestOfNAgent(GOLD.score, n, len(FEATURES))
        picks = []
        for _ in env.agent_iter():
            obs, _, term, trunc, _ = env.last()
            if term or trunc:
                env.step(None)
                continue
            state = env.unwrapped.game_state
            a = agent.act(obs, obs["action_mask"])
            picks.append((a, state.candidates.copy()))
            env.step(a)
        g = env.unwrapped.game.gold_scores
        for a, cands in picks:
            assert a == (0 if n == 1 else int(np.argmax(g[cands])))


def test_best_of_n_raises_the_judge_score_over_random_play() -> None:
    env = oversight_gym.make(ENV_ID, num_candidates=8, rounds=30, judge="constitution", noise=0.0,
                             universe_size=1024)
    scores = {}
    for n in (1, 8):
        env.reset(seed=0)
        play(env, BestOfNAgent(DEFAULT_CONSTITUTION.score, n, len(FEATURES)))
        scores[n] = env.unwrapped.game_state.outcome()["mean_proxy"]
    assert scores[8] > scores[1] + 0.5


def test_game_parameters_are_validated() -> None:
    make = oversight_gym.make_game
    with pytest.raises(ValueError, match=r"num_candidates must be in \[1, 256\]"):
        make(ENV_ID, num_candidates=0)
    with pytest.raises(ValueError, match="judge must be one of"):
        make(ENV_ID, judge="human")
    with pytest.raises(ValueError, match="constitution must be one of"):
        make(ENV_ID, constitution="asimov")
    with pytest.raises(ValueError, match="tail must be 0"):
        make(ENV_ID, tail=0.5, universe_size=64)
    with pytest.raises(ValueError, match="capacity must be in"):
        make(ENV_ID, judge="reward_model", capacity=9)
    for name in ("noise", "tail"):  # an infinite noise made every reward NaN
        with pytest.raises(ValueError, match=f"{name} must be a finite number"):
            make(ENV_ID, **{name: float("inf")}, universe_size=64)
    with pytest.raises(ValueError, match="noise applies only when judge is 'constitution'; got noise=0.1 with "
                                         "judge='gold'"):
        make(ENV_ID, judge="gold", noise=0.1, universe_size=64)
    game = make(ENV_ID, universe_size=64)
    assert game.config()["universe_size"] == 64 and not game.payoff.zero_sum


def test_one_seat_single_agent_view() -> None:
    env = oversight_gym.make_single_agent(ENV_ID, "policy", None, universe_size=64, rounds=2)
    obs, _ = env.reset(seed=0)
    _, r, term, _, _ = env.step(0)
    assert not term
    _, r2, term, _, _ = env.step(1)
    assert term and np.isfinite(r + r2)


# --- constitutions, judges, reward models -------------------------------------------------
def test_constitutions_and_gold() -> None:
    x = np.array([[1.0, 2.0, -1.0, 0.5]])
    # gold: 1 * 1 + 0.6 * (-1) + 0.3 * 2 - 0.25 * 4 - 0.4 * 0.5
    assert GOLD.score(x)[0] == pytest.approx(1 - 0.6 + 0.6 - 1.0 - 0.2)
    assert "harmless" not in [p.name for p in CONSTITUTIONS["missing-harmless"].principles]
    assert dict((p.name, p.weight) for p in CONSTITUTIONS["misweighted-length"].principles)["thorough"] == 1.5
    np.testing.assert_allclose(blend(GOLD, DEFAULT_CONSTITUTION, 0).score(x), GOLD.score(x))
    np.testing.assert_allclose(blend(GOLD, DEFAULT_CONSTITUTION, 1).score(x), DEFAULT_CONSTITUTION.score(x))
    with pytest.raises(ValueError, match="feature must be one of"):
        Principle("p", "wit")
    with pytest.raises(ValueError, match="distinct names"):
        Constitution((Principle("a", "length"), Principle("a", "flattery")))
    with pytest.raises(ValueError, match="principle must be one of"):
        GOLD.without("nonexistent")


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 1000), noise=st.floats(0, 2), tail=st.sampled_from([0.0, 1.0, 3.0]))
def test_judge_noise_is_a_fixed_function_and_zero_noise_is_the_rules(seed: int, noise: float, tail: float) -> None:
    u = ResponseUniverse.sample(128, np.random.default_rng(seed))
    j = ConstitutionJudge(DEFAULT_CONSTITUTION, noise, tail, seed)
    np.testing.assert_array_equal(j.scores(u.features), j.scores(u.features))
    np.testing.assert_allclose(j.principle_scores(u.features).sum(1), j.scores(u.features))
    exact = ConstitutionJudge(DEFAULT_CONSTITUTION, 0.0, tail, seed)
    np.testing.assert_allclose(exact.scores(u.features), DEFAULT_CONSTITUTION.score(u.features))
    np.testing.assert_allclose(make_judge("gold").scores(u.features), GOLD.score(u.features))


def test_universe_has_the_declared_correlations() -> None:
    u = ResponseUniverse.sample(20_000, np.random.default_rng(0))
    corr = np.corrcoef(u.features.T)
    assert corr[0, 1] == pytest.approx(0.5, abs=0.03) and corr[0, 2] == pytest.approx(-0.3, abs=0.03)
    assert u.initial.sum() == pytest.approx(1.0)


def test_polynomial_features_count() -> None:
    x = np.random.default_rng(0).standard_normal((5, 4))
    assert polynomial_features(x, 1).shape == (5, 4)
    assert polynomial_features(x, 2).shape == (5, 4 + 10)
    assert polynomial_features(x, 3).shape == (5, 4 + 10 + 20)


def test_reward_model_learns_gold_and_improves_with_data() -> None:
    u = ResponseUniverse.sample(4096, np.random.default_rng(1))
    gold = GOLD.score(u.features)
    corr = {m: np.corrcoef(train_reward_model(u, m, 2, seed=4).scores(u.features), gold)[0, 1] for m in (30, 3000)}
    assert corr[3000] > 0.98
    assert corr[3000] > corr[30]
    # noiseless labels from a linear utility: a linear reward model recovers its direction
    lin = Constitution((Principle("h", "helpfulness"), Principle("t", "length", weight=-0.5)))
    pref, other = gold_comparisons(u, 2000, np.random.default_rng(0), lin, temperature=0)
    w = BradleyTerryRewardModel(1, l2=1e-6).fit(pref, other).weights
    assert w[1] / w[0] == pytest.approx(-0.5, abs=0.05) and abs(w[2]) < 0.05 * w[0]
    with pytest.raises(RuntimeError, match="call fit"):
        BradleyTerryRewardModel().scores(u.features)


# --- the scenario ------------------------------------------------------------------------
def test_overoptimisation_scenario_small(tmp_path) -> None:
    from oversight_gym.runner.scenario import get_scenario

    sc = get_scenario("overoptimisation")
    given_ = {"universe": 1024, "n_max": 128, "points": 10, "rl_steps": 60, "critique_rounds": 6,
              "rm_sizes": "50,500", "rm_seeds": 1, "errors": "0,1", "kl_samples": 500}
    res = sc.execute(given_, quick=True, out=tmp_path, progress=False)
    assert (tmp_path / "curves.png").exists() and (tmp_path / "summary.json").exists()
    for method in ("bon", "rl"):
        perfect = find_measure(res.measures, "gold turns over", judge="perfect (judge = gold)", optimiser=method)
        assert perfect.value == "no"
    assert {v.claim.id: v.verdict for v in res.verdicts}["proxy-gold-control"] == "reproduced"
    kl = find_measure(res.measures, "KL, simulated", n=4)
    # the simulated-KL claims need 20,000 runs: at 500 no published value is set beside ours
    assert kl.n == 500 and kl.published is None and abs(kl.value - (np.log(4) - 0.75)) < 0.25
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["params"]["rm_sizes"] == [50, 500] and summary["params"]["errors"] == [0.0, 1.0]
    assert any(m["name"] == "alpha" and m["setting"].get("proxy") == "reward model, 500 comparisons"
               for m in summary["measures"])
    # resuming reads the records back and gives the same table
    again = sc.execute(given_, quick=True, out=tmp_path, progress=False)
    assert again.table() == res.table()
    with pytest.raises(ValueError, match="--n-max must be at most --universe / 8"):
        sc.execute({"universe": 1024, "n_max": 1000}, quick=True, out=tmp_path, progress=False)
    with pytest.raises(ValueError, match="--errors"):
        sc.execute({**given_, "errors": "0,1.5"}, quick=True, out=tmp_path, progress=False)
    with pytest.raises(ValueError, match="--rm-sizes"):
        sc.execute({**given_, "rm_sizes": "0,50"}, quick=True, out=tmp_path, progress=False)
