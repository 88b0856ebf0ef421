"""The regulator's collusion tests (oversight_gym.analysis.detection) on frozen strategies whose
answer is known, and on the collusion family's markets against their own replay code."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from oversight_gym.analysis.detection import (
    PricePathDetector,
    cycle_mean,
    forced_deviation,
    path_features,
    repairing_test,
    replay,
    reward_punishment,
)
from oversight_gym.envs.collusion.auction import AuctionGame
from oversight_gym.envs.collusion.calvano import CalvanoConfig, impulse_response, run_sessions
from oversight_gym.envs.collusion.frozen import AuctionMarket, CalvanoMarket, KleinMarket
from oversight_gym.envs.collusion.klein import KleinConfig, greedy_path, run_runs

LOW, MID, HIGH = 0, 1, 2
#: a duopoly on three prices: the lower price takes the market, a tie splits it
PRICES = np.array([1.6, 2.0, 3.0])  # cost 0.5: undercutting the middle price pays for one period


def _profits(actions: np.ndarray) -> np.ndarray:
    p = PRICES[actions]
    low = p.min()
    winners = p == low
    return np.where(winners, (low - 0.5) / winners.sum(), 0.0)


class ToyMarket:
    """Two firms with memory one; ``rule(own, rival)`` is a firm's next price after last period's."""

    competitive = -1
    n_agents = 2
    n_actions = 3

    def __init__(self, rule, start: Sequence[int] = (MID, MID)) -> None:
        self.rule, self.initial = rule, np.array(start)

    def start(self) -> np.ndarray:
        return self.initial[None, :]

    def movers(self, history: np.ndarray) -> Sequence[int]:
        return (0, 1)

    def step(self, history: np.ndarray, forced: dict[int, int] | None = None) -> np.ndarray:
        last = history[-1]
        acts = np.array([self.rule(last[0], last[1]), self.rule(last[1], last[0])])
        for i, a in (forced or {}).items():
            acts[i] = a
        return acts

    def payoffs(self, actions: np.ndarray) -> np.ndarray:
        return _profits(actions)

    def prices(self, actions: np.ndarray) -> np.ndarray:
        return PRICES[actions]


def grim(own: int, rival: int) -> int:
    """The middle price until someone prices low, then low for good (a raise is ignored)."""
    return LOW if min(own, rival) == LOW else MID


def touchy(own: int, rival: int) -> int:
    """The middle price while both keep it; any change, up or down, starts a price war."""
    return MID if (own, rival) == (MID, MID) else LOW


def test_a_grim_trigger_cartel_is_a_reward_punishment_scheme() -> None:
    market = ToyMarket(grim)
    out = reward_punishment(market, periods=8)
    down, up = out["compete"], out["collude"]
    assert down.stats["punished"] and not down.stats["deviation_paid"] and np.isnan(down.stats["duration"])
    assert up.stats["moved"] and not up.stats["punished"]
    assert out["scheme"] is True
    assert down.prices_shocked[1].tolist() == [1.6, 2.0]  # the deviation period: firm 0 undercuts
    assert down.prices_shocked[2:, 1].max() == 1.6  # the rival prices low ever after


def test_answering_every_change_is_not_read_as_punishment() -> None:
    out = reward_punishment(ToyMarket(touchy), periods=8)
    assert out["compete"].stats["punished"] and out["collude"].stats["punished"]
    assert out["scheme"] is False


def test_competitive_play_leaves_no_room_and_no_scheme() -> None:
    market = ToyMarket(lambda own, rival: LOW, start=(LOW, LOW))
    out = reward_punishment(market, periods=5)
    assert out["compete"].stats["moved"] is False and out["scheme"] is None


def test_repairing_agents_with_different_conventions_breaks_their_collusion() -> None:
    """Session a colludes at the middle price, session b at the high one, each matching its
    partner's convention; re-paired, the firms undercut each other down to the low price."""

    def convention(level: int):
        return lambda own, rival: level if rival == level else max(min(own, rival) - 1, LOW)

    agents = [[convention(MID), convention(MID)], [convention(HIGH), convention(HIGH)]]

    def make(rules: Sequence) -> ToyMarket:
        class Pair(ToyMarket):
            def step(self, history, forced=None):
                last = history[-1]
                return np.array([rules[0](last[0], last[1]), rules[1](last[1], last[0])])

        level = MID if rules[0] is agents[0][0] else HIGH
        return Pair(None, start=(level, level))

    result = repairing_test(agents, make, lambda m: cycle_mean(m, periods=20, burn=10))
    assert result["original"] == pytest.approx([0.75, 1.25])
    assert (result["repaired"] < result["original"]).all() and result["change"] < 0


