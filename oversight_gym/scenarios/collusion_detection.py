"""Collusion tests a regulator could run, and how well each tells colluding learned markets from
competitive ones, across the four markets of the collusion family.

A regulator who can freeze a market's pricing (or bidding) agents and replay them can run the tests
of :mod:`oversight_gym.analysis.detection` on each session:

* **forced cut answered**: force one agent one step toward competition (a lower price, a higher
  bid) for one period; do the rivals answer by moving toward competition (Calvano et al. 2020,
  section IV.B)?
* **forced rise answered**: the same after a forced step away from competition (Epivent and Lambin
  2024: learned cartels answer rises with cuts too, which is no punishment);
* **reward-punishment scheme**: a forced cut is answered and does not pay, while a forced rise is
  not answered;
* **retrained agent exploits rivals**: one agent learns again, by its market's engine, against its
  rivals frozen at their learned strategies, and ends up earning more than it did (Courthoud 2021:
  the collusive price was not a best response to the rivals' strategies);
* **profit falls when re-paired**: agents from different sessions play together and earn less than
  the original pairs (Eschenbaum, Mellgren and Zahn 2022, arXiv 2201.00345);
* **price-path detector (held out)**: a logistic regression on features of the observed price path
  (:class:`~oversight_gym.analysis.detection.PricePathDetector`), trained on the labelled sessions
  of the other three markets, its threshold set to a 5% false-positive rate on their competitive
  sessions, applied to this market (:func:`~oversight_gym.analysis.detection.held_out_evaluation`).

The sessions (:mod:`oversight_gym.envs.collusion.detection_runs`): Calvano's logit duopoly
(asynchronous learners; the synchronous option; static-Nash play), Klein's alternating pricing on 7
prices (Q-learning; static-Nash play), Banchio and Skrzypacz's auctions (first price; second price;
first price with feedback; static-Nash bidding) and Asker, Fershtman and Pakes's homogeneous-good
market (asynchronous; synchronous; static-Nash play). Sessions are **colluding** when their learning
ends above the competitive level (the papers' findings, and ours in the other scenarios) and
**competitive** when it ends at it or when agents play the stage game's static Nash equilibrium (the
one farthest from competition, the hardest for a test). Calvano's synchronous option keeps part of
the profit gain (Delta about 0.4 at these settings) and is reported as **in between**, counted as
neither. A test's flagged share is its power on colluding sessions and its false-positive rate on
competitive ones, each with a Wilson interval.

The claims are the literature's qualitative findings on Calvano's market, stated as directions:
forced cuts are answered (Calvano et al.), forced rises too (Epivent and Lambin), re-pairing cuts
profit (Eschenbaum et al.), and retraining exploits a colluding rival but not static-Nash play
(Courthoud). The rest is reported as measured.

Run: ``oversight-gym run collusion-detection [--quick]`` (full: about two minutes on 2 cores).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from tqdm import tqdm

from oversight_gym.analysis.claims import Claim, Ref
from oversight_gym.analysis.detection import RETRAIN_STARTS, held_out_evaluation
from oversight_gym.analysis.measures import Measure
from oversight_gym.analysis.metrics import rate
from oversight_gym.analysis.report import mean_interval
from oversight_gym.envs.collusion.detection_runs import (
    MARKETS,
    TESTS,
    auction_groups,
    calvano_groups,
    klein_groups,
    memoryless_groups,
    plot_detection,
    repairing_flags,
    session_tests,
)
from oversight_gym.runner.records import RecordFile
from oversight_gym.runner.scenario import Context, Param, Scenario, ScenarioResult

CALVANO = "Calvano, Calzolari, Denicolo, Pastorello 2020, AER 110(10): impulse responses"
EPIVENT = "Epivent and Lambin 2024, On algorithmic collusion and reward-punishment schemes"
ESCHENBAUM = "Eschenbaum, Mellgren and Zahn 2022, Robust algorithmic collusion, arXiv 2201.00345"
COURTHOUD = "Courthoud 2021, Algorithmic collusion detection"
REPAIRED = "profit falls when re-paired"
DETECTOR = "price-path detector (held out)"
LOST = "payoff lost when re-paired, per agent"
COLLUDING = {"market": "Calvano", "sessions": "asynchronous"}


def _calvano_setting(p: dict[str, Any]) -> bool:
    return "Calvano" in p["markets"] and p["calvano_beta"] <= 2e-5 and p["sessions"] >= 10


CLAIMS = [
    Claim.greater("calvano-cut-answered", "a forced price cut is answered by the rival's cut in most colluding Calvano "
                  "sessions", CALVANO, Ref("forced cut answered", **COLLUDING), 0.5,
                  published="deviations are punished", quick=True, when=_calvano_setting),
    Claim.greater("calvano-rise-answered", "a forced price rise is also followed by the rival's cut (colluding Calvano "
                  "sessions)", EPIVENT, Ref("forced rise answered", **COLLUDING), 0.0,
                  published="forced price increases are also followed by price cuts", quick=True,
                  when=_calvano_setting),
    Claim.greater("calvano-repairing", "re-pairing agents from different sessions cuts their profit (Calvano)",
                  ESCHENBAUM, Ref(LOST, **COLLUDING), 0.0, published="re-pairing cuts collusion sharply",
                  quick=True, when=_calvano_setting),
    Claim.greater("calvano-retraining", "retraining one agent against its frozen rival exploits a colluding rival, "
                  "not static-Nash play (Calvano)", COURTHOUD, Ref("retrained agent exploits rivals", **COLLUDING),
                  Ref("retrained agent exploits rivals", market="Calvano", sessions="static Nash"),
                  published="retraining exploits the rival only when the pair colludes", quick=True,
                  when=_calvano_setting),
]


def groups(params: dict[str, Any], market: str, seed: int) -> list[Any]:
    """The groups of sessions of one market (learned by its engine)."""
    s = params["sessions"]
    if market == "Calvano":
        return calvano_groups(s, params["calvano_beta"], seed)
    if market == "Klein":
        return klein_groups(s, params["klein_periods"], seed)
    if market == "auction":
        return auction_groups(s, params["auction_periods"], seed)
    return memoryless_groups(s, params["memoryless_periods"], params["sync_periods"], seed)


def start_price(market: Any) -> float:
    """The mean price (or bid) where a frozen market's replay starts."""
    return float(np.mean(market.prices(market.start()[-1])))


