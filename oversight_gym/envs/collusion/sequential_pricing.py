"""Alternating-move Bertrand pricing, in which Q-learning firms learn to collude (Klein 2021,
"Autonomous algorithmic collusion: Q-learning under sequential pricing", RAND Journal of
Economics 52(3)).

Two firms sell a homogeneous good with demand ``1 - p`` at zero cost; the lower price takes the
whole market and a tie splits it. They move in turn: in period t firm ``t mod 2`` sets its price,
which then stands for two periods, while the other firm's price stands still. Prices lie on the
grid ``{0, 1/k, ..., 1}`` (``k + 1`` prices). Both firms earn their profit every period. A firm
observes the rival's current price, the state of Klein's learners.

Two benchmarks frame the results: the joint-profit maximum, both at the monopoly price 1/2
(profit 1/8 each), and the competitive Edgeworth price cycle of Maskin and Tirole (1988), in
which firms undercut each other down to the cost and then one jumps back up.

The rule functions (:func:`price_grid`, :func:`profit_table`) are shared by the kernel
(:class:`SequentialPricingGame`), the Q-learning engine (:mod:`oversight_gym.envs.collusion.klein`)
and the equilibrium test (:func:`best_response_q`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from oversight_gym.core.aec import pettingzoo_factories
from oversight_gym.core.game import TERMINAL, Game, State
from oversight_gym.core.params import PAYOFF, Int, Params, Real, validated
from oversight_gym.core.payoffs import MixedSum, PayoffScheme

ENV_ID = "collusion/sequential-pricing-v0"


def price_grid(k: int) -> np.ndarray:
    """The ``k + 1`` prices ``0, 1/k, ..., 1``."""
    return np.arange(k + 1, dtype=np.float64) / k


def profit_table(k: int) -> np.ndarray:
    """``profit[own, rival]``: a firm's profit at its price index ``own`` against the rival's
    ``rival`` (demand ``1 - p``, zero cost, the lower price takes the market, a tie splits it)."""
    p = price_grid(k)
    monopoly = p * (1.0 - p)
    own, rival = np.meshgrid(np.arange(k + 1), np.arange(k + 1), indexing="ij")
    return np.where(own < rival, monopoly[own], np.where(own == rival, monopoly[own] / 2.0, 0.0))


def best_response_q(profit: np.ndarray, rival_policy: np.ndarray, delta: float, tol: float = 1e-12,
                    max_iter: int = 100_000) -> np.ndarray:
    """``Q[s, a]``: a firm's optimal discounted value of setting price ``a`` when the rival's price
    is ``s``, against a rival who answers a price ``a`` with ``rival_policy[a]``, in the timing of
    Klein's learners: ``Q(s, a) = pi(a, s) + delta pi(a, r(a)) + delta^2 max_a' Q(r(a), a')``
    (value iteration to ``tol``)."""
    m = profit.shape[0]
    r = np.asarray(rival_policy, dtype=np.int64)
    own = np.arange(m)
    q = np.zeros((m, m))
    for _ in range(max_iter):
        v = q.max(axis=1)
        new = profit.T + delta * profit[own, r][None, :] + delta**2 * v[r][None, :]
        if np.max(np.abs(new - q)) < tol:
            return new
        q = new
    return q


def is_equilibrium(profit: np.ndarray, policies: np.ndarray, delta: float, states: Any = None,
                   tol: float = 1e-9) -> bool:
    """Whether each firm's greedy policy (``policies[i, s]``, its price when the rival's is ``s``)
    is a best response to the other's: no price earns more than the policy's at the states
    ``states[i]`` firm i meets (every state if ``None``: a subgame-perfect test). Given the
    states the firms' own play visits, it is the Nash test: following the policy from there
    stays there, so it attains the optimal value against the rival."""
    m = profit.shape[0]
    for i in range(2):
        q = best_response_q(profit, policies[1 - i], delta)
        where = np.arange(m) if states is None else np.asarray(sorted(set(states[i])), dtype=np.int64)
        chosen = q[where, policies[i][where]]
        if np.any(chosen < q[where].max(axis=1) - tol):
            return False
    return True


class SequentialPricingGame(Game):
    """Klein's (2021) alternating-move pricing game as a kernel game.

    Parameters: ``k`` (the grid has ``k + 1`` prices), ``delta`` (the firms' discount factor,
    recorded for learners; rewards are per-period profits), ``horizon`` (moves per episode: the
    paper's game is repeated without end, an episode is a window of it).
    """

    name = ENV_ID
    player_names = ("firm_0", "firm_1")
    reset_options = ("initial_prices",)

    PARAMS = Params({"k": Int(1, 1000), "delta": Real(0.0, 1.0, open_high=True), "horizon": Int(1, 10**9),
                     "payoff": PAYOFF}, cost=lambda c: (c["k"] + 1) ** 2 + c["horizon"])

    @validated(PARAMS)
    def __init__(self, k: int = 6, delta: float = 0.95, horizon: int = 100, payoff: PayoffScheme | None = None) -> None:
        super().__init__(payoff if payoff is not None else MixedSum(0.0))
        self.k, self.delta, self.horizon = k, delta, horizon
        self.grid = price_grid(k)
        self.profit = profit_table(k)

    def num_distinct_actions(self) -> int:
        return self.k + 1

    def observation_shape(self, player: int) -> tuple[int, ...]:
        return (2,)

    def observation_bounds(self, player: int) -> tuple[float, float]:
        return (0.0, float(self.k))

    def max_game_length(self) -> int:
        return self.horizon

    @property
    def monopoly_profit(self) -> float:
        """Each firm's profit when both charge the grid price nearest 1/2 (1/8 on an even grid)."""
        best = int(np.argmax(self.grid * (1.0 - self.grid)))
        return float(self.profit[best, best])

    def config(self) -> dict[str, Any]:
        return {"k": self.k, "delta": self.delta, "horizon": self.horizon, "payoff": self.payoff.config()}

    def new_initial_state(self, rng: np.random.Generator, initial_prices: Any = None) -> SequentialPricingState:
        """Standing prices ``initial_prices`` (two price indices), or drawn uniformly at random."""
        if initial_prices is None:
            prices = rng.integers(self.k + 1, size=2)
        else:
            prices = np.asarray(initial_prices, dtype=np.int64).reshape(-1)
            if prices.size != 2 or prices.min() < 0 or prices.max() > self.k:
                raise ValueError(f"initial_prices must be two price indices in [0, {self.k}], got {initial_prices!r}")
        return SequentialPricingState(self, prices)


class SequentialPricingState(State):
    """A period of the alternating-move game: firm ``period mod 2`` sets its price."""

    game: SequentialPricingGame

    def __init__(self, game: SequentialPricingGame, prices: np.ndarray) -> None:
        super().__init__(game)
        self.prices = np.array(prices, dtype=np.int64)
        self.period = 0
        self.profit_sum = np.zeros(2)
        self.log(-1, "start", initial_prices=self.prices.tolist())

    def current_player(self) -> int:
        return TERMINAL if self.period >= self.game.horizon else self.period % 2

    def legal_actions_mask(self, player: int) -> np.ndarray:
        return np.ones(self.game.k + 1, dtype=np.int8)

    def is_legal(self, player: int, action: int) -> bool:
        return 0 <= action <= self.game.k

    def _apply(self, player: int, action: int) -> None:
        g = self.game
        self.prices[player] = action
        profits = np.array([g.profit[self.prices[0], self.prices[1]], g.profit[self.prices[1], self.prices[0]]])
        self.profit_sum += profits
        self.log(player, "price", price=float(g.grid[action]), profits=profits.tolist())
        self.period += 1

    def raw_returns(self) -> np.ndarray:
        return self.profit_sum.copy()

    def outcome(self) -> dict[str, Any]:
        periods = max(self.period, 1)
        return {"periods": self.period, "mean_profit": (self.profit_sum / periods).tolist()}

    def observation(self, player: int) -> np.ndarray:
        """(the rival's standing price, the firm's own), as price indices."""
        return np.array([self.prices[1 - player], self.prices[player]], dtype=np.float32)

    def action_to_string(self, player: int, action: int) -> str:
        return f"p={self.game.grid[action]:.4f}"

    def render_text(self) -> str:
        g = self.game
        return (f"period {self.period}/{g.horizon}; prices firm_0 {g.grid[self.prices[0]]:.3f}, firm_1 "
                f"{g.grid[self.prices[1]]:.3f}; profits so far {self.profit_sum.round(3)}")

    def clone(self) -> SequentialPricingState:
        new = object.__new__(SequentialPricingState)
        new.__dict__.update(self.__dict__)
        new.prices = self.prices.copy()
        new.profit_sum = self.profit_sum.copy()
        new.transcript = list(self.transcript)
        new.history = list(self.history)
        return new


# PettingZoo's module-level factories: env(), raw_env(), parallel_env()
env, raw_env, parallel_env = pettingzoo_factories(SequentialPricingGame)

