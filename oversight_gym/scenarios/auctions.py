"""Auction design against learning bidders: revenue and bids of Q-learning bidders by payment
rule, with and without feedback (Banchio and Skrzypacz 2022, "Artificial intelligence and
auction design", EC'22, arXiv 2202.05947).

Two bidders with a common value 1 bid every period from 0.05, 0.10, ..., 0.95 in
``collusion/auction-v0``; the winner pays ``(2 - a) x highest + (a - 1) x second bid``, so
``a = 1`` is the first-price and ``a = 2`` the second-price auction. Each bidder runs
stateless Q-learning (learning rate 0.05, discount 0.99, exploration ``0.025 exp(-0.0002 t)``)
for 10^6 periods; a session counts when both greedy bids are unchanged over its last 1,000
periods. For every payment rule we run the sessions twice:

* **asynchronous** updating, the paper's baseline: a bidder updates only the bid it played;
* **synchronous** updating, the paper's feedback variant: the bids are revealed and every bid
  is updated against the rival's realised bid, with the payoff it would have earned.

We report the revenue (the price the winner pays at the final greedy bids) over the sessions
that count, with its 95% interval, the share of those sessions at each bid, and the share
that converged. The paper leaves two conventions open (see
:mod:`oversight_gym.envs.collusion.auction_runs`): the optimistic initial Q values and the tie
rule. Our defaults are the largest discounted payoff a bid can earn and a fair lottery among
tied bidders; a sensitivity table reruns the first- and second-price auctions under the other
conventions, because the paper's first-price figure depends on them.

The reproduction runs the paper's own learners and sessions (1,000 sessions of 10^6 periods) for
the first- and second-price auctions with both updating rules, and the sensitivity table at 100
sessions a cell: about two and a half minutes on 2 cores (the default run adds a = 1.25, 1.5 and
1.75 and 200 sessions a sensitivity cell).

Run: ``oversight-gym run auctions [--quick]``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from tqdm import tqdm

from oversight_gym.analysis.claims import Claim, Ref
from oversight_gym.analysis.measures import Measure
from oversight_gym.analysis.report import mean_interval
from oversight_gym.core.params import LEARNING_RATE
from oversight_gym.envs.collusion.auction import AuctionGame
from oversight_gym.envs.collusion.auction_runs import optimistic_q0, plot_auctions, run_auctions
from oversight_gym.runner.records import RecordFile
from oversight_gym.runner.scenario import Context, Param, Scenario, ScenarioResult, bounds

SOURCE = "Banchio and Skrzypacz 2022, Artificial intelligence and auction design, arXiv 2202.05947"
UPDATING = ("asynchronous", "synchronous")
Q0_NOTE = ("the paper's initial Q values are not published (ours: the largest discounted payoff a bid can earn); its "
           "own two first-price figures differ by 0.014")


def _paper(p: dict[str, Any]) -> bool:
    """The paper's setting: two bidders, 19 bids, no reserve, its learning rule and horizon."""
    return (p["bidders"] == 2 and p["bids"] == 19 and p["reserve"] == 0 and p["alpha"] == 0.05
            and p["gamma"] == 0.99 and p["eps0"] == 0.025 and p["eps_decay"] == 2e-4 and p["periods"] >= 10**6
            and p["window"] == 1000 and "asynchronous" in p["updating"])


def _paper_with(*rules: float) -> Any:
    return lambda p: _paper(p) and all(a in p["rules"] for a in rules)


FIRST = Ref("revenue", rule="first price (a=1)", updating="asynchronous")
SECOND = Ref("revenue", rule="second price (a=2)", updating="asynchronous")
CLAIMS = [
    Claim.value("first-price-revenue-text", "first-price revenue (the paper's text)", SOURCE, 0.24, FIRST,
                tolerance=0.03, reason=Q0_NOTE, below=SECOND, when=_paper_with(1.0, 2.0)),
    Claim.value("first-price-revenue-figure", "first-price revenue (the counts of the paper's figure)", SOURCE,
                0.2265, FIRST, tolerance=0.03, reason=Q0_NOTE, below=SECOND, when=_paper_with(1.0, 2.0)),
    Claim.value("second-price-revenue", "second-price revenue", SOURCE, 0.95, SECOND, tolerance=0.01,
                reason="994 of the paper's 1,000 sessions end at 0.95, so its mean lies within 0.005 of it",
                when=_paper_with(2.0)),
    Claim.value("second-price-at-top", "second-price sessions whose revenue is the top bid 0.95", SOURCE, 0.994,
                Ref("sessions at the top bid", rule="second price (a=2)", updating="asynchronous"), tolerance=0.02,
                reason="binomial error of 1,000 sessions (about 0.5 points) and the unpublished initial Q values",
                when=_paper_with(2.0)),
    Claim.greater("first-below-second", "first-price revenue is below second-price revenue (tacit collusion)", SOURCE,
                  SECOND, FIRST, margin=0.2, published="first below second", quick=True, must_hold=True,
                  when=lambda p: 1.0 in p["rules"] and 2.0 in p["rules"] and "asynchronous" in p["updating"]),
    Claim.greater("feedback-competes", "feedback (every bid updated against the rival's) raises first-price revenue",
                  SOURCE, Ref("revenue", rule="first price (a=1)", updating="synchronous"), FIRST,
                  published="feedback: more competitive",
                  when=lambda p: 1.0 in p["rules"] and set(UPDATING) <= set(p["updating"])),
]


