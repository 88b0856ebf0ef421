"""Repeated sealed-bid auctions in which learning bidders may collude (Banchio and
Skrzypacz 2022, "Artificial intelligence and auction design", EC'22, arXiv 2202.05947).

``n_bidders`` bidders who all value the good at ``value`` bid every period from a grid of
``n_bids`` bids equally spaced strictly between 0 and ``value`` (``value * b / (n_bids + 1)``,
b = 1..n_bids: 0.05, 0.10, ..., 0.95 in the paper). Bids below the ``reserve`` price are not
bids: if nobody bids at least the reserve there is no sale. Among the highest bidders one wins
and pays

    price = (2 - a) * highest + (a - 1) * second,

where ``second`` is the highest other bid (equal to the highest if the top is tied; the reserve
if the winner is the only bidder at or above it). ``a = 1`` is the first-price auction, ``a = 2``
the second-price auction, and values between mix the two, as in the paper. The winner earns
``value - price``; the others earn 0. A tie at the top is resolved by ``tie_rule``:

* ``"random"`` (default): a fair lottery draws one winner, who gets the whole payoff (the
  good is indivisible);
* ``"split"``: the tied bidders share the winner's payoff equally, the lottery's expected
  payoff (another reading of the paper's "ties are split").

The rule functions :func:`bid_grid` and :func:`auction_tables` (and :func:`rank_stage`, the same
rules as a contest by rank, equal to the tables) are shared by the kernel
(:class:`AuctionGame`) and the batch learners (:mod:`oversight_gym.envs.collusion.stateless_q`).
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from oversight_gym.core.aec import pettingzoo_factories
from oversight_gym.core.game import Game
from oversight_gym.core.params import PAYOFF, Choice, Estimate, Int, Params, Real, Rule, validated
from oversight_gym.core.payoffs import MixedSum, PayoffScheme
from oversight_gym.envs.collusion.pricing import joint_index  # bidder i's bid is digit i, as firm i's price
from oversight_gym.envs.collusion.repeated import RepeatedSimultaneousState
from oversight_gym.envs.collusion.stateless_q import JointStage, RankStage, joint_digits

ENV_ID = "collusion/auction-v0"
TIE_RULES = ("split", "random")


def bid_grid(n_bids: int, value: float) -> np.ndarray:
    """The ``n_bids`` bids ``value * b / (n_bids + 1)``, b = 1..n_bids (strictly between 0 and the value)."""
    return value * np.arange(1, n_bids + 1, dtype=np.float64) / (n_bids + 1)


def stage_outcome(bids: np.ndarray, a: float, reserve: float) -> tuple[np.ndarray, float]:
    """For one profile of bid amounts: the mask of the tied highest eligible bidders (all False
    if nobody bids at least ``reserve``) and the price the winner pays."""
    bids = np.asarray(bids, dtype=np.float64)
    eligible = bids >= reserve
    if not eligible.any():
        return np.zeros(len(bids), dtype=bool), 0.0
    top = bids[eligible].max()
    winners = eligible & (bids == top)
    if winners.sum() > 1:
        second = top
    else:
        others = bids[eligible & ~winners]
        second = others.max() if len(others) else reserve
    return winners, float((2.0 - a) * top + (a - 1.0) * max(second, reserve))


def auction_tables(n_bidders: int, grid: np.ndarray, value: float, a: float,
                   reserve: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The stage game as tables over joint profiles j (:func:`joint_index`):
    ``prize[i, j]`` (bidder i's payoff if it wins), ``share[i, j]`` (its chance of winning under a
    fair lottery among the tied highest bidders; 0 if it is not among them) and ``price[j]``
    (what the winner pays; 0 if there is no sale). The expected payoff is ``share * prize``."""
    digits = joint_digits(n_bidders, len(grid))
    n_joint = digits.shape[1]
    prize = np.zeros((n_bidders, n_joint))
    share = np.zeros((n_bidders, n_joint))
    price = np.zeros(n_joint)
    for j in range(n_joint):
        winners, p = stage_outcome(grid[digits[:, j]], a, reserve)
        if winners.any():
            share[winners, j] = 1.0 / winners.sum()
            prize[winners, j] = value - p
            price[j] = p
    return prize, share, price