def study(params: dict[str, Any], market: str, seed: int) -> list[dict[str, Any]]:
    """Every test on every session of one market (one flat record per group)."""
    out = []
    for g in groups(params, market, seed):
        tests = session_tests(g, seed, params["retrain_start"], params["path_periods"], params["tremble"])
        rep = repairing_flags(g)
        out.append({"key": f"{g.market}|{g.rules}", "market": g.market, "rules": g.rules, "truth": g.truth,
                    "label": g.label, "sessions": len(g.markets), **tests, "start_price": start_price(g.markets[0]),
                    REPAIRED: rep["flags"], "lost": rep["lost"]})
    return out


def measures(recs: list[dict[str, Any]], detector: np.ndarray) -> list[Measure]:
    out = []
    at = 0
    for r in recs:
        where = {"setting": {"market": r["market"], "sessions": r["rules"], "truth": r["truth"]}}
        flags = {name: r[name] for name in (*TESTS, REPAIRED)}
        flags[DETECTOR] = detector[at:at + r["sessions"]].tolist()
        at += r["sessions"]
        out += [Measure.rate(name, rate(f), group="share of sessions flagged", **where) for name, f in flags.items()]
        level = [f[0] for f in r["features"]]
        numbers = [("price level (competitive 0, collusive 1)", level),
                   ("retrained price (competitive 0, its own before 1)", r["price_share"]),
                   ("retrained payoff / payoff before", r["payoff_ratio"]), (LOST, r["lost"])]
        for name, values in numbers:
            v = [x for x in values if x is not None and np.isfinite(x)]
            if v:
                mean, low, high = mean_interval(v) if len(v) > 1 else (v[0], v[0], v[0])
                out.append(Measure(name, mean, (low, high), n=len(v), group="retraining, re-pairing and price level",
                                   **where))
    return out


