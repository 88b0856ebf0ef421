"""Critique and revise (Bai et al. 2022, "Constitutional AI", arXiv 2212.08073, sec. 3): an AI
critic takes one principle of the constitution at a time, critiques the response by it
and revises the response to satisfy it better.

Over a finite set of responses a revision is a small edit: the critic moves a response to
whichever of its ``neighbours`` nearest responses in feature space (or itself) the judge's
score *for that one principle* rates highest. The critic sees only the principle at hand,
so a revision for one principle can change features that others (or the gold utility)
care about. The revised policy after each round is the initial policy pushed through the
composed revision maps, so its distribution and its KL to the initial policy are exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from oversight_gym.core.errors import check_int


def neighbour_table(features: np.ndarray, neighbours: int) -> np.ndarray:
    """``(N, neighbours + 1)``: each response and its nearest other responses (Euclidean)."""
    from sklearn.neighbors import NearestNeighbors

    x = np.asarray(features, dtype=np.float64)
    k = check_int("neighbours", neighbours, 1, len(x) - 1)
    nn = NearestNeighbors(n_neighbors=k + 1, algorithm="kd_tree").fit(x)
    idx = nn.kneighbors(x, return_distance=False)
    # make sure the response itself is in column 0 (duplicates could displace it)
    own = np.arange(len(x))
    idx = np.where((idx == own[:, None]).any(axis=1)[:, None], idx, np.c_[own, idx[:, :-1]])
    return idx


def revision_map(principle_scores: np.ndarray, table: np.ndarray, principle: int) -> np.ndarray:
    """Where the critic revises each response to, for one principle: the neighbour (or the
    response itself) with the highest score for that principle (the response itself wins ties)."""
    s = np.asarray(principle_scores, dtype=np.float64)[:, principle]
    cand = s[table]
    own = s[:, None]
    better = cand > own
    best = np.argmax(np.where(better, cand, -np.inf), axis=1)
    return np.where(better.any(axis=1), table[np.arange(len(table)), best], np.arange(len(table)))


@dataclass
class CritiqueRound:
    round: int
    principle: int
    policy: np.ndarray


def critique_and_revise(initial: np.ndarray, principle_scores: np.ndarray, table: np.ndarray,
                        rounds: int) -> list[CritiqueRound]:
    """The policy after 0, 1, ..., ``rounds`` rounds of critique and revision; round ``t``
    uses principle ``(t - 1) mod P``. ``principle_scores`` is ``(N, P)`` (a judge's
    :meth:`~oversight_gym.envs.feedback.model.ConstitutionJudge.principle_scores`)."""
    rounds = check_int("rounds", rounds, 0)
    ps = np.atleast_2d(np.asarray(principle_scores, dtype=np.float64))
    if ps.shape[1] == 0:
        raise ValueError("principle_scores: the constitution has no principle to critique by")
    p = np.asarray(initial, dtype=np.float64)
    maps = [revision_map(ps, table, k) for k in range(ps.shape[1])]
    out = [CritiqueRound(0, -1, p.copy())]
    for t in range(1, rounds + 1):
        k = (t - 1) % ps.shape[1]
        p = np.bincount(maps[k], weights=p, minlength=len(p))
        out.append(CritiqueRound(t, k, p))
    return out
