"""Obfuscated arguments: how large must an argument be before the honest side cannot find the flaw?

Barnes & Christiano (2020, "Debate update: Obfuscated arguments problem") describe a
dishonest debater who defends a false claim with a huge argument made invalid by a few
flawed steps that neither debater has located: each subclaim is about 50% likely true
under the wrong answer, so the honest debater, bounded in compute, can only say each step
might be flawed. In recursive debate the honest challenger wins only if it recurses to a
flaw. Brown-Cohen, Irving & Piliouras (2025, "Avoiding obfuscation with prover-estimator
debate", arXiv 2506.13609) let the challenger (estimator) state probabilities while the
claimant (prover) picks where to recurse. Its soundness needs no stability: the estimator
never has to find a flaw, only to price it, so on obfuscated conjunctive trees an honest
estimator should beat a lying prover whatever its budget B, where the standard-debate
challenger's win rate falls with B/N. (Completeness, an honest prover winning, needs
stability; this scenario does not isolate that case.)

This scenario measures

1. the obfuscation cliff: the honest challenger's win rate against the budget fraction B/N
   and the number of flaws k, on Barnes and Christiano's construction (a false conjunction
   of N leaves with k flaws), played by the batch path
   (:mod:`oversight_gym.envs.debate.recursive_batch`), beside the closed form of a
   randomly searching challenger (:func:`oversight_gym.envs.debate.metrics.
   random_search_win_probability`), with a few cells replayed through the kernel;
2. standard, cross-examination, judge-directed and prover-estimator debate on conjunctive
   and on stable (majority) trees, with either role honest (kernel + scripted debaters),
   and prover-estimator debate against the judge's consistency tolerance.

The simulations and the study's analysis live in :mod:`oversight_gym.envs.debate.obfuscation`.
No published figure exists for these simulations: each simulated rate stands beside the
closed form (a measure of its own), and the claims (:data:`CLAIMS`) check the directions the
papers state. The estimation bound of doubly-efficient debate is not measured here.

Reproduction settings (``oversight-gym reproduce obfuscated-arguments``): the full tree and grid
(N = 1024, 20 budgets x 20 flaw counts, every protocol and tolerance) with 1000 batch debates per grid
cell instead of 2000 and 200 kernel debates per protocol cell instead of 1000. The full defaults take
about four minutes on two cores; these fit the 2.5-minute budget, and every claim's margin stays far
outside the sampling error (the closest, the standard challenger at B/N = 1/64 against 1/16, differs
by about 8 points where each rate is known to about 1.5).

Run: ``oversight-gym run obfuscated-arguments [--quick]`` or ``python -m oversight_gym.scenarios.obfuscated_arguments``.
"""

from __future__ import annotations

from typing import Any

from oversight_gym.analysis.claims import Claim, Ref
from oversight_gym.analysis.measures import Measure
from oversight_gym.analysis.metrics import grouped_rates
from oversight_gym.envs.debate.metrics import random_search_win_probability
from oversight_gym.envs.debate.obfuscation import (
    CHALLENGERS,
    COMPARED_TOLERANCE,
    STRUCTURES,
    as_rate,
    budget_grid,
    closed_form_agreement,
    compare,
    flaw_grid,
    grid_rates,
    half_budget,
    half_budget_closed_form,
    part,
    protocol_rates,
    prover_estimator_comparison,
    run_grid,
    run_kernel_checks,
    run_protocols,
    run_queries,
    run_sizes,
    study_records,
)
from oversight_gym.envs.debate.plots import plot_cliff, plot_cliff_heatmap, plot_debate_tree, plot_protocols
from oversight_gym.envs.debate.recursive import RecursiveDebateGame
from oversight_gym.envs.debate.recursive_batch import simulate_standard
from oversight_gym.envs.debate.tree_debaters import HonestTreeDebater, ObfuscatingTreeDebater
from oversight_gym.runner.episodes import play_episode
from oversight_gym.runner.scenario import Context, Param, Scenario, ScenarioResult

