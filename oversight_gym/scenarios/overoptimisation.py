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

Run: ``oversight-gym run overoptimisation [--quick]`` or ``python -m oversight_gym.scenarios.overoptimisation``.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from tqdm import tqdm

from oversight_gym.envs.feedback.model import (
    CONSTITUTIONS,
    DEFAULT_CONSTITUTION,
    GOLD,
    ConstitutionJudge,
    ResponseUniverse,
    blend,
    train_reward_model,
)
from oversight_gym.envs.feedback.overoptimisation import (
    Curve,
    Fit,
    best_of_n_curve,
    best_of_n_kl_closed_form,
    critique_curve,
    fit_form,
    overoptimisation_summary,
    rl_curve,
    simulated_best_of_n_kl,
)
from oversight_gym.runner.records import RecordFile
from oversight_gym.runner.scenario import Context, Param, Scenario, ScenarioResult

PUBLISHED = {  # Gao, Schulman, Hilton 2022 (qualitative findings; their coefficients are for 1.2B-6B models)
    "bon_form": "R(d) = d (alpha - beta d)",
    "rl_form": "R(d) = d (alpha - beta log d)",
    "bon_kl": "log n - (n - 1) / n",
    "turnover": "gold rises then falls for every proxy RM (3M-3B params); proxy keeps rising",
    "data": "more RM data: higher gold peak, later turnover (sec. 3.5)",
}
METHODS = ("bon", "rl", "critique")


def _ints(text: str, name: str) -> list[int]:
    try:
        out = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ValueError(f"--{name}: a comma list of integers, got {text!r}") from None
    if not out or min(out) < 1:
        raise ValueError(f"--{name}: a comma list of integers >= 1, got {text!r}")
    return out


def _floats(text: str, name: str) -> list[float]:
    try:
        out = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise ValueError(f"--{name}: a comma list of numbers in [0, 1], got {text!r}") from None
    if not out or min(out) < 0 or max(out) > 1:
        raise ValueError(f"--{name}: a comma list of numbers in [0, 1], got {text!r}")
    return out


def judges(params: dict[str, Any], universe: ResponseUniverse, seed: int) -> dict[str, dict[str, Any]]:
    """Label -> {proxy scores, principle scores (constitution judges), group, x (sweep value)}."""
    x = universe.features
    noise = params["noise"]
    out: dict[str, dict[str, Any]] = {}

    def add(label: str, judge: Any, group: str, value: float | None = None) -> None:
        ps = judge.principle_scores(x) if isinstance(judge, ConstitutionJudge) else None
        out[label] = {"proxy": judge.scores(x), "principles": ps, "group": group, "x": value}

    add("perfect (judge = gold)", ConstitutionJudge(GOLD, 0.0, 0.0, seed), "constitution")
    for name in ("default", "missing-harmless", "misweighted-length", "missing-concise"):
        add(f"constitution {name}", ConstitutionJudge(CONSTITUTIONS[name], noise, 0.0, seed), "constitution")
    add(f"gold + t({params['tail']:g}) errors", ConstitutionJudge(GOLD, noise, params["tail"], seed), "constitution")
    for err in _floats(params["errors"], "errors"):
        add(f"constitution error {err:g}", ConstitutionJudge(blend(GOLD, DEFAULT_CONSTITUTION, err), 0.0, 0.0, seed),
            "error", err)
    for m in _ints(params["rm_sizes"], "rm-sizes"):
        for s in range(params["rm_seeds"]):
            rm = train_reward_model(universe, m, params["rm_capacity"], seed * 1000 + 17 * s + m, l2=1e-3)
            add(f"reward model m={m} seed {s}", rm, "rm", m)
    return out


