"""Adapters between our views and the RL libraries researchers already use.

* :func:`sb3_env`: the Gymnasium single-agent view reshaped for Stable-Baselines3
  (Raffin et al. 2021): a flat ``Box`` observation, and ``action_masks()`` for
  sb3-contrib's ``MaskablePPO`` (Huang & Ontañón 2020, invalid action masking), which
  turn-based games with illegal moves need.
* :class:`PolicyAgent`: any trained model with ``predict(obs, action_masks=...)`` (SB3,
  MaskablePPO) as an agent of our protocol, so it can play tournaments and scenarios.
* :func:`sb3_vec_env`: a Parallel view through SuperSuit (Terry et al. 2020) into an SB3
  vector env: every seat becomes one environment of the vector, all sharing one policy
  (parameter sharing). SuperSuit needs identical spaces for every seat and no agent
  leaving early, as simultaneous-move games such as the pricing game give.

The libraries are optional (``pip install 'oversight-gym[rl]'``); importing this module
does not import them.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from oversight_gym.agents.base import BaseAgent
from oversight_gym.core.protocols import Classifier


class MaskedBoxObservation(gym.ObservationWrapper):
    """A single-agent view with a flat ``Box`` observation and an ``action_masks()`` method
    (what sb3-contrib's ``MaskablePPO`` reads); the mask is also in ``info``."""

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        space = env.observation_space
        if not isinstance(space, gym.spaces.Dict) or "action_mask" not in space.spaces:
            raise ValueError("env must be a single-agent view whose observations hold 'observation' and "
                             "'action_mask' (oversight_gym.make_single_agent)")
        self.observation_space = space["observation"]
        self._mask = np.ones(env.action_space.n, dtype=bool)

    def observation(self, observation: dict[str, np.ndarray]) -> np.ndarray:
        self._mask = observation["action_mask"].astype(bool)
        return observation["observation"]

    def action_masks(self) -> np.ndarray:
        return self._mask


def sb3_env(env_id: str, learner: str, opponents: Any, **game_kwargs: Any) -> MaskedBoxObservation:
    """``make_single_agent(env_id, learner, opponents, **game_kwargs)`` ready for SB3."""
    from oversight_gym.core.registry import make_single_agent

    return MaskedBoxObservation(make_single_agent(env_id, learner, opponents, **game_kwargs))


class PolicyAgent(BaseAgent):
    """Plays with a trained model's ``predict(observation, action_masks=..., deterministic=...)``
    (Stable-Baselines3 and sb3-contrib models); models without masks get ``predict(obs)``
    and an illegal choice is replaced by the first legal action.

    Not registered by name: it needs a model (``PolicyAgent(model)``).
    """

    name = "agent"  # a wrapper, not a registered agent
    description = "a trained RL model (SB3 / MaskablePPO) playing through its predict()"
    classifier = Classifier(deterministic=True, learns=True)

    def __init__(self, model: Any, deterministic: bool = True, masked: bool | None = None) -> None:
        super().__init__()
        if not hasattr(model, "predict"):
            raise ValueError("model must have predict(observation, ...), as Stable-Baselines3 models do")
        self.model = model
        self.deterministic = bool(deterministic)
        self.masked = masked if masked is not None else "action_masks" in _predict_params(model)

    def act(self, observation: np.ndarray, action_mask: np.ndarray, state: Any = None) -> int:
        obs = observation["observation"] if isinstance(observation, dict) else observation
        if isinstance(getattr(self.model, "observation_space", None), gym.spaces.Dict):
            # a model trained on the dict view (e.g. SB3's MultiInputPolicy)
            obs = {"observation": np.asarray(obs, np.float32), "action_mask": np.asarray(action_mask, np.int8)}
        if self.masked:
            action, _ = self.model.predict(obs, action_masks=np.asarray(action_mask, bool),
                                           deterministic=self.deterministic)
        else:
            action, _ = self.model.predict(obs, deterministic=self.deterministic)
        a = int(np.asarray(action).item())
        if not action_mask[a]:
            a = int(np.flatnonzero(action_mask)[0])
        return a


def _predict_params(model: Any) -> tuple[str, ...]:
    import inspect

    try:
        return tuple(inspect.signature(model.predict).parameters)
    except (TypeError, ValueError):
        return ()


def sb3_vec_env(parallel_env: Any, num_vec_envs: int = 1) -> Any:
    """A PettingZoo Parallel env as an SB3 ``VecEnv`` through SuperSuit (one vector entry per
    seat; ``num_vec_envs`` copies of the game). Observations are the ``"observation"``
    arrays (masks dropped: use a game whose every seat acts at every step)."""
    try:
        import supersuit as ss
    except ImportError:
        raise ImportError("sb3_vec_env needs SuperSuit: pip install 'oversight-gym[rl]'") from None
    env = _observation_only(parallel_env)
    vec = ss.pettingzoo_env_to_vec_env_v1(env)
    out = ss.concat_vec_envs_v1(vec, num_vec_envs, num_cpus=0, base_class="stable_baselines3")
    _seedable(out.venv)
    return out


def _seedable(venv: Any) -> None:
    """Stable-Baselines3 seeds a vector env with ``venv.seed(s)`` and then resets it without
    a seed; SuperSuit's concatenated env has no ``seed``. Give it one that seeds the next
    reset, so a seeded SB3 run is reproducible."""
    pending: list[int | None] = [None]
    reset = venv.reset

    def seed(value: int | None = None) -> list[int | None]:
        pending[0] = value
        return [value]

    def seeded_reset(seed: int | None = None, options: dict | None = None) -> Any:
        if seed is None:
            seed, pending[0] = pending[0], None
        return reset(seed=seed, options=options)

    venv.seed = seed
    venv.reset = seeded_reset


def _observation_only(env: Any) -> Any:
    """A Parallel env whose observations are the ``"observation"`` array of our dict."""
    from pettingzoo import ParallelEnv

    class ObservationOnly(ParallelEnv):
        def __init__(self) -> None:
            self.env = env
            self.possible_agents = list(env.possible_agents)
            self.metadata = dict(getattr(env, "metadata", {}))
            self.render_mode = getattr(env, "render_mode", None)
            self._spaces = {a: env.observation_space(a)["observation"] for a in self.possible_agents}
            observations = {repr(s) for s in self._spaces.values()}
            actions = {repr(env.action_space(a)) for a in self.possible_agents}
            if len(observations) != 1 or len(actions) != 1:
                raise ValueError("SuperSuit needs every seat to have the same observation and action spaces")

        @property
        def agents(self) -> list[str]:
            return self.env.agents

        def observation_space(self, agent: str) -> gym.Space:
            return self._spaces[agent]

        def action_space(self, agent: str) -> gym.Space:
            return self.env.action_space(agent)

        def reset(self, seed: int | None = None, options: dict | None = None) -> tuple[dict, dict]:
            obs, infos = self.env.reset(seed=seed, options=options)
            return {a: o["observation"] for a, o in obs.items()}, infos

        def step(self, actions: dict[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
            obs, rewards, terms, truncs, infos = self.env.step({a: int(v) for a, v in actions.items()})
            return {a: o["observation"] for a, o in obs.items()}, rewards, terms, truncs, infos

        def render(self) -> Any:
            return self.env.render()

        def close(self) -> None:
            self.env.close()

    return ObservationOnly()