SOURCE = "Brown-Cohen, Irving & Piliouras 2025, Avoiding obfuscation with prover-estimator debate, arXiv 2506.13609"
BARNES = "Barnes & Christiano 2020, Debate update: Obfuscated arguments problem (AI Alignment Forum)"
#: the size part's tree that both --quick and the full run play (k = 2 flaws, batch path)
SIZE_N = 256
SIZE_FRACS = (0.016, 0.062, 0.25)  # B/N = 1/64, 1/16, 1/4 as the table rounds them
OUTCOME = ("our rate counts debates the estimator won on one run's final check (its probability on the right side "
           "of 1/2 for the judge's leaf or prior), not the sign of the expected payoff the paper's theorem is "
           "about; our protocol is one reading (grid probabilities, independence consistency check, tolerance "
           f"{COMPARED_TOLERANCE:g}, no depth-weighted payments); conjunctive trees here have each leaf wrong "
           "independently (root true or false about half the time), not a fixed number of flaws, and one budget "
           "B/N (--budget-frac) is played, so 'whatever B' is checked at that budget only")


def _pe_compared(params: dict[str, Any]) -> bool:
    """The prover-estimator cells at the compared tolerance were played."""
    return COMPARED_TOLERANCE in params["tolerances"]


CLAIMS = [
    Claim.ordered("standard-challenger-needs-budget",
                  f"standard debate (N={SIZE_N}, k=2): the honest challenger's win rate rises with B/N",
                  f"{BARNES}; {SOURCE}",
                  [Ref("honest win rate", N=SIZE_N, **{"B/N": f}) for f in SIZE_FRACS],
                  published="falls as B/N shrinks",
                  reason="B/N = 1/64, 1/16, 1/4; batch path, --debates per cell (300 quick, 1000 in the reproduction) "
                         "against an obfuscating claimant",
                  must_hold=True, quick=True, when=lambda p: True),  # the size part plays N = 256 in every mode
    Claim.greater("honest-estimator-wins",
                  "prover-estimator, conjunctive trees: an honest estimator beats a lying prover",
                  SOURCE, Ref("honest win rate", tree="conjunctive", protocol="prover-estimator", honest="challenger",
                              tolerance=COMPARED_TOLERANCE), 0.5,
                  published="wins whatever B",
                  reason=OUTCOME, quick=True, when=_pe_compared),
    Claim.finding("estimator-beats-standard-challenger",
                  "conjunctive trees, honest challenger: prover-estimator above standard debate",
                  SOURCE, "helps", Ref("against standard", tree="conjunctive", honest="challenger",
                                       protocol="prover-estimator"),
                  reason="the paper: the estimator only prices the flaw, the standard challenger must find it, so at "
                         "a budget that is a small share of the leaves (here B/N <= 1/8) the estimator does better; "
                         + OUTCOME,
                  quick=True, when=lambda p: _pe_compared(p) and p["budget_frac"] <= 0.125),
]


def experiment(params: dict[str, Any], seed: int) -> dict[str, Any]:
    """One sweep cell (``oversight-gym sweep obfuscated-arguments --grid budget_frac=0.01,0.05,0.2``):
    on the obfuscated tree of ``depth``, an honest challenger with budget B = budget_frac * N
    against the obfuscating claimant, for each flaw count of the grid: the simulated win
    rate (``debates`` debates, batch path) and the closed form beside it."""
    import numpy as np

    n_leaves = 2 ** params["depth"]
    budget = int(round(params["budget_frac"] * n_leaves))
    rng = np.random.default_rng(seed)
    out: dict[str, Any] = {"budget": budget}
    for k in flaw_grid(n_leaves, params["flaw_points"]):
        res = simulate_standard(params["debates"], rng, kind="obfuscated", depth=params["depth"], flaws=k,
                                claimant="obfuscating", challenger="honest", challenger_budget=budget)
        out[f"honest_win:k={k}"] = float(np.mean(res["honest_wins"]))
        out[f"closed_form:k={k}"] = random_search_win_probability(n_leaves, k, budget)
    return out


