"""Training with the RL libraries researchers use: Stable-Baselines3 / MaskablePPO on the
single-agent view (the examples in examples/ are run here with small budgets)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from oversight_gym.agents import RandomAgent
from oversight_gym.agents.learning.rl_libraries import MaskedBoxObservation, PolicyAgent, sb3_env
from oversight_gym.core.registry import make_single_agent

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def load_example(name: str):
    spec = importlib.util.spec_from_file_location(f"_example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_masked_box_view_passes_check_env_and_exposes_masks() -> None:
    from gymnasium.utils.env_checker import check_env

    env = sb3_env("debate/pixels-v0", "honest", RandomAgent(seed=0), judge_steps=300, pixels=4)
    check_env(env, skip_render_check=True)
    obs, _ = env.reset(seed=0)
    assert obs.shape == env.observation_space.shape and env.action_masks().dtype == bool
    assert env.action_masks().sum() == 64  # every pixel may be revealed first
    with pytest.raises(ValueError, match="single-agent view"):
        MaskedBoxObservation(env)


def test_policy_agent_falls_back_to_a_legal_action() -> None:
    class AlwaysZero:
        def predict(self, obs, deterministic=True):
            return np.array(0), None

    agent = PolicyAgent(AlwaysZero())
    assert not agent.masked
    assert agent.act(np.zeros(3), np.array([0, 0, 1])) == 2
    with pytest.raises(ValueError, match="predict"):
        PolicyAgent(object())


def test_maskable_ppo_debater_beats_a_random_opponent_and_a_random_debater() -> None:
    pytest.importorskip("sb3_contrib")
    example = load_example("sb3_maskable_ppo_debate")
    res = example.train_and_evaluate("honest", steps=6000, episodes=400, seed=0, pixels=4, judge_steps=2000)
    trained, random = res["trained"], res["random"]
    assert trained.value > 0.5  # beats the random opponent
    assert trained.value > random.value  # and does better than a random debater in its seat


def test_single_agent_view_trains_without_masks_too() -> None:
    """Plain PPO (no masks) on the dict view with the penalty for illegal moves: it runs."""
    sb3 = pytest.importorskip("stable_baselines3")
    env = make_single_agent("debate/pixels-v0", "honest", RandomAgent(seed=0), judge_steps=300, pixels=2)
    model = sb3.PPO("MultiInputPolicy", env, n_steps=64, batch_size=32, seed=0, device="cpu", verbose=0)
    model.learn(128)
    obs, _ = env.reset(seed=1)
    mask = obs["action_mask"]
    assert mask[PolicyAgent(model).act(obs["observation"], mask)] == 1


def test_ppo_trains_on_the_pricing_game_through_supersuit_reproducibly() -> None:
    pytest.importorskip("supersuit")
    import torch

    example = load_example("supersuit_ppo_pricing")
    first = example.train_and_evaluate(steps=2048, horizon=20, episodes=3, seed=0)  # a few thousand steps
    second = example.train_and_evaluate(steps=2048, horizon=20, episodes=3, seed=0)
    assert np.isfinite(first["delta_trained"]) and np.isfinite(first["delta_random"])
    w1, w2 = (r["model"].policy.state_dict()["action_net.weight"] for r in (first, second))
    assert torch.equal(w1, w2)  # a seeded run through SuperSuit is reproducible
    assert first["delta_trained"] == second["delta_trained"]


@pytest.mark.usefixtures("ray_exclusive")
def test_rllib_config_trains_one_iteration_on_the_parallel_view() -> None:
    pytest.importorskip("ray.rllib")
    import ray

    example = load_example("rllib_pricing")
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
    try:
        algo = example.build_config(horizon=20, independent=True, train_batch_size=200).build_algo()
        result = algo.train()
        algo.stop()
    finally:
        ray.shutdown()
    runners = result["env_runners"]
    assert np.isfinite(runners["episode_return_mean"])
    assert set(runners["agent_episode_returns_mean"]) == {"firm_0", "firm_1"}
