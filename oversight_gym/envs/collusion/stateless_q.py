"""Stateless (memoryless) Q-learning in a repeated winner-take-all stage game: a batch engine
over many independent sessions, with a readable single-session reference.

Each of n players keeps one value per action, ``Q_i(b)``, and no state. Every period:

* player i explores with probability ``eps_t = eps0 * exp(-eps_decay * t)`` (t = 0, 1, ...),
  playing an action drawn uniformly, and otherwise plays its greedy action (the first
  maximiser of ``Q_i``; ``eps0 = 0`` means greedy play, exploring only through optimistic
  initial values); once ``eps_t`` falls below :data:`EPS_OFF` exploration stops for good;
* the stage game, given as tables over joint actions j (``prize[i, j]``, i's payoff if it
  wins, and ``share[i, j]``, its chance of winning), pays ``share * prize`` when ties are
  split, or the whole prize to one winner drawn by a fair lottery when ``random_ties``;
* **asynchronous** updating (the default, Banchio and Skrzypacz 2022) changes only the action
  played: ``Q_i(b) <- (1 - alpha) Q_i(b) + alpha (r_i + gamma max Q_i)``;
  **synchronous** updating (the paper's "feedback" variant; Asker, Fershtman and Pakes 2022)
  changes every action ``b`` against the others' realised actions, with the payoff
  ``b`` would have earned (ties split).

``Q`` starts at ``q0`` for every action, or, if ``q0_high`` is given, at values drawn
uniformly from ``[q0, q0_high)`` (Asker et al.'s optimistic U[10, 20]). A session runs
``periods`` periods; it has *converged* when no player's greedy action has changed over its
last ``window`` periods (Banchio and Skrzypacz: 1,000).

Randomness: session ``i`` under master seed ``seed`` draws from its own SplitMix64 stream
(the one :mod:`oversight_gym.envs.collusion.calvano` uses), so a session's result depends only
on (configuration, seed, i). Draws, in order: the initial values (if drawn, player by player,
action by action); then each period, per player, one uniform while exploration lasts and a
second if it explores; then one uniform for the lottery if ``random_ties`` and the top is tied.
:func:`reference_session` is the same algorithm in plain Python; tests check that the
compiled engine reproduces it exactly.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from numba import njit, prange

from oversight_gym.analysis.detection import frozen_rivals
from oversight_gym.core.errors import check_float, check_int
from oversight_gym.core.numba_cache import drop_stale_caches
from oversight_gym.core.params import LEARNING_RATE
from oversight_gym.envs.collusion import calvano
from oversight_gym.envs.collusion.calvano import _GAMMA, SplitMix64, _uniform, session_keys

#: exploration stops once ``eps_t`` falls below this (no more exploration draws): over even 10^9
#: further periods the chance that it would still have acted is below 10^-6
EPS_OFF = 1e-15


@dataclass(frozen=True)
class Learning:
    """The learners' parameters (defaults: Banchio and Skrzypacz 2022, except ``q0``, which the
    paper does not publish: see :mod:`oversight_gym.envs.collusion.auction_runs`)."""

    alpha: float = 0.05
    gamma: float = 0.99
    eps0: float = 0.025
    eps_decay: float = 2e-4
    periods: int = 1_000_000
    window: int = 1000
    q0: float = 0.0
    q0_high: float | None = None
    synchronous: bool = False

    def __post_init__(self) -> None:
        LEARNING_RATE.check("alpha (the learning rate)", check_float("alpha", self.alpha))
        gamma = check_float("gamma", self.gamma)
        if not 0.0 <= gamma < 1.0:
            raise ValueError(f"gamma (the discount factor) must be in [0, 1), got {self.gamma!r}")
        eps0 = check_float("eps0", self.eps0)
        if not 0.0 <= eps0 <= 1.0:
            raise ValueError(f"eps0 (the initial exploration rate) must be in [0, 1], got {self.eps0!r}")
        if check_float("eps_decay", self.eps_decay) < 0.0:
            raise ValueError(f"eps_decay must be >= 0, got {self.eps_decay!r}")
        check_int("periods", self.periods, 1)
        check_int("window", self.window, 1)
        check_float("q0", self.q0)
        if self.q0_high is not None and check_float("q0_high", self.q0_high) <= self.q0:
            raise ValueError(f"q0_high must be above q0 (initial values drawn from [q0, q0_high)) or None "
                             f"(every value q0), got q0={self.q0!r}, q0_high={self.q0_high!r}")
        if not isinstance(self.synchronous, bool | np.bool_):
            raise ValueError(f"synchronous must be True or False, got {self.synchronous!r}")

    @property
    def q0_range(self) -> tuple[float, float]:
        """``(low, high)`` of the initial values (equal: no draw)."""
        return float(self.q0), float(self.q0 if self.q0_high is None else self.q0_high)


# --- the compiled engine ------------------------------------------------------------------

@njit(cache=True, nogil=True)
def _session(prize, share, n, k, alpha, gamma, eps0, eps_decay, periods, window, q0_low, q0_high, synchronous,
             random_ties, key, q_given, fixed, greedy_out, q_out):
    """One session; writes the final greedy actions into ``greedy_out`` and the final values into
    ``q_out``, and returns the number of periods since a greedy action last changed. The values
    start at ``q_given`` (n, k) if it has rows (no draws), else at ``q0`` or its draws; a player
    with ``fixed[i] >= 0`` plays that action and neither explores nor learns."""
    q = np.empty((n, k))
    rng = key
    for i in range(n):
        for b in range(k):
            if q_given.shape[0] > 0:
                q[i, b] = q_given[i, b]
            elif q0_high > q0_low:
                rng += _GAMMA
                q[i, b] = q0_low + (q0_high - q0_low) * _uniform(rng)
            else:
                q[i, b] = q0_low
    greedy = np.empty(n, dtype=np.int64)
    for i in range(n):
        best = 0
        for b in range(1, k):
            if q[i, b] > q[i, best]:
                best = b
        greedy[i] = best if fixed[i] < 0 else fixed[i]
    acts = np.empty(n, dtype=np.int64)
    reward = np.empty(n)
    place = np.empty(n, dtype=np.int64)
    p = 1
    for i in range(n):
        place[i] = p
        p *= k
    stable = 0
    exploring = eps0 > 0.0
    for t in range(periods):
        eps = eps0 * math.exp(-eps_decay * t) if exploring else 0.0
        if exploring and eps < EPS_OFF:
            exploring = False
        for i in range(n):
            acts[i] = greedy[i]
            if exploring and fixed[i] < 0:
                rng += _GAMMA
                if _uniform(rng) < eps:
                    rng += _GAMMA
                    acts[i] = int(_uniform(rng) * k)
        j = 0
        for i in range(n):
            j += acts[i] * place[i]
        tied = 0
        for i in range(n):
            if share[i, j] > 0.0:
                tied += 1
        if random_ties and tied > 1:
            rng += _GAMMA
            u = _uniform(rng) * tied
            pick = int(u)
            seen = 0
            for i in range(n):
                reward[i] = 0.0
                if share[i, j] > 0.0:
                    if seen == pick:
                        reward[i] = prize[i, j]
                    seen += 1
        else:
            for i in range(n):
                reward[i] = share[i, j] * prize[i, j]
        changed = False
        for i in range(n):
            if fixed[i] >= 0:
                continue
            g = greedy[i]
            vmax = q[i, g]
            if synchronous:  # every bid moves: one pass updates them and finds the new greedy bid
                base = j - acts[i] * place[i]
                best = 0
                for b in range(k):
                    jb = base + b * place[i]
                    r = reward[i] if b == acts[i] else share[i, jb] * prize[i, jb]
                    q[i, b] = (1.0 - alpha) * q[i, b] + alpha * (r + gamma * vmax)
                    if q[i, b] > q[i, best]:
                        best = b
            else:  # one bid moves: the greedy bid changes only through it
                b = acts[i]
                old = q[i, b]
                new = (1.0 - alpha) * old + alpha * (reward[i] + gamma * vmax)
                q[i, b] = new
                best = g
                if b == g:
                    if new < old:
                        best = 0
                        for c in range(1, k):
                            if q[i, c] > q[i, best]:
                                best = c
                elif new > vmax or (new == vmax and b < g):
                    best = b
            if best != g:
                greedy[i] = best
                changed = True
        stable = 0 if changed else stable + 1
    for i in range(n):
        greedy_out[i] = greedy[i]
    q_out[:] = q
    return stable


@njit(cache=True, parallel=True)
def _batch(prize, share, n, k, alpha, gamma, eps0, eps_decay, periods, window, q0_low, q0_high, synchronous,
           random_ties, keys, q_given, fixed, stable, greedy, q_out):
    for s in prange(keys.shape[0]):
        stable[s] = _session(prize, share, n, k, alpha, gamma, eps0, eps_decay, periods, window, q0_low, q0_high,
                             synchronous, random_ties, keys[s], q_given[s], fixed[s], greedy[s], q_out[s])


def _check_tables(prize: np.ndarray, share: np.ndarray) -> tuple[np.ndarray, np.ndarray, int, int]:
    prize = np.ascontiguousarray(prize, dtype=np.float64)
    share = np.ascontiguousarray(share, dtype=np.float64)
    if prize.ndim != 2 or prize.shape != share.shape:
        raise ValueError(f"prize and share must be tables of the same shape (players, joint actions), "
                         f"got {prize.shape} and {share.shape}")
    n = prize.shape[0]
    k = round(prize.shape[1] ** (1.0 / n))
    if k**n != prize.shape[1]:
        raise ValueError(f"the tables' {prize.shape[1]} joint actions are not actions^players for {n} players")
    return prize, share, n, k


# the engine inlines the random-number functions of the Calvano engine: its cache follows their source
drop_stale_caches("stateless_q", [_session, _batch], [calvano._mix, calvano._uniform])


def run_sessions(prize: np.ndarray, share: np.ndarray, learning: Learning, sessions: int | range,
                 seed: int = 0, random_ties: bool = False, *, fixed: np.ndarray | None = None,
                 q_start: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Sessions (a count, or a range of session ids) of stateless Q-learning on the stage game
    (``prize``, ``share``): per session ``converged``, ``stable`` (periods since a greedy action
    last changed), ``actions`` (the final greedy actions, shape (sessions, players)) and ``q``
    (the final values, (sessions, players, actions)).

    ``fixed`` (sessions, players): where not -1, that player plays this action throughout and
    neither explores nor learns (a frozen rival). ``q_start`` (sessions, players, actions): the
    values to start from instead of ``q0`` (no initial draws).
    """
    prize, share, n, k = _check_tables(prize, share)
    ids = range(check_int("sessions", sessions, 1)) if isinstance(sessions, int) else sessions
    if len(ids) == 0:
        raise ValueError("sessions: no session ids given")
    size = len(ids)
    keys = session_keys(seed, ids.start, ids.stop)
    fixed = np.full((size, n), -1, dtype=np.int64) if fixed is None else np.asarray(fixed, dtype=np.int64)
    if fixed.shape != (size, n) or (fixed >= k).any():
        raise ValueError(f"fixed must have shape (sessions, players) = ({size}, {n}) with actions below {k} "
                         f"(or -1: learns), got shape {fixed.shape}")
    if q_start is None:
        q_given = np.zeros((size, 0, k))
    else:
        q_given = np.ascontiguousarray(q_start, dtype=np.float64)
        if q_given.shape != (size, n, k):
            raise ValueError(f"q_start must have shape (sessions, players, actions) = ({size}, {n}, {k}), "
                             f"got {q_given.shape}")
    stable = np.zeros(size, dtype=np.int64)
    greedy = np.zeros((size, n), dtype=np.int64)
    q_out = np.zeros((size, n, k))
    lr = learning
    _batch(prize, share, n, k, lr.alpha, lr.gamma, lr.eps0, lr.eps_decay, lr.periods, lr.window, *lr.q0_range,
           bool(lr.synchronous), bool(random_ties), keys, q_given, fixed, stable, greedy, q_out)
    return {"converged": stable >= lr.window, "stable": stable, "actions": greedy, "q": q_out}