def check(params: dict[str, Any]) -> None:
    """The budget grid has at most one point per budget 0..N."""
    n_leaves = 2 ** params["depth"]
    if params["budget_points"] > n_leaves + 1:
        raise ValueError(f"--budget-points must be at most N + 1 = {n_leaves + 1} (the budgets 0..N of --depth "
                         f"{params['depth']}), got {params['budget_points']}")


def size_depths(quick: bool) -> list[int]:
    """The tree depths of the size part (N = 2**depth at fixed B/N)."""
    return [6, 8] if quick else [6, 8, 10, 12]


def simulate(params: dict[str, Any], ctx: Context) -> list[dict[str, Any]]:
    """Every part of the study (:mod:`oversight_gym.envs.debate.obfuscation`), resuming from
    the records already in ``records.jsonl``; returns all records."""
    depth = params["depth"]
    budgets, flaws = budget_grid(2**depth, params["budget_points"]), flaw_grid(2**depth, params["flaw_points"])
    rec = study_records(ctx.path("records.jsonl"), {**params, "seed": ctx.seed})
    run_grid(rec, depth, budgets, flaws, params["debates"], ctx.seed, ctx.progress)
    run_kernel_checks(rec, depth, budgets, flaws, params["kernel_debates"], ctx.seed, ctx.workers, ctx.progress)
    run_protocols(rec, {"conjunctive": params["conj_depth"], "stable": params["stable_depth"]}, params["tolerances"],
                  params["budget_frac"], params["kernel_debates"], ctx.seed, ctx.workers, ctx.progress)
    run_sizes(rec, size_depths(ctx.quick), params["debates"], ctx.seed)
    run_queries(rec, params["kernel_debates"], ctx.seed, ctx.workers, ctx.progress)
    return rec.records


def _bn(budget: int, n_leaves: int) -> float:
    """B/N as the table shows it (3 decimals)."""
    return round(budget / n_leaves, 3)


