"""The collusion family's markets with their learned agents frozen, for the regulator's tests of
:mod:`oversight_gym.analysis.detection` (forced deviations both ways, re-pairing).

* :class:`CalvanoMarket`: the logit-demand market of Calvano et al. (2020), Q-learned strategies
  over the last k periods' prices;
* :class:`KleinMarket`: alternating-move pricing (Klein 2021), a policy over the rival's price;
* :class:`AuctionMarket`: repeated auctions (Banchio and Skrzypacz 2022), stateless bidders who
  bid their greedy bid.

Each holds the rule tables of its kernel game and replays the frozen policies; the analysis module
knows none of them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from oversight_gym.envs.collusion.auction import AuctionGame
from oversight_gym.envs.collusion.calvano import CalvanoConfig
from oversight_gym.envs.collusion.klein import KleinConfig
from oversight_gym.envs.collusion.pricing import joint_index


class CalvanoMarket:
    """Frozen Calvano strategies ``strategies[i, s]`` (a price index per firm and state), replayed
    from state ``start_state`` (the state index of :mod:`oversight_gym.envs.collusion.calvano`)."""

    competitive = -1

    def __init__(self, config: CalvanoConfig, strategies: np.ndarray, start_state: int = 0) -> None:
        self.config, self.game = config, config.game()
        self.strategies = np.asarray(strategies, dtype=np.int64)
        self.n_agents, self.n_actions = config.n_firms, config.m
        if self.strategies.shape != (self.n_agents, self.game.num_states):
            raise ValueError(f"strategies must have shape (n_firms, states) = ({self.n_agents}, "
                             f"{self.game.num_states}), got {self.strategies.shape}")
        self.start_state = int(start_state)

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

    def __init__(self, config: KleinConfig, policies: np.ndarray, prices: Sequence[int], periods: int = 0) -> None:
        self.config, self.game = config, config.game()
        self.n_actions = config.k + 1
        self.policies = np.asarray(policies, dtype=np.int64)
        if self.policies.shape != (2, self.n_actions):
            raise ValueError(f"policies must have shape (2, k + 1) = (2, {self.n_actions}), got {self.policies.shape}")
        self.initial = np.asarray(prices, dtype=np.int64)
        self.periods = int(periods)

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


class AuctionMarket:
    """Stateless bidders frozen at their greedy bids ``bids`` (bid indices) in ``game``."""

    competitive = 1

    def __init__(self, game: AuctionGame, bids: Sequence[int]) -> None:
        self.game = game
        self.bids = np.asarray(bids, dtype=np.int64)
        self.n_agents, self.n_actions = game.n_bidders, game.n_bids
        if self.bids.shape != (self.n_agents,):
            raise ValueError(f"bids must be one bid index per bidder ({self.n_agents}), got {self.bids.shape}")

    def start(self) -> np.ndarray:
        return self.bids[None, :].copy()

    def movers(self, history: np.ndarray) -> Sequence[int]:
        return range(self.n_agents)

    def step(self, history: np.ndarray, forced: dict[int, int] | None = None) -> np.ndarray:
        acts = self.bids.copy()
        for i, a in (forced or {}).items():
            acts[i] = a
        return acts

    def payoffs(self, actions: np.ndarray) -> np.ndarray:
        return self.game.expected_payoffs[:, joint_index(actions, self.n_actions)]

    def prices(self, actions: np.ndarray) -> np.ndarray:
        return self.game.grid[np.asarray(actions)]
