"""Whether learning algorithms collude depends on how they learn: asynchronous against
synchronous updating of memoryless Q-learners in a homogeneous-good market, by the number of firms
(Asker, Fershtman and Pakes 2022, "Artificial intelligence, algorithm design and pricing", AEA
Papers and Proceedings 112).

Firms with cost 2 price a homogeneous good on 100 prices over [0.01, 10] in
``collusion/homogeneous-pricing-v0``; the cheapest firm sells one unit (a buyer pays up to 10).
Each firm is a memoryless Q-learner (:mod:`oversight_gym.envs.collusion.memoryless`): no
discounting, learning rate 0.1, greedy play, exploration only from optimistic initial values drawn
from U[10, 20]. Two protocols:

* **asynchronous**: a firm updates only the price it played;
* **synchronous**: a firm updates every price against the rivals' realised prices, with the profit
  it would have earned.

For each number of firms and protocol we run the sessions and report the distribution of the firms'
final prices (minimum, quartiles, maximum), the share of sessions whose greedy prices had settled
(unchanged over the last ``window`` periods), the period they settled, and the share that end at the
highest static Nash price. Synchronous learners settle within a few hundred periods, asynchronous
ones need far longer, so each protocol has its own horizon (``periods``, ``sync_periods``).

A firm's profit depends only on its own price, the lowest rival price and how many rivals charge
it, so the market is a contest by rank (no tables of joint prices) and any number of firms runs.
The paper reports two firms; the other numbers of firms are measured here, without a published
figure to hold them to. The highest static Nash price falls with the number of firms (undercutting
pays once the tied share is small): 2.1291 up to 4 firms on the paper's grid, 2.0282 from 5.

The reproduction runs the paper's settings (100 sessions per cell) for 2, 3, 4, 6 and 10 firms:
about half a minute on 2 cores.

Run: ``oversight-gym run learning-protocols [--quick]``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from tqdm import tqdm

from oversight_gym.analysis.claims import Claim, Ref
from oversight_gym.analysis.measures import Measure
from oversight_gym.analysis.metrics import Rate
from oversight_gym.core.params import LEARNING_RATE
from oversight_gym.envs.collusion.homogeneous_pricing import HomogeneousPricingGame
from oversight_gym.envs.collusion.memoryless import plot_protocols, run_markets
from oversight_gym.runner.records import RecordFile
from oversight_gym.runner.scenario import Context, Param, Scenario, ScenarioResult, bounds

SOURCE = "Asker, Fershtman and Pakes 2022, Artificial intelligence, algorithm design and pricing, AEA P&P 112"
PROTOCOLS = ("asynchronous", "synchronous")
QUANTILES = (("lowest price", 0.0), ("first quartile", 0.25), ("median price", 0.5), ("third quartile", 0.75),
             ("highest price", 1.0))
QUARTILE_TOL = ("0.5: the quartiles of 100 sessions' prices move by about 0.25 (standard error of a median of 100 "
                "draws over an interquartile range near 2), so two such samples differ by up to 0.5 at 95%")


def _paper(p: dict[str, Any]) -> bool:
    return (2 in p["firms"] and p["sessions"] >= 100 and p["alpha"] == 0.1 and p["q0_low"] == 10.0
            and p["q0_high"] == 20.0)


TWO = {"firms": "2"}
CLAIMS = [
    *[Claim.value(f"asynchronous-{name.replace(' ', '-')}", f"asynchronous learners' {name}, 2 firms", SOURCE, value,
                  Ref(name, protocol="asynchronous", **TWO), tolerance=0.5, reason=QUARTILE_TOL, when=_paper)
      for name, value in (("first quartile", 7.33), ("median price", 8.34), ("third quartile", 9.14))],
    Claim.value("synchronous-competitive", "synchronous learners ending at the highest static Nash price, 2 firms",
                SOURCE, 1.0, Ref("ends at the highest Nash price", protocol="synchronous", **TWO), tolerance=0.0,
                reason="the paper: every run ends at 2.1291", when=_paper),
    Claim.greater("protocol-decides", "asynchronous learners end above synchronous ones (median price, 2 firms)",
                  SOURCE, Ref("median price", protocol="asynchronous", **TWO),
                  Ref("median price", protocol="synchronous", **TWO), margin=1.0,
                  published="asynchronous above", quick=True, must_hold=True,
                  when=lambda p: 2 in p["firms"]),
]


def market(params: dict[str, Any], n: int) -> dict[str, Any]:
    return {"n_firms": n, "m": params["prices"], "p_low": 0.01, "p_high": 10.0, "cost": params["cost"],
            "value": 10.0, "alpha": params["alpha"], "q0": params["q0_low"], "q0_high": params["q0_high"]}


def study(params: dict[str, Any], n: int, protocol: str, seed: int) -> dict[str, Any]:
    """One (number of firms, protocol) cell (a flat record)."""
    sync = protocol == "synchronous"
    config = {**market(params, n), "synchronous": sync,
              "periods": params["sync_periods"] if sync else params["periods"], "window": params["window"]}
    out = run_markets(config, params["sessions"], seed=seed)
    game = HomogeneousPricingGame(n_firms=n, m=params["prices"], cost=params["cost"])
    top_nash = game.nash_prices.max() if len(game.nash_prices) else float("nan")
    return {"label": f"{n}|{protocol}", "firms": n, "protocol": protocol, "sessions": params["sessions"],
            "prices": out["prices"].ravel().tolist(), "converged": int(out["converged"].sum()),
            "settled": np.median(out["settled"]).item(), "at_nash": int(np.all(np.isclose(out["prices"], top_nash),
                                                                               axis=1).sum()),
            "top_nash": float(top_nash)}


def measures(params: dict[str, Any], done: dict[str, dict[str, Any]]) -> list[Measure]:
    out = []
    for n in params["firms"]:
        for protocol in params["updating"]:
            rec = done[f"{n}|{protocol}"]
            where = {"setting": {"firms": str(n), "protocol": protocol}}
            prices = np.asarray(rec["prices"])
            out += [Measure(name, float(np.quantile(prices, q)), digits=2, n=len(prices), **where)
                    for name, q in QUANTILES]
            out += [Measure.rate("settled", Rate(rec["converged"], rec["sessions"]), **where),
                    Measure("period settled (median)", rec["settled"], digits=0, **where),
                    Measure.rate("ends at the highest Nash price", Rate(rec["at_nash"], rec["sessions"]), **where)]
    return out


def notes(params: dict[str, Any], done: dict[str, dict[str, Any]]) -> list[str]:
    game = HomogeneousPricingGame(m=params["prices"], cost=params["cost"])
    tops = ", ".join(f"{n} firms {done[f'{n}|{p}']['top_nash']:.4f}" for n in params["firms"]
                     for p in params["updating"][:1])
    return [f"static Nash prices on this grid (2 firms): {', '.join(f'{p:.4f}' for p in game.nash_prices)}; the "
            f"competitive benchmark is the highest ({tops}). Prices pool every firm's final greedy price over the "
            "sessions. "
            f"Horizons: asynchronous {params['periods']:,} periods, synchronous {params['sync_periods']:,}; settled: "
            f"greedy prices unchanged over the last {params['window']:,} periods."]


def run(params: dict[str, Any], ctx: Context) -> ScenarioResult:
    file = RecordFile(ctx.path("records.jsonl"), {"params": params, "seed": ctx.seed}, ["label"])
    done = {r["label"]: r for r in file.records}
    cells = [(n, p) for n in params["firms"] for p in params["updating"]]
    todo = [c for c in cells if f"{c[0]}|{c[1]}" not in done]
    for n, protocol in tqdm(todo, total=len(cells), initial=len(cells) - len(todo), desc="cells",
                            disable=not ctx.progress):
        file.append(study(params, n, protocol, ctx.seed))
        done[f"{n}|{protocol}"] = file.records[-1]
    title = (f"Learning protocols in a homogeneous-good market: {params['sessions']} sessions per cell, memoryless "
             "Q-learners")
    figure = plot_protocols([done[f"{n}|{p}"] for n, p in cells], ctx.path("learning_protocols.png"))
    return ScenarioResult(title, measures(params, done), notes(params, done), [ctx.path("records.jsonl"), figure])


def check(params: dict[str, Any]) -> None:
    if params["q0_high"] <= params["q0_low"]:
        raise ValueError(f"--q0-high must be above --q0-low, got {params['q0_low']} and {params['q0_high']}")
    for n in params["firms"]:
        try:
            HomogeneousPricingGame(n_firms=n, m=params["prices"], cost=params["cost"])
        except ValueError as err:
            raise ValueError(f"--firms/--prices: {err}") from None


_G = HomogeneousPricingGame.PARAMS.params
SCENARIO = Scenario(
    name="learning-protocols",
    description="Asynchronous against synchronous learning in a homogeneous-good market, by the number of firms "
                "(Asker, Fershtman and Pakes 2022)",
    quick_note="30 sessions, 2 firms; run without --quick for the paper's settings and 3, 4, 6 and 10 firms.",
    citation=SOURCE,
    params=[
        Param("firms", int, "2,3,4,6,10", "numbers of firms", quick="2", many=True, **bounds(_G["n_firms"])),
        Param("updating", str, "asynchronous,synchronous", "learning protocols", choices=PROTOCOLS, many=True),
        Param("sessions", int, 100, "sessions per cell", quick=30, low=1, high=10**6),
        Param("periods", int, 200_000, "periods of an asynchronous session", low=1, high=10**9),
        Param("sync_periods", int, 2000, "periods of a synchronous session", low=1, high=10**9),
        Param("window", int, 500, "settled: greedy prices unchanged this long", low=1),
        Param("prices", int, 100, "prices on [0.01, 10]", **bounds(_G["m"])),
        Param("cost", float, 2.0, "marginal cost", **bounds(_G["cost"])),
        Param("alpha", float, 0.1, "learning rate", **bounds(LEARNING_RATE)),
        Param("q0_low", float, 10.0, "initial values are drawn from [q0_low, q0_high)"),
        Param("q0_high", float, 20.0, "see --q0-low"),
    ],
    run=run,
    check=check,
    claims=CLAIMS,
)

if __name__ == "__main__":
    raise SystemExit(SCENARIO.main())