def experiment(params: dict[str, Any], seed: int) -> dict[str, Any]:
    """One sweep cell (``oversight-gym sweep overoptimisation --grid noise=0,0.5,1 ...``):
    best-of-n against each constitution error in ``errors`` (a blend of the gold and the
    default constitution, with the judge's ``noise`` and ``tail``), on a universe drawn
    with ``seed``: whether gold turns over, the gold lost and the fitted coefficients."""
    universe = ResponseUniverse.sample(params["universe"], np.random.default_rng(seed))
    gold = GOLD.score(universe.features)
    ns = np.unique(np.round(np.geomspace(1, params["n_max"], params["points"])).astype(int)).tolist()
    out: dict[str, Any] = {}
    for err in _floats(params["errors"], "errors"):
        judge = ConstitutionJudge(blend(GOLD, DEFAULT_CONSTITUTION, err), params["noise"], params["tail"], seed)
        curve = best_of_n_curve(universe.initial, gold, judge.scores(universe.features), ns, f"error {err:g}")
        summ = overoptimisation_summary(curve)
        fit = fit_form(curve.d, curve.gold, "bon")
        out |= {f"turns_over:{err:g}": summ["turns_over"], f"gold_lost:{err:g}": summ["gold_lost"],
                f"d_peak:{err:g}": summ["d_peak"], f"alpha:{err:g}": fit.alpha, f"beta:{err:g}": fit.beta}
    return out


