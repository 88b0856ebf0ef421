"""Obfuscated arguments: how large must an argument be before the honest side cannot find the flaw?

Barnes & Christiano (2020, "Debate update: Obfuscated arguments problem") describe a
dishonest debater who defends a false claim with a huge argument made invalid by a few
flawed steps that neither debater has located: each subclaim is about 50% likely true
under the wrong answer, so the honest debater, bounded in compute, can only say each step
might be flawed. In recursive debate the honest challenger wins only if it recurses to a
flaw. Brown-Cohen, Irving & Piliouras (2025, "Avoiding obfuscation with prover-estimator
debate", arXiv 2506.13609) let the challenger (estimator) only price subclaims while the claimant
(prover) picks where to recurse. Their two theorems: **soundness** (a lying prover gains nothing in
expectation against an estimator calibrated on at least the prover's information) needs no
stability: the estimator never has to find a flaw, only to price it, so it should hold on
conjunctive trees at every budget B, where the standard-debate challenger's win rate falls with
B/N. **Completeness** (an honest prover wins against any estimator) needs stability: on a
conjunctive tree a consistent, doubting estimator spreads his doubt over every subclaim and the
honest prover's edge shrinks with the number q of subclaims.

This scenario measures

1. the obfuscation cliff: the honest challenger's win rate against the budget fraction B/N
   and the number of flaws k, on Barnes and Christiano's construction (a false conjunction
   of N leaves with k flaws), played by the batch path
   (:mod:`oversight_gym.envs.debate.recursive_batch`), beside the closed form of a
   randomly searching challenger (:func:`oversight_gym.envs.debate.metrics.
   random_search_win_probability`), with a few cells replayed through the kernel;
2. standard, cross-examination and judge-directed debate on conjunctive and on stable (majority)
   trees, with either role honest (kernel + scripted debaters);
3. prover-estimator debate's 2 x 2 table (soundness and completeness; conjunctive trees and stable
   trees of wide margin that pass the per-node stability test) against B/N, the expected payoffs
   computed exactly (:mod:`oversight_gym.envs.debate.prover_estimator`; the honest side wins by the
   sign of the prover's expected payoff), each run labelled by who knows which leaves, beside
   standard debate on the same trees (batch path); and completeness on true conjunctions of q
   subclaims as q grows. The stability test of every tree kind is reported.

The simulations and the study's analysis live in :mod:`oversight_gym.envs.debate.obfuscation`.
No published figure exists for these simulations: each simulated rate stands beside the
closed form (a measure of its own), and the claims (:data:`CLAIMS`) check the directions the
papers state. The estimation bound of doubly-efficient debate is not measured here.

Reproduction settings (``oversight-gym reproduce obfuscated-arguments``): the full tree and grid
(N = 1024, 20 budgets x 20 flaw counts, every protocol) with 1000 batch debates per grid cell instead
of 2000 and 200 kernel debates per protocol cell instead of 1000, to fit a three-minute budget on two
cores; the prover-estimator cells are exact per debate and play their defaults.

Run: ``oversight-gym run obfuscated-arguments [--quick]`` or ``python -m oversight_gym.scenarios.obfuscated_arguments``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from oversight_gym.analysis.claims import Claim, Ref
from oversight_gym.analysis.measures import Measure
from oversight_gym.analysis.metrics import Rate, grouped_rates
from oversight_gym.analysis.report import mean_interval
from oversight_gym.envs.debate.argument_trees import RULES, balanced_leaf_probability, num_internal
from oversight_gym.envs.debate.metrics import random_search_win_probability
from oversight_gym.envs.debate.obfuscation import (
    CHALLENGERS,
    KNOWS,
    LIAR_PRICE,
    PE_STRUCTURES,
    STANDARD_KNOWS,
    as_rate,
    budget_grid,
    closed_form_agreement,
    flaw_grid,
    grid_rates,
    half_budget,
    half_budget_closed_form,
    part,
    pe_tree_params,
    protocol_rates,
    run_completeness_q,
    run_grid,
    run_kernel_checks,
    run_protocols,
    run_queries,
    run_sizes,
    run_theorems,
    study_records,
    theorem_rows,
)
from oversight_gym.envs.debate.plots import plot_cliff, plot_cliff_heatmap, plot_debate_tree, plot_protocols
from oversight_gym.envs.debate.prover_estimator import stability_report, tree_node_probabilities
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
#: the budgets B/N of the theorems part that the claims read
PE_SMALL, PE_MID = 0.062, 0.125  # as the table rounds 1/16 and 1/8
PE_QS = (2, 3, 4, 6, 8)
EXACT = ("exact expected payoffs per debate (every coin outcome enumerated), so the only spread is over trees and "
         "leaves drawn; ")


def _theorem(tree: str, theorem: str, protocol: str, knows: str, frac: float) -> Ref:
    return Ref("honest wins", tree=tree, theorem=theorem, protocol=protocol, knows=knows, **{"B/N": frac})


CLAIMS = [
    Claim.ordered("standard-challenger-needs-budget",
                  f"standard debate (N={SIZE_N}, k=2): the honest challenger's win rate rises with B/N",
                  f"{BARNES}; {SOURCE}",
                  [Ref("honest win rate", N=SIZE_N, **{"B/N": f}) for f in SIZE_FRACS],
                  published="falls as B/N shrinks",
                  reason="B/N = 1/64, 1/16, 1/4; batch path, --debates per cell (300 quick, 1000 in the reproduction) "
                         "against an obfuscating claimant",
                  must_hold=True, quick=True, when=lambda p: True),  # the size part plays N = 256 in every mode
] + [
    Claim.value(f"pe-soundness-{tree}",
                f"prover-estimator, {tree} trees, B/N = 1/16: an estimator who knows what the prover knows loses "
                "nothing in expectation to a lying prover",
                SOURCE, 1.0, _theorem(tree, "soundness", "prover-estimator", KNOWS["soundness"][0], PE_SMALL),
                tolerance=0.0, reason=EXACT + "the theorem predicts a prover payoff <= 0 in every debate, "
                "stable or not", must_hold=True, quick=True, when=lambda p: PE_SMALL in p["pe_fracs"])
    for tree in PE_STRUCTURES
] + [
    Claim.greater("pe-soundness-beats-standard",
                  "conjunctive trees, B/N = 1/16: the honest estimator above the standard-debate honest challenger",
                  SOURCE, _theorem("conjunctive", "soundness", "prover-estimator", KNOWS["soundness"][0], PE_SMALL),
                  _theorem("conjunctive", "soundness", "standard", STANDARD_KNOWS, PE_SMALL),
                  published="the estimator only prices the flaw; the challenger must find it",
                  reason=EXACT + "standard debate on the batch path with the scripted debaters", quick=True,
                  when=lambda p: PE_SMALL in p["pe_fracs"]),
    Claim.greater("pe-soundness-needs-an-informed-estimator",
                  "conjunctive trees, B/N = 1/8: soundness holds when the estimator knows more, not when the prover "
                  "knows leaves he cannot check", SOURCE,
                  _theorem("conjunctive", "soundness", "prover-estimator", KNOWS["soundness"][0], PE_MID),
                  _theorem("conjunctive", "soundness", "prover-estimator", KNOWS["soundness"][1], PE_MID),
                  published="the theorem assumes the estimator knows at least what the prover knows",
                  reason=EXACT, quick=True, when=lambda p: PE_MID in p["pe_fracs"]),
    Claim.greater("pe-completeness-needs-stability",
                  "B/N = 1/8: an honest prover against a doubting estimator wins more often on stable trees than on "
                  "conjunctive ones", SOURCE,
                  _theorem("stable", "completeness", "prover-estimator", KNOWS["completeness"][0], PE_MID),
                  _theorem("conjunctive", "completeness", "prover-estimator", KNOWS["completeness"][0], PE_MID),
                  published="completeness needs stability; conjunctions are not stable",
                  reason=EXACT + f"the lying estimator prices the true root value at {LIAR_PRICE:g} and spreads the "
                  "doubt evenly (consistent); stable trees: ternary majority, leaves true with 0.85 (they pass the "
                  "per-node stability test)", quick=True, when=lambda p: PE_MID in p["pe_fracs"]),
    Claim.ordered("pe-completeness-edge-shrinks-with-q",
                  "true conjunctions (depth 2): the honest prover's expected edge against a doubting estimator "
                  "shrinks as the number q of subclaims grows", SOURCE,
                  [Ref("mean prover payoff", q=q) for q in reversed(PE_QS)],
                  published="a doubting estimator prices each of q children near 1 - 1/q consistently; Alice's edge "
                            "shrinks with q",
                  reason=EXACT + "edge w_2 (1 - 4**(-1/q**2)) for the prover's bet on a true leaf",
                  quick=True, when=lambda p: True),
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
    depths = {"conjunctive": params["conj_depth"], "stable": params["stable_depth"]}
    run_protocols(rec, depths, params["budget_frac"], params["kernel_debates"], ctx.seed, ctx.workers, ctx.progress)
    run_sizes(rec, size_depths(ctx.quick), params["debates"], ctx.seed)
    run_queries(rec, params["kernel_debates"], ctx.seed, ctx.workers, ctx.progress)
    run_theorems(rec, depths, list(params["pe_fracs"]), params["pe_debates"], params["weight_growth"], ctx.seed,
                 ctx.workers, ctx.progress)
    run_completeness_q(rec, list(PE_QS), params["budget_frac"], params["weight_growth"], params["pe_debates"],
                       ctx.seed)
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
    for r in protocol_rates(records):
        setting = {"tree": r["structure"], "protocol": r["protocol"], "honest": r["honest_role"]}
        out.append(Measure.rate("honest win rate", as_rate(r), setting=setting, group=group))
    out += theorem_measures(params, records)
    return out


def theorem_measures(params: dict[str, Any], records: list[dict[str, Any]]) -> list[Measure]:
    """The 2 x 2 table of prover-estimator debate's theorems against B/N beside standard debate,
    the stability test of each tree kind, and completeness on true conjunctions against q."""
    out: list[Measure] = []
    group = ("prover-estimator theorems: soundness = honest estimator vs lying prover, completeness = honest prover "
             "vs lying estimator; prover-estimator exact (honest wins = sign of the prover's expected payoff), "
             "standard debate batch path")
    rows = sorted(theorem_rows(records), key=lambda r: (r["structure"], r["theorem"], r["budget_frac"],
                                                         r["protocol"] != "prover-estimator", r["knows"]))
    for r in rows:
        setting = {"tree": r["structure"], "theorem": r["theorem"], "B/N": round(r["budget_frac"], 3),
                   "protocol": r["protocol"], "knows": r["knows"]}
        out.append(Measure.rate("honest wins", r["rate"], setting=setting, group=group))
        if "payoff" in r:
            m, lo, hi = r["payoff"]
            out.append(Measure("mean prover payoff", m, (lo, hi), n=r["n"], setting=setting, group=group))

    eps = params["stability_eps"]
    group = (f"per-node stability test: a node passes if moving every child's probability by eps={eps:g} moves "
             "the parent's by at most eps (at the generator's probabilities); a tree is stable only if all pass")
    kinds = {f"{k} (theorems part)": pe_tree_params(k, params["conj_depth" if k == "conjunctive" else "stable_depth"])
             for k in PE_STRUCTURES}
    kinds["stable (kernel part: majority, root a coin flip)"] = {
        "branching": 3, "rule": "majority", "depth": params["stable_depth"],
        "leaf_p": balanced_leaf_probability(RULES["majority"], 3, params["stable_depth"])}
    for name, tp in kinds.items():
        b, d = tp["branching"], tp["depth"]
        rules = np.full(num_internal(b, d), RULES[tp["rule"]], np.int8)
        rep = stability_report(rules, b, tree_node_probabilities(rules, b, tp["leaf_p"], b**d), eps, eps)
        setting = {"tree": name}
        out += [Measure.rate("nodes passing", Rate(int(rep["passes"].sum()), len(rep["passes"])), setting=setting,
                             group=group),
                Measure("largest sensitivity / eps", rep["worst"] / eps, setting=setting, group=group),
                Measure("stable", "yes" if rep["stable"] else "no", setting=setting, group=group)]

    group = (f"completeness on true conjunctions of depth 2 with q subclaims per claim (N = q^2), prover knows "
             f"B/N={params['budget_frac']:g}, estimator doubts (root at {LIAR_PRICE:g})")
    for r in sorted(part(records, "completeness-q"), key=lambda r: r["q"]):
        m, lo, hi = mean_interval(r["payoffs"]) if len(r["payoffs"]) > 1 else (r["payoffs"][0],) * 3
        setting = {"q": r["q"]}
        out += [Measure.rate("honest prover wins", Rate(r["honest_wins"], r["n"]), setting=setting, group=group),
                Measure("mean prover payoff", m, (lo, hi), n=r["n"], setting=setting, group=group),
                Measure.rate("standard: honest claimant wins", Rate(r["standard_honest_wins"], r["n"]),
                             setting=setting, group=group)]
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
    out.append("prover-estimator debate (theorems part): Alice (prover) and Bob (estimator); Bob's prices are "
               "conditioned on trusted coins for earlier siblings, Alice bets a direction and picks the subclaim, "
               f"payments weighted by weight_growth^depth (here {params['weight_growth']:g}), the leaf decided by the "
               "judge's check; zero-sum. Honest wins = the sign of Alice's EXACT expected payoff (she wins iff it is "
               "> 0), not one run's coin outcome. Soundness runs: the honest estimator prices with his posterior; "
               "'estimator knows more': he verified B random leaves, the lying prover half of them (the theorem's "
               "assumption); 'prover knows more': the reverse (outside it). Completeness runs: the lying estimator "
               f"prices the true root value at {LIAR_PRICE:g} and spreads the doubt evenly (consistent); the honest "
               "prover knows B leaves. Standard debate: scripted debaters, each with B leaves of its own draw "
               f"('{STANDARD_KNOWS}').")
    out.append("Trees of the theorems part: conjunctive = binary AND, each leaf true with the probability that makes "
               "the root a coin flip; stable = ternary majority with each leaf true with 0.85 (wide margin; it passes "
               "the stability test, the kernel part's coin-flip majority does not).")
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
    bars = plot_protocols(protocol_rates(records), ctx.path("protocols.png"))
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
    description="Obfuscated arguments in recursive debate: the cliff in B/N and k; prover-estimator debate's theorems",
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
        Param("pe_fracs", float, "0,0.016,0.062,0.125,0.25,0.5,1", "budgets B/N of the theorems part",
              quick="0,0.062,0.125", many=True, low=0, high=1),
        Param("pe_debates", int, 200, "prover-estimator debates per theorems cell (exact expectations each)",
              quick=40, low=1, high=100_000),
        Param("weight_growth", float, 2.0, "prover-estimator: ratio of successive depth weights", low=1e-6,
              high=100),
        Param("stability_eps", float, 0.05, "stability test: the children's probabilities move by at most eps",
              low=1e-6, high=0.5),
    ],
    run=run,
    experiment=experiment,
    check=check,
    claims=CLAIMS,
    reproduce={"debates": 1000, "kernel_debates": 200},
)

if __name__ == "__main__":
    raise SystemExit(SCENARIO.main())