def rule_label(a: float) -> str:
    return {1.0: "first price (a=1)", 2.0: "second price (a=2)"}.get(a, f"mixed (a={a:g})")


def parse_q0(text: str) -> float | None:
    """``"optimistic"`` (None: the engine's default) or a number."""
    if text == "optimistic":
        return None
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"must be 'optimistic' or a number, got {text!r}") from None


def base_config(params: dict[str, Any]) -> dict[str, Any]:
    return {"n_bidders": params["bidders"], "n_bids": params["bids"], "reserve": params["reserve"],
            "tie_rule": params["tie_rule"], "alpha": params["alpha"], "gamma": params["gamma"],
            "eps0": params["eps0"], "eps_decay": params["eps_decay"], "periods": params["periods"],
            "window": params["window"], "q0": parse_q0(params["q0"])}


#: a job: (label, configuration, sessions)
Job = tuple[str, dict[str, Any], int]


def main_jobs(params: dict[str, Any]) -> list[Job]:
    base = base_config(params)
    return [(f"{rule_label(a)} | {upd}", {**base, "a": a, "synchronous": upd == "synchronous"}, params["sessions"])
            for upd in params["updating"] for a in params["rules"]]


def sensitivity_jobs(params: dict[str, Any]) -> list[Job]:
    """First and second price (asynchronous) under both tie rules and three initial values:
    optimistic, half of it, and zero."""
    if params["sensitivity_sessions"] == 0:
        return []
    base = base_config(params)
    top = optimistic_q0(AuctionGame(n_bidders=params["bidders"], n_bids=params["bids"]), params["gamma"])
    return [(f"sensitivity | {rule_label(a)} | ties {tie} | q0 {q0:g}",
             {**base, "a": a, "tie_rule": tie, "q0": q0, "synchronous": False}, params["sensitivity_sessions"])
            for a in (1.0, 2.0) for tie in ("random", "split") for q0 in (top, top / 2, 0.0)]


def summarise(config: dict[str, Any], sessions: int, seed: int) -> dict[str, Any]:
    """Run the sessions and keep what the table and the figures need (a flat record)."""
    out = run_auctions(config, sessions, seed=seed)
    counted = out["converged"]
    revenue = out["revenue"][counted]
    game = AuctionGame(n_bidders=config["n_bidders"], n_bids=config["n_bids"])
    bids = np.bincount(out["actions"][counted].ravel(), minlength=config["n_bids"])
    mean, low, high = mean_interval(revenue.tolist()) if len(revenue) > 1 else (float("nan"),) * 3
    return {"sessions": sessions, "counted": int(counted.sum()), "revenue": mean, "revenue_low": low,
            "revenue_high": high, "at_top": float(np.mean(np.isclose(revenue, game.grid[-1]))) if len(revenue) else
            float("nan"), "bid_counts": bids.tolist(), "revenue_sd": float(revenue.std()) if len(revenue) else 0.0}


def measures(params: dict[str, Any], done: dict[str, dict[str, Any]]) -> list[Measure]:
    out = []
    for label, cfg, _ in main_jobs(params):
        rec = done[label]
        where = {"setting": {"rule": rule_label(cfg["a"]),
                             "updating": "synchronous" if cfg["synchronous"] else "asynchronous"},
                 "group": "revenue by payment rule"}
        n = rec["counted"]
        out += [Measure("revenue", rec["revenue"], (rec["revenue_low"], rec["revenue_high"]), n=n, **where),
                Measure("sessions at the top bid", rec["at_top"], n=n, unit="%", **where),
                Measure("sessions converged", rec["counted"] / rec["sessions"], n=rec["sessions"], unit="%", **where)]
    for label, cfg, _ in sensitivity_jobs(params):
        rec = done[label]
        out.append(Measure("revenue", rec["revenue"], (rec["revenue_low"], rec["revenue_high"]), n=rec["counted"],
                           setting={"rule": rule_label(cfg["a"]), "ties": cfg["tie_rule"], "q0": f"{cfg['q0']:g}"},
                           group="sensitivity to the conventions the paper leaves open (asynchronous)"))
    return out


