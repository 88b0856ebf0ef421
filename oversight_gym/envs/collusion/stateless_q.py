"""Stateless (memoryless) Q-learning in a repeated winner-take-all stage game: a batch engine
over many independent sessions, with a readable single-session reference.

Each of n players keeps one value per action, ``Q_i(b)``, and no state. Every period:

* player i explores with probability ``eps_t = eps0 * exp(-eps_decay * t)`` (t = 0, 1, ...),
  playing an action drawn uniformly, and otherwise plays its greedy action (the first
  maximiser of ``Q_i``; ``eps0 = 0`` means greedy play, exploring only through optimistic
  initial values); once ``eps_t`` falls below :data:`EPS_OFF` exploration stops for good;
* the stage game gives each player a ``share`` (its chance of winning) and a ``prize`` (its
  payoff if it wins), and pays ``share * prize`` when ties are split, or the whole prize to one
  winner drawn by a fair lottery when ``random_ties``. It comes in one of two layouts:
  :class:`JointStage`, tables over joint actions (any winner-take-all game, ``n * k^n`` entries:
  a few players), or :class:`RankStage`, a symmetric contest that the best action wins, whose
  outcome for a player depends only on its own action, the best rival action and how many
  rivals play it (``k^2`` entries: any number of players; Bertrand price wars, auctions);
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
:func:`reference_session` is the same algorithm in plain Python over the stage game's own
:meth:`~RankStage.outcome` (what the kernel games pay); tests check that the compiled engine
reproduces it exactly, and that a rank stage and its joint tables give the same sessions.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
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
from oversight_gym.envs.collusion.pricing import joint_index

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


# --- the stage games: two layouts of the same interface ---------------------------------------

def joint_digits(n_players: int, n_actions: int) -> np.ndarray:
    """``digits[i, j]``: player i's action in joint profile j, player 0 the lowest digit (shape
    (n_players, n_actions^n_players))."""
    j = np.arange(n_actions**n_players)
    return np.stack([(j // n_actions**i) % n_actions for i in range(n_players)])


@dataclass(frozen=True, eq=False)
class JointStage:
    """A stage game as tables over joint actions j (player i's action is digit i of j in base
    ``n_actions``, see :func:`joint_digits`): ``prize[i, j]``, what i earns if it wins, and
    ``share[i, j]``, its chance of winning (its share of the prize when ties are split). Any
    winner-take-all game of a few players fits; the tables hold ``n * k^n`` entries."""

    prize: np.ndarray
    share: np.ndarray

    def __post_init__(self) -> None:
        prize = np.ascontiguousarray(self.prize, dtype=np.float64)
        share = np.ascontiguousarray(self.share, dtype=np.float64)
        if prize.ndim != 2 or prize.shape != share.shape:
            raise ValueError(f"prize and share must be tables of the same shape (players, joint actions), "
                             f"got {prize.shape} and {share.shape}")
        n = prize.shape[0]
        k = round(prize.shape[1] ** (1.0 / n))
        if k**n != prize.shape[1]:
            raise ValueError(f"the tables' {prize.shape[1]} joint actions are not actions^players for {n} players")
        object.__setattr__(self, "prize", prize)
        object.__setattr__(self, "share", share)
        object.__setattr__(self, "n_players", n)
        object.__setattr__(self, "n_actions", k)

    def outcome(self, actions: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """Per player (share, prize) at the joint action ``actions``."""
        j = joint_index(actions, self.n_actions)
        return self.share[:, j], self.prize[:, j]


@dataclass(frozen=True, eq=False)
class RankStage:
    """A symmetric contest of ``n_players`` players in which the best action wins: the lowest
    action index if ``lowest_wins`` (a price war), else the highest (an auction). A player's
    outcome depends only on its own action ``b``, the best rival action ``r`` and how many
    rivals ``t`` play ``r``:

    * ``b`` not ``eligible`` (it can never win: a price nobody pays, a bid below the reserve):
      share 0;
    * ``b`` better than ``r``: share 1; ``b == r``: share ``1 / (t + 1)`` (ties split, or a fair
      lottery); ``b`` worse: share 0;

    and the prize is ``prize[b, r]``. The tables hold ``k^2 + k`` entries whatever the number
    of players, so any number of players runs (:meth:`joint` gives the same game as a
    :class:`JointStage` for a few)."""

    prize: np.ndarray
    eligible: np.ndarray
    n_players: int
    lowest_wins: bool = True

    def __post_init__(self) -> None:
        prize = np.ascontiguousarray(self.prize, dtype=np.float64)
        eligible = np.ascontiguousarray(self.eligible, dtype=np.bool_)
        if prize.ndim != 2 or prize.shape[0] != prize.shape[1] or eligible.shape != prize.shape[:1]:
            raise ValueError(f"prize must be a square table (own action, best rival action) and eligible one flag "
                             f"per action, got shapes {prize.shape} and {eligible.shape}")
        check_int("n_players", self.n_players, 2)
        if not isinstance(self.lowest_wins, bool | np.bool_):
            raise ValueError(f"lowest_wins must be True or False, got {self.lowest_wins!r}")
        object.__setattr__(self, "prize", prize)
        object.__setattr__(self, "eligible", eligible)
        object.__setattr__(self, "n_actions", prize.shape[0])

    def outcome(self, actions: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """Per player (share, prize) at the joint action ``actions``."""
        acts = [int(b) for b in actions]
        if len(acts) != self.n_players:
            raise ValueError(f"actions must be one per player ({self.n_players}), got {len(acts)}")
        best = min if self.lowest_wins else max
        share, prize = np.zeros(self.n_players), np.zeros(self.n_players)
        for i, b in enumerate(acts):
            rivals = acts[:i] + acts[i + 1:]
            r = best(rivals)
            if self.eligible[b]:
                share[i] = 1.0 / (rivals.count(r) + 1) if b == r else float(best(b, r) == b)
            prize[i] = self.prize[b, r]
        return share, prize

    def joint(self) -> JointStage:
        """The same game as tables over joint actions (``n * k^n`` entries: a few players only)."""
        n, k = self.n_players, self.n_actions
        digits = joint_digits(n, k)
        key = digits if self.lowest_wins else k - 1 - digits  # the best action has the lowest key
        share, prize = np.zeros(digits.shape), np.zeros(digits.shape)
        for i in range(n):
            rivals = np.delete(key, i, axis=0)
            low = rivals.min(axis=0)
            ties = (rivals == low).sum(axis=0)
            r = low if self.lowest_wins else k - 1 - low
            won = np.where(key[i] == low, 1.0 / (ties + 1), (key[i] < low).astype(np.float64))
            share[i] = np.where(self.eligible[digits[i]], won, 0.0)
            prize[i] = self.prize[digits[i], r]
        return JointStage(prize, share)


Stage = JointStage | RankStage


def as_stage(stage: Any) -> Stage:
    if not isinstance(stage, JointStage | RankStage):
        raise ValueError(f"stage must be a JointStage or a RankStage, got {type(stage).__name__}")
    return stage


# --- the compiled engine ------------------------------------------------------------------

@njit(cache=True, nogil=True, inline="always")
def _rivals(acts, n, k, lowest_wins, rival, ties):
    """Each player's best rival action and how many rivals play it (a rank stage): one pass for
    the best and second-best actions and their counts."""
    b1 = k
    c1 = 0
    b2 = k
    c2 = 0
    for i in range(n):
        x = acts[i] if lowest_wins else k - 1 - acts[i]  # the best action has the lowest key
        if x < b1:
            b2, c2 = b1, c1
            b1, c1 = x, 1
        elif x == b1:
            c1 += 1
        elif x < b2:
            b2, c2 = x, 1
        elif x == b2:
            c2 += 1
    for i in range(n):
        x = acts[i] if lowest_wins else k - 1 - acts[i]
        if x == b1 and c1 == 1:
            r, t = b2, c2
        else:
            r, t = b1, c1 - (1 if x == b1 else 0)
        rival[i] = r if lowest_wins else k - 1 - r
        ties[i] = t


@njit(cache=True, nogil=True, inline="always")
def _rank_share(b, r, t, ok, lowest_wins):
    """A rank stage's share for action ``b`` (``ok``: eligible) against the best rival action
    ``r`` played by ``t`` rivals (scalars only: the compiled loops stay free of calls)."""
    if not ok:
        return 0.0
    if b == r:
        return 1.0 / (t + 1)
    return 1.0 if (b < r) == lowest_wins else 0.0


@njit(cache=True, nogil=True)
def _session(rank, prize, share, eligible, lowest_wins, n, k, alpha, gamma, eps0, eps_decay, periods, window, q0_low,
             q0_high, synchronous, random_ties, key, q_given, fixed, greedy_out, q_out):
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
    won = np.empty(n)
    earned = np.empty(k)
    prized = np.empty(n)
    rival = np.zeros(n, dtype=np.int64)
    ties = np.zeros(n, dtype=np.int64)
    place = np.zeros(n, dtype=np.int64)  # digit i of the joint index (joint tables only)
    if not rank:
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
        if rank:
            _rivals(acts, n, k, lowest_wins, rival, ties)
        else:
            for i in range(n):
                j += acts[i] * place[i]
        tied = 0
        for i in range(n):
            if rank:
                won[i] = _rank_share(acts[i], rival[i], ties[i], eligible[acts[i]], lowest_wins)
                prized[i] = prize[acts[i], rival[i]]
            else:
                won[i], prized[i] = share[i, j], prize[i, j]
            if won[i] > 0.0:
                tied += 1
        if random_ties and tied > 1:
            rng += _GAMMA
            u = _uniform(rng) * tied
            pick = int(u)
            seen = 0
            for i in range(n):
                reward[i] = 0.0
                if won[i] > 0.0:
                    if seen == pick:
                        reward[i] = prized[i]
                    seen += 1
        else:
            for i in range(n):
                reward[i] = won[i] * prized[i]
        changed = False
        for i in range(n):
            if fixed[i] >= 0:
                continue
            g = greedy[i]
            vmax = q[i, g]
            if synchronous:  # every action moves: what each would have earned, the updates, the new greedy action
                if rank:
                    r, tr = rival[i], ties[i]
                    for b in range(k):
                        earned[b] = _rank_share(b, r, tr, eligible[b], lowest_wins) * prize[b, r]
                else:
                    base = j - acts[i] * place[i]
                    for b in range(k):
                        earned[b] = share[i, base + b * place[i]] * prize[i, base + b * place[i]]
                earned[acts[i]] = reward[i]
                for b in range(k):  # a loop without branches, which the compiler vectorises
                    q[i, b] = (1.0 - alpha) * q[i, b] + alpha * (earned[b] + gamma * vmax)
                best = 0
                top = q[i, 0]
                for b in range(1, k):
                    if q[i, b] > top:
                        best, top = b, q[i, b]
            else:  # one action moves: the greedy action changes only through it
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
def _batch(rank, prize, share, eligible, lowest_wins, n, k, alpha, gamma, eps0, eps_decay, periods, window, q0_low,
           q0_high, synchronous, random_ties, keys, q_given, fixed, stable, greedy, q_out):
    for s in prange(keys.shape[0]):
        stable[s] = _session(rank, prize, share, eligible, lowest_wins, n, k, alpha, gamma, eps0, eps_decay, periods,
                             window, q0_low, q0_high, synchronous, random_ties, keys[s], q_given[s], fixed[s],
                             greedy[s], q_out[s])


# the engine inlines the random-number functions of the Calvano engine: its cache follows their source
drop_stale_caches("stateless_q", [_session, _batch], [calvano._mix, calvano._uniform])


def run_sessions(stage: Stage, learning: Learning, sessions: int | range, seed: int = 0,
                 random_ties: bool = False, *, fixed: np.ndarray | None = None,
                 q_start: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Sessions (a count, or a range of session ids) of stateless Q-learning on the stage game
    (a :class:`JointStage` or a :class:`RankStage`): per session ``converged``, ``stable``
    (periods since a greedy action last changed), ``actions`` (the final greedy actions, shape
    (sessions, players)) and ``q`` (the final values, (sessions, players, actions)).

    ``fixed`` (sessions, players): where not -1, that player plays this action throughout and
    neither explores nor learns (a frozen rival). ``q_start`` (sessions, players, actions): the
    values to start from instead of ``q0`` (no initial draws).
    """
    stage = as_stage(stage)
    n, k = stage.n_players, stage.n_actions
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
    rank = isinstance(stage, RankStage)
    if rank:  # the unused layout's tables are empty
        tables = (stage.prize, np.zeros((0, 0)), stage.eligible, bool(stage.lowest_wins))
    else:
        tables = (stage.prize, stage.share, np.zeros(0, dtype=np.bool_), True)
    lr = learning
    _batch(rank, *tables, n, k, lr.alpha, lr.gamma, lr.eps0, lr.eps_decay, lr.periods, lr.window, *lr.q0_range,
           bool(lr.synchronous), bool(random_ties), keys, q_given, fixed, stable, greedy, q_out)
    return {"converged": stable >= lr.window, "stable": stable, "actions": greedy, "q": q_out}


