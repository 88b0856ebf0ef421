"""The obfuscated-arguments study: how large must an argument be before the honest side cannot
find the flaw, and does prover-estimator debate help? (Barnes & Christiano 2020; Brown-Cohen,
Irving & Piliouras 2025.)

Five parts, each appending flat records to one :class:`~oversight_gym.runner.records.RecordFile`
(keyed by :data:`KEY_FIELDS`, so a killed run resumes):

* ``grid``: the obfuscation cliff, the honest challenger's win rate over budgets B and flaw
  counts k on Barnes and Christiano's construction (a false conjunction of N leaves with k
  flaws), batch path (:mod:`oversight_gym.envs.debate.recursive_batch`), with the closed form
  of a randomly searching challenger (:func:`~oversight_gym.envs.debate.metrics.
  random_search_win_probability`) stored beside each cell;
* ``kernel-check``: a few grid cells replayed move by move through the kernel;
* ``protocols``: standard, cross-examination and judge-directed debate on conjunctive and on
  stable (majority) trees, with either role honest (kernel, scripted debaters);
* ``theorems``: the two theorems of prover-estimator debate (Brown-Cohen, Irving & Piliouras
  2025) against B/N on conjunctive and stable trees, exact expected payoffs
  (:mod:`oversight_gym.envs.debate.prover_estimator`), beside standard debate (batch path):
  soundness (an honest estimator against a lying prover) and completeness (an honest prover
  against a lying estimator), each run labelled by who knows which leaves;
* ``completeness-q``: an honest prover on true conjunctions of q subclaims (depth 2) against an
  estimator who spreads his doubt evenly;
* ``size``: the tree's size N at fixed B/N (batch);
* ``queries``: the number Q of paths the judge follows (kernel).

The analysis helpers at the end turn the records into the rates the scenario reports.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from oversight_gym.analysis.metrics import Rate, grouped_rates, inside
from oversight_gym.analysis.report import mean_interval
from oversight_gym.envs.debate.argument_trees import RULES, ArgumentTree, balanced_leaf_probability, make_tree
from oversight_gym.envs.debate.metrics import random_search_win_probability
from oversight_gym.envs.debate.prover_estimator import (
    ProductBelief,
    Protocol,
    batch_debate_values,
    debate_value,
    doubting_leaf_p,
    posterior_leaf_p,
)
from oversight_gym.envs.debate.recursive import RecursiveDebateGame
from oversight_gym.envs.debate.recursive_batch import simulate_standard
from oversight_gym.envs.debate.tree_debaters import HonestTreeDebater, ObfuscatingTreeDebater, RandomSearchTreeDebater
from oversight_gym.runner.episodes import play_episode, run_parallel
from oversight_gym.runner.records import RecordFile

STRUCTURES = {  # name -> tree parameters (kernel part)
    "conjunctive": {"kind": "conjunctive", "branching": 2},
    "stable": {"kind": "stable", "branching": 3, "rule": "majority"},
}
#: the protocols of the kernel part (prover-estimator debate is computed exactly in the theorems part)
PROTOCOLS = ("standard", "cross-examination", "judge-directed")
#: the theorems part's trees: a binary conjunction at the leaf probability that makes the root a coin
#: flip, and a ternary majority of wide margin (each leaf true with 0.85), which passes the stability test
PE_STRUCTURES = {
    "conjunctive": {"kind": "conjunctive", "branching": 2, "rule": "and", "leaf_p": None},
    "stable": {"kind": "stable", "branching": 3, "rule": "majority", "leaf_p": 0.85},
}
#: who knows what in each theorem's runs (the soundness theorem assumes the estimator knows at least
#: what the prover knows): "estimator knows more": he verified B = budget_frac * N random leaves and
#: the prover a random half of them; "prover knows more": the reverse; "estimator doubts": the prover
#: knows B leaves and the lying estimator prices from no leaf; standard debate: "equal budgets", each
#: debater B leaves of its own draw
KNOWS = {"soundness": ("estimator knows more", "prover knows more"), "completeness": ("estimator doubts",)}
STANDARD_KNOWS = "equal budgets"
#: the lying estimator's price of the true root value (completeness runs)
LIAR_PRICE = 0.25
CHALLENGERS = ("random-search", "honest")
#: the fields that key a record of the study's results file
KEY_FIELDS = ("part", "challenger", "flaws", "budget", "structure", "protocol", "honest_role", "knows")
_BLANK = {k: None for k in KEY_FIELDS if k != "part"}


def budget_grid(n_leaves: int, points: int) -> list[int]:
    """``points`` budgets from 0 to N, denser at small fractions (where the cliff is)."""
    fr = np.concatenate([[0.0], np.geomspace(1.0 / n_leaves, 1.0, points - 1)])
    out = sorted({int(round(f * n_leaves)) for f in fr})
    while len(out) < points:  # rounding merged some: fill with the largest gaps' midpoints
        gaps = np.diff(out)
        i = int(np.argmax(gaps))
        out.insert(i + 1, out[i] + int(gaps[i]) // 2)
    return out


def flaw_grid(n_leaves: int, points: int) -> list[int]:
    """``points`` flaw counts from 1 to N/16, geometric."""
    top = max(2, n_leaves // 16)
    out = sorted({max(1, int(round(x))) for x in np.geomspace(1, top, points)})
    while len(out) < min(points, top):  # rounding merged some small values: fill the largest gaps
        gaps = np.diff(out)
        i = int(np.argmax(gaps))
        out.insert(i + 1, out[i] + int(gaps[i]) // 2)
    return out


def check_budgets(budgets: list[int]) -> list[int]:
    """The budgets of the grid replayed through the kernel: the smallest, the middle one and
    the third largest."""
    return [budgets[0], budgets[len(budgets) // 2], budgets[-3]]


def study_records(path: Any, config: dict[str, Any]) -> RecordFile:
    """The study's results file (resumed when ``config`` matches its header)."""
    return RecordFile(path, config, KEY_FIELDS)


