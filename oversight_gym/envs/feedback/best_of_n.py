"""Best-of-n sampling against a proxy judge (Nakano et al. 2021, arXiv 2112.09332; Gao,
Schulman, Hilton 2022, arXiv 2210.10760, sec. 2).

Draw ``n`` responses from the initial policy, keep the one the judge scores highest. Over
a finite set of responses the distribution of the kept response is exact: sort the
responses by score; the best of ``n`` independent draws lands in the group of responses
tied at a score ``s`` with probability ``F(s)^n - F(s-)^n``, where ``F`` is the initial
policy's distribution function of the score, and ties are broken uniformly among the
tied draws, so within a group the mass splits in proportion to the initial policy.

With continuous scores (no ties) the KL of the best-of-n policy to the initial one is
``log n - (n - 1) / n`` whatever the score (Stiennon et al. 2020, appendix; Gao et al.
2022, eq. 1): :func:`best_of_n_kl_closed_form`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from oversight_gym.agents.base import BaseAgent
from oversight_gym.core.errors import check_int
from oversight_gym.core.protocols import Classifier


def _check_policy(initial: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p = np.asarray(initial, dtype=np.float64)
    s = np.asarray(scores, dtype=np.float64)
    if p.ndim != 1 or s.shape != p.shape:
        raise ValueError(f"initial and scores must be vectors of one length, got shapes {p.shape} and {s.shape}")
    if np.any(p < 0) or abs(p.sum() - 1.0) > 1e-9:
        raise ValueError("initial must be a probability vector (non-negative, summing to 1)")
    if not np.all(np.isfinite(s)):
        raise ValueError("scores must be finite")
    return p, s


def best_of_n_kl_closed_form(n: int | np.ndarray) -> np.ndarray | float:
    """``log n - (n - 1) / n``: the KL of best-of-n to the initial policy for continuous scores."""
    n_arr = np.asarray(n, dtype=np.float64)
    if np.any(n_arr < 1):
        raise ValueError(f"n must be >= 1, got {n!r}")
    out = np.log(n_arr) - (n_arr - 1.0) / n_arr
    return float(out) if np.ndim(out) == 0 else out


def best_of_n_distribution(initial: np.ndarray, scores: np.ndarray, n: int) -> np.ndarray:
    """The exact distribution of the response best-of-``n`` returns (ties broken at random)."""
    n = check_int("n", n, 1)
    p, s = _check_policy(initial, scores)
    order = np.argsort(s, kind="stable")
    s_sorted, p_sorted = s[order], p[order]
    # groups of equal scores
    starts = np.flatnonzero(np.r_[True, s_sorted[1:] != s_sorted[:-1]])
    group_mass = np.add.reduceat(p_sorted, starts)
    cdf = np.minimum(np.cumsum(group_mass), 1.0)
    below = np.r_[0.0, cdf[:-1]]
    group_best = cdf**n - below**n
    group_of = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(s)]))
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(group_mass[group_of] > 0, p_sorted / group_mass[group_of], 0.0)
    out = np.empty_like(p)
    out[order] = group_best[group_of] * share
    return out


def best_of_n_sample(rng: np.random.Generator, initial: np.ndarray, scores: np.ndarray, n: int,
                     size: int) -> np.ndarray:
    """``size`` independent runs of best-of-``n``: the indices of the kept responses."""
    n = check_int("n", n, 1)
    size = check_int("size", size, 1)
    p, s = _check_policy(initial, scores)
    draws = rng.choice(len(p), size=(size, n), p=p)
    # dense ranks make ties exact; a uniform key in [0, 1) breaks ties among the best at random
    _, dense = np.unique(s, return_inverse=True)
    key = dense[draws] + rng.random((size, n))
    return draws[np.arange(size), np.argmax(key, axis=1)]


class BestOfNAgent(BaseAgent):
    """Best-of-n in ``feedback/constitutional-v0``: of the first ``n`` candidates on offer
    (independent draws of the initial policy) pick the one ``score_fn`` rates highest.

    ``score_fn`` maps an ``(n, num_features)`` array of candidate features to scores (e.g.
    ``judge.scores``); ``num_features`` is the candidates' feature count in the observation,
    which starts with the candidates' features, row by row. ``n = 1`` always plays the
    first candidate: the initial policy itself (and needs no ``score_fn``). It plays the
    ``feedback/`` games only (``games``).
    """

    name = "best-of-n"
    description = "keeps the best of n candidates under a proxy judge"
    classifier = Classifier(honest=True, deterministic=True, uses_search=True)

    games: ClassVar[tuple[str, ...] | None] = ("feedback/",)

    def __init__(self, score_fn: Callable[[np.ndarray], np.ndarray] | None = None, n: int = 1,
                 num_features: int = 4, seed: int | None = None) -> None:
        super().__init__(seed)
        self.n = check_int("n", n, 1)
        if score_fn is None and self.n > 1:
            raise ValueError(f"score_fn: best-of-{self.n} needs a judge to rank candidates (None only for n=1)")
        if score_fn is not None and not callable(score_fn):
            raise ValueError(f"score_fn must be callable, got {score_fn!r}")
        self.score_fn = score_fn
        self.num_features = check_int("num_features", num_features, 1)

    def act(self, observation: Any, action_mask: np.ndarray, state: Any = None) -> int:
        obs = observation["observation"] if isinstance(observation, dict) else observation
        legal = np.flatnonzero(action_mask)
        if len(legal) < self.n:
            raise ValueError(f"n={self.n} but only {len(legal)} candidates are on offer")
        cands = legal[: self.n]
        if self.score_fn is None:
            return int(cands[0])
        feats = np.asarray(obs, dtype=np.float64)[: (int(cands.max()) + 1) * self.num_features]
        feats = feats.reshape(-1, self.num_features)[cands]
        return int(cands[int(np.argmax(self.score_fn(feats)))])