def retrain_sessions(stage: Stage, learning: Learning, actions: np.ndarray, learner: int = 0, seed: int = 0,
                     random_ties: bool = False, *, start: str = "fresh",
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
    stage = as_stage(stage)
    n = stage.n_players
    actions = np.asarray(actions, dtype=np.int64)
    if actions.ndim != 2 or actions.shape[1] != n:
        raise ValueError(f"actions must have shape (sessions, players) = (B, {n}), got {actions.shape}")
    check_int("learner", learner, 0, n - 1)
    fixed, q_start = frozen_rivals(actions, learner, start, q, "the sessions' final values (run_sessions(...)['q'])")
    return run_sessions(stage, learning, len(actions), seed, random_ties, fixed=fixed, q_start=q_start)


# --- the readable reference ---------------------------------------------------------------

def reference_session(stage: Stage, learning: Learning, seed: int = 0, session: int = 0,
                      random_ties: bool = False, frozen: dict[int, int] | None = None,
                      q_start: np.ndarray | None = None) -> dict[str, object]:
    """One session of the algorithm, written for reading rather than speed, on the stage game's
    own :meth:`outcome` (what the kernel pays): the same ``converged``, ``stable`` and
    ``actions`` as :func:`run_sessions` gives for (seed, session), with players ``frozen``
    (player -> its fixed action) and values starting at ``q_start``."""
    stage = as_stage(stage)
    n, k = stage.n_players, stage.n_actions
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
        share, prize = stage.outcome(actions)
        winners = [i for i in range(n) if share[i] > 0.0]
        if random_ties and len(winners) > 1:
            lucky = winners[int(rng.uniform() * len(winners))]
            rewards = [prize[i] if i == lucky else 0.0 for i in range(n)]
        else:
            rewards = [share[i] * prize[i] for i in range(n)]
        learners = [i for i in range(n) if i not in frozen]
        before = q.argmax(axis=1)[learners]
        best_values = q.max(axis=1)
        for i in learners:
            targets = [actions[i]] if not lr.synchronous else range(k)
            for b in targets:
                if b == actions[i]:
                    r = rewards[i]
                else:  # what b would have earned against the others' realised actions
                    s, z = stage.outcome(actions[:i] + [b] + actions[i + 1:])
                    r = s[i] * z[i]
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
    """Sessions ``0..episodes-1`` of master ``seed`` on ``game``'s ``stage``."""
    res = run_sessions(game.stage, learning, episodes, seed=seed, random_ties=random_ties(game))
    return {f: res[f] for f in OUTCOME_FIELDS}


def market_reference(game: Any, learning: Learning, seed: int, episode: int) -> dict[str, Any]:
    """Session ``episode`` of master ``seed`` by :func:`reference_session` (what
    :func:`market_outcomes` must reproduce exactly)."""
    ref = reference_session(game.stage, learning, seed=seed, session=episode,
                            random_ties=random_ties(game))
    return {f: ref[f] for f in OUTCOME_FIELDS}