def rank_stage(n_bidders: int, grid: np.ndarray, value: float, a: float, reserve: float) -> RankStage:
    """The same stage game as a contest the highest bid wins (any number of bidders): a bid
    ``b`` at least the reserve, against the highest rival bid ``r``, wins ``value - price`` with
    ``price = (2 - a) b + (a - 1) max(r, reserve)`` (at a tie ``r = b``: the price is ``b``)."""
    price = (2.0 - a) * grid[:, None] + (a - 1.0) * np.maximum(grid[None, :], reserve)
    return RankStage(value - price, grid >= reserve, n_bidders, lowest_wins=False)


class AuctionGame(Game):
    """The repeated auction of Banchio and Skrzypacz (2022) as a kernel game.

    Parameters: ``n_bidders``; ``value`` (the common value); ``n_bids`` (the bid grid, see
    :func:`bid_grid`); ``a`` in [1, 2] (1: first price, 2: second price); ``reserve``;
    ``tie_rule`` (``"split"`` or ``"random"``); ``horizon``, periods per episode (the paper's
    game is repeated without end: an episode is a window of it). Every bidder observes the bids
    of the last period (the paper's feedback variant needs them; its stateless learners ignore them).
    """

    name = ENV_ID
    simultaneous = True
    reset_options = ("initial_bids",)

    PARAMS = Params(
        {
            "n_bidders": Int(2, 16),
            "n_bids": Int(2, 1000),
            "value": Real(0.0, 1e6, open_low=True),
            "a": Real(1.0, 2.0),
            "reserve": Real(0.0),
            "tie_rule": Choice(*TIE_RULES),
            "horizon": Int(1, 10**9),
            "payoff": PAYOFF,
        },
        rules=[Rule(("reserve", "value"), lambda c: c["reserve"] <= c["value"],
                    "reserve must be at most value (a higher reserve never sells)"),
               Estimate(("n_bids", "n_bidders"), lambda c: 2 * c["n_bidders"] * float(c["n_bids"]) ** c["n_bidders"],
                        2**26, "payoffs in the table of joint bids (2 * n_bidders * n_bids^n_bidders)")],
        cost=lambda c: float(c["n_bids"]) ** c["n_bidders"] + c["horizon"] * c["n_bidders"],
    )

    @validated(PARAMS)
    def __init__(self, n_bidders: int = 2, n_bids: int = 19, value: float = 1.0, a: float = 1.0,
                 reserve: float = 0.0, tie_rule: str = "random", horizon: int = 100,
                 payoff: PayoffScheme | None = None) -> None:
        super().__init__(payoff if payoff is not None else MixedSum(0.0))
        self.n_bidders, self.n_bids, self.value, self.a = n_bidders, n_bids, value, a
        self.reserve, self.tie_rule, self.horizon = reserve, tie_rule, horizon
        self.grid = bid_grid(n_bids, value)
        self.prize, self.share, self.price = auction_tables(n_bidders, self.grid, value, a, reserve)
        self.stage = JointStage(self.prize, self.share)  # what the stateless learners play
        self.player_names = tuple(f"bidder_{i}" for i in range(n_bidders))

    def num_distinct_actions(self) -> int:
        return self.n_bids

    def observation_shape(self, player: int) -> tuple[int, ...]:
        return (self.n_bidders,)

    def observation_bounds(self, player: int) -> tuple[float, float]:
        return (0.0, float(self.n_bids - 1))

    def max_game_length(self) -> int:
        return self.horizon

    @property
    def expected_payoffs(self) -> np.ndarray:
        """``[i, j]``: bidder i's expected stage payoff at joint profile j (ties split)."""
        return self.share * self.prize

    def config(self) -> dict[str, Any]:
        return {"n_bidders": self.n_bidders, "n_bids": self.n_bids, "value": self.value, "a": self.a,
                "reserve": self.reserve, "tie_rule": self.tie_rule, "horizon": self.horizon,
                "payoff": self.payoff.config()}

    def new_initial_state(self, rng: np.random.Generator, initial_bids: Any = None) -> AuctionState:
        """A state whose last period's bids are ``initial_bids`` (bid indices), or uniformly random."""
        if initial_bids is None:
            last = rng.integers(self.n_bids, size=self.n_bidders)
        else:
            last = np.asarray(initial_bids, dtype=np.int64).reshape(-1)
            if last.size != self.n_bidders or last.min() < 0 or last.max() >= self.n_bids:
                raise ValueError(f"initial_bids must be n_bidders = {self.n_bidders} bid indices in "
                                 f"[0, {self.n_bids}), got {initial_bids!r}")
        return AuctionState(self, rng, last)