# --- kernel cells (module level, so worker processes can run them) --------------------------------------------
def protocol_cell(task: dict[str, Any]) -> dict[str, Any]:
    """One protocol cell: ``n`` kernel debates on a conjunctive or stable tree, honest
    debater against the obfuscating one, both with budget ``budget_frac * N``."""
    s = STRUCTURES[task["structure"]]
    depth = task["depth"][task["structure"]]
    n = s["branching"] ** depth
    budget = max(1, int(round(task["budget_frac"] * n)))
    queries = 3 if task["protocol"] in ("cross-examination", "judge-directed") else 1
    game = RecursiveDebateGame(kind=s["kind"], depth=depth, branching=s["branching"], rule=s.get("rule"),
                               protocol=task["protocol"], queries=queries,
                               claim="dishonest" if task["honest_role"] == "challenger" else "honest",
                               claimant_budget=budget, challenger_budget=budget)
    honest, liar = HonestTreeDebater(), ObfuscatingTreeDebater()
    agents = [liar, honest] if task["honest_role"] == "challenger" else [honest, liar]
    wins = 0
    for i in range(task["n"]):
        st = play_episode(game, agents, seed=task["seed"] * 1_000_003 + i)
        wins += bool(st.outcome()["honest_wins"])
    return {**{k: task[k] for k in ("part", "structure", "protocol", "honest_role")},
            "budget": budget, "n_leaves": n, "n": task["n"], "honest_wins": wins}


def grid_kernel_cell(task: dict[str, Any]) -> dict[str, Any]:
    """A cell of the obfuscation grid played through the kernel (random-search or honest challenger)."""
    game = RecursiveDebateGame(kind="obfuscated", depth=task["depth"], flaws=task["flaws"], claim="dishonest",
                               challenger_budget=task["budget"])
    ch = (RandomSearchTreeDebater() if task["challenger"] == "random-search" else HonestTreeDebater())
    wins = sum(bool(play_episode(game, [ObfuscatingTreeDebater(), ch], seed=task["seed"] * 1_000_003 + i)
                    .outcome()["honest_wins"]) for i in range(task["n"]))
    return {**task, "honest_wins": wins}


def queries_cell(task: dict[str, Any]) -> dict[str, Any]:
    """Cross-examination / judge-directed debate with Q paths on the obfuscated construction."""
    game = RecursiveDebateGame(kind="obfuscated", depth=task["depth"], flaws=task["flaws"], claim="dishonest",
                               challenger_budget=task["budget"], protocol=task["protocol"], queries=task["queries"])
    wins = sum(bool(play_episode(game, [ObfuscatingTreeDebater(), RandomSearchTreeDebater()],
                                 seed=task["seed"] * 1_000_003 + i).outcome()["honest_wins"]) for i in range(task["n"]))
    return {**{k: v for k, v in task.items() if k != "seed"}, "honest_wins": wins}


