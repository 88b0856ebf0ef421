"""Memoryless Q-learners in the homogeneous-good market (Asker, Fershtman and Pakes 2022): the
stateless learners of :mod:`oversight_gym.envs.collusion.stateless_q` on
:mod:`oversight_gym.envs.collusion.homogeneous_pricing`, and whether they learn asynchronously
(updating only the price played) or synchronously (updating every price against the rivals'
realised prices).

The paper's learners: no discounting (``gamma = 0``: a price's value is its expected profit),
learning rate 0.1, greedy play (``eps0 = 0``), exploration only from optimistic initial values
drawn from U[10, 20]. These are :data:`ASKER`; a session's price settles where the greedy prices
stop changing.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from oversight_gym.envs.collusion import stateless_q
from oversight_gym.envs.collusion.homogeneous_pricing import HomogeneousPricingGame
from oversight_gym.envs.collusion.stateless_q import Learning

GAME_FIELDS = ("n_firms", "m", "p_low", "p_high", "cost", "value")
#: the learners of Asker, Fershtman and Pakes (2022)
ASKER = {"alpha": 0.1, "gamma": 0.0, "eps0": 0.0, "q0": 10.0, "q0_high": 20.0}


def split_config(config: dict[str, Any]) -> tuple[HomogeneousPricingGame, Learning]:
    """A flat configuration as the market and its learners (Asker et al.'s by default)."""
    return stateless_q.split_config(config, HomogeneousPricingGame, GAME_FIELDS, defaults=ASKER)


def run_markets(config: dict[str, Any], sessions: int | range, seed: int = 0) -> dict[str, np.ndarray]:
    """Sessions of memoryless learners: the engine's outcomes plus each firm's final greedy
    ``prices`` and the period its greedy price last changed (``settled``)."""
    game, learning = split_config(config)
    out = stateless_q.run_sessions(game.stage, learning, sessions, seed=seed)
    out["prices"] = game.grid[out["actions"]]
    out["settled"] = learning.periods - out["stable"]
    return out


def batch_outcomes(config: dict[str, Any], seed: int, episodes: int) -> dict[str, np.ndarray]:
    """Sessions ``0..episodes-1`` of master ``seed`` (the batch engine registered with
    ``collusion/homogeneous-pricing-v0``)."""
    return stateless_q.market_outcomes(*split_config(config), seed, episodes)


def reference_outcome(config: dict[str, Any], seed: int, episode: int) -> dict[str, Any]:
    """Session ``episode`` of master ``seed`` by the readable reference: what
    :func:`batch_outcomes` must reproduce exactly."""
    return stateless_q.market_reference(*split_config(config), seed, episode)


def plot_protocols(records: list[dict[str, Any]], path: Any) -> Any:
    """Histograms of the firms' final prices, one panel per number of firms, one colour per
    protocol, the highest static Nash price (``top_nash`` of the records) marked (records of the
    learning-protocols scenario)."""
    from oversight_gym.analysis.plots import pyplot, save_figure

    plt = pyplot()
    firms = sorted({r["firms"] for r in records})
    fig, axes = plt.subplots(1, len(firms), figsize=(3.4 * len(firms) + 1.0, 3.4), squeeze=False)
    colours = {"asynchronous": "#36c", "synchronous": "#c33"}
    bins = np.linspace(0.0, 10.0, 41)
    for ax, n in zip(axes[0], firms, strict=True):
        for r in (r for r in records if r["firms"] == n):
            ax.hist(r["prices"], bins=bins, color=colours.get(r["protocol"], "#777"), alpha=0.7, label=r["protocol"])
            nash = r["top_nash"]
        ax.axvline(nash, ls="--", c="#555", lw=1)
        ax.text(nash, ax.get_ylim()[1] * 0.95, " Nash", fontsize=8, va="top")
        ax.set_title(f"{n} firms", fontsize=9)
        ax.set_xlabel("final price")
    axes[0][0].set_ylabel("firms x sessions")
    axes[0][0].legend(fontsize=8, loc="upper center")
    return save_figure(fig, path)
