"""The regulator's collusion tests (oversight_gym.analysis.detection) on frozen strategies whose
answer is known, and on the collusion family's markets against their own replay code."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oversight_gym.analysis.detection import (
    PricePathDetector,
    cycle_mean,
    forced_deviation,
    path_features,
    repairing_test,
    replay,
    retraining_test,
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


# --- retraining one agent against frozen rivals -------------------------------------------------
def test_each_engine_retrains_as_its_reference_does() -> None:
    """Retraining runs in the compiled engines; the readable references, given the same frozen
    rival and starting values, give the same sessions (Calvano, the stateless learners, Klein)."""
    from oversight_gym.envs.collusion import auction_runs, stateless_q
    from oversight_gym.envs.collusion.calvano import reference_session, retrain_sessions
    from oversight_gym.envs.collusion.klein import reference_run, retrain_runs

    cfg = CalvanoConfig(m=5, beta=5e-4, window=500, max_periods=100_000)
    res = run_sessions(cfg, 2, seed=0, keep_q=True)
    for start in ("fresh", "learned"):
        again = retrain_sessions(cfg, res.strategies, 1, seed=3, start=start, q=res.q)
        for b in range(2):
            ref = reference_session(cfg, 3, b, q_init=res.q[b] if start == "learned" else None,
                                    frozen={0: res.strategies[b, 0].astype(int)})
            assert (ref["strategies"] == again.strategies[b]).all() and ref["periods"] == again.periods[b]
            assert (again.strategies[b, 0] == res.strategies[b, 0]).all()  # the rival stayed frozen
    game, learning = auction_runs.split_config({"a": 1.0, "periods": 3000})
    out = stateless_q.run_sessions(game.stage, learning, 2, seed=0, random_ties=True)
    again = stateless_q.retrain_sessions(game.stage, learning, out["actions"], 0, seed=4, random_ties=True,
                                         start="learned", q=out["q"])
    for b in range(2):
        ref = stateless_q.reference_session(game.stage, learning, 4, b, True,
                                            frozen={1: int(out["actions"][b, 1])}, q_start=out["q"][b])
        assert (ref["actions"] == again["actions"][b]).all() and ref["stable"] == again["stable"][b]
    kcfg = KleinConfig(periods=5000)
    kout = run_runs(kcfg, 2, seed=0)
    kagain = retrain_runs(kcfg, kout["policies"], 0, seed=2)
    for r in range(2):
        ref = reference_run(kcfg, 2, r, frozen={1: kout["policies"][r, 1]})
        assert (ref["policies"] == kagain["policies"][r]).all() and np.allclose(ref["profits"], kagain["profits"][r])


def test_retraining_options_are_checked_by_name() -> None:
    from oversight_gym.envs.collusion.calvano import retrain_sessions

    cfg = CalvanoConfig(m=3)
    strategies = np.zeros((1, 2, 9), dtype=np.int64)
    with pytest.raises(ValueError, match="start must be one of"):
        retrain_sessions(cfg, strategies, start="warm")
    with pytest.raises(ValueError, match="start='learned' needs q"):
        retrain_sessions(cfg, strategies, start="learned")
    with pytest.raises(ValueError, match="strategies must have shape"):
        retrain_sessions(cfg, strategies[:, :, :4])
    with pytest.raises(ValueError, match="learning: retraining needs"):
        AuctionMarket(AuctionGame(), [3, 3]).retrained(0)


@settings(max_examples=12, deadline=None)
@given(m=st.integers(4, 12), cost=st.sampled_from([0.0, 1.0, 2.0, 3.5]), rival=st.integers(0, 11),
       seed=st.integers(0, 2**16), nash=st.booleans())
def test_retraining_against_a_fixed_rival_price_ends_at_a_best_response(m: int, cost: float, rival: int, seed: int,
                                                                        nash: bool) -> None:
    """Against a rival frozen at one price (a static-Nash price, or any price), the market is a
    one-player decision: Asker et al.'s learner (no discounting, greedy, values starting above any
    profit) keeps trying the price it values most until every value is near its profit, so it
    ends at a best response to the rival's price."""
    from oversight_gym.envs.collusion.frozen import MemorylessMarket
    from oversight_gym.envs.collusion.homogeneous_pricing import static_nash
    from oversight_gym.envs.collusion.memoryless import split_config

    game, learning = split_config({"n_firms": 2, "m": m, "cost": cost, "periods": 20_000})
    if nash:
        rival = static_nash(game.grid, cost, game.value, 2)[-1]
    rival = min(rival, m - 1)
    market = MemorylessMarket(game, [0, rival], learning)
    out = retraining_test(market, agent=0, seed=seed)
    best = max(float(market.payoffs(np.array([a, rival]))[0]) for a in range(m))
    assert out["payoff_after"] == pytest.approx(best)


