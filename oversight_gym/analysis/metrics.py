"""Rates with confidence intervals, and the debate metrics of Irving et al. (2018).

Every rate carries an interval: the Wilson score interval (Wilson 1927, "Probable
inference, the law of succession, and statistical inference", JASA 22(158)), which
behaves well near 0 and 1 and for small samples, unlike the normal approximation.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import norm

from oversight_gym.core.errors import check_float, check_int


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval for a binomial proportion ``successes / n``."""
    n = check_int("n", n, 0)
    successes = check_int("successes", successes, 0, n)
    check_float("confidence", confidence, 0.0, 1.0)
    if n == 0:
        return (0.0, 1.0)
    z = float(norm.ppf(0.5 + confidence / 2))
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * float(np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))) / denom
    # at 0 and n successes the bound is exactly 0 (or 1); rounding must not push it past the estimate
    low = 0.0 if successes == 0 else min(p, max(0.0, centre - half))
    high = 1.0 if successes == n else max(p, min(1.0, centre + half))
    return (low, high)


@dataclass(frozen=True)
class Rate:
    """A proportion with its Wilson interval."""

    successes: int
    n: int
    confidence: float = 0.95

    @property
    def value(self) -> float:
        return self.successes / self.n if self.n else float("nan")

    @property
    def interval(self) -> tuple[float, float]:
        return wilson_interval(self.successes, self.n, self.confidence)

    def __str__(self) -> str:
        lo, hi = self.interval
        return f"{100 * self.value:.1f}% [{100 * lo:.1f}, {100 * hi:.1f}] (n={self.n})"

    def as_dict(self, prefix: str = "") -> dict[str, Any]:
        lo, hi = self.interval
        return {f"{prefix}rate": self.value, f"{prefix}low": lo, f"{prefix}high": hi, f"{prefix}n": self.n}


def rate(flags: Iterable[bool], confidence: float = 0.95) -> Rate:
    """The rate of true values among ``flags``."""
    arr = [bool(f) for f in flags]
    return Rate(sum(arr), len(arr), confidence)


def grouped_rates(records: Iterable[dict[str, Any]], by: Sequence[str], flag: str = "honest_wins",
                  confidence: float = 0.95) -> list[dict[str, Any]]:
    """One row per combination of the ``by`` fields: the rate of ``flag`` with its Wilson
    interval (``rate``, ``low``, ``high``, ``n``). Records may carry counts instead of flags:
    ``{"n": ..., flag: successes}`` rows (from the batch path) are summed."""
    counts: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for r in records:
        key = tuple(r[k] for k in by)
        if "n" in r and not isinstance(r[flag], bool):
            counts[key][0] += int(r[flag])
            counts[key][1] += int(r["n"])
        else:
            counts[key][0] += int(bool(r[flag]))
            counts[key][1] += 1
    rows = []
    for key in sorted(counts, key=lambda k: tuple((x is None, x) for x in k)):
        s, n = counts[key]
        rows.append({**dict(zip(by, key, strict=True)), **Rate(s, n, confidence).as_dict()})
    return rows


def inside(rate_row: dict[str, Any], value: float) -> bool:
    """Whether ``value`` lies in a row's interval."""
    return rate_row["low"] - 1e-12 <= value <= rate_row["high"] + 1e-12