# --- the parts ----------------------------------------------------------------------------------------------
def run_grid(rec: RecordFile, depth: int, budgets: list[int], flaws: list[int], debates: int, seed: int,
             progress: bool = True) -> None:
    """Part 1, the cliff: every (challenger, k, B) cell of the grid, ``debates`` debates each
    on the batch path, the closed form stored beside the count."""
    n_leaves = 2**depth
    done = rec.done()
    cells = [(c, k, b) for c in CHALLENGERS for k in flaws for b in budgets]
    todo = [x for x in cells if ("grid", x[0], x[1], x[2], None, None, None, None) not in done]
    bar = None
    if progress and todo:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(cells), initial=len(cells) - len(todo), desc="obfuscation grid (batch)", unit="cell")
    for ci, (c, k, b) in enumerate(cells):
        if (c, k, b) not in todo:
            continue
        seed_seq = np.random.SeedSequence([seed, ci])
        res = simulate_standard(debates, np.random.default_rng(seed_seq), kind="obfuscated", depth=depth,
                                flaws=k, claimant="obfuscating", challenger=c, challenger_budget=b)
        rec.append({**_BLANK, "part": "grid", "challenger": c, "flaws": k, "budget": b, "budget_frac": b / n_leaves,
                    "n": debates, "honest_wins": int(res["honest_wins"].sum()),
                    "closed_form": random_search_win_probability(n_leaves, k, b)})
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()