def run(params: dict[str, Any], ctx: Context) -> ScenarioResult:
    size = params["universe"]
    if size < 256:
        raise ValueError(f"--universe must be >= 256, got {size}")
    n_max = params["n_max"]
    if not 2 <= n_max <= size // 8:
        raise ValueError(f"--n-max must be in [2, universe / 8 = {size // 8}] so the finite universe does not "
                         f"cap best-of-n, got {n_max}")
    universe = ResponseUniverse.sample(size, np.random.default_rng(ctx.seed))
    gold = GOLD.score(universe.features)
    js = judges(params, universe, ctx.seed)
    ns = np.unique(np.round(np.geomspace(1, n_max, params["points"])).astype(int)).tolist()
    max_kl = float(np.log(size) - 2.0)
    config = {k: v for k, v in params.items()} | {"seed": ctx.seed, "version": 2}
    store = RecordFile(ctx.path("curves.jsonl"), config, ("judge", "method"))
    done = store.done()
    jobs = [(label, m) for label, j in js.items() for m in METHODS
            if (label, m) not in done and not (m == "critique" and j["principles"] is None)]
    for label, method in tqdm(jobs, desc="overoptimisation curves", disable=not ctx.progress):
        j = js[label]
        if method == "bon":
            c = best_of_n_curve(universe.initial, gold, j["proxy"], ns, label)
        elif method == "rl":
            c = rl_curve(universe.initial, gold, j["proxy"], params["rl_steps"], params["points"],
                         kl_coef=params["kl_coef"], lr=params["rl_lr"], max_kl=max_kl, label=label)
        else:
            c = critique_curve(universe.initial, gold, j["proxy"], j["principles"], universe.features,
                               params["critique_rounds"], label=label)
        store.append({"judge": label, "method": method, "group": j["group"], "x": j["x"], **c.to_dict()})
    curves = {(r["judge"], r["method"]): Curve.from_dict(r) for r in store.records}

    # --- fits and summaries -----------------------------------------------------------
    analysed: dict[tuple[str, str], dict[str, Any]] = {}
    for (label, method), c in curves.items():
        summ = overoptimisation_summary(c)
        try:
            fits = {form: fit_form(c.d, c.gold, form) for form in ("bon", "rl")}
        except ValueError:  # a curve that never left the initial policy
            fits = {form: Fit(form, float("nan"), float("nan"), float("nan"), len(c.d)) for form in ("bon", "rl")}
        own = fits["rl" if method == "rl" else "bon"]
        analysed[(label, method)] = {"summary": summ, "fits": {k: f.to_dict() for k, f in fits.items()},
                                     "own_form": own.form, "group": js[label]["group"], "x": js[label]["x"]}

    rows: list[dict[str, Any]] = []

    def add_row(label: str, method: str, published: str = "") -> None:
        a = analysed[(label, method)]
        f, s = a["fits"][a["own_form"]], a["summary"]
        rows.append({"judge": label, "optimiser": method, "published (Gao et al.)": published,
                     "turns over": "yes" if s["turns_over"] else "no", "d peak": s["d_peak"],
                     "gold peak": s["gold_peak"], "gold lost": s["gold_lost"], "d max": s["d_max"],
                     "fit": a["own_form"], "alpha": f["alpha"], "beta": f["beta"], "R2": f["r2"],
                     "fit d*": f["d_star"]})

    main = ["perfect (judge = gold)", "constitution default", "constitution missing-harmless",
            "constitution misweighted-length", "constitution missing-concise", f"gold + t({params['tail']:g}) errors"]
    for label in main:
        for method in METHODS:
            if (label, method) in analysed:
                pub = ""
                if method in ("bon", "rl") and label == main[0]:
                    pub = "no turnover (proxy = gold)"
                elif method in ("bon", "rl"):
                    pub = "turns over (imperfect proxy)"
                add_row(label, method, pub)

    # coefficients against reward-model data and constitution error (mean over seeds)
    coef_rows: list[dict[str, Any]] = []
    for group, xs in (("rm", _ints(params["rm_sizes"], "rm-sizes")), ("error", _floats(params["errors"], "errors"))):
        for xval in xs:
            for method in ("bon", "rl"):
                sel = [a for (lab, m), a in analysed.items() if m == method and a["group"] == group and a["x"] == xval]
                if not sel:
                    continue
                fs = [a["fits"][a["own_form"]] for a in sel]
                ss = [a["summary"] for a in sel]
                coef_rows.append({
                    "proxy": f"reward model, {xval} comparisons" if group == "rm" else f"constitution error {xval:g}",
                    "optimiser": method, "published (Gao et al.)": PUBLISHED["data"] if group == "rm" else "",
                    "alpha": float(np.mean([f["alpha"] for f in fs])), "beta": float(np.mean([f["beta"] for f in fs])),
                    "R2": float(np.mean([f["r2"] for f in fs])),
                    "gold peak": float(np.mean([s["gold_peak"] for s in ss])),
                    "gold lost": float(np.mean([s["gold_lost"] for s in ss])),
                    "turns over": f"{sum(s['turns_over'] for s in ss)}/{len(ss)}", "group": group, "x": xval})
    for i, r in enumerate(coef_rows):
        pub = "more data: higher peak, later turnover" if i == 0 and r["group"] == "rm" else ""
        rows.append({"judge": r["proxy"], "optimiser": r["optimiser"], "published (Gao et al.)": pub,
                     "turns over": r["turns over"], "gold peak": r["gold peak"], "gold lost": r["gold lost"],
                     "fit": "bon" if r["optimiser"] == "bon" else "rl", "alpha": r["alpha"], "beta": r["beta"],
                     "R2": r["R2"]})

    # --- best-of-n KL against the closed form -----------------------------------------
    default_proxy = js["constitution default"]["proxy"]
    c_def = curves[("constitution default", "bon")]
    closed = np.asarray(best_of_n_kl_closed_form(c_def.strength))
    exact_gap = float(np.max(np.abs(c_def.kl - closed)))
    rng = np.random.default_rng(ctx.seed + 1)
    kl_checks = []
    for n in (1, 4, 16, 64, min(256, n_max)):
        est, se = simulated_best_of_n_kl(rng, universe.initial, default_proxy, n, params["kl_samples"])
        kl_checks.append({"n": n, "closed_form": float(best_of_n_kl_closed_form(n)), "simulated": est, "se": se})
        rows.append({"judge": "constitution default", "optimiser": f"best-of-{n} KL",
                     "published (Gao et al.)": f"{best_of_n_kl_closed_form(n):.3f} = log n - (n-1)/n",
                     "turns over": "", "gold peak": "", "gold lost": "",
                     "fit": f"simulated {est:.3f} ± {se:.3f}", "alpha": "", "beta": "", "R2": ""})

    perfect_ok = not any(analysed[(main[0], m)]["summary"]["turns_over"] for m in ("bon", "rl"))
    flawed_turn = [lab for lab in main[1:] if analysed[(lab, "bon")]["summary"]["turns_over"]]
    r2_own = [a["fits"][a["own_form"]]["r2"] for (lab, m), a in analysed.items() if m in ("bon", "rl")]
    r2_bon_on_rl = [a["fits"]["bon"]["r2"] for (lab, m), a in analysed.items() if m == "rl"]
    notes = [
        f"published forms: best-of-n {PUBLISHED['bon_form']}, RL {PUBLISHED['rl_form']}; {PUBLISHED['turnover']}.",
        f"perfect judge: gold never turns over (best-of-n, RL): {'confirmed' if perfect_ok else 'NOT confirmed'}.",
        f"imperfect judges whose best-of-n gold turns over: {len(flawed_turn)}/{len(main) - 1} "
        f"({', '.join(flawed_turn)}).",
        f"R^2 of each optimiser's own form (best-of-n and RL curves): median {np.median(r2_own):.3f}, "
        f"min {np.min(r2_own):.3f}; on our RL curves the best-of-n form fits with median R^2 "
        f"{np.median(r2_bon_on_rl):.3f} (our RL is a natural-gradient softmax over a finite set, not PPO on a "
        f"language model: its gold curve is closer to the quadratic form).",
        f"best-of-n KL, exact over the finite universe, vs log n - (n-1)/n: max |difference| {exact_gap:.4f} "
        f"over n <= {n_max} (universe of {size}).",
        "critique-and-revise is a local, one-principle-at-a-time search: even with the gold principles its revisions "
        "for one principle (e.g. 'detailed') can undo another ('concise'), so its gold need not rise monotonically; "
        "the no-overoptimisation property is stated for best-of-n and the policy gradient.",
        "critique-and-revise takes one principle at a time, so it ignores the principles' weights: "
        "the mis-weighted constitution revises exactly as the default one does.",
        "alpha, beta: least-squares fits through the origin of the gold gain over the initial policy; "
        "gold lost = simulated peak gold minus gold at the strongest optimisation; 'turns over' = lost > 1% of peak.",
    ]
    if ctx.quick:
        notes.append("QUICK MODE: small universe, few reward-model sizes and seeds; "
                     "run without --quick for the full study.")

    summary = {"params": params, "seed": ctx.seed, "published": PUBLISHED, "kl_checks": kl_checks,
               "bon_kl_exact_max_gap": exact_gap,
               "curves": {f"{lab} | {m}": a for (lab, m), a in analysed.items()}, "coefficients": coef_rows}
    ctx.path("summary.json").write_text(json.dumps(summary, indent=2, default=float))
    files = [ctx.path("curves.jsonl"), ctx.path("summary.json")]
    files += plot(curves, analysed, main, coef_rows, ctx)
    title = (f"Overoptimisation (Gao et al. 2022) against constitutional judges and reward models: universe {size}, "
             f"best-of-n up to {n_max}, RL {params['rl_steps']} steps (kl_coef {params['kl_coef']:g})")
    return ScenarioResult(title, rows, notes, files)


