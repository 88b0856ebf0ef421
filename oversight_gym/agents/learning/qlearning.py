"""A tabular Q-learning agent that plays any discrete-observation game through the Agent
protocol (Watkins & Dayan 1992), with the exploration schedule of Calvano et al. (2020):
epsilon-greedy with ``eps_t = exp(-beta t)``, t counting this agent's updates.

For many sessions of the pricing game use the batch engine
(:func:`oversight_gym.envs.collusion.calvano.run_sessions`), which runs the same
algorithm compiled; this agent is for playing the environments like any other agent (and
against other agents).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from oversight_gym.agents.base import BaseAgent
from oversight_gym.core.errors import check_float
from oversight_gym.core.protocols import Classifier


class QLearningAgent(BaseAgent):
    """Tabular Q-learning over observations (each distinct observation vector is a state).

    ``q_init``: the initial Q row of every state (a scalar, or one value per action; the
    paper's choice for the pricing game is
    :func:`oversight_gym.envs.collusion.calvano.pricing_q_agent`). Call :meth:`update` after
    every step with the reward and the next observation.
    """

    name = "q-learning"
    description = "tabular Q-learning, epsilon-greedy with eps_t = exp(-beta t) (Calvano et al. 2020)"
    classifier = Classifier(learns=True)

    def __init__(self, alpha: float = 0.15, beta: float = 4e-6, delta: float = 0.95,
                 q_init: float | np.ndarray = 0.0, n_actions: int | None = None, seed: int | None = None) -> None:
        super().__init__(seed)
        self.alpha = check_float("alpha", alpha)
        if not 0.0 < self.alpha <= 1.0:
            raise ValueError(f"alpha (the learning rate) must be in (0, 1], got {alpha!r}")
        self.beta = check_float("beta", beta, 0.0)
        self.delta = check_float("delta", delta, 0.0, 1.0)
        self.q_init = np.asarray(q_init, dtype=np.float64)
        if self.q_init.ndim > 1:
            raise ValueError(f"q_init must be a scalar or one value per action, got shape {self.q_init.shape}")
        self.n_actions: int | None = len(self.q_init) if self.q_init.ndim == 1 else n_actions
        self.q: dict[tuple, np.ndarray] = {}
        self.t = 0

    def reset(self, seed: int | None = None) -> None:
        """Reseed the exploration; the learned table is kept (use :meth:`forget` to clear it)."""
        super().reset(seed)

    def forget(self) -> None:
        self.q.clear()
        self.t = 0

    @property
    def epsilon(self) -> float:
        return math.exp(-self.beta * self.t)

    def _row(self, observation: Any, n: int) -> np.ndarray:
        if self.n_actions is None:
            self.n_actions = n
        elif n != self.n_actions:
            raise ValueError(f"action_mask has {n} actions; this agent has {self.n_actions}")
        key = tuple(np.asarray(observation).reshape(-1).tolist())
        row = self.q.get(key)
        if row is None:
            row = np.broadcast_to(self.q_init, (n,)).astype(np.float64).copy()
            self.q[key] = row
        return row

    def greedy(self, observation: Any, action_mask: np.ndarray) -> int:
        """The legal action with the highest Q-value (lowest index on ties)."""
        mask = np.asarray(action_mask).astype(bool)
        if not mask.any():
            raise ValueError("action_mask has no legal action")
        row = self._row(observation, len(mask))
        return int(np.flatnonzero(mask)[np.argmax(row[mask])])

    def act(self, observation: Any, action_mask: np.ndarray, state: Any = None) -> int:
        if isinstance(observation, dict):
            observation = observation["observation"]
        mask = np.asarray(action_mask)
        if self.rng.random() < self.epsilon:
            legal = np.flatnonzero(mask)
            if len(legal) == 0:
                raise ValueError("action_mask has no legal action")
            return int(self.rng.choice(legal))
        return self.greedy(observation, mask)

    def update(self, observation: Any, action: int, reward: float, next_observation: Any,
               done: bool = False) -> None:
        """``Q(s, a) <- (1 - alpha) Q(s, a) + alpha (r + delta max Q(s', .))`` (no bootstrap when done)."""
        if isinstance(observation, dict):
            observation = observation["observation"]
        if isinstance(next_observation, dict):
            next_observation = next_observation["observation"]
        if self.n_actions is None:
            raise ValueError("update() before the agent knows the number of actions: call act() first, "
                             "or pass n_actions or a per-action q_init")
        row = self._row(observation, self.n_actions)
        future = 0.0 if done else float(self._row(next_observation, len(row)).max())
        row[action] = (1.0 - self.alpha) * row[action] + self.alpha * (reward + self.delta * future)
        self.t += 1
