"""The regulator's collusion tests (:mod:`oversight_gym.analysis.detection`) run on the collusion
family's four markets: learned sessions of each market's engine, frozen, and play at a static Nash
equilibrium beside them.

* :func:`market_groups`: the groups of sessions of one market: the learned sessions that end
  above the competitive level (``"colluding"``), learned or static-Nash play that does not
  (``"competitive"``), and learned sessions between the two (``"in between"``: reported, never
  counted as either);
* :func:`session_tests`: per session, whether each test flags it (forced cut answered, forced
  rise answered, reward-punishment scheme, retraining exploits the rivals), the retrained
  agent's price and payoff, and the price path's features for the learned detector;
* :func:`repairing_flags`: re-pairing agents across a group's sessions;
* :func:`plot_detection`: each test's flagged share by group.

The market rules are each engine's (see :mod:`~oversight_gym.envs.collusion.calvano`,
:mod:`~oversight_gym.envs.collusion.klein`, :mod:`~oversight_gym.envs.collusion.auction_runs`,
:mod:`~oversight_gym.envs.collusion.memoryless`); this module only builds and reads them.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from oversight_gym.analysis.detection import (
    FrozenMarket,
    cycle_mean,
    observed_path,
    path_features,
    repairing_test,
    retraining_test,
    reward_punishment,
    symmetric_static_nash,
)
from oversight_gym.analysis.plots import annotate_cells, pyplot, save_figure
from oversight_gym.envs.collusion import auction_runs, memoryless
from oversight_gym.envs.collusion.calvano import CalvanoConfig, run_sessions
from oversight_gym.envs.collusion.frozen import (
    AuctionMarket,
    CalvanoMarket,
    KleinMarket,
    MemorylessMarket,
    StatelessMarket,
)
from oversight_gym.envs.collusion.klein import KleinConfig, run_runs
from oversight_gym.envs.collusion.pricing import joint_index

MARKETS = ("Calvano", "Klein", "auction", "memoryless")
TRUTHS = ("colluding", "competitive", "in between")
#: the tests that flag single sessions, in the order reported
TESTS = ("forced cut answered", "forced rise answered", "reward-punishment scheme", "retrained agent exploits rivals")


@dataclass
class Group:
    """Sessions of one market under one set of rules: their frozen ``markets``, whether they are
    known to collude (``truth``), and the market's competitive and collusive price (or bid), the
    scale of the tests' price measures."""

    market: str
    rules: str
    truth: str
    markets: list[Any]
    competitive: float
    collusive: float

    @property
    def label(self) -> int:
        """1 colluding, 0 competitive, -1 neither (the detector's labels)."""
        return {"colluding": 1, "competitive": 0}.get(self.truth, -1)


def _most_collusive_nash(market: FrozenMarket) -> int:
    """The static Nash action (:func:`symmetric_static_nash`) farthest from competition: the
    highest such price, the lowest such bid (the least competitive play that is still static Nash)."""
    actions = symmetric_static_nash(market)
    if not actions:
        raise ValueError("the market has no symmetric static Nash equilibrium on its grid")
    return min(actions) if market.competitive > 0 else max(actions)


def _nash_copies(template: Any, count: int, action: int) -> list[Any]:
    """``count`` copies of a frozen market in which every agent plays ``action`` in every state."""
    out = []
    for _ in range(count):
        m = copy.copy(template)
        if isinstance(m, CalvanoMarket):
            m.strategies = np.full_like(template.strategies, action)
            joint = joint_index([action] * m.n_agents, m.n_actions)
            m.start_state = sum(joint * (m.n_actions**m.n_agents) ** r for r in range(m.config.k))  # always there
        elif isinstance(m, KleinMarket):
            m.policies = np.full_like(template.policies, action)
            m.initial = np.full(2, action)
        else:
            m.actions = np.full_like(template.actions, action)
        m.q = None
        out.append(m)
    return out


