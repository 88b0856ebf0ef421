"""Performance gap recovered (PGR), the metric of Burns et al. 2023 ("Weak-to-strong
generalization", arXiv 2312.09390, section 3):

    PGR = (weak-to-strong performance - weak performance) / (strong ceiling - weak performance)

PGR is 1 when the student trained on weak labels matches the strong ceiling (the student
trained on ground truth) and 0 when it does no better than its supervisor. It is defined
only when the weak supervisor is weaker than the ceiling (otherwise there is no gap to
recover and PGR is reported as *undefined*, never as a number); pairs whose mean gap is
positive but below ``min_gap`` are excluded, as the paper excludes them, and reported as such.

Over seeds we report the PGR of the mean accuracies (a ratio of means, which is stable
when a single seed's gap is small) and a percentile bootstrap interval: seeds are
resampled with replacement and the ratio recomputed; resamples whose gap is not positive
are dropped (their count is returned).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from oversight_gym.core.errors import check_float, check_int


def pgr(weak: float, student: float, ceiling: float) -> float:
    """Performance gap recovered; ``nan`` when the ceiling is not above the weak supervisor."""
    gap = float(ceiling) - float(weak)
    if not gap > 0:
        return float("nan")
    return (float(student) - float(weak)) / gap


@dataclass(frozen=True)
class PGREstimate:
    """PGR over seeds: the point estimate (ratio of mean accuracies), a bootstrap interval,
    the mean accuracies, and whether the pair is excluded (weak not weaker)."""

    value: float
    low: float
    high: float
    n_seeds: int
    weak: float
    student: float
    ceiling: float
    excluded: bool
    dropped_resamples: int = 0

    @property
    def gap(self) -> float:
        return self.ceiling - self.weak

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def undefined(self) -> bool:
        """No gap to recover: the ceiling is not above the weak supervisor (PGR is not a number)."""
        return not self.gap > 0

    def __str__(self) -> str:
        if self.undefined:
            return f"undefined (no gap: {100 * self.gap:+.1f} points)"
        if self.excluded:
            return f"excluded (gap {100 * self.gap:+.1f} points)"
        return f"{100 * self.value:.0f}% [{100 * self.low:.0f}, {100 * self.high:.0f}]"


def pgr_bootstrap(weak: Sequence[float], student: Sequence[float], ceiling: Sequence[float],
                  n_boot: int = 2000, confidence: float = 0.95, seed: int = 0,
                  min_gap: float = 0.01) -> PGREstimate:
    """PGR of per-seed accuracies with a percentile bootstrap interval over seeds.

    The pair is ``excluded`` (value and interval ``nan``) when the mean ceiling is not at
    least ``min_gap`` above the mean weak accuracy."""
    w, s, c = (np.asarray(a, dtype=np.float64) for a in (weak, student, ceiling))
    if not (w.shape == s.shape == c.shape) or w.ndim != 1 or len(w) == 0:
        raise ValueError(f"weak, student, ceiling must be equal-length non-empty 1-d sequences, "
                         f"got shapes {w.shape}, {s.shape}, {c.shape}")
    n_boot = check_int("n_boot", n_boot, 1)
    check_float("confidence", confidence, 0.0, 1.0)
    check_float("min_gap", min_gap, 0.0)
    mw, ms, mc = float(w.mean()), float(s.mean()), float(c.mean())
    nan = float("nan")
    if not mc - mw >= min_gap or mc - mw <= 0:
        return PGREstimate(nan, nan, nan, len(w), mw, ms, mc, excluded=True)
    value = (ms - mw) / (mc - mw)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(w), size=(n_boot, len(w)))
    bw, bs, bc = w[idx].mean(axis=1), s[idx].mean(axis=1), c[idx].mean(axis=1)
    gap = bc - bw
    ok = gap > 0
    ratios = (bs[ok] - bw[ok]) / gap[ok]
    if len(ratios) == 0:
        return PGREstimate(value, nan, nan, len(w), mw, ms, mc, excluded=False, dropped_resamples=n_boot)
    tail = (1 - confidence) / 2
    low, high = np.quantile(ratios, [tail, 1 - tail])
    return PGREstimate(value, float(low), float(high), len(w), mw, ms, mc, excluded=False,
                       dropped_resamples=int(n_boot - ok.sum()))


def group_records(records: Iterable[dict[str, Any]], keys: Sequence[str]) -> dict[tuple, list[dict[str, Any]]]:
    """Records grouped by the values of ``keys``, each group sorted by seed."""
    out: dict[tuple, list[dict[str, Any]]] = {}
    for r in records:
        out.setdefault(tuple(r[k] for k in keys), []).append(r)
    return {k: sorted(v, key=lambda r: r["seed"]) for k, v in sorted(out.items(), key=lambda kv: str(kv[0]))}


def pgr_by_group(records: Iterable[dict[str, Any]], keys: Sequence[str] = ("task", "weak", "strong", "method"),
                 **kwargs: Any) -> dict[tuple, PGREstimate]:
    """A :class:`PGREstimate` per group of weak-to-strong records (fields ``weak_acc``,
    ``student_acc``, ``ceiling_acc``, one record per seed); ``kwargs`` go to
    :func:`pgr_bootstrap`."""
    return {k: pgr_bootstrap([r["weak_acc"] for r in g], [r["student_acc"] for r in g],
                             [r["ceiling_acc"] for r in g], **kwargs)
            for k, g in group_records(records, keys).items()}


def median_pgr(estimates: Iterable[PGREstimate]) -> float:
    """The median PGR over the pairs that are not excluded (``nan`` if none)."""
    vals = [e.value for e in estimates if not e.excluded]
    return float(np.median(vals)) if vals else float("nan")


@dataclass(frozen=True)
class PairedDifference:
    """Mean over pairs of ``PGR(method_b) - PGR(method_a)``, with a bootstrap interval that
    resamples seeds jointly for both methods (they share seeds, splits and supervisors)."""

    value: float
    low: float
    high: float
    n_pairs: int
    n_seeds: int

    @property
    def measurable(self) -> bool:
        """Whether the interval excludes zero."""
        return self.n_pairs > 0 and (self.low > 0 or self.high < 0)


def paired_pgr_difference(records: Iterable[dict[str, Any]], method_a: str, method_b: str,
                          pair_keys: Sequence[str] = ("task", "weak", "strong"), n_boot: int = 2000,
                          confidence: float = 0.95, seed: int = 0, min_gap: float = 0.01) -> PairedDifference:
    """How much ``method_b`` changes PGR against ``method_a`` over the pairs both were run on
    (pairs excluded by :func:`pgr_bootstrap`'s ``min_gap`` are left out). Only seeds that
    every pair has for both methods are used, so the resampling is paired."""
    n_boot = check_int("n_boot", n_boot, 1)
    check_float("confidence", confidence, 0.0, 1.0)
    groups = group_records(records, [*pair_keys, "method"])
    pairs = sorted({k[:-1] for k in groups if k[-1] in (method_a, method_b)}, key=str)
    arrays = []
    seeds: set[int] | None = None
    for p in pairs:
        a, b = groups.get((*p, method_a)), groups.get((*p, method_b))
        if not a or not b:
            continue
        sa = {r["seed"]: r for r in a}
        sb = {r["seed"]: r for r in b}
        common = set(sa) & set(sb)
        seeds = common if seeds is None else seeds & common
        arrays.append((sa, sb))
    if not arrays or not seeds:
        nan = float("nan")
        return PairedDifference(nan, nan, nan, 0, 0)
    order = sorted(seeds)
    mats = []  # per pair: (weak, ceiling, student_a, student_b) x seeds
    for sa, sb in arrays:
        w = np.array([sa[s]["weak_acc"] for s in order])
        c = np.array([sa[s]["ceiling_acc"] for s in order])
        if not c.mean() - w.mean() >= max(min_gap, 1e-12):
            continue
        mats.append(np.stack([w, c, [sa[s]["student_acc"] for s in order], [sb[s]["student_acc"] for s in order]]))
    if not mats:
        nan = float("nan")
        return PairedDifference(nan, nan, nan, 0, len(order))
    m = np.stack(mats)  # pairs x 4 x seeds

    def diff(means: np.ndarray) -> np.ndarray:  # means: ... x pairs x 4
        gap = means[..., 1] - means[..., 0]
        with np.errstate(divide="ignore", invalid="ignore"):
            d = (means[..., 3] - means[..., 2]) / np.where(gap > 0, gap, np.nan)
        return np.nanmean(d, axis=-1) if d.ndim > 1 else float(np.nanmean(d))

    value = float(diff(m.mean(axis=2)))
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(order), size=(n_boot, len(order)))
    boot = np.stack([m[:, :, i].mean(axis=2) for i in idx])  # n_boot x pairs x 4
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a resample where every gap closed
        vals = diff(boot)
    vals = vals[np.isfinite(vals)]
    tail = (1 - confidence) / 2
    low, high = (np.quantile(vals, [tail, 1 - tail]) if len(vals) else (float("nan"), float("nan")))
    return PairedDifference(value, float(low), float(high), len(mats), len(order))