def plot(curves: dict[tuple[str, str], Curve], analysed: dict[tuple[str, str], dict[str, Any]], main: list[str],
         coef_rows: list[dict[str, Any]], ctx: Context) -> list[Any]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rm_labels = sorted({lab for (lab, _m) in curves if lab.startswith("reward model") and lab.endswith("seed 0")},
                       key=lambda s: int(s.split("m=")[1].split()[0]))
    labels = main + ([rm_labels[0], rm_labels[-1]] if rm_labels else [])
    fig, axes = plt.subplots(len(labels), 3, figsize=(12, 2.3 * len(labels)), squeeze=False)
    for i, lab in enumerate(labels):
        for k, method in enumerate(METHODS):
            ax = axes[i, k]
            if (lab, method) not in curves:
                ax.axis("off")
                continue
            c = curves[(lab, method)]
            a = analysed[(lab, method)]
            ax.plot(c.d, c.gold, "o-", ms=3, c="#1a6", label="gold")
            f = a["fits"][a["own_form"]]
            dd = np.linspace(0, c.d.max(), 200)
            fit = Fit(f["form"], f["alpha"], f["beta"], f["r2"], f["n_points"])
            ax.plot(dd, fit.predict(dd), ":", c="k", label=f"fit {f['form']} R²={f['r2']:.2f}")
            ax2 = ax.twinx()
            ax2.plot(c.d, c.proxy, "--", c="#c63", label="proxy")
            ax2.tick_params(axis="y", labelcolor="#c63", labelsize=7)
            ax.tick_params(labelsize=7)
            ax.set_title(f"{lab}: {method}", fontsize=8)
            if i == len(labels) - 1:
                ax.set_xlabel("d = sqrt(KL)", fontsize=8)
            ax.legend(fontsize=6, loc="upper left")
    fig.suptitle("gold (green, left axis) and proxy (orange, right axis) gain against d; dotted: fitted form",
                 fontsize=9)
    p1 = ctx.save_figure(fig, "curves.png", dpi=100)

    fig, axes = plt.subplots(2, 3, figsize=(12, 6), squeeze=False)
    for row, group in enumerate(("rm", "error")):
        for method, colour in (("bon", "#26a"), ("rl", "#a26")):
            sel = [r for r in coef_rows if r["group"] == group and r["optimiser"] == method]
            xs = [r["x"] for r in sel]
            for col, key in enumerate(("alpha", "beta", "gold lost")):
                axes[row, col].plot(xs, [r[key] for r in sel], "o-", c=colour, label=method)
                axes[row, col].set_title(f"{key} vs {'RM comparisons' if group == 'rm' else 'constitution error'}",
                                         fontsize=9)
                if group == "rm":
                    axes[row, col].set_xscale("log")
                axes[row, col].legend(fontsize=7)
    p2 = ctx.save_figure(fig, "coefficients.png", dpi=100)
    return [p1, p2]


