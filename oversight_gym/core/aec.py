"""PettingZoo views of any kernel game: an ``AECEnv`` and a ``ParallelEnv``.

Both are derived from :class:`~oversight_gym.core.game.Game` alone; no game writes its
own adapter. Observations are dicts ``{"observation": float32 vector, "action_mask":
int8 vector}``; rewards are the change in each player's ``State.returns()`` since the
previous step, so a game that pays only at the end gives its whole payoff at the end.

Both follow PettingZoo's conventions: ``max_cycles`` truncates the episode, in the AEC view
once an agent would act more than ``max_cycles`` times, in the Parallel view after
``max_cycles`` calls of ``step()`` (the same bound when every agent moves at each step; in a
turn-based game, where a Parallel step moves one agent, the Parallel view stops sooner);
a done agent is stepped with ``None``; every mode in
``metadata["render_modes"]`` renders (``"rgb_array"`` is a picture of the game, by default
of its transcript). What they accept from their callers (seeds, actions, the order of
calls, reset options) is ruled once, in :mod:`oversight_gym.core.view_checks`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from pettingzoo import AECEnv, ParallelEnv

from oversight_gym.core.game import SIMULTANEOUS, TERMINAL, Game, State
from oversight_gym.core.view_checks import (
    MAX_STEPS_DEPRECATED,
    RENDER_MODES,
    action_index,
    check_max_cycles,
    check_render_mode,
    check_running,
    check_seed,
    reset_options,
    warn_no_render_mode,
)


class _KernelMixin:
    """What the AEC and Parallel views share: spaces, seeding, reset options, truncation, render."""

    game: Game
    game_state: State | None
    render_mode: str | None
    max_cycles: int | None

    def _init_kernel(self, game: Game, render_mode: str | None, max_cycles: int | None,
                     max_steps: int | None) -> None:
        self.game = game
        self.render_mode = check_render_mode(render_mode)
        self.max_cycles = check_max_cycles(max_cycles, max_steps)
        self.possible_agents = list(game.player_names)
        self._index = {name: i for i, name in enumerate(self.possible_agents)}
        self._obs_spaces = {a: game.observation_space(i) for a, i in self._index.items()}
        self._act_spaces = {a: game.action_space(i) for a, i in self._index.items()}
        self.game_state = None
        self._rng = np.random.default_rng()
        self.metadata = {
            "name": game.name,
            "render_modes": list(RENDER_MODES),
            "is_parallelizable": True,
            "render_fps": 1,
        }

    def observation_space(self, agent: str):
        return self._obs_spaces[agent]

    def action_space(self, agent: str):
        return self._act_spaces[agent]

    @property
    def max_steps(self) -> int | None:
        """Deprecated former name of ``max_cycles`` (reading it warns, as passing it does)."""
        warnings.warn(MAX_STEPS_DEPRECATED, DeprecationWarning, stacklevel=2)
        return self.max_cycles

    def _require_state(self, call: str) -> State:
        return check_running(self.game_state, call=call)

    def _new_state(self, seed: int | None, options: dict | None) -> None:
        seed = check_seed(seed)
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        self.game_state = self.game.new_initial_state(self._rng, **reset_options(self.game, options))
        self._last_returns = np.zeros(self.game.num_players)

    def _obs(self, agent: str, done: bool = False) -> dict[str, np.ndarray]:
        """``agent``'s observation; the mask is empty unless it may move now (a ``done``
        agent, terminated or truncated, has no legal action)."""
        state = self._require_state("observe")
        i = self._index[agent]
        cur = state.current_player()
        if not done and (cur == i or cur == SIMULTANEOUS):
            mask = state.legal_actions_mask(i).astype(np.int8, copy=False)  # kernels return fresh arrays
        else:
            mask = np.zeros(self.game.num_distinct_actions(), dtype=np.int8)
        return {"observation": state.observation(i).astype(np.float32, copy=False), "action_mask": mask}

    def _reward_deltas(self) -> np.ndarray:
        assert self.game_state is not None
        now = self.game_state.returns()
        delta = now - self._last_returns
        self._last_returns = now
        return delta

    def render(self) -> Any:
        if self.render_mode is None:
            warn_no_render_mode()
            return None
        if self.game_state is None:
            return None
        if self.render_mode == "rgb_array":
            return self.game_state.render_rgb()
        text = self.game_state.render_text()
        if self.render_mode == "human":
            print(text)
            return None
        return text

    def close(self) -> None:
        pass


class KernelAECEnv(_KernelMixin, AECEnv):
    """Agent-environment-cycle view of a kernel game.

    In a simultaneous-move state the agents are asked in seat order and the joint
    action is applied once the last one has chosen. ``max_cycles`` (optional) truncates
    the episode for every agent when the agent to move next has already acted
    ``max_cycles`` times, so that no agent acts more often: with simultaneous moves a cycle
    is one joint move, as in the Parallel view; with alternating moves, one move of each.
    ``max_steps`` is the deprecated former name of ``max_cycles``.
    """

    def __init__(self, game: Game, render_mode: str | None = None, max_cycles: int | None = None,
                 max_steps: int | None = None) -> None:
        super().__init__()
        self._init_kernel(game, render_mode, max_cycles, max_steps)
        self.agents: list[str] = []

    def reset(self, seed: int | None = None, options: dict | None = None) -> None:
        self._new_state(seed, options)
        self.agents = list(self.possible_agents)
        self.rewards = {a: 0.0 for a in self.agents}
        self._cumulative_rewards = {a: 0.0 for a in self.agents}
        self.terminations = {a: False for a in self.agents}
        self.truncations = {a: False for a in self.agents}
        self.infos = {a: {} for a in self.agents}
        self._pending: dict[int, int] = {}
        self._acted = {a: 0 for a in self.agents}  # how many times each agent has acted
        self._select()

    def _select(self) -> None:
        assert self.game_state is not None
        cur = self.game_state.current_player()
        if cur == SIMULTANEOUS:
            nxt = len(self._pending)
            self.agent_selection = self.possible_agents[nxt]
        elif cur >= 0:
            self.agent_selection = self.possible_agents[cur]
        # at the end, agent_selection walks the remaining agents for their dead steps

    def observe(self, agent: str) -> dict[str, np.ndarray]:
        self._require_state("observe")
        done = agent not in self.agents or self.terminations[agent] or self.truncations[agent]
        return self._obs(agent, done)

    def step(self, action: int | None) -> None:
        state = check_running(self.game_state, over=not self.agents)
        agent = self.agent_selection
        if self.terminations[agent] or self.truncations[agent]:
            self._was_dead_step(action)  # PettingZoo's rule: a done agent is stepped with None
            return
        if action is None:
            raise TypeError(f"action: {agent!r} must act now; None is the action of an agent that is done "
                            "(terminated or truncated)")
        action = action_index(action)
        i = self._index[agent]
        # an illegal action raises before anything changes (the agent keeps its pending reward)
        if state.current_player() == SIMULTANEOUS:
            state._check_legal(i, action)
            self._cumulative_rewards[agent] = 0.0
            self._pending[i] = action
            self._acted[agent] += 1
            if len(self._pending) < self.game.num_players:
                self._clear_rewards()
                self._select()
                return
            joint = [self._pending[j] for j in range(self.game.num_players)]
            self._pending = {}
            state.apply_joint_action(joint)
        else:
            state.apply_action(action)  # raises IllegalActionError with the reason
            self._cumulative_rewards[agent] = 0.0
            self._acted[agent] += 1
        delta = self._reward_deltas()
        index = self._index
        self.rewards = {a: float(delta[index[a]]) for a in self.agents}
        done = state.is_terminal()
        if done:
            self.terminations = {a: True for a in self.agents}
            self.infos = {a: {"outcome": state.outcome()} for a in self.agents}
        else:
            self._select()
            if self.max_cycles is not None and self._acted[self.agent_selection] >= self.max_cycles:
                self.truncations = {a: True for a in self.agents}
                done = True
        self._accumulate_rewards()
        if done:
            self.agent_selection = self.agents[0]


class KernelParallelEnv(_KernelMixin, ParallelEnv):
    """Parallel view of a kernel game.

    Simultaneous states take one action from every agent. In a turn-based state only the
    agent to move acts: its action mask is the legal set, the others' masks are all zero
    and their entries in the action dict are ignored (they may be left out).
    ``max_cycles`` (optional) truncates the episode after that many calls of ``step()``
    (each agent is asked once per call); ``max_steps`` is its deprecated former name.
    """

    def __init__(self, game: Game, render_mode: str | None = None, max_cycles: int | None = None,
                 max_steps: int | None = None) -> None:
        self._init_kernel(game, render_mode, max_cycles, max_steps)
        self.agents: list[str] = []

    def reset(self, seed: int | None = None, options: dict | None = None):
        self._new_state(seed, options)
        self.agents = list(self.possible_agents)
        self._steps = 0
        return {a: self._obs(a) for a in self.agents}, {a: {} for a in self.agents}

    def step(self, actions: dict[str, int]):
        state = check_running(self.game_state, over=not self.agents)
        if not isinstance(actions, Mapping):
            raise TypeError(f"actions must be a dict {{agent: action}} (agents: {self.agents}), "
                            f"got {type(actions).__name__}")
        cur = state.current_player()
        if cur == SIMULTANEOUS:
            missing = [a for a in self.agents if a not in actions]
            if missing:
                raise ValueError(f"actions: every agent moves now; missing {missing}")
            state.apply_joint_action([action_index(actions[a]) for a in self.possible_agents])
        elif cur != TERMINAL:
            mover = self.possible_agents[cur]
            if mover not in actions:
                raise ValueError(f"actions: it is {mover}'s turn; its action is missing")
            state.apply_action(action_index(actions[mover]))
        self._steps += 1
        delta = self._reward_deltas()
        done = state.is_terminal()
        trunc = (not done) and self.max_cycles is not None and self._steps >= self.max_cycles
        agents = self.agents
        obs = {a: self._obs(a, done or trunc) for a in agents}
        rewards = {a: float(delta[self._index[a]]) for a in agents}
        terms = {a: done for a in agents}
        truncs = {a: trunc for a in agents}
        infos = {a: ({"outcome": state.outcome()} if done else {}) for a in agents}
        if done or trunc:
            self.agents = []
        return obs, rewards, terms, truncs, infos


def aec_factory(make_game: Callable[..., Game]) -> Callable[..., KernelAECEnv]:
    """Build an ``env(**kwargs)`` factory from a game factory (kwargs: the game's, plus
    ``render_mode`` and ``max_cycles``, or ``max_steps``, its deprecated former name)."""

    def env(render_mode: str | None = None, max_cycles: int | None = None, max_steps: int | None = None,
            **kwargs: Any) -> KernelAECEnv:
        return KernelAECEnv(make_game(**kwargs), render_mode=render_mode, max_cycles=max_cycles, max_steps=max_steps)

    return env


def parallel_factory(make_game: Callable[..., Game]) -> Callable[..., KernelParallelEnv]:
    """Build a ``parallel_env(**kwargs)`` factory from a game factory (as :func:`aec_factory`)."""

    def parallel_env(render_mode: str | None = None, max_cycles: int | None = None, max_steps: int | None = None,
                     **kwargs: Any) -> KernelParallelEnv:
        return KernelParallelEnv(make_game(**kwargs), render_mode=render_mode, max_cycles=max_cycles,
                                 max_steps=max_steps)

    return parallel_env


def pettingzoo_factories(game_cls: type[Game]) -> tuple[Callable[..., Any], Callable[..., Any], Callable[..., Any]]:
    """The module-level ``env()``, ``raw_env()`` and ``parallel_env()`` factories that
    PettingZoo's own environments provide, for a kernel game class: in a game's module,
    ``env, raw_env, parallel_env = pettingzoo_factories(MyGame)``. Keyword arguments
    configure the game; ``render_mode`` and ``max_cycles`` go to the view (``max_steps`` is
    the deprecated former name of ``max_cycles``)."""

    raw_env, parallel_env = aec_factory(game_cls), parallel_factory(game_cls)

    def env(**kwargs: Any) -> AECEnv:
        from pettingzoo.utils import wrappers

        return wrappers.OrderEnforcingWrapper(raw_env(**kwargs))

    name = getattr(game_cls, "name", game_cls.__name__)
    raw_env.__doc__ = f"The AEC view of {name}, without PettingZoo's order-enforcing wrapper."
    env.__doc__ = f"The AEC view of {name}, wrapped as PettingZoo's classic environments are."
    parallel_env.__doc__ = f"The Parallel view of {name}."
    for f, f_name in ((raw_env, "raw_env"), (env, "env"), (parallel_env, "parallel_env")):
        f.__name__ = f.__qualname__ = f_name
        f.game_cls = game_cls  # type: ignore[attr-defined]
    return env, raw_env, parallel_env