def retrain_sessions(prize: np.ndarray, share: np.ndarray, learning: Learning, actions: np.ndarray, learner: int = 0,
                     seed: int = 0, random_ties: bool = False, *, start: str = "fresh",
                     q: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Retrain one player against rivals frozen at their learned actions (Courthoud 2021).

    ``actions`` (B, players) are converged sessions' greedy actions. Player ``learner`` learns
    again under ``learning`` (its exploration schedule restarts at ``eps0``) while every other
    player keeps its action without exploring or learning; retraining b is session b of master
    ``seed``. Its values start ``"fresh"`` (default: ``learning``'s ``q0`` or draws) or at its
    ``"learned"`` values ``q`` (B, players, actions: :func:`run_sessions`'s ``q``).

    What it tests: whether the learner's action is a best response to the rivals' (a stateless
    rival cannot punish, so the learner converges to a best response to a fixed action when it
    explores enough).
    """
    prize, share, n, k = _check_tables(prize, share)
    actions = np.asarray(actions, dtype=np.int64)
    if actions.ndim != 2 or actions.shape[1] != n:
        raise ValueError(f"actions must have shape (sessions, players) = (B, {n}), got {actions.shape}")
    check_int("learner", learner, 0, n - 1)
    fixed, q_start = frozen_rivals(actions, learner, start, q, "the sessions' final values (run_sessions(...)['q'])")
    return run_sessions(prize, share, learning, len(actions), seed, random_ties, fixed=fixed, q_start=q_start)


# --- the readable reference ---------------------------------------------------------------

def reference_session(prize: np.ndarray, share: np.ndarray, learning: Learning, seed: int = 0, session: int = 0,
                      random_ties: bool = False, frozen: dict[int, int] | None = None,
                      q_start: np.ndarray | None = None) -> dict[str, object]:
    """One session of the algorithm, written for reading rather than speed: the same
    ``converged``, ``stable`` and ``actions`` as :func:`run_sessions` gives for (seed, session),
    with players ``frozen`` (player -> its fixed action) and values starting at ``q_start``."""
    prize, share, n, k = _check_tables(prize, share)
    lr = learning
    frozen = frozen or {}
    rng = SplitMix64(int(session_keys(seed, session, session + 1)[0]))
    low, high = lr.q0_range
    if q_start is not None:
        q = np.array(q_start, dtype=np.float64)
    elif high > low:
        q = np.array([[low + (high - low) * rng.uniform() for _ in range(k)] for _ in range(n)])
    else:
        q = np.full((n, k), low)
    stable = 0
    exploring = lr.eps0 > 0.0
    for t in range(lr.periods):
        eps = lr.eps0 * math.exp(-lr.eps_decay * t) if exploring else 0.0
        exploring = exploring and eps >= EPS_OFF
        actions = []
        for i in range(n):
            if i in frozen:
                actions.append(int(frozen[i]))
                continue
            explore = exploring and rng.uniform() < eps
            actions.append(int(rng.uniform() * k) if explore else int(np.argmax(q[i])))
        joint = sum(b * k**i for i, b in enumerate(actions))
        winners = [i for i in range(n) if share[i, joint] > 0.0]
        if random_ties and len(winners) > 1:
            lucky = winners[int(rng.uniform() * len(winners))]
            rewards = [prize[i, joint] if i == lucky else 0.0 for i in range(n)]
        else:
            rewards = [share[i, joint] * prize[i, joint] for i in range(n)]
        learners = [i for i in range(n) if i not in frozen]
        before = q.argmax(axis=1)[learners]
        best_values = q.max(axis=1)
        for i in learners:
            targets = [actions[i]] if not lr.synchronous else range(k)
            for b in targets:
                other = joint + (b - actions[i]) * k**i
                r = rewards[i] if b == actions[i] else share[i, other] * prize[i, other]
                q[i, b] = (1.0 - lr.alpha) * q[i, b] + lr.alpha * (r + lr.gamma * best_values[i])
        stable = stable + 1 if (q.argmax(axis=1)[learners] == before).all() else 0
    actions = q.argmax(axis=1)
    for i, b in frozen.items():
        actions[i] = b
    return {"converged": stable >= lr.window, "stable": stable, "actions": actions, "q": q}




# --- markets as configured by a flat dictionary (what the registry's batch check draws) ---------
#: the outcome fields of a market's batch engine
OUTCOME_FIELDS = ("converged", "stable", "actions")


def learning_fields() -> tuple[str, ...]:
    return tuple(f.name for f in fields(Learning))


def split_config(config: Mapping[str, Any], factory: Callable[..., Any], game_fields: tuple[str, ...],
                 defaults: Mapping[str, Any] | None = None,
                 q0: Callable[[Any, float], float] | None = None) -> tuple[Any, Learning]:
    """A flat configuration as (the stage game ``factory(**game fields)``, :class:`Learning`):
    the learners' fields default to ``defaults``, and a missing or ``None`` ``q0`` to
    ``q0(game, gamma)`` if given."""
    names = learning_fields()
    unknown = sorted(set(config) - set(game_fields) - set(names))
    if unknown:
        raise ValueError(f"unknown learning option(s) {unknown}; the options are {list(game_fields) + list(names)}")
    game = factory(**{k: config[k] for k in game_fields if k in config})
    lr_kw = {**(defaults or {}), **{k: config[k] for k in names if k in config}}
    if lr_kw.get("q0") is None and q0 is not None:
        lr_kw["q0"] = q0(game, lr_kw.get("gamma", Learning.gamma))
    return game, Learning(**lr_kw)


def random_ties(game: Any) -> bool:
    """Whether the stage game draws a lottery among tied winners (its ``tie_rule``), or splits."""
    return getattr(game, "tie_rule", "split") == "random"


def market_outcomes(game: Any, learning: Learning, seed: int, episodes: int) -> dict[str, np.ndarray]:
    """Sessions ``0..episodes-1`` of master ``seed`` on ``game``'s ``prize`` and ``share`` tables."""
    res = run_sessions(game.prize, game.share, learning, episodes, seed=seed, random_ties=random_ties(game))
    return {f: res[f] for f in OUTCOME_FIELDS}


def market_reference(game: Any, learning: Learning, seed: int, episode: int) -> dict[str, Any]:
    """Session ``episode`` of master ``seed`` by :func:`reference_session` (what
    :func:`market_outcomes` must reproduce exactly)."""
    ref = reference_session(game.prize, game.share, learning, seed=seed, session=episode,
                            random_ties=random_ties(game))
    return {f: ref[f] for f in OUTCOME_FIELDS}
