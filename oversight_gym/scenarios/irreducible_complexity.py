"""Irreducible complexity: when the true argument is deeper than the debate is long.

A known limit of debate (Irving, Christiano, Amodei 2018; Barnes & Christiano 2020): some
arguments are strong but complex, relying on counter-intuitive facts, and the correct
argument may be too long for the judge to reward. We model it with counter-intuitive argument
trees (:func:`oversight_gym.envs.debate.argument_trees.judge_prior`): the judge's prior
points the wrong way at the root with strength s, fades to no information at depth d (the
depth of the shortest convincing honest argument) and points the right way below it. A
recursive debate of length L stops at depth L, where the judge decides on its prior
(``judge_limit="sample"``: it believes a claim with its prior probability;
``"threshold"``: iff the prior exceeds 1/2).

Both debaters have full information (budget N), so every failure is the judge's; either
role is honest (honest claimant vs obfuscating challenger, and the reverse). The scenario
sweeps d - L and s with the batch path
(:mod:`oversight_gym.envs.debate.recursive_batch`; the study lives in
:mod:`oversight_gym.envs.debate.complexity`), reports the wrong-verdict rate beside the
closed form :func:`oversight_gym.envs.debate.metrics.limit_failure_probability`, replays
a few cells through the kernel, and draws the failure curve and a heatmap. With L at least
the tree's depth the leaf is checked and no verdict is wrong (the drop at the right end
of the curve, where L reaches the tree depth).

Claims (:data:`CLAIMS`; no published number transfers, so all are directions): the seed
notes' "the correct argument may be too complex and not rewarded correctly by the human"
as the sample judge's wrong-verdict rate rising with d - L and the threshold judge failing
whenever L < d; and Barnes & Christiano's consequence that a debate is trusted only as far
as it can reach, as the honest side losing most debates when the argument is deeper than the
debate. Barnes and Christiano's honest debater is bounded in compute; ours knows every leaf
and is bounded by the debate's length instead (obfuscation itself is measured in
``obfuscated-arguments``).

Reproduction settings (``oversight-gym reproduce irreducible-complexity``): the full defaults
(depth 6, branching 3, d = 2, 4, 6, six strengths, 2000 batch debates per cell and role) with 50
debates per kernel cell instead of 100: the kernel replay is a cross-check of the batch path that no
claim reads, and most of the run's cost; the defaults take about 2.5 minutes on two cores, over the
budget, these about 1.8.

Run: ``oversight-gym run irreducible-complexity [--quick]``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from oversight_gym.analysis.claims import Claim, Ref
from oversight_gym.analysis.measures import Measure
from oversight_gym.envs.debate.argument_trees import MAX_BRANCHING, check_tree_params
from oversight_gym.envs.debate.complexity import (
    JUDGES,
    as_rate,
    batch_records,
    closed_form_agreement,
    curve_rates,
    deep_cells,
    example_debate,
    kernel_rates,
    run_batch,
    run_kernel,
    study_records,
    threshold_short,
)
from oversight_gym.envs.debate.metrics import limit_failure_probability
from oversight_gym.envs.debate.plots import plot_debate_tree, plot_failure_curve, plot_failure_heatmap
from oversight_gym.envs.debate.recursive_batch import simulate_standard
from oversight_gym.runner.scenario import Context, Param, Scenario, ScenarioResult


def experiment(params: dict[str, Any], seed: int) -> dict[str, Any]:
    """One sweep cell (``oversight-gym sweep irreducible-complexity --grid depth=4,5,6``): the
    failure curve of the sampling judge with the honest side as claimant, for each truth
    depth d, prior strength s and length limit L: the simulated wrong-verdict rate and the
    closed form beside it, as fields ``wrong:d=..,s=..,L=..`` and ``closed_form:...``."""
    D, b = params["depth"], params["branching"]
    rng = np.random.default_rng(seed)
    out: dict[str, Any] = {}
    for d in params["truth_depths"]:
        for st in params["strengths"]:
            for L in range(D + 1):
                res = simulate_standard(params["debates"], rng, kind="counter-intuitive", depth=D, branching=b,
                                        rule="majority", truth_depth=min(d, D), prior_strength=st,
                                        claimant="honest", challenger="obfuscating", claimant_budget=b**D,
                                        challenger_budget=b**D, max_rounds=L, judge_limit="sample")
                key = f"d={min(d, D)},s={st:g},L={L}"
                out[f"wrong:{key}"] = float(np.mean(~res["honest_wins"]))
                out[f"closed_form:{key}"] = limit_failure_probability(L, min(d, D), st, D, "sample")
    return out


def check(params: dict[str, Any]) -> None:
    """The tree is one the generator builds (at most 65,536 leaves) and each truth depth lies
    within it (each value's own range is declared by its Param)."""
    try:
        check_tree_params("counter-intuitive", params["depth"], params["branching"])
    except ValueError as err:
        raise ValueError(f"--depth/--branching: {err}") from None
    for d in params["truth_depths"]:
        if d > params["depth"]:
            raise ValueError(f"--truth-depths: each must be at most --depth {params['depth']} (the tree's depth), "
                             f"got {d}")


def simulate(params: dict[str, Any], ctx: Context) -> list[dict[str, Any]]:
    """The batch cells and the kernel cells (:mod:`oversight_gym.envs.debate.complexity`),
    resuming from the records already in ``records.jsonl``; returns all records."""
    D, b = params["depth"], params["branching"]
    rec = study_records(ctx.path("records.jsonl"), {**params, "seed": ctx.seed})
    run_batch(rec, D, b, params["truth_depths"], params["strengths"], params["debates"], ctx.seed, ctx.progress)
    run_kernel(rec, D, b, params["truth_depths"], params["strengths"], params["kernel_debates"], ctx.seed,
               ctx.workers, ctx.progress)
    return rec.records


CURVE_GROUP = "sample judge: wrong verdicts against d - L (batch path, both honest roles pooled)"
SEED_NOTES = "the seed notes: the correct argument may be too complex and not rewarded correctly by the human"
BARNES = "Barnes & Christiano 2020, Debate update: Obfuscated arguments problem (AI Alignment Forum)"
#: the curve's point the claims read: the deepest argument of the full run, the strongest wrong prior
D_CLAIM, S_CLAIM = 6, 0.5


def _curve_point(d_minus_l: int) -> Ref:
    return Ref("wrong-verdict rate", group=CURVE_GROUP, d=D_CLAIM, s=S_CLAIM, **{"d-L": d_minus_l})


def _has_curve_point(params: dict[str, Any]) -> bool:
    """The curve shows d = 6 (the first or the last truth depth) at prior strength 0.5."""
    return D_CLAIM in (params["truth_depths"][0], params["truth_depths"][-1]) and S_CLAIM in params["strengths"] \
        and params["depth"] >= D_CLAIM


CLAIMS = [
    Claim.ordered("too-deep-not-rewarded",
                  f"sample judge, d={D_CLAIM}, s={S_CLAIM:g}: wrong verdicts rise as the debate falls short (d-L = 0, "
                  f"{D_CLAIM // 2}, {D_CLAIM})", SEED_NOTES, [_curve_point(x) for x in (0, D_CLAIM // 2, D_CLAIM)],
                  published="not rewarded",
                  reason="the notes give no number; our judge falls back on a prior that points the wrong way above "
                         "depth d, so the shortfall d - L measures how complex the argument is for the debate",
                  must_hold=True, when=_has_curve_point),
    Claim.greater("threshold-judge-fails-short", "threshold judge, L < d, s > 0: the wrong side wins most debates",
                  SEED_NOTES, Ref("wrong-verdict rate", cells="threshold judge, L < d, s > 0"), 0.5,
                  published="not rewarded",
                  reason="a judge that believes a claim iff its prior exceeds 1/2 rewards the intuitive wrong answer "
                         "whenever the debate stops above depth d (both honest roles pooled)",
                  must_hold=True, quick=True, when=lambda p: max(p["strengths"]) > 0),
    Claim.greater("honest-loses-beyond-reach",
                  f"sample judge, d={D_CLAIM}, s={S_CLAIM:g}, L=0: the honest side loses most debates", BARNES,
                  _curve_point(D_CLAIM), 0.5, published="trusted only within reach",
                  reason="Barnes and Christiano's honest debater is bounded in compute and cannot find the flaw; ours "
                         "has full information and is bounded by the debate's length, so this checks the shared "
                         "consequence (the judge can trust only what the debate reaches), not obfuscation itself",
                  when=_has_curve_point),
]


def measures(params: dict[str, Any], records: list[dict[str, Any]]) -> list[Measure]:
    """Agreement of the simulated cells with the closed form; the wrong verdicts once L
    reaches the tree's depth and those of the threshold judge; the sample judge's
    wrong-verdict rate at a few points of its curve (the first and the deepest d; d - L =
    d, d/2, 0 and -1); and the kernel cells. Each simulated rate stands beside its closed
    form (a measure of its own)."""
    D = params["depth"]
    truth_depths = params["truth_depths"]
    batch = batch_records(records)
    group = "wrong verdicts against the closed form (batch path, both honest roles pooled)"
    out = [Measure.rate("cells with the closed form in their 95% CI (~95% expected)",
                        closed_form_agreement(batch, D), setting={"cells": "every cell"}, group=group)]
    worst, n_deep = deep_cells(batch, D)
    setting = {"cells": f"L >= depth ({D}): leaf checked"}
    out += [Measure("largest wrong-verdict rate over cells", worst, n=n_deep, unit="%", setting=setting, group=group),
            Measure("closed form", 0.0, unit="%", setting=setting, group=group)]
    thr = threshold_short(batch)
    if thr is not None:
        setting = {"cells": "threshold judge, L < d, s > 0"}
        out += [Measure.rate("wrong-verdict rate", thr, setting=setting, group=group),
                Measure("closed form", 1.0, unit="%", setting=setting, group=group)]

    group = CURVE_GROUP
    for r in curve_rates(batch):
        d = r["truth_depth"]
        if r["judge_limit"] != "sample" or d not in (truth_depths[0], truth_depths[-1]) or \
                r["d_minus_L"] not in (d, d // 2, 0, -1):
            continue
        setting = {"d": d, "s": r["strength"], "d-L": r["d_minus_L"]}
        out += [Measure.rate("wrong-verdict rate", as_rate(r), setting=setting, group=group),
                Measure("closed form", limit_failure_probability(d - r["d_minus_L"], d, r["strength"], D, "sample"),
                        unit="%", setting=setting, group=group)]

    group = "cells replayed through the kernel (move by move), sample judge"
    for r in kernel_rates(records):
        setting = {"d": r["truth_depth"], "L": r["max_rounds"], "s": r["strength"], "honest": r["honest_role"]}
        out += [Measure.rate("wrong-verdict rate", as_rate(r), setting=setting, group=group),
                Measure("closed form", limit_failure_probability(r["max_rounds"], r["truth_depth"], r["strength"], D,
                                                                 "sample"), unit="%", setting=setting, group=group)]
    return out


def notes(params: dict[str, Any], records: list[dict[str, Any]]) -> list[str]:
    """The trees, whether the simulation agrees with the closed form, and the closed form in words."""
    D, b = params["depth"], params["branching"]
    batch = batch_records(records)
    agree = closed_form_agreement(batch, D)
    out = [f"counter-intuitive majority trees, branching {b}, depth {D} ({b**D} leaves); full-information "
           f"debaters; {params['debates']} debates per cell and role (batch path), {params['kernel_debates']} per "
           "kernel cell. 95% intervals: Wilson score.",
           f"the simulation {'agrees' if agree.value >= 0.85 else 'DISAGREES'} with the closed form (agreement: at "
           "least 85% of cells with the closed form in their interval).",
           "sample judge: failure = 1/2 - s * clip((L - d)/d, -1, 1) for L < depth; it rises linearly with d - L "
           "and with s; a threshold judge (believes a claim iff its prior exceeds 1/2) fails on every debate "
           "with L < d and s > 0."]
    if deep_cells(batch, D)[0] > 0:
        out.append("UNEXPECTED: wrong verdicts with L >= depth.")
    return out


def figures(params: dict[str, Any], records: list[dict[str, Any]], ctx: Context) -> list[Any]:
    """Per judge, the failure curve and its heatmap at the middle truth depth; an example
    debate drawn as its argument tree."""
    D, truth_depths, strengths = params["depth"], params["truth_depths"], params["strengths"]
    curve = curve_rates(batch_records(records))
    d_curve = truth_depths[len(truth_depths) // 2]  # the curve's d
    files = []
    for j in JUDGES:
        files += [plot_failure_curve(curve, j, d_curve, strengths, D, ctx.path(f"failure_curve_{j}.png")),
                  plot_failure_heatmap(curve, j, d_curve, strengths, ctx.path(f"heatmap_{j}.png"))]
    st = example_debate(D, params["branching"], strengths[-1], ctx.seed)
    files.append(plot_debate_tree(st, ctx.path("example_debate.png")))
    return files


def run(params: dict[str, Any], ctx: Context) -> ScenarioResult:
    records = simulate(params, ctx)
    files = [ctx.path("records.jsonl"), *figures(params, records, ctx)]
    title = (f"Irreducible complexity: wrong verdicts against d - L and prior strength "
             f"(N={params['branching'] ** params['depth']}, depth {params['depth']})")
    return ScenarioResult(title, measures(params, records), notes(params, records), files)


SCENARIO = Scenario(
    name="irreducible-complexity",
    description="Recursive debate on counter-intuitive trees: wrong verdicts against depth minus L and prior strength",
    quick_note="a smaller tree, fewer strengths and debates; run without --quick for the full curve.",
    citation="Irving, Christiano, Amodei 2018, AI safety via debate; Barnes & Christiano 2020, Debate update: "
             "Obfuscated arguments problem",
    params=[
        Param("depth", int, 6, "tree depth (branching^depth leaves, at most 65,536)", quick=4, low=1, high=16),
        Param("branching", int, 3, "branching (majority rule)", low=2, high=MAX_BRANCHING),
        Param("truth_depths", int, "2,4,6", "depths d of the shortest convincing argument (each at most --depth)",
              quick="1,2,4", many=True, low=1, high=16),
        Param("strengths", float, "0,0.1,0.2,0.3,0.4,0.5", "prior strengths s", quick="0,0.25,0.5", many=True, low=0,
              high=0.5),
        Param("debates", int, 2000, "debates per cell and role (batch path)", quick=200, low=1, high=1_000_000),
        Param("kernel_debates", int, 100, "debates per kernel cell (full-information debaters: slow)", quick=40,
              low=1, high=100_000),
    ],
    run=run,
    experiment=experiment,
    check=check,
    claims=CLAIMS,
    reproduce={"kernel_debates": 50},
)

if __name__ == "__main__":
    raise SystemExit(SCENARIO.main())
