"""The collusion family's markets with their learned agents frozen, for the regulator's tests of
:mod:`oversight_gym.analysis.detection` (forced deviations both ways, re-pairing, retraining).

* :class:`CalvanoMarket`: the logit-demand market of Calvano et al. (2020), Q-learned strategies
  over the last k periods' prices;
* :class:`KleinMarket`: alternating-move pricing (Klein 2021), a policy over the rival's price;
* :class:`StatelessMarket`: stateless learners who play their greedy action in a stage game:
  :class:`AuctionMarket` (repeated auctions, Banchio and Skrzypacz 2022; a higher bid competes)
  and :class:`MemorylessMarket` (homogeneous-good pricing, Asker, Fershtman and Pakes 2022; a
  lower price competes).

Each holds the rule tables of its kernel game and replays the frozen policies, and retrains one
agent with its own engine (:meth:`retrained`, with the engine's learning parameters: the config,
or the ``learning`` given); the analysis module knows none of them.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import numpy as np

from oversight_gym.envs.collusion import stateless_q
from oversight_gym.envs.collusion.auction import AuctionGame
from oversight_gym.envs.collusion.calvano import CalvanoConfig, retrain_sessions
from oversight_gym.envs.collusion.homogeneous_pricing import HomogeneousPricingGame
from oversight_gym.envs.collusion.klein import KleinConfig, retrain_runs
from oversight_gym.envs.collusion.pricing import joint_index
from oversight_gym.envs.collusion.stateless_q import Learning


class CalvanoMarket:
    """Frozen Calvano strategies ``strategies[i, s]`` (a price index per firm and state), replayed
    from state ``start_state`` (the state index of :mod:`oversight_gym.envs.collusion.calvano`)."""

    competitive = -1

    def __init__(self, config: CalvanoConfig, strategies: np.ndarray, start_state: int = 0,
                 q: np.ndarray | None = None) -> None:
        self.config, self.game = config, config.game()
        self.strategies = np.asarray(strategies, dtype=np.int64)
        self.n_agents, self.n_actions = config.n_firms, config.m
        if self.strategies.shape != (self.n_agents, self.game.num_states):
            raise ValueError(f"strategies must have shape (n_firms, states) = ({self.n_agents}, "
                             f"{self.game.num_states}), got {self.strategies.shape}")
        self.start_state = int(start_state)
        self.q = q  # the final Q tables (n, S, m), for retraining from what was learned

    def retrained(self, agent: int, seed: int = 0, start: str = "fresh") -> CalvanoMarket:
        """Firm ``agent`` retrained by :func:`~oversight_gym.envs.collusion.calvano.retrain_sessions`
        (exploration ``exp(-beta t)`` of the config, restarted), replayed from its limit cycle."""
        res = retrain_sessions(self.config, self.strategies[None], agent, seed, start=start,
                               q=None if self.q is None else np.asarray(self.q)[None])
        return CalvanoMarket(self.config, res.strategies[0], int(res.cycle_start[0]))

    def _state(self, history: np.ndarray) -> int:
        big_m = self.n_actions**self.n_agents
        return sum(joint_index(history[-1 - r], self.n_actions) * big_m**r for r in range(self.config.k))

    def start(self) -> np.ndarray:
        big_m = self.n_actions**self.n_agents
        rows = []
        for r in reversed(range(self.config.k)):  # oldest first
            j = (self.start_state // big_m**r) % big_m
            rows.append([(j // self.n_actions**i) % self.n_actions for i in range(self.n_agents)])
        return np.array(rows, dtype=np.int64)

    def movers(self, history: np.ndarray) -> Sequence[int]:
        return range(self.n_agents)

    def step(self, history: np.ndarray, forced: dict[int, int] | None = None) -> np.ndarray:
        acts = self.strategies[:, self._state(history)].copy()
        for i, a in (forced or {}).items():
            acts[i] = a
        return acts

    def payoffs(self, actions: np.ndarray) -> np.ndarray:
        return self.game.profits[:, joint_index(actions, self.n_actions)]

    def prices(self, actions: np.ndarray) -> np.ndarray:
        return self.game.grid[np.arange(self.n_agents), actions]


class KleinMarket:
    """Frozen Klein policies ``policies[i, s]`` (firm i's price index when the rival's is ``s``),
    replayed from standing ``prices`` after ``periods`` periods (so firm ``periods mod 2`` moves next)."""

    competitive = -1
    n_agents = 2

    def __init__(self, config: KleinConfig, policies: np.ndarray, prices: Sequence[int], periods: int = 0,
                 q: np.ndarray | None = None) -> None:
        self.config, self.game = config, config.game()
        self.n_actions = config.k + 1
        self.policies = np.asarray(policies, dtype=np.int64)
        if self.policies.shape != (2, self.n_actions):
            raise ValueError(f"policies must have shape (2, k + 1) = (2, {self.n_actions}), got {self.policies.shape}")
        self.initial = np.asarray(prices, dtype=np.int64)
        self.periods = int(periods)
        self.q = q  # the final Q tables (2, k + 1, k + 1), for retraining from what was learned

    def retrained(self, agent: int, seed: int = 0, start: str = "fresh") -> KleinMarket:
        """Firm ``agent`` retrained by :func:`~oversight_gym.envs.collusion.klein.retrain_runs`
        (Klein's exploration schedule over ``config.periods``, restarted)."""
        out = retrain_runs(self.config, self.policies[None], agent, seed, start=start,
                           q=None if self.q is None else np.asarray(self.q)[None])
        return KleinMarket(self.config, out["policies"][0], out["final_prices"][0], self.config.periods)

    def start(self) -> np.ndarray:
        return self.initial[None, :].copy()

    def movers(self, history: np.ndarray) -> Sequence[int]:
        return ((self.periods + len(history) - 1) % 2,)

    def step(self, history: np.ndarray, forced: dict[int, int] | None = None) -> np.ndarray:
        (i,) = self.movers(history)
        new = history[-1].copy()
        forced = forced or {}
        new[i] = forced[i] if i in forced else self.policies[i, history[-1][1 - i]]
        return new

    def payoffs(self, actions: np.ndarray) -> np.ndarray:
        p = self.game.profit
        return np.array([p[actions[0], actions[1]], p[actions[1], actions[0]]])

    def prices(self, actions: np.ndarray) -> np.ndarray:
        return self.game.grid[np.asarray(actions)]


class StatelessMarket:
    """Stateless learners frozen at their greedy actions ``actions`` (action indices) in a game
    with a ``stage`` (a :mod:`~oversight_gym.envs.collusion.stateless_q` stage game: what it pays
    and what the learners play) and a ``grid`` (the action's price or bid); for retraining, the
    learners' :class:`Learning` given as ``learning`` and their final values as ``q``.
    ``competitive`` is +1 if a higher action competes (bids), -1 if a lower one does (prices)."""

    def __init__(self, game: Any, actions: Sequence[int], competitive: int, learning: Learning | None = None,
                 q: np.ndarray | None = None) -> None:
        if competitive not in (-1, 1):
            raise ValueError(f"competitive must be +1 (a higher action competes) or -1, got {competitive!r}")
        self.game, self.competitive = game, competitive
        self.n_agents, self.n_actions = game.stage.n_players, len(game.grid)
        self.actions = np.asarray(actions, dtype=np.int64)
        if self.actions.shape != (self.n_agents,):
            raise ValueError(f"actions must be one action index per player ({self.n_agents}), "
                             f"got {self.actions.shape}")
        self.learning, self.q = learning, q

    def start(self) -> np.ndarray:
        return self.actions[None, :].copy()

    def movers(self, history: np.ndarray) -> Sequence[int]:
        return range(self.n_agents)

    def step(self, history: np.ndarray, forced: dict[int, int] | None = None) -> np.ndarray:
        acts = self.actions.copy()
        for i, a in (forced or {}).items():
            acts[i] = a
        return acts

    def payoffs(self, actions: np.ndarray) -> np.ndarray:
        share, prize = self.game.stage.outcome(actions)  # expected payoffs: ties split
        return share * prize

    def prices(self, actions: np.ndarray) -> np.ndarray:
        return self.game.grid[np.asarray(actions)]

    def retrained(self, agent: int, seed: int = 0, start: str = "fresh") -> StatelessMarket:
        """Player ``agent`` retrained by :func:`~oversight_gym.envs.collusion.stateless_q.retrain_sessions`
        under ``learning`` (its exploration schedule restarted)."""
        if self.learning is None:
            raise ValueError("learning: retraining needs the learners' parameters (a stateless_q.Learning)")
        out = stateless_q.retrain_sessions(self.game.stage, self.learning, self.actions[None], agent, seed,
                                           stateless_q.random_ties(self.game), start=start,
                                           q=None if self.q is None else np.asarray(self.q)[None])
        new = copy.copy(self)
        new.actions, new.q = out["actions"][0], out["q"][0]
        return new


class AuctionMarket(StatelessMarket):
    """Stateless bidders frozen at their greedy bids ``bids`` (bid indices) in ``game``."""

    def __init__(self, game: AuctionGame, bids: Sequence[int], learning: Learning | None = None,
                 q: np.ndarray | None = None) -> None:
        super().__init__(game, bids, 1, learning, q)


class MemorylessMarket(StatelessMarket):
    """Memoryless firms frozen at their greedy prices ``prices`` (price indices) in the
    homogeneous-good market."""

    def __init__(self, game: HomogeneousPricingGame, prices: Sequence[int], learning: Learning | None = None,
                 q: np.ndarray | None = None) -> None:
        super().__init__(game, prices, -1, learning, q)
