"""Overoptimisation: optimise against a proxy judge and the gold utility first rises, then falls
(Gao, Schulman, Hilton 2022, "Scaling laws for reward model overoptimization", arXiv 2210.10760;
the judge of constitutional AI, Bai et al. 2022, arXiv 2212.08073).

The world is ``feedback/constitutional-v0`` (:mod:`oversight_gym.envs.feedback.model`): a
finite universe of responses with four features, a hidden gold utility, and proxy judges:
a perfect one (the gold utility), written constitutions applied with noise (the default one,
one missing its harmlessness principle, one over-weighting length, one missing the
"be concise" principle), a judge with heavy-tailed errors, Bradley-Terry reward models
fitted to 100 ... 10,000 gold-labelled comparisons, and a blend whose constitution error
runs from 0 (gold) to 1 (the default constitution). Three optimisers work against each:
best-of-n (exact distributions), a policy-gradient learner (natural gradient over a softmax
policy, exact gradients, optional KL penalty) and critique-and-revise (one principle a round).

Measured: gold and proxy gain against ``d = sqrt(KL(pi || pi_init))``; least-squares fits of
``d (alpha - beta d)`` (best-of-n) and ``d (alpha - beta log d)`` (RL) with R^2; the optimum
``d`` and the gold lost by over-optimising; the coefficients against reward-model data and
constitution error; the best-of-n KL against ``log n - (n - 1) / n``.

Claims (``CLAIMS``): the paper's forms (R^2 of each fit above 0.95, the paper giving none),
best-of-n's KL ``log n - (n - 1) / n`` (exact and simulated), gold turning over for every
imperfect proxy (our judges and reward models, each a claim), more reward-model data giving
a higher gold peak, and the control: with the gold utility as the judge gold never turns
over. Under ``--quick`` (about 10 s of one core) only the control and the exact KL are
decided: the default constitution's turnover is not robust across seeds at quick sizes.
The reproduction (``oversight-gym reproduce overoptimisation``) halves the universe (2^14
responses, best-of-n up to 2,048) and keeps the rest of the full defaults (8 reward models
per data size, 20,000 simulated best-of-n runs per n): the full defaults take over two
minutes of one core (the scenario runs in one process), the budget is 2 minutes.

Run: ``oversight-gym run overoptimisation [--quick]`` or ``python -m oversight_gym.scenarios.overoptimisation``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from tqdm import tqdm

from oversight_gym.analysis.claims import Claim, Ref
from oversight_gym.analysis.measures import Measure
from oversight_gym.analysis.metrics import Rate
from oversight_gym.envs.feedback.model import DEFAULT_CONSTITUTION, GOLD, ConstitutionJudge, ResponseUniverse, blend
from oversight_gym.envs.feedback.overoptimisation import (
    Curve,
    best_of_n_curve,
    best_of_n_kl_closed_form,
    fit_form,
    overoptimisation_summary,
)
from oversight_gym.envs.feedback.overoptimisation_study import (
    METHODS,
    PERFECT,
    analyse,
    best_of_n_kl_checks,
    coefficients,
    compute_curve,
    exact_kl_gap,
    main_judges,
    make_judges,
)
from oversight_gym.envs.feedback.plots import plot_coefficients, plot_overoptimisation_curves
from oversight_gym.runner.records import RecordFile
from oversight_gym.runner.scenario import Context, Param, Scenario, ScenarioResult

SOURCE = "Gao, Schulman, Hilton 2022, Scaling laws for reward model overoptimization"
#: the n of the simulated best-of-n KL (the last capped at --n-max)
KL_NS = (1, 4, 16, 64, 256)
TURN = "gold against each judge"
FORM = "the fitted form (best-of-n's for best-of-n and critique, RL's for RL)"
COEF = "against reward-model data and constitution error (mean over reward-model seeds)"
KL = "best-of-n's KL to the initial policy, constitution default"
FINDINGS = "findings"
KL_GAP = "largest |exact KL - closed form| over the curve's n"
DEFAULT = "constitution default"
SCALE = ("the paper's proxies are reward models of 3M-3B parameters on human-preference data, optimised by best-of-n "
         "and PPO on language models; ours are judges and small reward models over a finite universe of responses")


def _rm(comparisons: int, optimiser: str = "bon") -> Ref:
    return Ref("gold turns over", COEF, proxy=f"reward model, {comparisons} comparisons", optimiser=optimiser)


CLAIMS = [
    Claim.finding("proxy-gold-control", "with the gold utility as the judge, gold never turns over (best-of-n, RL)",
                  f"{SOURCE} (the control: with proxy = gold there is nothing to over-optimise)", "no",
                  Ref("perfect judge: gold turns over (best-of-n or RL)", FINDINGS), must_hold=True, quick=True),
    Claim.finding("bon-gold-turns-over", "best-of-n against the default constitution: gold rises, then falls",
                  SOURCE, "yes", Ref("gold turns over", TURN, judge=DEFAULT, optimiser="bon"),
                  reason=SCALE),
    Claim.finding("rl-gold-turns-over", "RL against the default constitution: gold rises, then falls",
                  SOURCE, "yes", Ref("gold turns over", TURN, judge=DEFAULT, optimiser="rl"),
                  reason=SCALE),
    Claim.value("imperfect-judges-turn-over", "share of the imperfect judges whose best-of-n gold turns over",
                f"{SOURCE} (every proxy reward model)", 1.0,
                Ref("imperfect judges whose best-of-n gold turns over", FINDINGS), tolerance=0.0,
                reason=f"none: every proxy of the paper turned over; {SCALE}"),
    Claim.value("small-rm-turns-over", "share of the reward models fitted to 100 comparisons whose best-of-n gold "
                "turns over", f"{SOURCE} (every proxy reward model)", 1.0, _rm(100), tolerance=0.13,
                reason=f"one of the 8 reward models of a size (12.5 points); {SCALE}",
                when=lambda p: 100 in p["rm_sizes"] and p["rm_seeds"] == 8),
    Claim.value("large-rm-turns-over", "share of the reward models fitted to 10,000 comparisons whose best-of-n "
                "gold turns over", f"{SOURCE} (every proxy reward model)", 1.0, _rm(10_000), tolerance=0.13,
                reason=f"one of the 8 reward models of a size (12.5 points); {SCALE}",
                when=lambda p: 10_000 in p["rm_sizes"] and p["rm_seeds"] == 8),
    Claim.finding("more-data-higher-peak", "best-of-n: the reward models with the most data give the highest gold "
                  "peak", f"{SOURCE}, sec. 3.5", "yes",
                  Ref("gold peak higher with most data", COEF, optimiser="bon"), reason=SCALE,
                  when=lambda p: len(p["rm_sizes"]) > 1),
    Claim.greater("bon-form-fits", "best-of-n's gold follows d (alpha - beta d) (the default constitution)",
                  SOURCE, Ref("R^2", FORM, judge=DEFAULT, optimiser="bon"), 0.95,
                  published="R(d) = d (alpha - beta d)",
                  reason="the paper shows the form fitting closely but gives no R^2: we ask R^2 above 0.95"),
    Claim.greater("rl-form-fits", "RL's gold follows d (alpha - beta log d) (the default constitution)",
                  SOURCE, Ref("R^2", FORM, judge=DEFAULT, optimiser="rl"), 0.95,
                  published="R(d) = d (alpha - beta log d)",
                  reason="the paper shows the form fitting closely but gives no R^2: we ask R^2 above 0.95; our RL is "
                         "a natural gradient over a finite set, not PPO on a language model"),
    Claim.value("bon-kl-exact", "best-of-n's exact KL against log n - (n - 1) / n, largest difference over n",
                f"{SOURCE} (best-of-n's KL)", 0.0, Ref(KL_GAP, KL), tolerance=0.01,
                reason="0.01 nats: the closed form is for a continuum of responses; ours is a finite universe, with "
                       "n at most 1/8 of it", quick=True),
    *[Claim.value(f"bon-kl-n{n}", f"best-of-{n}'s simulated KL against log n - (n - 1) / n",
                  f"{SOURCE} (best-of-n's KL)", round(best_of_n_kl_closed_form(n), 4),
                  Ref("KL, simulated", KL, n=n), tolerance=0.03,
                  reason="0.03 nats: about 4 standard errors of the mean of 20,000 simulated runs",
                  when=lambda p, n=n: p["kl_samples"] >= 20_000 and p["n_max"] >= n)
      for n in KL_NS[1:]],
]


def check(params: dict[str, Any]) -> None:
    """Best-of-n stays well inside the finite universe: ``--n-max`` at most ``--universe`` / 8
    (each value's own range is declared by its Param)."""
    if params["n_max"] > params["universe"] // 8:
        raise ValueError(f"--n-max must be at most --universe / 8 = {params['universe'] // 8} so the finite universe "
                         f"does not cap best-of-n, got {params['n_max']}")


def experiment(params: dict[str, Any], seed: int) -> dict[str, Any]:
    """One sweep cell (``oversight-gym sweep overoptimisation --grid noise=0,0.5,1 ...``):
    best-of-n against each constitution error in ``errors`` (a blend of the gold and the
    default constitution, with the judge's ``noise`` and ``tail``), on a universe drawn
    with ``seed``: whether gold turns over, the gold lost and the fitted coefficients."""
    universe = ResponseUniverse.sample(params["universe"], np.random.default_rng(seed))
    gold = GOLD.score(universe.features)
    ns = np.unique(np.round(np.geomspace(1, params["n_max"], params["points"])).astype(int)).tolist()
    out: dict[str, Any] = {}
    for err in params["errors"]:
        judge = ConstitutionJudge(blend(GOLD, DEFAULT_CONSTITUTION, err), params["noise"], params["tail"], seed)
        curve = best_of_n_curve(universe.initial, gold, judge.scores(universe.features), ns, f"error {err:g}")
        summ = overoptimisation_summary(curve)
        fit = fit_form(curve.d, curve.gold, "bon")
        out |= {f"turns_over:{err:g}": summ["turns_over"], f"gold_lost:{err:g}": summ["gold_lost"],
                f"d_peak:{err:g}": summ["d_peak"], f"alpha:{err:g}": fit.alpha, f"beta:{err:g}": fit.beta}
    return out


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def judge_measures(params: dict[str, Any], analysed: dict[tuple[str, str], dict[str, Any]]) -> list[Measure]:
    """Per main judge and optimiser: whether gold turns over (the paper's finding beside it for
    best-of-n and RL), where it peaks, the gold lost and the d reached; then the own form's
    fitted coefficients, R^2 and fitted optimum."""
    turn, form = TURN, FORM
    out: list[Measure] = []
    fits: list[Measure] = []
    main = main_judges(params["tail"])
    for label in main:
        for method in METHODS:
            if (label, method) not in analysed:
                continue
            a = analysed[(label, method)]
            s, f = a["summary"], a["fits"][a["own_form"]]
            where = {"judge": label, "optimiser": method}
            out += [Measure("gold turns over", _yes(s["turns_over"]), setting=where, group=turn),
                    Measure("d at the gold peak", s["d_peak"], setting=where, group=turn),
                    Measure("gold peak", s["gold_peak"], setting=where, group=turn),
                    Measure("gold lost", s["gold_lost"], setting=where, group=turn),
                    Measure("d reached", s["d_max"], setting=where, group=turn)]
            fits += [Measure("alpha", f["alpha"], setting=where, group=form),
                     Measure("beta", f["beta"], setting=where, group=form),
                     Measure("R^2", f["r2"], n=f["n_points"], setting=where, group=form),
                     Measure("fitted optimum d*", f["d_star"], setting=where, group=form)]
    return out + fits


def coefficient_measures(rows: list[dict[str, Any]]) -> list[Measure]:
    """Per reward-model data size and constitution error, per optimiser: how many judges turn
    over, the gold peak and gold lost, the own form's coefficients and R^2 (means over the
    reward models of a size); and whether the gold peak rises with data (the paper's finding
    beside it for best-of-n)."""
    group = COEF
    out: list[Measure] = []
    for r in rows:
        where = {"proxy": r["proxy"], "optimiser": r["optimiser"]}
        out += [Measure.rate("gold turns over", Rate(r["turns_over"], r["judges"]), setting=where, group=group),
                Measure("gold peak", r["gold peak"], setting=where, group=group),
                Measure("gold lost", r["gold lost"], setting=where, group=group),
                Measure("alpha", r["alpha"], setting=where, group=group),
                Measure("beta", r["beta"], setting=where, group=group),
                Measure("R^2", r["R2"], setting=where, group=group)]
    for method in ("bon", "rl"):
        rm = [r for r in rows if r["group"] == "rm" and r["optimiser"] == method]
        if len(rm) > 1:
            rises = rm[-1]["gold peak"] > rm[0]["gold peak"]
            out.append(Measure("gold peak higher with most data", _yes(rises),
                               setting={"proxy": f"reward models, {rm[0]['x']}-{rm[-1]['x']} comparisons",
                                        "optimiser": method}, group=group))
    return out


def kl_measures(params: dict[str, Any], checks: list[dict[str, Any]], gap: float) -> list[Measure]:
    """Best-of-n's simulated KL (95% interval, mean +- 1.96 s.e.) beside ``log n - (n - 1) / n``,
    and the largest gap between the exact KL and the closed form."""
    group = KL
    out = []
    for c in checks:
        half = 1.96 * c["se"]
        out.append(Measure("KL, simulated", c["simulated"], (c["simulated"] - half, c["simulated"] + half),
                           n=params["kl_samples"], setting={"n": c["n"]}, group=group))
        out.append(Measure("KL, simulated: standard error", c["se"], n=params["kl_samples"], setting={"n": c["n"]},
                           group=group))
    out.append(Measure(KL_GAP, gap, digits=4, group=group))
    return out


def finding_measures(params: dict[str, Any], analysed: dict[tuple[str, str], dict[str, Any]]) -> list[Measure]:
    """The findings: the perfect judge never turns over, how many imperfect judges do under
    best-of-n, and how well the forms fit."""
    main = main_judges(params["tail"])
    group = FINDINGS
    perfect = any(analysed[(PERFECT, m)]["summary"]["turns_over"] for m in ("bon", "rl"))
    flawed = [lab for lab in main[1:] if analysed[(lab, "bon")]["summary"]["turns_over"]]
    r2_own = [a["fits"][a["own_form"]]["r2"] for (_, m), a in analysed.items() if m in ("bon", "rl")]
    r2_bon_on_rl = [a["fits"]["bon"]["r2"] for (_, m), a in analysed.items() if m == "rl"]
    return [Measure("perfect judge: gold turns over (best-of-n or RL)", _yes(perfect), group=group),
            Measure.rate("imperfect judges whose best-of-n gold turns over", Rate(len(flawed), len(main) - 1),
                         group=group),
            Measure("R^2 of the own form (best-of-n and RL curves), median", float(np.median(r2_own)),
                    n=len(r2_own), group=group),
            Measure("R^2 of the own form (best-of-n and RL curves), min", float(np.min(r2_own)), n=len(r2_own),
                    group=group),
            Measure("R^2 of best-of-n's form on RL curves, median", float(np.median(r2_bon_on_rl)),
                    n=len(r2_bon_on_rl), group=group)]


def measures(params: dict[str, Any], analysed: dict[tuple[str, str], dict[str, Any]], rows: list[dict[str, Any]],
             checks: list[dict[str, Any]], gap: float) -> list[Measure]:
    """Every finding as measures (see the functions this one joins)."""
    return judge_measures(params, analysed) + coefficient_measures(rows) + kl_measures(params, checks, gap) + \
        finding_measures(params, analysed)


def notes(params: dict[str, Any], analysed: dict[tuple[str, str], dict[str, Any]], gap: float) -> list[str]:
    """Which judges turn over, how the forms fit our RL, how the KL is computed, what the
    critique-and-revise curves show; how the fits and the turnover are defined (the published
    forms and findings are the claims)."""
    main = main_judges(params["tail"])
    flawed_turn = [lab for lab in main[1:] if analysed[(lab, "bon")]["summary"]["turns_over"]]
    r2_bon_on_rl = [a["fits"]["bon"]["r2"] for (_, m), a in analysed.items() if m == "rl"]
    out = [
        f"imperfect judges whose best-of-n gold turns over: {', '.join(flawed_turn) or 'none'}.",
        f"on our RL curves the best-of-n form fits too (median R^2 {np.median(r2_bon_on_rl):.3f}): our RL is a "
        "natural-gradient softmax over a finite set, not PPO on a language model, and its gold curve is closer to "
        "the quadratic form.",
        f"best-of-n's exact KL is computed over the finite universe of {params['universe']} responses for n <= "
        f"{params['n_max']}; the simulated KL's interval is mean +- 1.96 s.e.",
        "critique-and-revise is a local, one-principle-at-a-time search: even with the gold principles its revisions "
        "for one principle (e.g. 'detailed') can undo another ('concise'), so its gold need not rise monotonically; "
        "the no-overoptimisation property is stated for best-of-n and the policy gradient.",
        "critique-and-revise takes one principle at a time, so it ignores the principles' weights: "
        "the mis-weighted constitution revises exactly as the default one does.",
        "alpha, beta: least-squares fits through the origin of the gold gain over the initial policy, in best-of-n's "
        "form for best-of-n and critique-and-revise and in RL's form for RL; gold lost = simulated peak gold minus "
        "gold at the strongest optimisation; 'turns over' = lost > 1% of peak.",
    ]
    return out


def run(params: dict[str, Any], ctx: Context) -> ScenarioResult:
    size, n_max = params["universe"], params["n_max"]
    universe = ResponseUniverse.sample(size, np.random.default_rng(ctx.seed))
    gold = GOLD.score(universe.features)
    js = make_judges(universe, ctx.seed, params["noise"], params["tail"], params["errors"], params["rm_sizes"],
                     params["rm_seeds"], params["rm_capacity"])
    ns = np.unique(np.round(np.geomspace(1, n_max, params["points"])).astype(int)).tolist()
    config = {k: v for k, v in params.items()} | {"seed": ctx.seed, "version": 2}
    store = RecordFile(ctx.path("curves.jsonl"), config, ("judge", "method"))
    done = store.done()
    every = [(label, m) for label, j in js.items() for m in METHODS
             if not (m == "critique" and j["principles"] is None)]
    jobs = [job for job in every if job not in done]
    for label, method in tqdm(jobs, total=len(every), initial=len(every) - len(jobs), desc="overoptimisation curves",
                              disable=not ctx.progress):
        j = js[label]
        c = compute_curve(method, label, j, universe, gold, ns, params["rl_steps"], params["points"],
                          params["kl_coef"], params["rl_lr"], float(np.log(size) - 2.0), params["critique_rounds"])
        store.append({"judge": label, "method": method, "group": j["group"], "x": j["x"], **c.to_dict()})
    curves: dict[tuple[str, str], Curve] = {(r["judge"], r["method"]): Curve.from_dict(r) for r in store.records}
    analysed = analyse(curves, js)
    rows = coefficients(analysed, params["rm_sizes"], params["errors"])
    checks = best_of_n_kl_checks(np.random.default_rng(ctx.seed + 1), universe.initial,
                                 js["constitution default"]["proxy"], [*KL_NS[:-1], min(KL_NS[-1], n_max)],
                                 params["kl_samples"])
    gap = exact_kl_gap(curves[("constitution default", "bon")])
    files = [ctx.path("curves.jsonl"),
             plot_overoptimisation_curves(curves, analysed, main_judges(params["tail"]), ctx.path("curves.png")),
             plot_coefficients(rows, ctx.path("coefficients.png"))]
    title = (f"Overoptimisation (Gao et al. 2022) against constitutional judges and reward models: universe {size}, "
             f"best-of-n up to {n_max}, RL {params['rl_steps']} steps (kl_coef {params['kl_coef']:g})")
    return ScenarioResult(title, measures(params, analysed, rows, checks, gap),
                          notes(params, analysed, gap), files)


SCENARIO = Scenario(
    name="overoptimisation",
    description="Gold vs proxy under best-of-n, RL and critique-and-revise against constitutional judges and "
                "reward models, with the fitted forms of Gao et al. 2022",
    quick_note="small universe, few reward-model sizes and seeds; run without --quick for the full study.",
    citation="Gao, Schulman, Hilton 2022, Scaling laws for reward model overoptimization, arXiv 2210.10760; "
             "Bai et al. 2022, Constitutional AI, arXiv 2212.08073",
    params=[
        Param("universe", int, 2**15, "responses in the initial policy's universe", quick=2**12, low=256,
              high=2**22),
        Param("n_max", int, 4096, "largest n of best-of-n (at most universe / 8; at least 3, so a curve has two "
              "points beyond n = 1 to fit)", quick=512, low=3, high=2**19),
        Param("points", int, 24, "points per curve (at least 3, so a curve has two points beyond n = 1 to fit)",
              low=3, high=1000),
        Param("rl_steps", int, 400, "policy-gradient steps", quick=150, low=1, high=1_000_000),
        Param("rl_lr", float, 0.02, "policy-gradient step size", quick=0.05, low=0, high=100, open_low=True),
        Param("kl_coef", float, 0.0, "KL penalty coefficient of the policy-gradient learner", low=0, high=1000),
        Param("critique_rounds", int, 40, "critique-and-revise rounds", quick=16, low=1, high=100_000),
        Param("noise", float, 0.5, "noise of the constitutional judges' principles", low=0, high=100),
        Param("tail", float, 1.5, "degrees of freedom of the heavy-tailed judge's errors (0: Gaussian)", low=0,
              high=1000, rule=(lambda t: t == 0 or t >= 1, "0, or at least 1")),
        Param("rm_sizes", int, "100,300,1000,3000,10000", "gold-labelled comparisons of the reward models",
              quick="100,1000", many=True, low=1, high=10_000_000),
        Param("rm_seeds", int, 8, "reward models per data size", quick=1, low=1, high=1000),
        Param("rm_capacity", int, 3, "polynomial degree of the reward models", choices=(1, 2, 3, 4)),
        Param("errors", float, "0,0.25,0.5,0.75,1", "constitution errors (blend of gold and default)", quick="0,0.5,1",
              many=True, low=0, high=1),
        Param("kl_samples", int, 20000, "best-of-n runs per n for the simulated KL", quick=4000, low=2,
              high=10_000_000),
    ],
    run=run,
    experiment=experiment,
    check=check,
    claims=CLAIMS,
    reproduce={"universe": 2**14, "n_max": 2048},
)

if __name__ == "__main__":
    raise SystemExit(SCENARIO.main())