def test_a_learner_retrained_against_a_static_nash_rival_prices_at_nash() -> None:
    """With memory, a Calvano learner facing a rival frozen at the grid's static Nash price cannot
    move the rival, so its best reply is the static best response, the same Nash price."""
    from oversight_gym.analysis.detection import symmetric_static_nash

    cfg = CalvanoConfig(m=7, beta=5e-5, window=5000, max_periods=2_000_000)
    template = CalvanoMarket(cfg, np.zeros((2, 49), dtype=np.int64))
    nash = max(symmetric_static_nash(template))
    market = CalvanoMarket(cfg, np.full((2, 49), nash), start_state=nash * 7 + nash)
    out = retraining_test(market, agent=0, seed=1, competitive_price=float(market.game.p_nash[0]))
    assert out["price_after"] == pytest.approx(out["price_before"]) and not out["exploits"]
    assert out["price_share"] == pytest.approx(1.0)


# --- the detector on held-out market rules -------------------------------------------------------
def test_the_detector_is_evaluated_on_market_rules_it_never_saw() -> None:
    from oversight_gym.analysis.detection import held_out_evaluation

    rng = np.random.default_rng(1)
    feats, labels, groups = [], [], []
    for market, level in (("a", 0.0), ("b", -0.15), ("c", 0.1)):  # the markets' cartels price differently
        for y in (1, 0) * 30:
            path = _paths(rng, bool(y)) + level * y
            feats.append(path_features(path, 0.0, 1.0))
            labels.append(y)
            groups.append(market)
    feats.append(path_features(_paths(rng, True), 0.0, 1.0))  # an unlabelled session: flagged, never trained on
    labels.append(-1)
    groups.append("c")
    out = held_out_evaluation(feats, labels, groups, false_positive_rate=0.05)
    assert set(out["reports"]) == {"a", "b", "c"} and out["flags"].shape == (len(labels),)
    for rep in out["reports"].values():
        assert rep.power.value > 0.9 and rep.false_positive_rate.value <= 0.1 and rep.power.n == 30
    with pytest.raises(ValueError, match="lack colluding or competitive"):
        held_out_evaluation(feats[:60], labels[:60], ["a", "b"] * 30)  # a colludes, b competes: alone, neither
    with pytest.raises(ValueError, match="labels must be"):
        held_out_evaluation(feats[:2], [2, 0], ["a", "b"])


def test_the_observed_path_trembles_and_rivals_answer() -> None:
    from oversight_gym.analysis.detection import observed_path

    market = ToyMarket(grim)
    path = observed_path(market, 30, 0.0, np.random.default_rng(0))
    assert path.shape == (30, 2) and (path == 2.0).all()  # no tremble: the cartel holds
    shaken = observed_path(market, 200, 0.3, np.random.default_rng(0))
    assert (shaken == 1.6).any()
    with pytest.raises(ValueError, match="tremble must be in"):
        observed_path(market, 5, 1.5, np.random.default_rng(0))


def test_the_collusion_detection_scenario_runs_quickly_and_resumes(tmp_path) -> None:
    from oversight_gym.runner.scenario import get_scenario

    sc = get_scenario("collusion-detection")
    given = {"markets": "Klein,memoryless", "sessions": 4, "klein_periods": 20_000, "memoryless_periods": 20_000,
             "path_periods": 20}
    res = sc.execute(given, quick=True, out=tmp_path, progress=False)
    names = {m.name for m in res.measures}
    assert {"forced cut answered", "retrained agent exploits rivals", "profit falls when re-paired",
            "price-path detector (held out)"} <= names
    truths = {m.setting["truth"] for m in res.measures}
    assert truths == {"colluding", "competitive"}
    assert all(len(line) <= 120 for line in res.table().splitlines())
    assert (tmp_path / "collusion_detection.png").exists()
    again = sc.execute(given, quick=True, out=tmp_path, progress=False)  # resumed from the records
    assert [m.value for m in again.measures] == [m.value for m in res.measures]
    with pytest.raises(ValueError, match="--markets"):
        sc.execute({"markets": "Klein"}, quick=True, out=tmp_path / "one", progress=False)
