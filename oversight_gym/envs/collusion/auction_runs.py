"""Q-learning bidders in repeated auctions (Banchio and Skrzypacz 2022, arXiv 2202.05947): the
stateless learners of :mod:`oversight_gym.envs.collusion.stateless_q` on the stage game of
:mod:`oversight_gym.envs.collusion.auction`, and what a study of them reads off.

The paper's learners: learning rate 0.05, discount 0.99, exploration
``0.025 exp(-0.0002 t)`` uniform over bids, 10^6 periods, a session counted when both greedy
bids are unchanged over the last 1,000 periods. Two conventions the paper leaves open are
named options here:

* ``q0``, the initial value of every bid ("optimistic", value not published). The default,
  :func:`optimistic_q0`, is the largest discounted payoff any bid can earn,
  ``(value - lowest bid) / (1 - gamma)``: every bid starts at least as good as it can turn out;
* the auction's ``tie_rule``. The default is ``"random"``, a fair lottery: the good is
  indivisible, so one tied bidder gets it and learns from what it actually got;
  ``"split"`` pays every tied bidder its expected share instead.

The greedy bid is the lowest of the bids with the highest value (numpy's ``argmax``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from oversight_gym.analysis.plots import pyplot, save_figure
from oversight_gym.envs.collusion import stateless_q
from oversight_gym.envs.collusion.auction import AuctionGame
from oversight_gym.envs.collusion.stateless_q import Learning, run_sessions

GAME_FIELDS = ("n_bidders", "n_bids", "value", "a", "reserve", "tie_rule")


def optimistic_q0(game: AuctionGame, gamma: float) -> float:
    """The largest discounted payoff a bid can earn: winning at the lowest bid every period."""
    return float((game.value - game.grid[0]) / (1.0 - gamma))


def split_config(config: dict[str, Any]) -> tuple[AuctionGame, Learning]:
    """A flat configuration (the game's fields and :class:`Learning`'s) as the game and the learners;
    a missing or ``None`` ``q0`` is :func:`optimistic_q0`."""
    return stateless_q.split_config(config, AuctionGame, GAME_FIELDS, q0=optimistic_q0)


def run_auctions(config: dict[str, Any], sessions: int | range, seed: int = 0) -> dict[str, np.ndarray]:
    """Sessions of Q-learning bidders: the engine's outcomes plus, per session, the final greedy
    ``bids`` (amounts), the ``revenue`` they raise (the price the winner pays; 0 without a sale)
    and the bidders' expected payoffs ``payoffs`` (ties split) at those bids."""
    game, learning = split_config(config)
    out = run_sessions(game.stage, learning, sessions, seed=seed, random_ties=stateless_q.random_ties(game))
    joint = (out["actions"] * game.n_bids ** np.arange(game.n_bidders)).sum(axis=1)
    out["bids"] = game.grid[out["actions"]]
    out["revenue"] = game.price[joint]
    out["payoffs"] = game.expected_payoffs[:, joint].T
    return out


# --- the batch engine as registered with the game ---------------------------------------------------
def batch_outcomes(config: dict[str, Any], seed: int, episodes: int) -> dict[str, np.ndarray]:
    """Sessions ``0..episodes-1`` of master ``seed`` (the batch engine registered with
    ``collusion/auction-v0``); ``config`` holds the game's and :class:`Learning`'s fields."""
    return stateless_q.market_outcomes(*split_config(config), seed, episodes)


def reference_outcome(config: dict[str, Any], seed: int, episode: int) -> dict[str, Any]:
    """Session ``episode`` of master ``seed`` by the readable reference over the kernel's tables:
    what :func:`batch_outcomes` must reproduce exactly."""
    return stateless_q.market_reference(*split_config(config), seed, episode)


# --- figures ---------------------------------------------------------------------------------
def plot_auctions(curves: Mapping[str, Sequence[tuple[float, Mapping[str, Any]]]], grid: np.ndarray,
                  published: Mapping[float, Sequence[float]], path: str | Path) -> Path:
    """Left: revenue (with its interval) against the payment rule a, one line per learning
    protocol, the published revenues marked. Right: the final greedy bids of the first- and
    second-price auctions, one bar series per protocol (``curves[protocol]`` holds
    ``(a, record)`` pairs, records with ``revenue``, ``revenue_low``, ``revenue_high``, ``bid_counts``)."""
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    colours = {"asynchronous": "#36c", "synchronous": "#c33"}
    for name, points in curves.items():
        a = np.array([x for x, _ in points])
        rev = np.array([r["revenue"] for _, r in points])
        err = np.array([[r["revenue"] - r["revenue_low"], r["revenue_high"] - r["revenue"]] for _, r in points]).T
        left.errorbar(a, rev, yerr=np.nan_to_num(err), fmt="o-", c=colours.get(name, "#777"), capsize=3, label=name)
    first = True
    for a, values in published.items():
        for v in values:
            left.plot([a], [v], "k*", ms=10, label="published" if first else None)
            first = False
    left.set_xlabel("payment rule a (1: first price, 2: second price)")
    left.set_ylabel("revenue at the final greedy bids")
    left.set_ylim(0, 1)
    left.legend(fontsize=8)
    left.set_title("Revenue by payment rule")
    width = 0.8 * (grid[1] - grid[0]) / max(2 * len(curves), 1)
    offset = 0
    for name, points in curves.items():
        for a, rec in points:
            if a not in (1.0, 2.0):
                continue
            counts = np.asarray(rec["bid_counts"], dtype=float)
            share = counts / max(counts.sum(), 1.0)
            hatch = "" if a == 1.0 else "//"
            right.bar(grid + (offset - len(curves)) * width, share, width=width, color=colours.get(name, "#777"),
                      alpha=0.8, hatch=hatch, label=f"{'first' if a == 1.0 else 'second'} price, {name}")
            offset += 1
    right.set_xlabel("final greedy bid")
    right.set_ylabel("share of bids")
    right.set_title("Where the bidders end")
    right.legend(fontsize=8)
    return save_figure(fig, path)