def run_kernel_checks(rec: RecordFile, depth: int, budgets: list[int], flaws: list[int], debates: int, seed: int,
                      workers: int = 1, progress: bool = True) -> None:
    """Part 2: the grid cells at the middle flaw count and the budgets of :func:`check_budgets`
    replayed through the kernel (at most 300 debates each)."""
    k_mid = flaws[len(flaws) // 2]
    cells = [{"part": "kernel-check", "challenger": c, "flaws": k_mid, "budget": b, "depth": depth,
              "n": min(300, debates), "seed": seed + 7 + i}
             for i, (c, b) in enumerate((c, b) for c in CHALLENGERS for b in check_budgets(budgets))]
    done = rec.done()
    todo = [t for t in cells
            if ("kernel-check", t["challenger"], t["flaws"], t["budget"], None, None, None, None) not in done]
    run_parallel(grid_kernel_cell, todo, workers=workers, progress=progress, desc="grid cells (kernel)",
                 done=len(cells) - len(todo),
                 on_result=lambda r: rec.append({**_BLANK, **{k: v for k, v in r.items() if k != "seed"}}))


def protocol_tasks(depths: dict[str, int], budget_frac: float, debates: int, seed: int) -> list[dict[str, Any]]:
    """Part 3's cells: every tree structure, kernel protocol and honest role."""
    tasks = []
    i = 0
    for structure in STRUCTURES:
        for protocol in PROTOCOLS:
            for role in ("challenger", "claimant"):
                i += 1
                tasks.append({"part": "protocols", "structure": structure, "protocol": protocol, "honest_role": role,
                              "n": debates, "budget_frac": budget_frac, "seed": seed * 7919 + i,
                              "depth": dict(depths)})
    return tasks


def run_protocols(rec: RecordFile, depths: dict[str, int], budget_frac: float, debates: int, seed: int,
                  workers: int = 1, progress: bool = True) -> None:
    """Part 3: the kernel protocols on conjunctive and stable trees (``depths``: tree depth per structure)."""
    def cell_budget(t: dict[str, Any]) -> int:  # as protocol_cell sets it
        s = STRUCTURES[t["structure"]]
        return max(1, int(round(t["budget_frac"] * s["branching"] ** t["depth"][t["structure"]])))

    done = rec.done()
    todo = [t for t in protocol_tasks(depths, budget_frac, debates, seed)
            if ("protocols", None, None, cell_budget(t), t["structure"], t["protocol"], t["honest_role"], None)
            not in done]
    run_parallel(protocol_cell, todo, workers=workers, progress=progress, desc="protocols (kernel)",
                 on_result=lambda r: rec.append({**_BLANK, **r}))


def run_sizes(rec: RecordFile, depths: list[int] | tuple[int, ...], debates: int, seed: int) -> None:
    """Part 4: trees of depth ``depths`` with 2 flaws at B/N = 1/64, 1/16 and 1/4 (batch, honest challenger)."""
    done = rec.done()
    for dn in depths:
        for frac in (1 / 64, 1 / 16, 1 / 4):
            nn = 2**dn
            b = int(round(frac * nn))
            key = ("size", "honest", 2, b, f"depth{dn}", None, None, None)
            if key in done:
                continue
            res = simulate_standard(debates, np.random.default_rng(np.random.SeedSequence([seed, dn, b])),
                                    kind="obfuscated", depth=dn, flaws=2, challenger="honest", challenger_budget=b)
            rec.append({**_BLANK, "part": "size", "challenger": "honest", "flaws": 2, "budget": b,
                        "structure": f"depth{dn}", "n_leaves": nn, "n": debates,
                        "honest_wins": int(res["honest_wins"].sum())})


def run_queries(rec: RecordFile, debates: int, seed: int, workers: int = 1, progress: bool = True) -> None:
    """Part 5: cross-examination (B = 4) and judge-directed debate (B = 0) with Q = 1, 2, 4, 8
    judge-checked paths, N = 64, 2 flaws, random-search challenger (kernel, at most 300 debates)."""
    tasks = [{"part": "queries", "challenger": "random-search", "flaws": 2, "budget": 4 if proto != "judge-directed"
              else 0, "structure": f"Q{q}", "protocol": proto, "queries": q, "depth": 6,
              "n": min(300, debates), "seed": seed * 31 + q + 100 * j}
             for j, proto in enumerate(("cross-examination", "judge-directed")) for q in (1, 2, 4, 8)]
    done = rec.done()
    tasks = [t for t in tasks if ("queries", t["challenger"], 2, t["budget"], t["structure"], t["protocol"], None,
                                  None) not in done]
    run_parallel(queries_cell, tasks, workers=workers, progress=progress, desc="queries (kernel)",
                 on_result=lambda r: rec.append({**_BLANK, **r}))


# --- analysis -----------------------------------------------------------------------------------------------
def part(records: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [r for r in records if r["part"] == name]


def as_rate(row: dict[str, Any]) -> Rate:
    """A :func:`~oversight_gym.analysis.metrics.grouped_rates` row as a :class:`Rate`."""
    return Rate(int(round(row["rate"] * row["n"])), row["n"])


def grid_rates(grid: list[dict[str, Any]], challenger: str) -> list[dict[str, Any]]:
    """The grid's honest win rates of one challenger, one row per (flaws, budget)."""
    return grouped_rates([r for r in grid if r["challenger"] == challenger], ["flaws", "budget"])


def closed_form_agreement(grid: list[dict[str, Any]], challenger: str, n_leaves: int) -> Rate:
    """The share of the challenger's grid cells whose closed form lies in the cell's 95% interval."""
    rs = grid_rates(grid, challenger)
    hits = sum(inside(r, random_search_win_probability(n_leaves, r["flaws"], r["budget"])) for r in rs)
    return Rate(hits, len(rs))


def half_budget(grid: list[dict[str, Any]], k: int) -> int | None:
    """The smallest budget at which the honest challenger wins at least half the debates
    against ``k`` flaws (None: at no budget of the grid)."""
    return next((r["budget"] for r in grid_rates(grid, "honest") if r["flaws"] == k and r["rate"] >= 0.5), None)


def half_budget_closed_form(budgets: list[int], n_leaves: int, k: int) -> int | None:
    """The smallest budget of the grid at which the closed form reaches 1/2 (None: none does)."""
    return next((b for b in budgets if random_search_win_probability(n_leaves, k, b) >= 0.5), None)


def protocol_rates(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The honest side's win rate per (structure, protocol, honest role) of the kernel part."""
    return grouped_rates(part(records, "protocols"), ["structure", "protocol", "honest_role"])


# --- prover-estimator debate's theorems (exact expected payoffs) --------------------------------------------
def pe_tree_params(structure: str, depth: int) -> dict[str, Any]:
    """The generator parameters of a theorems-part tree, the leaf probability filled in."""
    s = dict(PE_STRUCTURES[structure])
    if s["leaf_p"] is None:
        s["leaf_p"] = balanced_leaf_probability(RULES[s["rule"]], s["branching"], depth)
    return {**s, "depth": depth}


def _pe_beliefs(tree: ArgumentTree, theorem: str, knows: str, budget: int, leaf_p: float,
                rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Bob's and Alice's leaf probabilities (both independent across leaves) in one debate of the
    theorems part: each debater's posterior given the leaves it verified, or (completeness) a
    lying Bob who prices the true root value at :data:`LIAR_PRICE` and spreads the doubt evenly."""
    n = tree.num_leaves
    perm = rng.permutation(n)
    big, small = perm[:budget], perm[:budget // 2]

    def posterior(leaves: np.ndarray) -> np.ndarray:
        known = np.full(n, -1, np.int8)
        known[leaves] = tree.leaf_truth[leaves]
        return posterior_leaf_p(n, leaf_p, known)

    if theorem == "soundness":
        bob_leaves, alice_leaves = (big, small) if knows == KNOWS["soundness"][0] else (small, big)
        return posterior(bob_leaves), posterior(alice_leaves)
    price = LIAR_PRICE if tree.truth[0] else 1.0 - LIAR_PRICE
    r = doubting_leaf_p(int(tree.rules[0]), tree.branching, tree.depth, price)
    return np.full(n, r), posterior(big)


def theorem_cell(task: dict[str, Any]) -> dict[str, Any]:
    """One cell of the theorems part: ``n`` debates at one budget B/N. Prover-estimator debate:
    exact expected payoffs (the honest side wins by the payoff's sign); standard debate: the
    batch path, the honest challenger (soundness) or claimant (completeness) against the
    obfuscating debater, both with budget B."""
    tp = pe_tree_params(task["structure"], task["depth"])
    n_leaves = tp["branching"] ** tp["depth"]
    budget = int(round(task["budget_frac"] * n_leaves))
    rng = np.random.default_rng(np.random.SeedSequence(task["seed"]))
    honest_role = "challenger" if task["theorem"] == "soundness" else "claimant"
    out = {"part": "theorems", "structure": task["structure"], "protocol": task["protocol"],
           "honest_role": honest_role, "knows": task["knows"], "budget": budget, "budget_frac": task["budget_frac"],
           "n_leaves": n_leaves, "n": task["n"], "theorem": task["theorem"]}
    if task["protocol"] == "standard":
        res = simulate_standard(task["n"], rng, kind=tp["kind"], depth=tp["depth"], branching=tp["branching"],
                                rule=tp["rule"], leaf_p=tp["leaf_p"],
                                claimant="obfuscating" if honest_role == "challenger" else "honest",
                                challenger="honest" if honest_role == "challenger" else "obfuscating",
                                claimant_budget=budget, challenger_budget=budget)
        return {**out, "honest_wins": int(res["honest_wins"].sum())}
    protocol = Protocol(weight_growth=task["weight_growth"])
    n = task["n"]
    truths, bob, alice = (np.empty((n, n_leaves)) for _ in range(3))
    rules = None
    for i in range(n):
        tree = make_tree(rng, tp["kind"], tp["depth"], tp["branching"], leaf_p=tp["leaf_p"], rule=tp["rule"])
        truths[i] = tree.leaf_truth
        bob[i], alice[i] = _pe_beliefs(tree, task["theorem"], task["knows"], budget, tp["leaf_p"], rng)
        rules = tree.rules
    pay = batch_debate_values(rules, tp["branching"], tp["depth"], truths, bob, alice, protocol)["actual"]
    wins = pay <= protocol.margin if honest_role == "challenger" else pay > protocol.margin
    return {**out, "honest_wins": int(wins.sum()), "payoffs": [float(x) for x in pay]}


def theorem_tasks(depths: dict[str, int], fracs: list[float], debates: int, weight_growth: float,
                  seed: int) -> list[dict[str, Any]]:
    """The theorems part's cells: structure x theorem x who-knows-what x B/N, prover-estimator
    and standard debate."""
    tasks = []
    for si, structure in enumerate(PE_STRUCTURES):
        for theorem, labels in KNOWS.items():
            for fi, frac in enumerate(fracs):
                cells = [("prover-estimator", k) for k in labels] + [("standard", STANDARD_KNOWS)]
                for ci, (protocol, knows) in enumerate(cells):
                    tasks.append({"structure": structure, "theorem": theorem, "protocol": protocol, "knows": knows,
                                  "budget_frac": float(frac), "n": debates, "depth": depths[structure],
                                  "weight_growth": weight_growth,
                                  "seed": [seed, 11, si, len(theorem), fi, ci]})
    return tasks


def run_theorems(rec: RecordFile, depths: dict[str, int], fracs: list[float], debates: int, weight_growth: float,
                 seed: int, workers: int = 1, progress: bool = True) -> None:
    """Part 6: the 2 x 2 table of prover-estimator debate's theorems against B/N."""
    done = rec.done()

    def key(t: dict[str, Any]) -> tuple:
        tp = pe_tree_params(t["structure"], t["depth"])
        budget = int(round(t["budget_frac"] * tp["branching"] ** tp["depth"]))
        role = "challenger" if t["theorem"] == "soundness" else "claimant"
        return ("theorems", None, None, budget, t["structure"], t["protocol"], role, t["knows"])

    todo = [t for t in theorem_tasks(depths, fracs, debates, weight_growth, seed) if key(t) not in done]
    run_parallel(theorem_cell, todo, workers=workers, progress=progress, desc="prover-estimator theorems",
                 on_result=lambda r: rec.append({**_BLANK, **r}))


def completeness_q_cell(q: int, budget_frac: float, weight_growth: float, debates: int, seed: int
                        ) -> dict[str, Any]:
    """An honest prover on a true conjunction of depth 2 and branching ``q`` (every leaf true),
    knowing B = budget_frac * N leaves, against the doubting estimator (root at LIAR_PRICE);
    beside it, standard debate's honest claimant against the obfuscating challenger (batch)."""
    n = q * q
    rules = np.full(q + 1, RULES["and"], np.int8)
    tree = ArgumentTree(q, 2, rules, np.ones(n, np.int8), np.full(q + 1 + n, 0.5), "conjunctive")
    leaf_p = balanced_leaf_probability(RULES["and"], q, 2)
    r = doubting_leaf_p(RULES["and"], q, 2, LIAR_PRICE)
    bob = ProductBelief(rules, q, np.full(n, r))
    budget = int(round(budget_frac * n))
    rng = np.random.default_rng(np.random.SeedSequence([seed, 13, q]))
    protocol = Protocol(weight_growth=weight_growth)
    payoffs = []
    for _ in range(debates):
        known = np.full(n, -1, np.int8)
        known[rng.permutation(n)[:budget]] = 1
        payoffs.append(debate_value(tree, bob, posterior_leaf_p(n, leaf_p, known), protocol).actual)
    std = simulate_standard(debates, rng, kind="conjunctive", depth=2, branching=q, leaf_p=1.0, claimant="honest",
                            challenger="obfuscating", claimant_budget=budget, challenger_budget=budget)
    pay = np.array(payoffs)
    return {**_BLANK, "part": "completeness-q", "structure": f"q{q}", "budget": budget, "n": debates,
            "protocol": "prover-estimator", "honest_role": "claimant", "q": q, "payoffs": [float(x) for x in pay],
            "honest_wins": int((pay > protocol.margin).sum()), "standard_honest_wins": int(std["honest_wins"].sum())}


def run_completeness_q(rec: RecordFile, qs: list[int], budget_frac: float, weight_growth: float, debates: int,
                       seed: int) -> None:
    """Part 7: completeness on true conjunctions as the number q of subclaims grows."""
    done = rec.done()
    for q in qs:
        budget = int(round(budget_frac * q * q))
        if ("completeness-q", None, None, budget, f"q{q}", "prover-estimator", "claimant", None) in done:
            continue
        rec.append(completeness_q_cell(q, budget_frac, weight_growth, debates, seed))


def theorem_rows(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The theorems part's cells, each with its honest rate and (prover-estimator) the mean
    prover payoff and its 95% interval."""
    out = []
    for r in part(records, "theorems"):
        row = {**r, "rate": Rate(r["honest_wins"], r["n"])}
        if r.get("payoffs"):
            row["payoff"] = mean_interval(r["payoffs"]) if len(r["payoffs"]) > 1 else (r["payoffs"][0],) * 3
        out.append(row)
    return out


__all__ = ["CHALLENGERS", "KEY_FIELDS", "KNOWS", "LIAR_PRICE", "PE_STRUCTURES", "PROTOCOLS", "STANDARD_KNOWS",
           "STRUCTURES", "as_rate", "budget_grid", "check_budgets", "closed_form_agreement",
           "completeness_q_cell", "flaw_grid", "grid_kernel_cell", "grid_rates", "half_budget",
           "half_budget_closed_form", "part", "pe_tree_params", "protocol_cell", "protocol_rates", "protocol_tasks",
           "queries_cell", "run_completeness_q", "run_grid", "run_kernel_checks", "run_protocols", "run_queries",
           "run_sizes", "run_theorems", "study_records", "theorem_cell", "theorem_rows", "theorem_tasks"]