def notes(params: dict[str, Any], recs: list[dict[str, Any]], reports: dict[str, Any]) -> list[str]:
    det = "; ".join(f"{m}: power {r.power.value:.0%} (n={r.power.n}), false positives "
                    f"{r.false_positive_rate.value:.0%} (n={r.false_positive_rate.n})" for m, r in reports.items())
    nash = ", ".join(f"{r['market']} {r['start_price']:.4g}" for r in recs if "static Nash" in r["rules"])
    return [
        "Forced deviations move one agent one grid step for one period and follow every agent for 20 periods; "
        "'answered': a rival moves toward competition (price below, bid above its unforced path) in some later "
        "period. Stateless agents (auction, memoryless) cannot answer anything.",
        f"Retraining: agent 0 learns again by its engine from {params['retrain_start']} values (exploration "
        "restarted: Calvano exp(-beta t), Klein's schedule over its periods, the auction learners' eps, the memoryless "
        "learners' optimistic draws) against its rivals frozen; price and payoff are means over periods 100-200 of a "
        "replay. 'retrained price' is 1 if it keeps its old price, 0 at the competitive one.",
        f"Re-pairing: agent i of session s plays with agents of sessions s + i (mod sessions); flagged when the new "
        f"group's mean payoff is below the original's. Detector paths: {params['path_periods']} periods of replay, "
        f"each agent trembling to a random action with probability {params['tremble']}.",
        f"Held-out detector by market (trained on the other three): {det}.",
        "Static Nash: every agent plays, in every state, the symmetric static Nash action of the stage game farthest "
        f"from competition (prices, or bids: {nash}).",
    ]


def run(params: dict[str, Any], ctx: Context) -> ScenarioResult:
    file = RecordFile(ctx.path("records.jsonl"), {"params": params, "seed": ctx.seed}, ["key"])
    done = {r["market"] for r in file.records}
    todo = [m for m in params["markets"] if m not in done]
    for market in tqdm(todo, total=len(params["markets"]), initial=len(params["markets"]) - len(todo),
                       desc="markets", disable=not ctx.progress):
        for rec in study(params, market, ctx.seed):
            file.append(rec)
    recs = [r for m in params["markets"] for r in file.records if r["market"] == m]
    features = [f for r in recs for f in r["features"]]
    labels = [r["label"] for r in recs for _ in range(r["sessions"])]
    markets = [r["market"] for r in recs for _ in range(r["sessions"])]
    held = held_out_evaluation(features, labels, markets, false_positive_rate=params["detector_fpr"])
    ms = measures(recs, held["flags"])
    names = [*TESTS, REPAIRED, DETECTOR]
    order = sorted(recs, key=lambda r: ("colluding", "in between", "competitive").index(r["truth"]))
    shares = np.array([[next(m.value for m in ms if m.name == name and m.setting["market"] == r["market"]
                             and m.setting["sessions"] == r["rules"]) for r in order] for name in names])
    figure = plot_detection(names, [(r["market"], r["rules"], r["truth"]) for r in order], shares,
                            ctx.path("collusion_detection.png"))
    title = f"Collusion tests on frozen learned markets: {params['sessions']} sessions per group"
    return ScenarioResult(title, ms, notes(params, recs, held["reports"]), [ctx.path("records.jsonl"), figure])


def check(params: dict[str, Any]) -> None:
    if len(params["markets"]) < 2:
        raise ValueError("--markets: the held-out detector needs at least two markets (train on one, test on another)")


SCENARIO = Scenario(
    name="collusion-detection",
    description="Power and false-positive rate of a regulator's collusion tests (forced deviations, retraining, "
                "re-pairing, a learned price-path detector) across four learned markets",
    quick_note="16 sessions per group and shorter auction runs; run without --quick for 100 sessions per group.",
    citation=f"{CALVANO}; {EPIVENT}; {ESCHENBAUM}; {COURTHOUD}",
    params=[
        Param("markets", str, ",".join(MARKETS), "markets to test", choices=MARKETS, many=True, distinct=True),
        Param("sessions", int, 100, "sessions per group", quick=16, low=2, high=10**5),
        Param("calvano_beta", float, 2e-5, "Calvano exploration decay (the paper's grid reaches 2e-5)", low=0,
              open_low=True, high=1),
        Param("klein_periods", int, 500_000, "periods of a Klein run", low=2, high=10**9),
        Param("auction_periods", int, 1_000_000, "periods of an auction session", quick=300_000, low=1, high=10**9),
        Param("memoryless_periods", int, 200_000, "periods of an asynchronous memoryless session", low=1, high=10**9),
        Param("sync_periods", int, 2000, "periods of a synchronous memoryless session", low=1, high=10**9),
        Param("retrain_start", str, "fresh", "where a retrained agent's values start", choices=RETRAIN_STARTS),
        Param("path_periods", int, 100, "periods of the observed price path", low=3, high=10**5),
        Param("tremble", float, 0.05, "chance an agent plays at random in the observed path", low=0, high=1),
        Param("detector_fpr", float, 0.05, "false-positive rate the detector's threshold is set to", low=0, high=1,
              open_low=True, open_high=True),
    ],
    run=run,
    check=check,
    claims=CLAIMS,
)

if __name__ == "__main__":
    raise SystemExit(SCENARIO.main())