def notes(params: dict[str, Any], done: dict[str, dict[str, Any]]) -> list[str]:
    game = AuctionGame(n_bidders=params["bidders"], n_bids=params["bids"])
    q0 = parse_q0(params["q0"])
    shown = f"{optimistic_q0(game, params['gamma']):g} (optimistic)" if q0 is None else f"{q0:g}"
    out = [f"conventions: initial Q {shown}; ties: {params['tie_rule']} "
           f"({'a fair lottery' if params['tie_rule'] == 'random' else 'payoff shared'}); greedy bid: the lowest of "
           "the best; revenue: the price paid at the final greedy bids, over the sessions whose greedy bids were "
           f"unchanged for their last {params['window']:,} periods; interval: 95% Student's t over those sessions."]
    for upd in params["updating"]:
        modal = []
        for a in params["rules"]:
            counts = np.asarray(done[f"{rule_label(a)} | {upd}"]["bid_counts"])
            if counts.sum():
                modal.append(f"a={a:g}: {game.grid[int(counts.argmax())]:.2f} ({counts.max() / counts.sum():.0%})")
        out.append(f"most common final bid, {upd}: " + "; ".join(modal))
    return out


def check(params: dict[str, Any]) -> None:
    try:
        parse_q0(params["q0"])
    except ValueError as err:
        raise ValueError(f"--q0: {err}") from None
    try:
        AuctionGame(n_bidders=params["bidders"], n_bids=params["bids"], reserve=params["reserve"])
    except ValueError as err:
        raise ValueError(f"--bidders/--bids/--reserve: {err}") from None


def run(params: dict[str, Any], ctx: Context) -> ScenarioResult:
    file = RecordFile(ctx.path("records.jsonl"), {"params": params, "seed": ctx.seed}, ["label"])
    done = {r["label"]: r for r in file.records}
    jobs = main_jobs(params) + sensitivity_jobs(params)
    todo = [j for j in jobs if j[0] not in done]
    for label, cfg, sessions in tqdm(todo, total=len(jobs), initial=len(jobs) - len(todo), desc="auctions",
                                     disable=not ctx.progress):
        file.append({"label": label, **summarise(cfg, sessions, ctx.seed)})
        done[label] = file.records[-1]
    game = AuctionGame(n_bidders=params["bidders"], n_bids=params["bids"])
    curves = {upd: [(a, done[f"{rule_label(a)} | {upd}"]) for a in params["rules"]] for upd in params["updating"]}
    published = {c.id: c.published for c in CLAIMS}
    figure = plot_auctions(curves, game.grid, {1.0: (published["first-price-revenue-text"],
                                                     published["first-price-revenue-figure"]),
                                               2.0: (published["second-price-revenue"],)},
                           ctx.path("auctions.png"))
    title = (f"Auctions with Q-learning bidders: {params['bidders']} bidders, {params['bids']} bids, "
             f"{params['sessions']:,} sessions of {params['periods']:,} periods")
    return ScenarioResult(title, measures(params, done), notes(params, done), [ctx.path("records.jsonl"), figure])


_G = AuctionGame.PARAMS.params
SCENARIO = Scenario(
    name="auctions",
    description="Revenue of first- and second-price auctions with Q-learning bidders (Banchio and Skrzypacz 2022)",
    quick_note="100 sessions, first and second price only, no sensitivity table; run without --quick for the "
               "paper's settings.",
    citation=SOURCE,
    params=[
        Param("rules", float, "1,1.25,1.5,1.75,2", "payment rules a (1: first price, 2: second price)", quick="1,2",
              many=True, increasing=True, **bounds(_G["a"])),
        Param("updating", str, "asynchronous,synchronous", "learning protocols: asynchronous (the paper's baseline), "
              "synchronous (its feedback variant)", choices=UPDATING, many=True),
        Param("sessions", int, 1000, "sessions per payment rule and protocol", quick=100, low=2, high=10**6),
        Param("periods", int, 1_000_000, "periods per session", low=1, high=10**10),
        Param("window", int, 1000, "a session counts if its greedy bids were unchanged this long", low=1),
        Param("bidders", int, 2, "bidders", **bounds(_G["n_bidders"])),
        Param("bids", int, 19, "bids on the grid (value x b / (bids + 1))", **bounds(_G["n_bids"])),
        Param("reserve", float, 0.0, "reserve price", **bounds(_G["reserve"])),
        Param("tie_rule", str, "random", "a tie at the top: a fair lottery (random) or shared payoff (split)",
              choices=("random", "split")),
        Param("q0", str, "optimistic", "initial Q of every bid: 'optimistic' (the largest discounted payoff) or a "
              "number"),
        Param("alpha", float, 0.05, "learning rate", **bounds(LEARNING_RATE)),
        Param("gamma", float, 0.99, "discount factor", low=0, high=1, open_high=True),
        Param("eps0", float, 0.025, "initial exploration rate", low=0, high=1),
        Param("eps_decay", float, 2e-4, "exploration decay per period", low=0),
        Param("sensitivity_sessions", int, 200, "sessions per cell of the sensitivity table (0: none)", quick=0,
              low=0, high=10**6),
    ],
    run=run,
    check=check,
    claims=CLAIMS,
    reproduce={"rules": "1,2", "sensitivity_sessions": 100},
)

if __name__ == "__main__":
    raise SystemExit(SCENARIO.main())