def calvano_groups(sessions: int, beta: float, seed: int) -> list[Group]:
    """Calvano et al. (2020) at its baseline market with learning rate 0.15 and exploration decay
    ``beta``: asynchronous learners (colluding), the synchronous option (in between: counterfactual
    updating with memory keeps part of the profit gain) and static-Nash play (competitive)."""
    cfg = CalvanoConfig(beta=beta)
    game = cfg.game()
    groups = []
    for rules, sync, truth in (("asynchronous", False, "colluding"), ("synchronous", True, "in between")):
        c = replace(cfg, synchronous=sync)
        res = run_sessions(c, sessions, seed, keep_q=True)
        markets = [CalvanoMarket(c, res.strategies[b], int(res.cycle_start[b]), q=res.q[b])
                   for b in np.flatnonzero(res.converged)]
        groups.append(Group("Calvano", rules, truth, markets, float(game.p_nash.mean()),
                            float(game.p_monopoly.mean())))
    template = groups[0].markets[0]
    nash = _nash_copies(template, sessions, _most_collusive_nash(template))
    groups.append(Group("Calvano", "static Nash", "competitive", nash, groups[0].competitive, groups[0].collusive))
    return groups


def klein_groups(runs: int, periods: int, seed: int, k: int = 6) -> list[Group]:
    """Klein (2021) on k + 1 prices: Q-learning runs (colluding: their mean profit is above the
    competitive Edgeworth cycle's) and static-Nash play (competitive)."""
    cfg = KleinConfig(k=k, periods=periods)
    out = run_runs(cfg, runs, seed)
    markets = [KleinMarket(cfg, out["policies"][r], out["final_prices"][r], cfg.periods, q=out["q"][r])
               for r in range(runs)]
    grid = cfg.game().grid
    nash = _most_collusive_nash(markets[0])
    return [Group("Klein", "Q-learning", "colluding", markets, float(grid[nash]), 0.5),
            Group("Klein", "static Nash", "competitive", _nash_copies(markets[0], runs, nash), float(grid[nash]), 0.5)]


def auction_groups(sessions: int, periods: int, seed: int) -> list[Group]:
    """Banchio and Skrzypacz (2022): first-price auctions with asynchronous learners (colluding:
    low bids), second-price auctions and first-price auctions with feedback (synchronous
    updating; competitive: bids near the value), and static-Nash bidding (competitive)."""
    groups = []
    for rules, a, sync, truth in (("first price", 1.0, False, "colluding"), ("second price", 2.0, False, "competitive"),
                                  ("first price, feedback", 1.0, True, "competitive")):
        config = {"a": a, "synchronous": sync, "periods": periods}
        game, learning = auction_runs.split_config(config)
        out = auction_runs.run_auctions(config, sessions, seed)
        markets = [AuctionMarket(game, out["actions"][b], learning, q=out["q"][b]) for b in range(sessions)]
        groups.append(Group("auction", rules, truth, markets, float(game.grid[-1]), float(game.grid[0])))
    template = groups[0].markets[0]
    groups.append(Group("auction", "first price, static Nash", "competitive",
                        _nash_copies(template, sessions, _most_collusive_nash(template)), groups[0].competitive,
                        groups[0].collusive))
    return groups


def memoryless_groups(sessions: int, periods: int, sync_periods: int, seed: int) -> list[Group]:
    """Asker, Fershtman and Pakes (2022), two firms: asynchronous learners (colluding: prices
    near the value), synchronous learners (competitive: the highest static Nash price) and
    static-Nash play (competitive)."""
    groups = []
    for rules, sync, truth in (("asynchronous", False, "colluding"), ("synchronous", True, "competitive")):
        config = {"n_firms": 2, "synchronous": sync, "periods": sync_periods if sync else periods}
        game, learning = memoryless.split_config(config)
        out = memoryless.run_markets(config, sessions, seed)
        markets = [MemorylessMarket(game, out["actions"][b], learning, q=out["q"][b]) for b in range(sessions)]
        groups.append(Group("memoryless", rules, truth, markets, float(game.nash_prices.max()), float(game.value)))
    template = groups[0].markets[0]
    groups.append(Group("memoryless", "static Nash", "competitive",
                        _nash_copies(template, sessions, _most_collusive_nash(template)), groups[0].competitive,
                        groups[0].collusive))
    return groups


