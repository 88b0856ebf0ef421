"""Repeated Bertrand pricing of a homogeneous good, where memoryless learners may or may not
collude depending on how they learn (Asker, Fershtman and Pakes 2022, "Artificial intelligence,
algorithm design and pricing", AEA Papers and Proceedings 112; 2024, JEMS).

``n_firms`` firms with marginal cost ``cost`` set prices every period from ``m`` prices equally
spaced on ``[p_low, p_high]`` (100 on [0.01, 10] in the paper). One unit of demand buys from the
cheapest firm if its price is at most ``value`` (10); firms tied at the lowest price split the
sale. A firm earns ``price - cost`` on what it sells. The static Nash equilibria are the lowest
grid prices above the cost at which no firm gains by undercutting (2.0282 and 2.1291 on the
paper's grid).

A firm's profit depends only on its own price, the lowest rival price and how many rivals charge
it, so the stage game is a contest by rank (:func:`pricing_stage`, a
:class:`~oversight_gym.envs.collusion.stateless_q.RankStage` of ``m^2`` entries): any number of
firms runs. The kernel (:class:`HomogeneousPricingGame`) pays what that stage game gives, and the
learners of :mod:`oversight_gym.envs.collusion.stateless_q` play it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from oversight_gym.core.aec import pettingzoo_factories
from oversight_gym.core.game import Game
from oversight_gym.core.params import PAYOFF, Int, Params, Real, Rule, validated
from oversight_gym.core.payoffs import MixedSum, PayoffScheme
from oversight_gym.envs.collusion.repeated import RepeatedSimultaneousState
from oversight_gym.envs.collusion.stateless_q import RankStage

ENV_ID = "collusion/homogeneous-pricing-v0"
#: the most firms a market takes (a period costs the learners n_firms * m steps at most)
MAX_FIRMS = 1000


def pricing_stage(n_firms: int, grid: np.ndarray, cost: float, value: float) -> RankStage:
    """The stage game as a contest the lowest price wins: a price ``p`` at most ``value`` sells
    if no rival is cheaper, the ``t + 1`` firms tied at the lowest price split the sale, and the
    seller earns ``p - cost`` whatever the rivals charge."""
    margin = np.repeat((grid - cost)[:, None], len(grid), axis=1)  # [own price, lowest rival price]
    return RankStage(margin, grid <= value, n_firms, lowest_wins=True)


def static_nash(grid: np.ndarray, cost: float, value: float, n_firms: int) -> list[int]:
    """The grid prices p at which all firms charging p is a static Nash equilibrium: p sells
    (cost <= p <= value) and undercutting to any lower grid price earns no more than the share."""
    out = []
    for k, p in enumerate(grid):
        if not cost <= p <= value:
            continue
        best_undercut = max((q - cost for q in grid[:k]), default=-np.inf)
        if (p - cost) / n_firms >= best_undercut:
            out.append(k)
    return out


class HomogeneousPricingGame(Game):
    """The homogeneous-good pricing market of Asker, Fershtman and Pakes (2022) as a kernel game.

    Parameters: ``n_firms``; ``m`` prices on ``[p_low, p_high]``; ``cost``; ``value`` (the
    most a buyer pays); ``horizon``, periods per episode. Every firm observes last period's prices.
    """

    name = ENV_ID
    simultaneous = True

    PARAMS = Params(
        {"n_firms": Int(2, MAX_FIRMS), "m": Int(2, 1000), "p_low": Real(0.0), "p_high": Real(0.0), "cost": Real(0.0),
         "value": Real(0.0, open_low=True), "horizon": Int(1, 10**9), "payoff": PAYOFF},
        rules=[Rule(("p_low", "p_high"), lambda c: c["p_low"] < c["p_high"], "p_low must be below p_high")],
        cost=lambda c: float(c["m"]) ** 2 + c["horizon"] * c["n_firms"] ** 2,
    )

    @validated(PARAMS)
    def __init__(self, n_firms: int = 2, m: int = 100, p_low: float = 0.01, p_high: float = 10.0, cost: float = 2.0,
                 value: float = 10.0, horizon: int = 100, payoff: PayoffScheme | None = None) -> None:
        super().__init__(payoff if payoff is not None else MixedSum(0.0))
        self.n_firms, self.m, self.p_low, self.p_high = n_firms, m, p_low, p_high
        self.cost, self.value, self.horizon = cost, value, horizon
        self.grid = np.linspace(p_low, p_high, m)
        self.stage = pricing_stage(n_firms, self.grid, cost, value)  # what the kernel pays and the learners play
        self.player_names = tuple(f"firm_{i}" for i in range(n_firms))

    def profits(self, actions: Any) -> np.ndarray:
        """Each firm's profit at the price indices ``actions`` (a tie splits the sale)."""
        share, prize = self.stage.outcome(actions)
        return share * prize

    @property
    def nash_prices(self) -> np.ndarray:
        """The symmetric static Nash equilibrium prices (see :func:`static_nash`)."""
        return self.grid[static_nash(self.grid, self.cost, self.value, self.n_firms)]

    def num_distinct_actions(self) -> int:
        return self.m

    def observation_shape(self, player: int) -> tuple[int, ...]:
        return (self.n_firms,)

    def observation_bounds(self, player: int) -> tuple[float, float]:
        return (0.0, float(self.m - 1))

    def max_game_length(self) -> int:
        return self.horizon

    def config(self) -> dict[str, Any]:
        return {"n_firms": self.n_firms, "m": self.m, "p_low": self.p_low, "p_high": self.p_high, "cost": self.cost,
                "value": self.value, "horizon": self.horizon, "payoff": self.payoff.config()}

    def new_initial_state(self, rng: np.random.Generator) -> HomogeneousPricingState:
        return HomogeneousPricingState(self, rng.integers(self.m, size=self.n_firms))


