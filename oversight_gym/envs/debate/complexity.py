"""The irreducible-complexity study: wrong verdicts when the convincing argument is deeper than
the debate is long.

On counter-intuitive argument trees (:func:`oversight_gym.envs.debate.argument_trees.judge_prior`)
the judge's prior points the wrong way at the root with strength s, fades to no information at
depth d and points the right way below it; a recursive debate of length L stops at depth L,
where the judge decides on its prior (``"sample"``: it believes a claim with its prior
probability; ``"threshold"``: iff the prior exceeds 1/2). Both debaters have full information,
and either role is honest.

Two parts append flat records to one :class:`~oversight_gym.runner.records.RecordFile` (keyed
by :data:`KEY_FIELDS`, so a killed run resumes): ``batch``, every (judge, d, L, s, honest role)
cell on the batch path (:mod:`oversight_gym.envs.debate.recursive_batch`) with the closed form
(:func:`~oversight_gym.envs.debate.metrics.limit_failure_probability`) stored beside the count;
``kernel``, a few cells replayed move by move through the kernel. The analysis helpers turn the
records into the rates the scenario reports.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from oversight_gym.analysis.metrics import Rate, grouped_rates, inside
from oversight_gym.envs.debate.metrics import limit_failure_probability
from oversight_gym.envs.debate.recursive import RecursiveDebateGame, RecursiveDebateState
from oversight_gym.envs.debate.recursive_batch import simulate_standard
from oversight_gym.envs.debate.tree_debaters import HonestTreeDebater, ObfuscatingTreeDebater
from oversight_gym.runner.episodes import play_episode, run_parallel
from oversight_gym.runner.records import RecordFile

ROLES = ("claimant", "challenger")
JUDGES = ("sample", "threshold")
#: the fields that key a record of the study's results file
KEY_FIELDS = ("part", "judge_limit", "truth_depth", "max_rounds", "strength", "honest_role")


def study_records(path: Any, config: dict[str, Any]) -> RecordFile:
    """The study's results file (resumed when ``config`` matches its header)."""
    return RecordFile(path, config, KEY_FIELDS)


def kernel_cell(task: dict[str, Any]) -> dict[str, Any]:
    """``n`` kernel debates of one cell, full-information debaters (module level, so worker
    processes can run it)."""
    n = task["branching"] ** task["depth"]
    game = RecursiveDebateGame(kind="counter-intuitive", depth=task["depth"], branching=task["branching"],
                               rule="majority", truth_depth=task["truth_depth"], prior_strength=task["strength"],
                               max_rounds=task["max_rounds"], judge_limit=task["judge_limit"],
                               claim="honest" if task["honest_role"] == "claimant" else "dishonest",
                               claimant_budget=n, challenger_budget=n)
    agents = ([HonestTreeDebater(), ObfuscatingTreeDebater()] if task["honest_role"] == "claimant"
              else [ObfuscatingTreeDebater(), HonestTreeDebater()])
    wrong = sum(bool(play_episode(game, agents, seed=task["seed"] * 1_000_003 + i).outcome()["judge_wrong"])
                for i in range(task["n"]))
    return {**{k: v for k, v in task.items() if k != "seed"}, "judge_wrong": wrong}


def run_batch(rec: RecordFile, depth: int, branching: int, truth_depths: list[int] | tuple[int, ...],
              strengths: list[float] | tuple[float, ...], debates: int, seed: int, progress: bool = True) -> None:
    """Every (judge, d, L = 0..depth, s, honest role) cell, ``debates`` debates each on the batch
    path, the closed form stored beside the count of wrong verdicts."""
    n_leaves = branching**depth
    done = rec.done()
    cells = [(j, d, L, s, r) for j in JUDGES for d in truth_depths for L in range(depth + 1) for s in strengths
             for r in ROLES]
    bar = None
    todo = [c for c in cells if ("batch", *c) not in done]
    if progress and todo:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(cells), initial=len(cells) - len(todo), desc="failure curve (batch)", unit="cell")
    for ci, (j, d, L, s, r) in enumerate(cells):
        if ("batch", j, d, L, s, r) in done:
            continue
        claimant, challenger = ("honest", "obfuscating") if r == "claimant" else ("obfuscating", "honest")
        res = simulate_standard(debates, np.random.default_rng(np.random.SeedSequence([seed, ci])),
                                kind="counter-intuitive", depth=depth, branching=branching, rule="majority",
                                truth_depth=d, prior_strength=s, claimant=claimant, challenger=challenger,
                                claimant_budget=n_leaves, challenger_budget=n_leaves, max_rounds=L, judge_limit=j)
        rec.append({"part": "batch", "judge_limit": j, "truth_depth": d, "max_rounds": L, "strength": s,
                    "honest_role": r, "d_minus_L": d - L, "n": debates,
                    "judge_wrong": int((~res["honest_wins"]).sum()),
                    "closed_form": limit_failure_probability(L, d, s, depth, j)})
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()