def test_bad_arguments_are_named() -> None:
    market = ToyMarket(grim)
    with pytest.raises(ValueError, match="direction must be one of"):
        forced_deviation(market, direction="sideways")
    with pytest.raises(ValueError, match="deviator must be in"):
        forced_deviation(market, deviator=2)
    with pytest.raises(ValueError, match="at least 2 sessions"):
        repairing_test([[grim, grim]], lambda a: market, cycle_mean)
    with pytest.raises(ValueError, match="burn must be in"):
        cycle_mean(market, periods=5, burn=5)


def test_calvano_market_replays_the_engine_strategies() -> None:
    cfg = CalvanoConfig(beta=2e-4, window=2000, max_periods=300_000)
    res = run_sessions(cfg, 3, seed=0)
    ir = impulse_response(cfg, res, deviator=0, periods=6)
    for b in range(3):
        market = CalvanoMarket(cfg, res.strategies[b], int(res.cycle_start[b]))
        path = replay(market, 6)
        assert (path[1:] == ir["baseline"][b, 1:]).all()  # the same baseline as the impulse response
        dev = forced_deviation(market, direction="compete", periods=6)
        assert dev.prices_baseline[1:].tolist() == ir["prices_baseline"][b, 1:].tolist()


def test_klein_market_replays_greedy_play_and_waits_for_the_deviators_turn() -> None:
    cfg = KleinConfig(periods=60_000)
    out = run_runs(cfg, 2, seed=1)
    for r in range(2):
        market = KleinMarket(cfg, out["policies"][r], out["final_prices"][r], cfg.periods)
        path = replay(market, 10)
        assert (path == greedy_path(out["policies"][r], out["final_prices"][r], cfg.periods % 2, 10)).all()
    market = KleinMarket(cfg, out["policies"][0], out["final_prices"][0], periods=1)  # firm 1 moves next
    after = replay(market, 1)[1]
    dev = forced_deviation(market, deviator=0, periods=6)
    assert dev.prices_baseline[0].tolist() == market.prices(after).tolist()  # it waited for firm 0's turn
    assert dev.prices_shocked[1, 1] == dev.prices_baseline[1, 1]  # in the deviation period only firm 0 moved


def test_stateless_bidders_cannot_punish() -> None:
    """Q-learning bidders of the first-price auction end on low bids, but a stateless bidder
    cannot answer a deviation: outbidding the rival pays, so the low bids are no
    reward-punishment scheme (Banchio and Skrzypacz: low bids come from the learning dynamics)."""
    game = AuctionGame(a=1.0)
    out = reward_punishment(AuctionMarket(game, [3, 3]), periods=5)
    assert not out["compete"].stats["punished"] and out["compete"].stats["deviation_paid"]
    assert out["scheme"] is False


def _paths(rng: np.random.Generator, colluding: bool, periods: int = 60) -> np.ndarray:
    """Toy sessions: colluding pairs sit near the collusive price and answer each other's moves;
    competitive ones wander near the competitive price independently."""
    if colluding:
        base = 0.8 + 0.1 * rng.random()
        path = np.full((periods, 2), base)
        for t in rng.choice(np.arange(5, periods - 5), size=3, replace=False):
            path[t:t + 3, 0] -= 0.3
            path[t + 1:t + 4, 1] -= 0.3  # the rival follows a period later
        return path
    return 0.1 + 0.1 * rng.random((periods, 2))


def test_path_features_on_the_price_scale() -> None:
    flat = np.full((10, 2), 3.0)
    f = path_features(flat, competitive=1.0, collusive=3.0)
    assert f.tolist() == pytest.approx([1.0, 1.0, 0.0, 0.0, 0.0, 0.0])
    led = np.array([[1.0, 1.0], [2.0, 1.0], [2.0, 2.0], [2.0, 2.0]])
    # firm 1 followed firm 0's change, and nobody followed firm 1's: half the changes were followed
    assert path_features(led, 1.0, 2.0)[-1] == 0.5
    with pytest.raises(ValueError, match="must differ"):
        path_features(flat, 1.0, 1.0)


def test_the_detector_learns_collusion_and_holds_its_false_positive_rate() -> None:
    rng = np.random.default_rng(0)
    labels = np.array([1, 0] * 100)
    feats = np.stack([path_features(_paths(rng, bool(y)), 0.0, 1.0) for y in labels])
    detector = PricePathDetector().fit(feats[:100], labels[:100])
    detector.calibrate(feats[:100][labels[:100] == 0], false_positive_rate=0.05)
    report = detector.evaluate(feats[100:], labels[100:])
    assert report.power.value > 0.9 and report.false_positive_rate.value <= 0.1
    with pytest.raises(ValueError, match="both colluding"):
        PricePathDetector().fit(feats[:10], np.ones(10))
