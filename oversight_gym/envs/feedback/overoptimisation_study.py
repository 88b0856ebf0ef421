"""The overoptimisation study of Gao, Schulman, Hilton (2022) on our constitutional world:
proxy judges, one gold-against-proxy curve per (judge, optimiser), the fitted forms, the
coefficients against reward-model data and constitution error, and best-of-n's KL against
its closed form.

* :func:`make_judges`: the proxy judges (constitutions, a heavy-tailed judge, blends of gold
  and the default constitution, reward models fitted to gold-labelled comparisons);
* :func:`compute_curve`: one optimiser (best-of-n, policy gradient, critique-and-revise)
  against one judge;
* :func:`analyse`: each curve's summary (turnover, peak, gold lost) and both forms' fits;
* :func:`coefficients`: fits and summaries averaged over the reward models of one data size
  or the judge of one constitution error;
* :func:`best_of_n_kl_checks`: best-of-n's simulated KL beside ``log n - (n - 1) / n``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

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

#: the optimisers: best-of-n, the policy-gradient learner, critique-and-revise
METHODS = ("bon", "rl", "critique")
#: the constitution judges, in order
CONSTITUTION_NAMES = ("default", "missing-harmless", "misweighted-length", "missing-concise")
PERFECT = "perfect (judge = gold)"


def main_judges(tail: float) -> list[str]:
    """The labels of the perfect judge, the constitutions and the heavy-tailed judge."""
    return [PERFECT, *(f"constitution {name}" for name in CONSTITUTION_NAMES), f"gold + t({tail:g}) errors"]


def make_judges(universe: ResponseUniverse, seed: int, noise: float, tail: float, errors: Sequence[float],
                rm_sizes: Sequence[int], rm_seeds: int, rm_capacity: int) -> dict[str, dict[str, Any]]:
    """Label -> {proxy scores, principle scores (constitution judges, else None), group
    ("constitution", "error" or "rm"), x (the constitution error or the reward model's
    comparisons)}: the judges of :func:`main_judges` (principles applied with ``noise``, the
    heavy-tailed one with Student-t(``tail``) errors), a blend of gold and the default
    constitution per error in ``errors``, and ``rm_seeds`` Bradley-Terry reward models of
    degree ``rm_capacity`` per number of comparisons in ``rm_sizes``."""
    x = universe.features
    out: dict[str, dict[str, Any]] = {}

    def add(label: str, judge: Any, group: str, value: float | None = None) -> None:
        ps = judge.principle_scores(x) if isinstance(judge, ConstitutionJudge) else None
        out[label] = {"proxy": judge.scores(x), "principles": ps, "group": group, "x": value}

    add(PERFECT, ConstitutionJudge(GOLD, 0.0, 0.0, seed), "constitution")
    for name in CONSTITUTION_NAMES:
        add(f"constitution {name}", ConstitutionJudge(CONSTITUTIONS[name], noise, 0.0, seed), "constitution")
    add(f"gold + t({tail:g}) errors", ConstitutionJudge(GOLD, noise, tail, seed), "constitution")
    for err in errors:
        add(f"constitution error {err:g}", ConstitutionJudge(blend(GOLD, DEFAULT_CONSTITUTION, err), 0.0, 0.0, seed),
            "error", err)
    for m in rm_sizes:
        for s in range(rm_seeds):
            rm = train_reward_model(universe, m, rm_capacity, seed * 1000 + 17 * s + m, l2=1e-3)
            add(f"reward model m={m} seed {s}", rm, "rm", m)
    return out


def compute_curve(method: str, label: str, judge: dict[str, Any], universe: ResponseUniverse, gold: np.ndarray,
                  ns: Sequence[int], rl_steps: int, points: int, kl_coef: float, rl_lr: float, max_kl: float,
                  critique_rounds: int) -> Curve:
    """``method`` optimising against ``judge`` (an entry of :func:`make_judges`): best-of-n for
    each n of ``ns``, the policy gradient (``rl_steps`` steps, KL penalty ``kl_coef``, stopped
    past ``max_kl``) or ``critique_rounds`` rounds of critique-and-revise."""
    if method == "bon":
        return best_of_n_curve(universe.initial, gold, judge["proxy"], ns, label)
    if method == "rl":
        return rl_curve(universe.initial, gold, judge["proxy"], rl_steps, points, kl_coef=kl_coef, lr=rl_lr,
                        max_kl=max_kl, label=label)
    return critique_curve(universe.initial, gold, judge["proxy"], judge["principles"], universe.features,
                          critique_rounds, label=label)


def analyse(curves: dict[tuple[str, str], Curve],
            judges: dict[str, dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """Per (judge, method): the curve's :func:`overoptimisation_summary`, both forms fitted
    (NaN coefficients for a curve that never left the initial policy), the optimiser's own
    form (RL's for the policy gradient, best-of-n's otherwise), and the judge's group and x."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for (label, method), c in curves.items():
        summ = overoptimisation_summary(c)
        try:
            fits = {form: fit_form(c.d, c.gold, form) for form in ("bon", "rl")}
        except ValueError:  # a curve that never left the initial policy
            fits = {form: Fit(form, float("nan"), float("nan"), float("nan"), len(c.d)) for form in ("bon", "rl")}
        own = fits["rl" if method == "rl" else "bon"]
        out[(label, method)] = {"summary": summ, "fits": {k: f.to_dict() for k, f in fits.items()},
                                "own_form": own.form, "group": judges[label]["group"], "x": judges[label]["x"]}
    return out


