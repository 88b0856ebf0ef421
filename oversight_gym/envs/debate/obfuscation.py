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
* ``protocols``: standard, cross-examination, judge-directed and prover-estimator debate on
  conjunctive and on stable (majority) trees, with either role honest, and prover-estimator
  debate against the judge's consistency tolerance (kernel, scripted debaters);
* ``size``: the tree's size N at fixed B/N (batch);
* ``queries``: the number Q of paths the judge follows (kernel).

The analysis helpers at the end turn the records into the rates the scenario reports.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from oversight_gym.analysis.metrics import Rate, grouped_rates, inside
from oversight_gym.envs.debate.metrics import random_search_win_probability
from oversight_gym.envs.debate.recursive import RecursiveDebateGame
from oversight_gym.envs.debate.recursive_batch import simulate_standard
from oversight_gym.envs.debate.tree_debaters import HonestTreeDebater, ObfuscatingTreeDebater, RandomSearchTreeDebater
from oversight_gym.runner.episodes import play_episode, run_parallel
from oversight_gym.runner.records import RecordFile

STRUCTURES = {  # name -> tree parameters (kernel part)
    "conjunctive": {"kind": "conjunctive", "branching": 2},
    "stable": {"kind": "stable", "branching": 3, "rule": "majority"},
}
PROTOCOLS = ("standard", "cross-examination", "judge-directed", "prover-estimator")
CHALLENGERS = ("random-search", "honest")
#: the fields that key a record of the study's results file
KEY_FIELDS = ("part", "challenger", "flaws", "budget", "structure", "protocol", "honest_role", "tolerance")
_BLANK = {k: None for k in KEY_FIELDS if k != "part"}
#: the judge's consistency tolerance of the prover-estimator cells the protocols are compared at
COMPARED_TOLERANCE = 0.1


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
                               claimant_budget=budget, challenger_budget=budget, tolerance=task["tolerance"])
    honest, liar = HonestTreeDebater(), ObfuscatingTreeDebater()
    agents = [liar, honest] if task["honest_role"] == "challenger" else [honest, liar]
    wins = 0
    for i in range(task["n"]):
        st = play_episode(game, agents, seed=task["seed"] * 1_000_003 + i)
        wins += bool(st.outcome()["honest_wins"])
    return {**{k: task[k] for k in ("part", "structure", "protocol", "honest_role", "tolerance")},
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


def protocol_tasks(depths: dict[str, int], tolerances: tuple[float, ...] | list[float], budget_frac: float,
                   debates: int, seed: int) -> list[dict[str, Any]]:
    """Part 3's cells: every tree structure, protocol and honest role; prover-estimator at
    every tolerance, the others at 0.1 (unused by them)."""
    tasks = []
    i = 0
    for structure in STRUCTURES:
        for protocol in PROTOCOLS:
            for role in ("challenger", "claimant"):
                tols = tolerances if protocol == "prover-estimator" else [0.1]
                for tol in tols:
                    i += 1
                    tasks.append({"part": "protocols", "structure": structure, "protocol": protocol,
                                  "honest_role": role, "tolerance": float(tol), "n": debates,
                                  "budget_frac": budget_frac, "seed": seed * 7919 + i, "depth": dict(depths)})
    return tasks


def run_protocols(rec: RecordFile, depths: dict[str, int], tolerances: tuple[float, ...] | list[float],
                  budget_frac: float, debates: int, seed: int, workers: int = 1, progress: bool = True) -> None:
    """Part 3: the protocols on conjunctive and stable trees (``depths``: tree depth per structure)."""
    def cell_budget(t: dict[str, Any]) -> int:  # as protocol_cell sets it
        s = STRUCTURES[t["structure"]]
        return max(1, int(round(t["budget_frac"] * s["branching"] ** t["depth"][t["structure"]])))

    done = rec.done()
    todo = [t for t in protocol_tasks(depths, tolerances, budget_frac, debates, seed)
            if ("protocols", None, None, cell_budget(t), t["structure"], t["protocol"], t["honest_role"],
                t["tolerance"]) not in done]
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


def compare(a: Rate, b: Rate) -> str:
    """Whether ``b`` is above (``"helps"``), below (``"hurts"``) or overlapping ``a`` by their intervals."""
    lo_a, hi_a = a.interval
    lo_b, hi_b = b.interval
    return "helps" if lo_b > hi_a else "hurts" if hi_b < lo_a else "no clear difference"


def protocol_rates(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The honest side's win rate per (structure, protocol, honest role, tolerance)."""
    return grouped_rates(part(records, "protocols"), ["structure", "protocol", "honest_role", "tolerance"])


def protocol_rate(prot: list[dict[str, Any]], structure: str, protocol: str, role: str,
                  tol: float = COMPARED_TOLERANCE) -> Rate | None:
    """One cell of :func:`protocol_rates` as a :class:`Rate` (None when it was not played)."""
    for r in prot:
        if (r["structure"], r["protocol"], r["honest_role"]) == (structure, protocol, role) and \
                abs(r["tolerance"] - tol) < 1e-9:
            return as_rate(r)
    return None


def prover_estimator_comparison(prot: list[dict[str, Any]], structure: str) -> dict[str, tuple[Rate, Rate]]:
    """Standard against prover-estimator debate (tolerance 0.1) on one tree structure:
    ``"honest challenger"`` (the honest side as challenger, that is, estimator) and
    ``"pooled"`` (judge accuracy over both honest roles); each a (standard, prover-estimator)
    pair of rates, left out when a cell was not played."""
    out: dict[str, tuple[Rate, Rate]] = {}
    std, pe = protocol_rate(prot, structure, "standard", "challenger"), \
        protocol_rate(prot, structure, "prover-estimator", "challenger")
    if std and pe:
        out["honest challenger"] = (std, pe)
    both = [(protocol_rate(prot, structure, p, "challenger"), protocol_rate(prot, structure, p, "claimant"))
            for p in ("standard", "prover-estimator")]
    if all(x is not None for pair in both for x in pair):
        pooled = [Rate(a.successes + b.successes, a.n + b.n) for a, b in both]  # type: ignore[union-attr]
        out["pooled"] = (pooled[0], pooled[1])
    return out


__all__ = ["CHALLENGERS", "COMPARED_TOLERANCE", "KEY_FIELDS", "PROTOCOLS", "STRUCTURES", "as_rate", "budget_grid",
           "check_budgets", "closed_form_agreement", "compare", "flaw_grid", "grid_kernel_cell", "grid_rates",
           "half_budget", "half_budget_closed_form", "part", "protocol_cell", "protocol_rate", "protocol_rates",
           "protocol_tasks", "prover_estimator_comparison", "queries_cell", "run_grid", "run_kernel_checks",
           "run_protocols", "run_queries", "run_sizes", "study_records"]
