"""Equilibria of small normal-form games, and the meta-games of agent populations.

Empirical game-theoretic analysis (Wellman 2006; Tuyls et al. 2018) treats a tournament's
payoff table as a normal-form *meta-game* whose strategies are agents, and asks which
mixtures of agents are in equilibrium. This module finds

* the equilibrium of a two-player zero-sum game by linear programming (von Neumann's
  minimax theorem; both players' strategies and the value), and
* equilibria of a general-sum bimatrix game with nashpy (Knight & Campbell 2018): the
  Lemke-Howson path from every starting label, or support enumeration for small games.

nashpy's own ``is_best_response`` uses exact float equality, so every equilibrium
returned here is instead checked by its *regret*, the most a player gains by deviating,
against a tolerance. ``nash_conv`` is the sum of the players' regrets (Lanctot et al.
2017); for a zero-sum game half of it is the exploitability of the strategy pair.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TOL = 1e-6


def _matrix(name: str, m: object) -> np.ndarray:
    a = np.asarray(m, dtype=float)
    if a.ndim != 2 or 0 in a.shape:
        raise ValueError(f"{name} must be a non-empty 2-D payoff matrix, got shape {a.shape}")
    if not np.isfinite(a).all():
        raise ValueError(f"{name} must hold finite payoffs")
    return a


def _distribution(name: str, p: object, n: int) -> np.ndarray:
    x = np.asarray(p, dtype=float)
    if x.shape != (n,) or (x < -1e-9).any() or abs(x.sum() - 1.0) > 1e-6:
        raise ValueError(f"{name} must be a probability vector of length {n}, got {p!r}")
    return x


def regret(A: object, B: object, x: object, y: object) -> tuple[float, float]:
    """How much the row and the column player gain by their best deviation from (x, y).

    >>> regret([[1, -1], [-1, 1]], [[-1, 1], [1, -1]], [0.5, 0.5], [0.5, 0.5])
    (0.0, 0.0)
    """
    A, B = _matrix("A", A), _matrix("B", B)
    if A.shape != B.shape:
        raise ValueError(f"A and B must have the same shape, got {A.shape} and {B.shape}")
    x, y = _distribution("x", x, A.shape[0]), _distribution("y", y, A.shape[1])
    row = A @ y
    col = x @ B
    return float(max(row.max() - x @ row, 0.0)), float(max(col.max() - col @ y, 0.0))


def nash_conv(A: object, B: object, x: object, y: object) -> float:
    """Sum of both players' regrets: 0 exactly at a Nash equilibrium."""
    return float(sum(regret(A, B, x, y)))


@dataclass(frozen=True)
class Equilibrium:
    """A mixed-strategy profile with its payoffs and regrets."""

    row: np.ndarray
    col: np.ndarray
    row_value: float
    col_value: float
    row_regret: float
    col_regret: float

    @property
    def nash_conv(self) -> float:
        return self.row_regret + self.col_regret

    def support(self, labels_row: list[str] | None = None, labels_col: list[str] | None = None,
                tol: float = 1e-6) -> tuple[list, list]:
        """The strategies played with positive probability (their labels if given)."""
        r = [i for i, p in enumerate(self.row) if p > tol]
        c = [j for j, p in enumerate(self.col) if p > tol]
        return ([labels_row[i] for i in r] if labels_row else r, [labels_col[j] for j in c] if labels_col else c)


def _make(A: np.ndarray, B: np.ndarray, x: np.ndarray, y: np.ndarray) -> Equilibrium:
    x = np.clip(x, 0, None)
    y = np.clip(y, 0, None)
    x, y = x / x.sum(), y / y.sum()
    r1, r2 = regret(A, B, x, y)
    return Equilibrium(x, y, float(x @ A @ y), float(x @ B @ y), r1, r2)


def zero_sum_equilibrium(A: object) -> Equilibrium:
    """The maximin strategies of a two-player zero-sum game (row gets ``A``, column ``-A``)
    by linear programming.

    >>> eq = zero_sum_equilibrium([[0, -1, 1], [1, 0, -1], [-1, 1, 0]])  # rock-paper-scissors
    >>> np.round(eq.row, 3).tolist(), round(eq.row_value, 9) + 0.0
    ([0.333, 0.333, 0.333], 0.0)
    """
    from scipy.optimize import linprog

    A = _matrix("A", A)
    m, n = A.shape

    def maximin(M: np.ndarray) -> np.ndarray:
        # variables (p_1..p_r, v): maximise v s.t. M^T p >= v, sum p = 1, p >= 0
        r, c = M.shape
        cost = np.zeros(r + 1)
        cost[-1] = -1.0
        a_ub = np.hstack([-M.T, np.ones((c, 1))])
        a_eq = np.hstack([np.ones((1, r)), np.zeros((1, 1))])
        res = linprog(cost, A_ub=a_ub, b_ub=np.zeros(c), A_eq=a_eq, b_eq=[1.0],
                      bounds=[(0, None)] * r + [(None, None)], method="highs")
        if not res.success:  # pragma: no cover - a bounded feasible LP always solves
            raise RuntimeError(f"linear program failed: {res.message}")
        return res.x[:r]

    return _make(A, -A, maximin(A), maximin(-A.T))


