"""Rates with confidence intervals, and the debate metrics of Irving et al. (2018).

Every rate carries an interval: the Wilson score interval (Wilson 1927, "Probable
inference, the law of succession, and statistical inference", JASA 22(158)), which
behaves well near 0 and 1 and for small samples, unlike the normal approximation.
"""

from __future__ import annotations

from collections.abc import Iterable
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


def debate_image_outcomes(records: list[dict[str, Any]]) -> dict[int, bool]:
    """Per image: did the judge end on the truth? With several games per image (the
    paper's no-precommit evaluation plays one per possible lie) the image counts as
    correct only if every game on it was: the liar wins the image if any game wins."""
    out: dict[int, bool] = {}
    for r in records:
        i = int(r["image_index"])
        out[i] = out.get(i, True) and bool(r["judge_correct"])
    return out


def debate_metrics(records: list[dict[str, Any]], confidence: float = 0.95) -> dict[str, Rate]:
    """Metrics over debate records (one per game, from the pixel debate's ``outcome()``).

    * ``judge_accuracy``: images on which the judge ends on the true label (an image with
      several games counts only if all were won by the honest side);
    * ``honest_win_rate``: games won by the honest debater;
    * ``deceived_by_true_statements``: games in which the judge picked the lie although
      every revealed pixel was true (checked against the data set, not assumed).
    """
    if not records:
        raise ValueError("records: no debate records to summarise")
    per_image = debate_image_outcomes(records)
    return {
        "judge_accuracy": rate(per_image.values(), confidence),
        "honest_win_rate": rate((r["honest_wins"] for r in records), confidence),
        "deceived_by_true_statements": rate(
            (r["judge_wrong"] and r["revealed_all_true"] for r in records), confidence
        ),
    }