def run_kernel(rec: RecordFile, depth: int, branching: int, truth_depths: list[int] | tuple[int, ...],
               strengths: list[float] | tuple[float, ...], debates: int, seed: int, workers: int = 1,
               progress: bool = True) -> None:
    """A few cells through the kernel, sample judge: the deepest d, the middle strength,
    L = 0, d/2 and the tree depth, either role honest."""
    d0 = truth_depths[-1]
    s0 = strengths[len(strengths) // 2]
    tasks = [{"part": "kernel", "judge_limit": "sample", "truth_depth": d0, "max_rounds": L, "strength": s0,
              "honest_role": r, "d_minus_L": d0 - L, "n": debates, "depth": depth, "branching": branching,
              "seed": seed + 31 * i}
             for i, (L, r) in enumerate((L, r) for L in sorted({0, d0 // 2, depth}) for r in ROLES)]
    done = rec.done()
    todo = [t for t in tasks if ("kernel", t["judge_limit"], t["truth_depth"], t["max_rounds"], t["strength"],
                                 t["honest_role"]) not in done]
    run_parallel(kernel_cell, todo, workers=workers, progress=progress, desc="kernel cells", on_result=rec.append,
                 done=len(tasks) - len(todo))


def example_debate(depth: int, branching: int, strength: float, seed: int) -> RecursiveDebateState:
    """A finished debate to draw: a counter-intuitive tree of depth at most 4 cut two levels
    short of its leaves, honest claimant against the obfuscating challenger."""
    game = RecursiveDebateGame(kind="counter-intuitive", depth=min(depth, 4), branching=branching, rule="majority",
                               prior_strength=strength, max_rounds=max(0, min(depth, 4) - 2), claim="honest",
                               claimant_budget=None, challenger_budget=None)
    return play_episode(game, [HonestTreeDebater(), ObfuscatingTreeDebater()], seed=seed)


# --- analysis -----------------------------------------------------------------------------------------------
def batch_records(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in records if r["part"] == "batch"]


def as_rate(row: dict[str, Any]) -> Rate:
    """A :func:`~oversight_gym.analysis.metrics.grouped_rates` row as a :class:`Rate`."""
    return Rate(int(round(row["rate"] * row["n"])), row["n"])


def cell_rates(batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The wrong-verdict rate per (judge, d, L, s), both honest roles pooled."""
    return grouped_rates(batch, ["judge_limit", "truth_depth", "max_rounds", "strength"], flag="judge_wrong")


def closed_form_agreement(batch: list[dict[str, Any]], depth: int) -> Rate:
    """The share of cells (both roles pooled) whose closed form lies in the cell's 95% interval."""
    per = cell_rates(batch)
    hits = sum(inside(r, limit_failure_probability(r["max_rounds"], r["truth_depth"], r["strength"], depth,
                                                   r["judge_limit"])) for r in per)
    return Rate(hits, len(per))


def deep_cells(batch: list[dict[str, Any]], depth: int) -> tuple[float, int]:
    """The largest wrong-verdict rate over the cells with L >= depth (where the leaf is
    checked) and the number of debates in them."""
    deep = [r for r in cell_rates(batch) if r["max_rounds"] >= depth]
    return max(r["rate"] for r in deep), sum(r["n"] for r in deep)


def threshold_short(batch: list[dict[str, Any]]) -> Rate | None:
    """The threshold judge's wrong-verdict rate over every debate with L < d and s > 0 (None
    when there is none)."""
    thr = [r for r in batch if r["judge_limit"] == "threshold" and r["max_rounds"] < r["truth_depth"]
           and r["strength"] > 0]
    if not thr:
        return None
    return Rate(sum(int(r["judge_wrong"]) for r in thr), sum(int(r["n"]) for r in thr))


def curve_rates(batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The wrong-verdict rate per (judge, d, s, d - L), both roles pooled."""
    return grouped_rates(batch, ["judge_limit", "truth_depth", "strength", "d_minus_L"], flag="judge_wrong")


def kernel_rates(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The kernel cells' wrong-verdict rates per (d, L, s, honest role)."""
    return grouped_rates([x for x in records if x["part"] == "kernel"],
                         ["truth_depth", "max_rounds", "strength", "honest_role"], flag="judge_wrong")


__all__ = ["JUDGES", "KEY_FIELDS", "ROLES", "as_rate", "batch_records", "cell_rates", "closed_form_agreement",
           "curve_rates", "deep_cells", "example_debate", "kernel_cell", "kernel_rates", "run_batch", "run_kernel",
           "study_records", "threshold_short"]