class AuctionState(RepeatedSimultaneousState):
    """A period of the repeated auction: all bidders bid at once."""

    game: AuctionGame

    def __init__(self, game: AuctionGame, rng: np.random.Generator, last: np.ndarray) -> None:
        super().__init__(game)
        self.rng = rng
        self.last = np.array(last, dtype=np.int64)
        self.period = 0
        self.payoff_sum = np.zeros(game.n_bidders)
        self.revenue_sum = 0.0
        self.sales = 0
        self.log(-1, "start", initial_bids=self.last.tolist())

    def _apply_joint(self, actions: list[int]) -> None:
        g = self.game
        j = joint_index(actions, g.n_bids)
        share = g.share[:, j]
        if g.tie_rule == "split" or np.count_nonzero(share) < 2:
            payoffs = share * g.prize[:, j]
        else:  # a fair lottery among the tied highest bidders
            winner = int(self.rng.choice(g.n_bidders, p=share))
            payoffs = np.zeros(g.n_bidders)
            payoffs[winner] = g.prize[winner, j]
        sold = bool(share.any())
        self.payoff_sum += payoffs
        self.revenue_sum += g.price[j]
        self.sales += int(sold)
        self.last = np.asarray(actions, dtype=np.int64)
        self.log(-1, "bids", actions=list(actions), bids=g.grid[self.last].tolist(), sold=sold,
                 price=float(g.price[j]), payoffs=payoffs.tolist())
        self.period += 1

    def raw_returns(self) -> np.ndarray:
        return self.payoff_sum.copy()

    def outcome(self) -> dict[str, Any]:
        periods = max(self.period, 1)
        return {"periods": self.period, "mean_revenue": self.revenue_sum / periods, "sales": self.sales,
                "mean_payoff": (self.payoff_sum / periods).tolist()}

    def observation(self, player: int) -> np.ndarray:
        return self.last.astype(np.float32)

    def action_to_string(self, player: int, action: int) -> str:
        return f"bid={self.game.grid[action]:.4f}"

    def render_text(self) -> str:
        g = self.game
        last = ", ".join(f"{g.player_names[i]}: {g.grid[b]:.3f}" for i, b in enumerate(self.last))
        return f"period {self.period}/{g.horizon}; last bids {last}; revenue so far {self.revenue_sum:.3f}"

    def clone(self) -> AuctionState:
        new = object.__new__(AuctionState)
        new.__dict__.update(self.__dict__)
        new.rng = copy.deepcopy(self.rng)
        new.last = self.last.copy()
        new.payoff_sum = self.payoff_sum.copy()
        new.transcript = list(self.transcript)
        new.history = list(self.history)
        return new


# PettingZoo's module-level factories: env(), raw_env(), parallel_env()
env, raw_env, parallel_env = pettingzoo_factories(AuctionGame)