def session_tests(group: Group, seed: int, start: str, path_periods: int, tremble: float,
                  periods: int = 20) -> dict[str, Any]:
    """Each session's flags (:data:`TESTS`), the retrained agent's mean price as a share of the way
    from the competitive price to its own price before (``price_share``) and its payoff after over
    before (``payoff_ratio``), and the features of a trembling replay's price path."""
    rng = np.random.default_rng([seed, MARKETS.index(group.market), len(group.rules)])
    out: dict[str, list[Any]] = {name: [] for name in (*TESTS, "price_share", "payoff_ratio", "features")}
    for b, m in enumerate(group.markets):
        rp = reward_punishment(m, periods=periods)
        out["forced cut answered"].append(bool(rp["compete"].stats["punished"]))
        out["forced rise answered"].append(bool(rp["collude"].stats["moved"] and rp["collude"].stats["punished"]))
        out["reward-punishment scheme"].append(rp["scheme"] is True)
        rt = retraining_test(m, 0, seed=seed * 100_003 + b, start=start, competitive_price=group.competitive)
        out["retrained agent exploits rivals"].append(rt["exploits"])
        out["price_share"].append(rt["price_share"])
        out["payoff_ratio"].append(rt["payoff_after"] / rt["payoff_before"] if rt["payoff_before"] > 0 else np.nan)
        path = observed_path(m, path_periods, tremble, rng)
        out["features"].append(path_features(path, group.competitive, group.collusive).tolist())
    return out


def regroup(parts: Sequence[tuple[Any, int]]) -> Any:
    """A frozen market of agents taken from other sessions' markets: ``parts[i] = (market, j)``
    makes agent i play as agent j of that market; play starts where the first market's did."""
    base = copy.copy(parts[0][0])
    if isinstance(base, CalvanoMarket):
        base.strategies = np.stack([m.strategies[j] for m, j in parts])
    elif isinstance(base, KleinMarket):
        base.policies = np.stack([m.policies[j] for m, j in parts])
    elif isinstance(base, StatelessMarket):
        base.actions = np.array([m.actions[j] for m, j in parts])
    else:
        raise ValueError(f"parts: no way to regroup agents of a {type(base).__name__}")
    base.q = None
    return base


def repairing_flags(group: Group, periods: int = 200, burn: int = 100) -> dict[str, Any]:
    """Re-pair the group's agents across its sessions (:func:`repairing_test`, measure: the agents'
    mean payoff on the replay): per new group, whether the mean payoff fell (``flags``), and the
    mean payoff lost (``lost``: original minus re-paired, per session)."""
    n = group.markets[0].n_agents
    agents = [[(m, i) for i in range(n)] for m in group.markets]
    res = repairing_test(agents, regroup, lambda m: cycle_mean(m, periods, burn))
    lost = res["original"] - res["repaired"]
    return {"flags": (lost > 1e-9).tolist(), "lost": lost.tolist()}


def plot_detection(rows: Sequence[str], columns: Sequence[tuple[str, str, str]], shares: np.ndarray,
                   path: str | Path) -> Path:
    """Each test's flagged share (rows) in each group of sessions (columns: market, rules, truth),
    colluding groups first: power where the truth is colluding, false-positive rate where it is
    competitive."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(max(7.5, 3.0 + 0.75 * len(columns)), 2.4 + 0.45 * len(rows)))
    im = ax.imshow(shares, cmap="viridis", vmin=0, vmax=1, aspect="auto")
    annotate_cells(ax, im, shares, fontsize=7)
    ax.set_yticks(range(len(rows)), rows, fontsize=8)
    ax.set_xticks(range(len(columns)), [f"{m}\n{r}\n({t})" for m, r, t in columns], fontsize=6.5, rotation=60,
                  ha="right", rotation_mode="anchor")
    ax.set_title("Share of sessions each test flags\n(power on colluding groups, false positives on competitive ones)",
                 fontsize=9)
    fig.colorbar(im, ax=ax, fraction=0.03)
    return save_figure(fig, path)