def nash_equilibria(A: object, B: object, method: str = "lemke-howson", tol: float = TOL,
                    zero_sum_lp: bool = True) -> list[Equilibrium]:
    """Distinct Nash equilibria of the bimatrix game (A, B), each with regret at most ``tol``
    for both players. ``method``: ``"lemke-howson"`` (one equilibrium per starting label;
    fast, may miss some), ``"support"`` (support enumeration: all equilibria of a
    nondegenerate game, exponential in the size) or ``"vertex"`` (vertex enumeration).
    A zero-sum game (B = -A) is solved by linear programming instead, unless
    ``zero_sum_lp`` is false (a cross-check)."""
    import warnings

    import nashpy

    A, B = _matrix("A", A), _matrix("B", B)
    if A.shape != B.shape:
        raise ValueError(f"A and B must have the same shape, got {A.shape} and {B.shape}")
    methods = ("lemke-howson", "support", "vertex")
    if method not in methods:
        raise ValueError(f"method must be one of {list(methods)}, got {method!r}")
    if zero_sum_lp and np.allclose(A, -B):
        return [zero_sum_equilibrium(A)]
    game = nashpy.Game(A, B)
    found: list[Equilibrium] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nashpy warns on degenerate games; regrets decide below
        if method == "lemke-howson":
            candidates = []
            for label in range(sum(A.shape)):
                try:
                    candidates.append(_lemke_howson(A, B, label))
                except Exception:  # noqa: BLE001 - a degenerate pivot or a cycle: try the next label
                    continue
        elif method == "support":
            candidates = list(game.support_enumeration(tol=tol))
        else:
            candidates = list(game.vertex_enumeration())
    for x, y in candidates:
        x, y = np.asarray(x, float), np.asarray(y, float)
        if x.shape != (A.shape[0],) or not np.isfinite(x).all() or not np.isfinite(y).all() or x.sum() <= 0:
            continue
        eq = _make(A, B, x, y)
        if eq.nash_conv <= tol and not any(np.allclose(eq.row, e.row, atol=1e-6) and
                                           np.allclose(eq.col, e.col, atol=1e-6) for e in found):
            found.append(eq)
    return found


def _lemke_howson(A: np.ndarray, B: np.ndarray, label: int, max_pivots: int | None = None) -> tuple:
    """Lemke-Howson from the artificial equilibrium, dropping ``label`` first (Nisan et al. 2007,
    "Algorithmic Game Theory", algorithm 3.6), on nashpy's lexicographic integer-pivoting
    tableaux. nashpy's own loop has no bound and can cycle forever on some degenerate games;
    here a path longer than ``max_pivots`` (default ``50 (m + n)``) raises ``RuntimeError``."""
    from itertools import cycle

    from nashpy.linalg import create_col_tableau, create_row_tableau

    col, row = create_col_tableau(A, True), create_row_tableau(B, True)
    tableaux = cycle((row, col) if label in row.non_basic_variables else (col, row))
    bound = max_pivots if max_pivots is not None else 50 * sum(A.shape)
    entering = label
    for _ in range(bound):
        entering = next(tableaux).pivot_and_drop_label(entering)
        if col.non_basic_variables | row.non_basic_variables == col.labels:
            return row.to_strategy(col.non_basic_variables), col.to_strategy(row.non_basic_variables)
    raise RuntimeError(f"Lemke-Howson from label {label} did not end within {bound} pivots (a degenerate game)")


def symmetric_zero_sum_equilibrium(M: object) -> Equilibrium:
    """For a symmetric zero-sum meta-game (M = -M^T: agent i's mean payoff against j,
    averaged over the roles), the equilibrium mixture of agents, which both players play."""
    M = _matrix("M", M)
    if M.shape[0] != M.shape[1] or not np.allclose(M, -M.T, atol=1e-9):
        raise ValueError("M must be square and antisymmetric (M = -M^T) for a symmetric zero-sum meta-game")
    return zero_sum_equilibrium(M)


def alpha_rank(payoffs: list[np.ndarray], alpha: float = 10.0) -> np.ndarray:
    """The alpha-rank stationary distribution over strategy profiles (Omidshafiei et al.
    2019), computed with OpenSpiel when it is installed. ``payoffs``: one matrix per
    player (use a single matrix for a symmetric single-population game)."""
    try:
        from open_spiel.python.egt import alpharank
    except ImportError:
        raise ImportError("alpha_rank needs OpenSpiel: pip install open-spiel") from None
    mats = [_matrix(f"payoffs[{i}]", p) for i, p in enumerate(payoffs)]
    try:
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            _, _, pi, _, _ = alpharank.compute(mats, alpha=alpha)
    except ValueError as e:  # e.g. several absorbing profiles at this alpha
        raise ValueError(f"alpha-rank has no unique stationary distribution at alpha={alpha}: {e}") from None
    return np.asarray(pi)