def coefficients(analysed: dict[tuple[str, str], dict[str, Any]], rm_sizes: Sequence[int],
                 errors: Sequence[float]) -> list[dict[str, Any]]:
    """Per reward-model data size and per constitution error, per optimiser (best-of-n, RL):
    the own form's alpha, beta and R^2 and the gold peak and gold lost, averaged over the
    judges of that size (its seeds), and how many of them turn over (``turns_over`` of
    ``judges``)."""
    rows: list[dict[str, Any]] = []
    for group, xs in (("rm", rm_sizes), ("error", errors)):
        for xval in xs:
            for method in ("bon", "rl"):
                sel = [a for (_, m), a in analysed.items() if m == method and a["group"] == group and a["x"] == xval]
                if not sel:
                    continue
                fs = [a["fits"][a["own_form"]] for a in sel]
                ss = [a["summary"] for a in sel]
                rows.append({
                    "proxy": f"reward model, {xval} comparisons" if group == "rm" else f"constitution error {xval:g}",
                    "optimiser": method, "group": group, "x": xval,
                    "alpha": float(np.mean([f["alpha"] for f in fs])), "beta": float(np.mean([f["beta"] for f in fs])),
                    "R2": float(np.mean([f["r2"] for f in fs])),
                    "gold peak": float(np.mean([s["gold_peak"] for s in ss])),
                    "gold lost": float(np.mean([s["gold_lost"] for s in ss])),
                    "turns_over": sum(s["turns_over"] for s in ss), "judges": len(ss)})
    return rows


def best_of_n_kl_checks(rng: np.random.Generator, initial: np.ndarray, scores: np.ndarray, ns: Sequence[int],
                        samples: int) -> list[dict[str, Any]]:
    """For each n: best-of-n's KL to the initial policy simulated ``samples`` times (estimate
    and standard error) beside the closed form ``log n - (n - 1) / n``."""
    out = []
    for n in ns:
        est, se = simulated_best_of_n_kl(rng, initial, scores, n, samples)
        out.append({"n": n, "closed_form": float(best_of_n_kl_closed_form(n)), "simulated": est, "se": se})
    return out


def exact_kl_gap(curve: Curve) -> float:
    """The largest difference between a best-of-n curve's exact KL and the closed form."""
    return float(np.max(np.abs(curve.kl - np.asarray(best_of_n_kl_closed_form(curve.strength)))))


__all__ = ["CONSTITUTION_NAMES", "METHODS", "PERFECT", "analyse", "best_of_n_kl_checks", "coefficients",
           "compute_curve", "exact_kl_gap", "main_judges", "make_judges"]
