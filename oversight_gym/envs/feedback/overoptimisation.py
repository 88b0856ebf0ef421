"""Measuring reward-model overoptimisation (Gao, Schulman, Hilton 2022, "Scaling laws for
reward model overoptimization", arXiv 2210.10760).

Optimisation strength is measured by ``d = sqrt(KL(pi || pi_init))``. Gao et al. find that
the gold score gained over the initial policy follows

* best-of-n: ``R(d) = d (alpha - beta d)``, with ``KL = log n - (n - 1) / n`` in closed form;
* RL: ``R(d) = d (alpha - beta log d)``,

with ``alpha`` and ``beta`` depending smoothly on the proxy reward model (its size, its data).
Both forms are linear in ``(alpha, beta)``, so :func:`fit_form` fits them by ordinary
least squares through the origin and reports ``R^2``. The fitted optimum is
``d* = alpha / (2 beta)`` (best-of-n) and ``d* = exp(alpha / beta - 1)`` (RL).

:func:`curve_from_policies` turns a sequence of policies over a finite response set into a
:class:`Curve` of (d, gold, proxy); :func:`best_of_n_curve`, :func:`rl_curve` and
:func:`critique_curve` build the three optimisers' curves against a judge.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from oversight_gym.core.errors import check_choice, check_int
from oversight_gym.envs.feedback.best_of_n import (
    best_of_n_distribution,
    best_of_n_kl_closed_form,
    best_of_n_sample,
)
from oversight_gym.envs.feedback.critique_revise import critique_and_revise, neighbour_table
from oversight_gym.envs.feedback.kl_policy_gradient import KLPolicyGradient, kl_to

FORMS = ("bon", "rl")

__all__ = [
    "FORMS", "Curve", "Fit", "best_of_n_curve", "best_of_n_kl_closed_form", "critique_curve", "curve_from_policies",
    "fit_form", "kl_to", "overoptimisation_summary", "rl_curve", "simulated_best_of_n_kl",
]


@dataclass
class Curve:
    """Gold and proxy score of a sequence of policies against their distance from the initial one.

    ``gold`` and ``proxy`` are gains over the initial policy (so both start at 0).
    ``strength`` is the optimiser's own knob (n, step, round)."""

    method: str
    strength: np.ndarray
    kl: np.ndarray
    gold: np.ndarray
    proxy: np.ndarray
    label: str = ""

    @property
    def d(self) -> np.ndarray:
        return np.sqrt(np.maximum(self.kl, 0.0))

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "label": self.label, "strength": self.strength.tolist(),
                "kl": self.kl.tolist(), "gold": self.gold.tolist(), "proxy": self.proxy.tolist()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Curve:
        return cls(d["method"], np.asarray(d["strength"], float), np.asarray(d["kl"], float),
                   np.asarray(d["gold"], float), np.asarray(d["proxy"], float), d.get("label", ""))


@dataclass
class Fit:
    """A least-squares fit of one of Gao et al.'s forms to ``(d, R)``."""

    form: str
    alpha: float
    beta: float
    r2: float
    n_points: int
    extra: dict[str, Any] = field(default_factory=dict)

    def predict(self, d: np.ndarray | float) -> np.ndarray:
        return _basis(self.form, np.asarray(d, dtype=np.float64)) @ np.array([self.alpha, self.beta])

    @property
    def d_star(self) -> float:
        """The fitted optimum d (inf if the fitted curve never turns over)."""
        if self.beta <= 0:
            return float("inf")
        if self.form == "bon":
            return self.alpha / (2.0 * self.beta)
        return float(np.exp(min(self.alpha / self.beta - 1.0, 700.0)))

    @property
    def r_star(self) -> float:
        """The fitted gold gain at the optimum."""
        ds = self.d_star
        if not np.isfinite(ds):
            return float("inf")
        return float(self.predict(ds)[0])

    def to_dict(self) -> dict[str, Any]:
        return {"form": self.form, "alpha": self.alpha, "beta": self.beta, "r2": self.r2, "n_points": self.n_points,
                "d_star": self.d_star, "r_star": self.r_star}