class HomogeneousPricingState(RepeatedSimultaneousState):
    """A period of the market: all firms price at once."""

    game: HomogeneousPricingGame

    def __init__(self, game: HomogeneousPricingGame, last: np.ndarray) -> None:
        super().__init__(game)
        self.last = np.array(last, dtype=np.int64)
        self.period = 0
        self.profit_sum = np.zeros(game.n_firms)
        self.log(-1, "start", initial_prices=self.last.tolist())

    def _apply_joint(self, actions: list[int]) -> None:
        g = self.game
        profits = g.profits(actions)
        self.profit_sum += profits
        self.last = np.asarray(actions, dtype=np.int64)
        self.log(-1, "prices", actions=list(actions), prices=g.grid[self.last].tolist(), profits=profits.tolist())
        self.period += 1

    def raw_returns(self) -> np.ndarray:
        return self.profit_sum.copy()

    def outcome(self) -> dict[str, Any]:
        return {"periods": self.period, "mean_profit": (self.profit_sum / max(self.period, 1)).tolist()}

    def observation(self, player: int) -> np.ndarray:
        return self.last.astype(np.float32)

    def action_to_string(self, player: int, action: int) -> str:
        return f"p={self.game.grid[action]:.4f}"

    def render_text(self) -> str:
        g = self.game
        last = ", ".join(f"{g.player_names[i]}: {g.grid[p]:.3f}" for i, p in enumerate(self.last))
        return f"period {self.period}/{g.horizon}; last prices {last}; profits so far {self.profit_sum.round(3)}"

    def clone(self) -> HomogeneousPricingState:
        new = object.__new__(HomogeneousPricingState)
        new.__dict__.update(self.__dict__)
        new.last = self.last.copy()
        new.profit_sum = self.profit_sum.copy()
        new.transcript = list(self.transcript)
        new.history = list(self.history)
        return new


# PettingZoo's module-level factories: env(), raw_env(), parallel_env()
env, raw_env, parallel_env = pettingzoo_factories(HomogeneousPricingGame)

