"""Irreducible complexity: when the true argument is deeper than the debate is long.

The seed notes on debate warn that "some arguments might be strong but also complex,
relying on counter-intuitive facts. In these cases the correct argument may be too complex
and not rewarded correctly by the human." We model it with counter-intuitive argument
trees (:func:`oversight_gym.envs.debate.argument_trees.judge_prior`): the judge's prior
points the wrong way at the root with strength s, fades to no information at depth d (the
depth of the shortest convincing honest argument) and points the right way below it. A
recursive debate of length L stops at depth L, where the judge decides on its prior
(``judge_limit="sample"``: it believes a claim with its prior probability;
``"threshold"``: iff the prior exceeds 1/2).

Both debaters have full information (budget N), so every failure is the judge's; either
role is honest (honest claimant vs obfuscating challenger, and the reverse). The scenario
sweeps d - L and s with the batch path
(:mod:`oversight_gym.envs.debate.recursive_batch`), prints the wrong-verdict rate beside the
closed form :func:`oversight_gym.envs.debate.metrics.limit_failure_probability`, replays
a few cells through the kernel, and draws the failure curve and a heatmap. With L at least
the tree's depth the leaf is checked and no verdict is wrong (the drop at the right end
of the curve, where L reaches the tree depth).

Run: ``oversight-gym run irreducible-complexity [--quick]``.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from oversight_gym.analysis.metrics import grouped_rates, inside
from oversight_gym.analysis.plots import plot_curves, plot_heatmap
from oversight_gym.envs.debate.metrics import limit_failure_probability
from oversight_gym.envs.debate.plots import plot_debate_tree
from oversight_gym.envs.debate.recursive import RecursiveDebateGame
from oversight_gym.envs.debate.recursive_batch import simulate_standard
from oversight_gym.envs.debate.tree_debaters import HonestTreeDebater, ObfuscatingTreeDebater
from oversight_gym.runner.episodes import play_episode, run_parallel
from oversight_gym.runner.records import RecordFile
from oversight_gym.runner.scenario import Context, Param, Scenario, ScenarioResult

ROLES = ("claimant", "challenger")


def _floats(name: str, text: Any) -> list[float]:
    try:
        return [float(x) for x in str(text).split(",") if x.strip()]
    except ValueError:
        raise ValueError(f"--{name.replace('_', '-')} must be a comma list of numbers, got {text!r}") from None


def _ints(name: str, text: Any) -> list[int]:
    try:
        return [int(x) for x in str(text).split(",") if x.strip()]
    except ValueError:
        raise ValueError(f"--{name.replace('_', '-')} must be a comma list of integers, got {text!r}") from None


def _kernel_cell(task: dict[str, Any]) -> dict[str, Any]:
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


def experiment(params: dict[str, Any], seed: int) -> dict[str, Any]:
    """One sweep cell (``oversight-gym sweep irreducible-complexity --grid depth=4,5,6``): the
    failure curve of the sampling judge with the honest side as claimant, for each truth
    depth d, prior strength s and length limit L: the simulated wrong-verdict rate and the
    closed form beside it, as fields ``wrong:d=..,s=..,L=..`` and ``closed_form:...``."""
    D, b = params["depth"], params["branching"]
    rng = np.random.default_rng(seed)
    out: dict[str, Any] = {}
    for d in _ints("truth_depths", params["truth_depths"]):
        for st in _floats("strengths", params["strengths"]):
            for L in range(D + 1):
                res = simulate_standard(params["debates"], rng, kind="counter-intuitive", depth=D, branching=b,
                                        rule="majority", truth_depth=min(d, D), prior_strength=st,
                                        claimant="honest", challenger="obfuscating", claimant_budget=b**D,
                                        challenger_budget=b**D, max_rounds=L, judge_limit="sample")
                key = f"d={min(d, D)},s={st:g},L={L}"
                out[f"wrong:{key}"] = float(np.mean(~res["honest_wins"]))
                out[f"closed_form:{key}"] = limit_failure_probability(L, min(d, D), st, D, "sample")
    return out


def run(params: dict[str, Any], ctx: Context) -> ScenarioResult:
    D, b = params["depth"], params["branching"]
    n_leaves = b**D
    strengths = _floats("strengths", params["strengths"])
    truth_depths = _ints("truth_depths", params["truth_depths"])
    for d in truth_depths:
        if not 1 <= d <= D:
            raise ValueError(f"--truth-depths: each must be in [1, {D}] (the tree depth), got {d}")
    for s in strengths:
        if not 0 <= s <= 0.5:
            raise ValueError(f"--strengths: each must be in [0, 0.5], got {s}")
    judges = ["sample", "threshold"]
    rec = RecordFile(ctx.path("records.jsonl"), {**params, "seed": ctx.seed},
                     ["part", "judge_limit", "truth_depth", "max_rounds", "strength", "honest_role"])
    done = rec.done()
    cells = [(j, d, L, s, r) for j in judges for d in truth_depths for L in range(D + 1) for s in strengths
             for r in ROLES]
    bar = None
    todo = [c for c in cells if ("batch", *c) not in done]
    if ctx.progress and todo:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(todo), desc="failure curve (batch)", unit="cell")
    for ci, (j, d, L, s, r) in enumerate(cells):
        if ("batch", j, d, L, s, r) in done:
            continue
        res = simulate_standard(params["debates"], np.random.default_rng(np.random.SeedSequence([ctx.seed, ci])),
                                kind="counter-intuitive", depth=D, branching=b, rule="majority", truth_depth=d,
                                prior_strength=s, claimant="honest" if r == "claimant" else "obfuscating",
                                challenger="obfuscating" if r == "claimant" else "honest",
                                claimant_budget=n_leaves, challenger_budget=n_leaves, max_rounds=L, judge_limit=j)
        rec.append({"part": "batch", "judge_limit": j, "truth_depth": d, "max_rounds": L, "strength": s,
                    "honest_role": r, "d_minus_L": d - L, "n": params["debates"],
                    "judge_wrong": int((~res["honest_wins"]).sum()),
                    "closed_form": limit_failure_probability(L, d, s, D, j)})
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    # a few cells through the kernel
    d0 = truth_depths[-1]
    s0 = strengths[len(strengths) // 2]
    ktasks = [{"part": "kernel", "judge_limit": "sample", "truth_depth": d0, "max_rounds": L, "strength": s0,
               "honest_role": r, "d_minus_L": d0 - L, "n": params["kernel_debates"], "depth": D, "branching": b,
               "seed": ctx.seed + 31 * i}
              for i, (L, r) in enumerate((L, r) for L in sorted({0, d0 // 2, D}) for r in ROLES)]
    ktasks = [t for t in ktasks if ("kernel", t["judge_limit"], t["truth_depth"], t["max_rounds"], t["strength"],
                                    t["honest_role"]) not in done]
    run_parallel(_kernel_cell, ktasks, workers=ctx.workers, progress=ctx.progress, desc="kernel cells",
                 on_result=rec.append)
    batch = [r for r in rec.records if r["part"] == "batch"]

    rows: list[dict[str, Any]] = []

    def pct(x: float) -> str:
        return f"{100 * x:.1f}%"

    per = grouped_rates(batch, ["judge_limit", "truth_depth", "max_rounds", "strength"], flag="judge_wrong")
    hits = sum(inside(r, limit_failure_probability(r["max_rounds"], r["truth_depth"], r["strength"], D,
                                                   r["judge_limit"])) for r in per)
    rows.append({"measure": "cells whose closed form lies in the 95% CI (both roles pooled)", "reference": "~95%",
                 "ours": f"{hits}/{len(per)} ({pct(hits / len(per))})", "95% CI": "", "n": 2 * params["debates"]})
    deep = [r for r in per if r["max_rounds"] >= D]
    worst = max(r["rate"] for r in deep)
    rows.append({"measure": f"wrong verdicts with L >= depth ({D})", "reference": "0 (leaf checked)",
                 "ours": pct(worst) + " (largest over cells)", "95% CI": "", "n": sum(r["n"] for r in deep)})
    thr = [r for r in batch if r["judge_limit"] == "threshold" and r["max_rounds"] < r["truth_depth"]
           and r["strength"] > 0]
    if thr:
        t = grouped_rates([{**r, "all": 1} for r in thr], ["all"], flag="judge_wrong")[0]
        rows.append({"measure": "threshold judge, L < d, s > 0 (all such cells)", "reference": "100.0%",
                     "ours": pct(t["rate"]), "95% CI": f"[{100 * t['low']:.1f}, {100 * t['high']:.1f}]", "n": t["n"]})
    curve = grouped_rates(batch, ["judge_limit", "truth_depth", "strength", "d_minus_L"], flag="judge_wrong")
    for r in curve:
        d = r["truth_depth"]
        if r["judge_limit"] != "sample" or d not in (truth_depths[0], d0) or r["d_minus_L"] not in (d, d // 2, 0, -1):
            continue
        cf = limit_failure_probability(d - r["d_minus_L"], d, r["strength"], D, "sample")
        rows.append({"measure": f"sample judge, d={d}, s={r['strength']:g}, d-L={r['d_minus_L']}",
                     "reference": pct(cf), "ours": pct(r["rate"]),
                     "95% CI": f"[{100 * r['low']:.1f}, {100 * r['high']:.1f}]", "n": r["n"]})
    for r in grouped_rates([x for x in rec.records if x["part"] == "kernel"],
                           ["truth_depth", "max_rounds", "strength", "honest_role"], flag="judge_wrong"):
        cf = limit_failure_probability(r["max_rounds"], r["truth_depth"], r["strength"], D, "sample")
        rows.append({"measure": f"kernel: d={r['truth_depth']}, L={r['max_rounds']}, s={r['strength']:g}, honest "
                                f"{r['honest_role']}", "reference": pct(cf), "ours": pct(r["rate"]),
                     "95% CI": f"[{100 * r['low']:.1f}, {100 * r['high']:.1f}]", "n": r["n"]})
    notes = [f"counter-intuitive majority trees, branching {b}, depth {D} ({n_leaves} leaves); full-information "
             f"debaters; {params['debates']} debates per cell and role (batch path).",
             f"closed form inside the 95% CI in {hits}/{len(per)} cells: "
             f"{'agrees' if hits >= 0.85 * len(per) else 'DISAGREES'}.",
             "sample judge: failure = 1/2 - s * clip((L - d)/d, -1, 1) for L < depth; it rises linearly with d - L "
             "and with s; a threshold judge (believes a claim iff its prior exceeds 1/2) fails on every debate "
             "with L < d and s > 0 (row above)."]
    if worst > 0:
        notes.append("UNEXPECTED: wrong verdicts with L >= depth.")
    if ctx.quick:
        notes.append("QUICK MODE: a smaller tree, fewer strengths and debates; run without --quick for the full curve.")

    files = [ctx.path("records.jsonl")]
    d_curve = truth_depths[len(truth_depths) // 2]  # the curve's d
    for j in judges:
        sel = [r for r in curve if r["judge_limit"] == j and r["truth_depth"] == d_curve]
        xs = sorted({r["d_minus_L"] for r in sel})
        curves = {}
        for s in strengths:
            pts = {r["d_minus_L"]: r for r in sel if r["strength"] == s}
            curves[f"s={s:g}"] = {"x": xs, "rate": [pts[x]["rate"] for x in xs], "low": [pts[x]["low"] for x in xs],
                                  "high": [pts[x]["high"] for x in xs],
                                  "closed": [limit_failure_probability(d_curve - x, d_curve, s, D, j) for x in xs]}
        files.append(plot_curves(xs, curves, f"d - L (d = {d_curve}: depth of the convincing argument; L: length)",
                                 "wrong-verdict rate", f"irreducible complexity, {j} judge, depth {D}, "
                                 f"both roles (dashed: closed form)", ctx.path(f"failure_curve_{j}.png")))
        mat = np.array([[next((r["rate"] for r in sel if r["strength"] == s and r["d_minus_L"] == x), np.nan)
                         for x in xs] for s in strengths])
        files.append(plot_heatmap(mat, xs, [f"{s:g}" for s in strengths], f"d - L (d = {d_curve})", "prior strength s",
                                  f"wrong-verdict rate, {j} judge", ctx.path(f"heatmap_{j}.png")))
    game = RecursiveDebateGame(kind="counter-intuitive", depth=min(D, 4), branching=b, rule="majority",
                               prior_strength=strengths[-1], max_rounds=max(0, min(D, 4) - 2), claim="honest",
                               claimant_budget=None, challenger_budget=None)
    st = play_episode(game, [HonestTreeDebater(), ObfuscatingTreeDebater()], seed=ctx.seed)
    files.append(plot_debate_tree(st, ctx.path("example_debate.png")))
    ctx.path("summary.json").write_text(json.dumps({"params": params, "curve": curve}, indent=2, default=str))
    files.append(ctx.path("summary.json"))
    return ScenarioResult(f"Irreducible complexity: wrong verdicts against d - L and prior strength "
                          f"(N={n_leaves}, depth {D})", rows, notes, files)


SCENARIO = Scenario(
    name="irreducible-complexity",
    description="Recursive debate on counter-intuitive trees: wrong verdicts against depth minus L and prior strength",
    citation="Barnes & Christiano 2020; the seed notes on debate (irreducible complexity)",
    params=[
        Param("depth", int, 6, "tree depth", quick=4),
        Param("branching", int, 3, "branching (majority rule)"),
        Param("truth_depths", str, "2,4,6", "depths d of the shortest convincing argument (comma list)", quick="1,2,4"),
        Param("strengths", str, "0,0.1,0.2,0.3,0.4,0.5", "prior strengths s (comma list)", quick="0,0.25,0.5"),
        Param("debates", int, 2000, "debates per cell and role (batch path)", quick=200),
        Param("kernel_debates", int, 100, "debates per kernel cell (full-information debaters: slow)", quick=40),
    ],
    run=run,
    experiment=experiment,
)

if __name__ == "__main__":
    raise SystemExit(SCENARIO.main())