SCENARIO = Scenario(
    name="overoptimisation",
    description="Gold vs proxy under best-of-n, RL and critique-and-revise against constitutional judges and "
                "reward models, with the fitted forms of Gao et al. 2022",
    citation="Gao, Schulman, Hilton 2022, Scaling laws for reward model overoptimization, arXiv 2210.10760; "
             "Bai et al. 2022, Constitutional AI, arXiv 2212.08073",
    params=[
        Param("universe", int, 2**15, "responses in the initial policy's universe", quick=2**12),
        Param("n_max", int, 4096, "largest n of best-of-n", quick=512),
        Param("points", int, 24, "points per curve"),
        Param("rl_steps", int, 400, "policy-gradient steps", quick=150),
        Param("rl_lr", float, 0.02, "policy-gradient step size", quick=0.05),
        Param("kl_coef", float, 0.0, "KL penalty coefficient of the policy-gradient learner"),
        Param("critique_rounds", int, 40, "critique-and-revise rounds", quick=16),
        Param("noise", float, 0.5, "noise of the constitutional judges' principles"),
        Param("tail", float, 1.5, "degrees of freedom of the heavy-tailed judge's errors"),
        Param("rm_sizes", str, "100,300,1000,3000,10000", "gold-labelled comparisons of the reward models",
              quick="100,1000"),
        Param("rm_seeds", int, 8, "reward models per data size", quick=1),
        Param("rm_capacity", int, 3, "polynomial degree of the reward models", choices=(1, 2, 3, 4)),
        Param("errors", str, "0,0.25,0.5,0.75,1", "constitution errors (blend of gold and default)", quick="0,0.5,1"),
        Param("kl_samples", int, 20000, "best-of-n runs per n for the simulated KL", quick=4000),
    ],
    run=run,
    experiment=experiment,
)

if __name__ == "__main__":
    raise SystemExit(SCENARIO.main())