def measures(params: dict[str, Any], records: list[dict[str, Any]]) -> list[Measure]:
    """Agreement of the simulated grid with the closed form of random search; the smallest
    budget at which the honest challenger wins half the debates; kernel against batch path on
    a few cells; the tree size and the judge's paths Q at fixed budget; every protocol's
    honest win rate on conjunctive and stable trees; and prover-estimator against standard
    debate on each kind of tree. Each simulated rate stands
    beside its closed form (a measure of its own) where one exists."""
    depth = params["depth"]
    n_leaves = 2**depth
    budgets, flaws = budget_grid(n_leaves, params["budget_points"]), flaw_grid(n_leaves, params["flaw_points"])
    grid = part(records, "grid")
    out: list[Measure] = []

    group = f"closed form of random search against the simulated grid (N={n_leaves}, batch path)"
    for c in CHALLENGERS:
        out.append(Measure.rate("grid cells with the closed form in their 95% CI (~95% expected)",
                                closed_form_agreement(grid, c, n_leaves), setting={"challenger": c}, group=group))

    group = "smallest budget B/N at which the honest challenger wins at least half the debates"
    for k in dict.fromkeys((flaws[0], flaws[len(flaws) // 2], flaws[-1])):
        sim, cf = half_budget(grid, k), half_budget_closed_form(budgets, n_leaves, k)
        out += [Measure("smallest B/N, simulated", "never" if sim is None else sim / n_leaves, n=params["debates"],
                        setting={"k": k}, group=group),
                Measure("smallest B/N, closed form", None if cf is None else cf / n_leaves, setting={"k": k},
                        group=group)]

    group = "grid cells replayed through the kernel (move by move) against the batch path"
    for r in grouped_rates(part(records, "kernel-check"), ["challenger", "flaws", "budget"]):
        batch = next(x for x in grid_rates(grid, r["challenger"]) if x["flaws"] == r["flaws"] and
                     x["budget"] == r["budget"])
        setting = {"challenger": r["challenger"], "k": r["flaws"], "B/N": _bn(r["budget"], n_leaves)}
        out += [Measure.rate("honest win rate, kernel", as_rate(r), setting=setting, group=group),
                Measure.rate("honest win rate, batch", as_rate(batch), setting=setting, group=group),
                Measure("closed form", random_search_win_probability(n_leaves, r["flaws"], r["budget"]), unit="%",
                        setting=setting, group=group)]

    group = "tree size N at fixed B/N (k=2, honest challenger, batch path)"
    for r in sorted(grouped_rates(part(records, "size"), ["structure", "budget"]),
                    key=lambda r: (int(r["structure"][5:]), r["budget"])):
        nn = 2 ** int(r["structure"][5:])
        setting = {"N": nn, "B/N": _bn(r["budget"], nn)}
        out += [Measure.rate("honest win rate", as_rate(r), setting=setting, group=group),
                Measure("closed form", random_search_win_probability(nn, 2, r["budget"]), unit="%", setting=setting,
                        group=group)]

    group = "paths Q the judge follows (N=64, k=2, random-search challenger, kernel)"
    for r in grouped_rates(part(records, "queries"), ["protocol", "structure", "budget"]):
        q = int(r["structure"][1:])
        setting = {"protocol": r["protocol"], "Q": q, "B": r["budget"]}
        out += [Measure.rate("honest win rate", as_rate(r), setting=setting, group=group),
                Measure("closed form", random_search_win_probability(64, 2, r["budget"], q), unit="%",
                        setting=setting, group=group)]

    group = (f"protocols on conjunctive (depth {params['conj_depth']}) and stable (depth {params['stable_depth']}) "
             f"trees, budget B/N={params['budget_frac']:g} each (kernel)")
    prot = protocol_rates(records)
    for r in prot:
        setting = {"tree": r["structure"], "protocol": r["protocol"], "honest": r["honest_role"]}
        if r["protocol"] == "prover-estimator":
            setting["tolerance"] = r["tolerance"]
        out.append(Measure.rate("honest win rate", as_rate(r), setting=setting, group=group))

    group = (f"prover-estimator (tolerance {COMPARED_TOLERANCE:g}) against standard debate (pooled: judge accuracy "
             "over both honest roles)")
    for structure in STRUCTURES:
        for who, (std, pe) in prover_estimator_comparison(prot, structure).items():
            name = "honest win rate" if who == "honest challenger" else "judge accuracy"
            honest = "challenger" if who == "honest challenger" else "pooled"
            out += [Measure.rate(name, std, setting={"tree": structure, "honest": honest, "protocol": "standard"},
                                 group=group),
                    Measure.rate(name, pe, setting={"tree": structure, "honest": honest,
                                                    "protocol": "prover-estimator"}, group=group),
                    Measure("against standard", compare(std, pe), group=group,
                            setting={"tree": structure, "honest": honest, "protocol": "prover-estimator"})]
    return out


def notes(params: dict[str, Any], records: list[dict[str, Any]]) -> list[str]:
    """The construction, whether the simulation agrees with the closed form, and how to read
    the prover-estimator comparison."""
    n_leaves = 2 ** params["depth"]
    out = [f"obfuscated construction: N={n_leaves} leaves (depth {params['depth']}, binary), claimant tree-obfuscator "
           f"(knows no flaw), challenger with budget B verifying B random leaves; {params['debates']} debates per "
           "cell (batch path). Closed form: 1 - C(N-k, B+1)/C(N, B+1); with Q judge-checked paths, B+Q leaves.",
           "95% intervals: Wilson score. Grid cells replayed through the kernel and the Q cells play at most 300 "
           "debates each."]
    grid = part(records, "grid")
    for c in CHALLENGERS:
        agree = closed_form_agreement(grid, c, n_leaves)
        out.append(f"{c} challenger: the simulation {'agrees' if agree.value >= 0.85 else 'DISAGREES'} with the "
                   "closed form (agreement: at least 85% of cells with the closed form in their interval).")
    out.append("prover-estimator against standard: 'helps' if prover-estimator's interval lies above standard "
               "debate's, 'hurts' if below, else 'no clear difference'. Our prover-estimator variant (grid "
               "probabilities, independence consistency check with tolerance, estimator wins if on the right side "
               "of 1/2 at the end) is one reading of the protocol, and the tolerance rows show how much the answer "
               "depends on the judge's slack.")
    return out


def figures(params: dict[str, Any], records: list[dict[str, Any]], ctx: Context) -> list[Any]:
    """Heatmaps of the grid per challenger, the cliff against the closed form, the protocols
    as bars, and an example debate drawn as its argument tree."""
    depth = params["depth"]
    n_leaves = 2**depth
    budgets, flaws = budget_grid(n_leaves, params["budget_points"]), flaw_grid(n_leaves, params["flaw_points"])
    grid = part(records, "grid")
    files = [plot_cliff_heatmap(grid, c, budgets, flaws, n_leaves, ctx.path(f"heatmap_{c}.png"))
             for c in ("honest", "random-search")]
    files.append(plot_cliff(grid, budgets, flaws, n_leaves, ctx.path("cliff.png")))
    prot = grouped_rates([r for r in part(records, "protocols") if abs(r["tolerance"] - 0.1) < 1e-9],
                         ["structure", "protocol", "honest_role"])
    bars = plot_protocols(prot, ctx.path("protocols.png"))
    files += [bars] if bars is not None else []
    game = RecursiveDebateGame(kind="obfuscated", depth=min(depth, 6), flaws=2, claim="dishonest",
                               challenger_budget=2 ** min(depth, 6) // 8, protocol="cross-examination", queries=3)
    st = play_episode(game, [ObfuscatingTreeDebater(), HonestTreeDebater()], seed=ctx.seed)
    files.append(plot_debate_tree(st, ctx.path("example_debate.png")))
    return files


def run(params: dict[str, Any], ctx: Context) -> ScenarioResult:
    records = simulate(params, ctx)
    files = [ctx.path("records.jsonl"), *figures(params, records, ctx)]
    title = (f"Obfuscated arguments (Barnes & Christiano 2020) and prover-estimator debate "
             f"(Brown-Cohen et al. 2025): N={2 ** params['depth']}, {params['debates']} debates per grid cell")
    return ScenarioResult(title, measures(params, records), notes(params, records), files)


SCENARIO = Scenario(
    name="obfuscated-arguments",
    description="Obfuscated arguments in recursive debate: the cliff in B/N and k; standard vs prover-estimator",
    quick_note="a smaller tree, grid and sample; run without --quick for the full sweep.",
    citation="Barnes & Christiano 2020 (AI Alignment Forum); Brown-Cohen, Irving & Piliouras 2025, arXiv 2506.13609",
    params=[
        Param("depth", int, 10, "depth of the binary obfuscated tree (N = 2**depth leaves)", quick=8, low=4, high=16),
        Param("budget_points", int, 20, "budgets on the grid (0..N; at most N + 1)", quick=10, low=2, high=1000),
        Param("flaw_points", int, 20, "flaw counts on the grid (1..N/16, geometric)", quick=5, low=1, high=1000),
        Param("debates", int, 2000, "debates per grid cell (batch path)", quick=300, low=1, high=1_000_000),
        Param("kernel_debates", int, 1000, "debates per kernel cell", quick=60, low=1, high=100_000),
        Param("budget_frac", float, 0.125, "verification budget B/N of both debaters in the protocol comparison",
              low=0, high=1),
        Param("conj_depth", int, 7, "depth of the binary conjunctive trees (protocol comparison)", quick=5, low=1,
              high=12),
        Param("stable_depth", int, 5, "depth of the ternary majority trees (protocol comparison)", quick=3, low=1,
              high=8),
        Param("tolerances", float, "0,0.05,0.1,0.2", "prover-estimator consistency tolerances", quick="0,0.1",
              many=True, low=0, high=1),
    ],
    run=run,
    experiment=experiment,
    check=check,
    claims=CLAIMS,
    reproduce={"debates": 1000, "kernel_debates": 200},
)

if __name__ == "__main__":
    raise SystemExit(SCENARIO.main())