def _basis(form: str, d: np.ndarray) -> np.ndarray:
    d = np.atleast_1d(d)
    if form == "bon":
        return np.stack([d, -d * d], axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        dlogd = np.where(d > 0, d * np.log(np.where(d > 0, d, 1.0)), 0.0)
    return np.stack([d, -dlogd], axis=-1)


def fit_form(d: Sequence[float] | np.ndarray, r: Sequence[float] | np.ndarray, form: str) -> Fit:
    """Least-squares fit of ``R(d) = d (alpha - beta d)`` (``form="bon"``) or
    ``R(d) = d (alpha - beta log d)`` (``form="rl"``) to points ``(d, R)``; ``R^2`` is
    ``1 - SS_res / SS_tot`` about the mean of ``R``."""
    check_choice("form", form, FORMS)
    d = np.asarray(d, dtype=np.float64)
    r = np.asarray(r, dtype=np.float64)
    if d.shape != r.shape or d.ndim != 1:
        raise ValueError(f"d and r must be vectors of one length, got shapes {d.shape} and {r.shape}")
    if np.any(d < 0) or not np.all(np.isfinite(d)) or not np.all(np.isfinite(r)):
        raise ValueError("d must be finite and >= 0 and r finite")
    if np.count_nonzero(d > 0) < 2:
        raise ValueError("fit_form needs at least two points with d > 0")
    x = _basis(form, d)
    coef, *_ = np.linalg.lstsq(x, r, rcond=None)
    resid = r - x @ coef
    ss_tot = float(np.sum((r - r.mean()) ** 2))
    r2 = 1.0 - float(resid @ resid) / ss_tot if ss_tot > 0 else float(resid @ resid == 0)
    return Fit(form, float(coef[0]), float(coef[1]), r2, len(d))


def curve_from_policies(method: str, strengths: Iterable[float], policies: Iterable[np.ndarray],
                        initial: np.ndarray, gold: np.ndarray, proxy: np.ndarray, label: str = "") -> Curve:
    """A :class:`Curve` from policies over a finite response set (exact expectations)."""
    initial = np.asarray(initial, dtype=np.float64)
    g0, p0 = float(initial @ gold), float(initial @ proxy)
    ks, gs, ps = [], [], []
    for pol in policies:
        ks.append(kl_to(pol, initial))
        gs.append(float(pol @ gold) - g0)
        ps.append(float(pol @ proxy) - p0)
    return Curve(method, np.asarray(list(strengths), dtype=np.float64), np.array(ks), np.array(gs), np.array(ps),
                 label)


def best_of_n_curve(initial: np.ndarray, gold: np.ndarray, proxy: np.ndarray, ns: Iterable[int],
                    label: str = "") -> Curve:
    """Best-of-n against ``proxy`` for each n in ``ns``: exact distributions, exact KL."""
    ns = [check_int("n", int(n), 1) for n in ns]
    return curve_from_policies("bon", ns, (best_of_n_distribution(initial, proxy, n) for n in ns),
                               initial, gold, proxy, label)


def rl_curve(initial: np.ndarray, gold: np.ndarray, proxy: np.ndarray, steps: int, record: int = 24,
             kl_coef: float = 0.0, lr: float = 0.05, mode: str = "exact", geometry: str = "natural",
             batch: int = 64, seed: int = 0, max_kl: float | None = None, normalise: bool = True,
             label: str = "") -> Curve:
    """A KL-penalised policy-gradient run against ``proxy``; the policy recorded at about
    ``2 * record`` steps spaced geometrically and linearly over ``steps`` (plus step 0). The run stops early
    once the KL exceeds ``max_kl`` (over a finite set the KL cannot pass ``log N``: near it
    the policy has collapsed onto a few responses). With ``normalise`` the learner sees the
    proxy divided by its standard deviation under the initial policy (reward normalisation, as
    RLHF practice does), so one ``lr`` suits judges of any scale; the curve reports the proxy
    itself."""
    steps = check_int("steps", steps, 1)
    record = check_int("record", record, 2)
    # geometric marks resolve the start, linear ones the strong-optimisation end
    marks = set(np.round(np.geomspace(1, steps, record)).astype(int).tolist())
    marks |= set(np.round(np.linspace(1, steps, record)).astype(int).tolist())
    reward = np.asarray(proxy, dtype=np.float64)
    if normalise:
        init = np.asarray(initial, dtype=np.float64)
        sd = float(np.sqrt(init @ (reward - init @ reward) ** 2))
        reward = reward / sd if sd > 0 else reward
    learner = KLPolicyGradient(initial, reward, kl_coef=kl_coef, lr=lr, mode=mode, geometry=geometry,
                               batch=batch, seed=seed)
    at, pols = [0], [learner.policy]
    for t in range(1, steps + 1):
        learner.step()
        if t in marks:
            at.append(t)
            pols.append(learner.policy)
            if max_kl is not None and kl_to(pols[-1], initial) > max_kl:
                break
    return curve_from_policies("rl", at, pols, initial, gold, proxy, label)


def critique_curve(initial: np.ndarray, gold: np.ndarray, proxy: np.ndarray, principle_scores: np.ndarray,
                   features: np.ndarray, rounds: int, neighbours: int = 16, label: str = "") -> Curve:
    """Critique and revise, one principle a round, for ``rounds`` rounds."""
    table = neighbour_table(features, neighbours)
    hist = critique_and_revise(initial, principle_scores, table, rounds)
    return curve_from_policies("critique", [h.round for h in hist], [h.policy for h in hist], initial, gold, proxy,
                               label)


def simulated_best_of_n_kl(rng: np.random.Generator, initial: np.ndarray, scores: np.ndarray, n: int,
                           samples: int) -> tuple[float, float]:
    """A Monte Carlo estimate of the KL of best-of-n to the initial policy, and its standard
    error: run best-of-n ``samples`` times and average ``log(p_bon(y) / p_init(y))`` over the
    kept responses ``y`` (``p_bon`` from :func:`best_of_n_distribution`)."""
    q = best_of_n_distribution(initial, scores, n)
    ys = best_of_n_sample(rng, initial, scores, n, samples)
    terms = np.log(q[ys]) - np.log(np.asarray(initial, dtype=np.float64)[ys])
    return float(terms.mean()), float(terms.std(ddof=1) / np.sqrt(samples)) if samples > 1 else float("nan")


def overoptimisation_summary(curve: Curve) -> dict[str, Any]:
    """The simulated optimum (d and gold gain at the gold peak), the gold gain at the strongest
    optimisation, the gold lost by over-optimising (peak minus last) and whether the gold curve
    turns over (lost > 1% of the peak gain, and more than 0.01)."""
    i = int(np.argmax(curve.gold))
    lost = float(curve.gold[i] - curve.gold[-1])
    return {"d_peak": float(curve.d[i]), "gold_peak": float(curve.gold[i]), "d_max": float(curve.d[-1]),
            "gold_final": float(curve.gold[-1]), "proxy_final": float(curve.proxy[-1]), "gold_lost": lost,
            "turns_over": bool(lost > max(0.01, 0.01 * abs(curve.gold[i])))}
