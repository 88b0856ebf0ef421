"""The debate tournament's meta-game: which honest debaters and which liars are in equilibrium?

A tournament (:func:`oversight_gym.runner.tournament.run_tournament`) of debate agents on
the sparse-pixel debate plays every seat assignment, honest seat against liar seat, over the
same seeded images. Its payoff table to the honest seat (+1 honest wins, -1 liar wins) is a
zero-sum meta-game whose strategies are the agents (empirical game-theoretic analysis;
Wellman 2006, Tuyls et al. 2018). :func:`analyse_meta_game` gives its equilibrium by linear
programming, checked by the regrets and cross-checked by the general-sum solver
(Lemke-Howson), its pure saddle points and the alpha-rank of the agent pairs (Omidshafiei et
al. 2019) when OpenSpiel is installed. :func:`self_play_accuracy` is the judge's accuracy
when one agent debates itself, the quantity Irving et al. (2018) report for MCTS debaters.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from oversight_gym.analysis.equilibria import Equilibrium, alpha_rank, nash_equilibria, zero_sum_equilibrium
from oversight_gym.analysis.metrics import Rate
from oversight_gym.runner.tournament import TournamentResult


@dataclass
class MetaGame:
    """The honest-vs-liar payoff table of a debate tournament and what is computed from it.

    ``payoff[i, j]`` is the mean payoff to the honest seat when agent ``i`` is honest and
    ``j`` lies, ``se`` its standard error over ``matches[i, j]`` matches; ``B`` the liar
    seat's payoffs. ``alpha_rank`` holds the top profiles ((honest, liar) -> stationary
    mass), or is None with ``alpha_rank_error`` saying why it was skipped.
    """

    labels: list[str]
    payoff: np.ndarray
    B: np.ndarray
    se: np.ndarray
    matches: np.ndarray
    equilibrium: Equilibrium
    cross_check: Equilibrium | None
    saddle_points: list[tuple[str, str]]
    alpha_rank: dict[tuple[str, str], float] | None
    alpha_rank_error: str = ""

    def support(self) -> tuple[list[str], list[str]]:
        """The agents played with positive weight at the equilibrium, honest seat and liar seat."""
        return self.equilibrium.support(self.labels, self.labels)

    def interval(self, i: int, j: int) -> tuple[float, float] | None:
        """The 95% interval of ``payoff[i, j]`` (normal approximation, 1.96 standard errors);
        None when the cell has a single match."""
        half = 1.96 * self.se[i, j]
        if not np.isfinite(half):
            return None
        return (float(self.payoff[i, j] - half), float(self.payoff[i, j] + half))


def pure_saddle_points(A: np.ndarray, labels: list[str]) -> list[tuple[str, str]]:
    """(honest, liar) cells that are at once the best honest reply to the liar and the best
    liar reply to the honest agent: the pure equilibria of the zero-sum table ``A``."""
    n = len(labels)
    return [(labels[i], labels[j]) for i in range(n) for j in range(n)
            if A[i, j] >= A[:, j].max() - 1e-12 and A[i, j] <= A[i, :].min() + 1e-12]


def analyse_meta_game(res: TournamentResult, top: int = 3) -> MetaGame:
    """The payoff table of a two-seat debate tournament, its zero-sum equilibrium (linear
    program), a Lemke-Howson cross-check, its pure saddle points, and the ``top`` profiles
    of alpha-rank (skipped, with the reason, when OpenSpiel is missing or has no unique
    stationary distribution)."""
    labels = res.labels
    A, B = res.meta_game()
    _, se = res.payoffs()
    counts = Counter(tuple(r["assignment"]) for r in res.records)
    matches = np.array([[counts[(i, j)] for j in range(len(labels))] for i in range(len(labels))])
    eq = zero_sum_equilibrium(A)
    cross = nash_equilibria(A, B, method="lemke-howson", zero_sum_lp=False)  # the general-sum path
    ranks: dict[tuple[str, str], float] | None = None
    error = ""
    try:
        pi = alpha_rank([A, B])
        profiles = [(labels[i], labels[j]) for i in range(len(labels)) for j in range(len(labels))]
        ranked = sorted(zip(pi, profiles, strict=True), key=lambda t: -t[0])[:top]
        ranks = {profile: float(p) for p, profile in ranked}
    except (ImportError, ValueError) as e:
        error = str(e)
    return MetaGame(labels, A, B, se[..., 0], matches, eq, cross[0] if cross else None,
                    pure_saddle_points(A, labels), ranks, error)


def self_play_accuracy(res: TournamentResult, k: int) -> Rate:
    """The judge's accuracy when entrant ``k`` takes both seats: the share of those matches
    the honest seat won."""
    games = [r for r in res.records if r["assignment"] == [k, k]]
    return Rate(sum(r["returns"][0] > 0 for r in games), len(games))


def find_entrant(res: TournamentResult, agent: str, **kwargs: Any) -> int | None:
    """The index of the first entrant of agent ``agent`` with these keyword arguments, or None."""
    return next((k for k, e in enumerate(res.entrants)
                 if e.agent == agent and all(e.kwargs.get(key) == v for key, v in kwargs.items())), None)


__all__ = ["MetaGame", "analyse_meta_game", "find_entrant", "pure_saddle_points", "self_play_accuracy"]
