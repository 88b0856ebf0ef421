"""Q-learning pricing (Calvano, Calzolari, Denicolo, Pastorello 2020, AER 110(10) 3267-97):
a batch engine over many independent sessions, with a readable single-session reference.

Each of n firms runs tabular Q-learning on the repeated pricing game of
:mod:`oversight_gym.envs.collusion.pricing`. The state is the last k periods' prices (all
firms); the action is a price index on the grid. As in the paper:

* Q is initialised to the discounted payoff of each price against rivals who price
  uniformly at random, the same in every state: ``Q0_i(s, a) = E_{a_-i}[pi_i(a, a_-i)] / (1 - delta)``;
* the initial state is drawn uniformly at random;
* exploration is epsilon-greedy with ``eps_t = exp(-beta t)`` (t = 0, 1, ... periods);
* the update is ``Q(s, a) <- (1 - alpha) Q(s, a) + alpha (pi + delta max_a' Q(s', a'))``, for the
  price played (asynchronous, the paper's); with ``synchronous=True`` every price ``a`` of the
  state is updated with the profit it would have earned against the rivals' realised prices and
  the state it would have led to (counterfactual updating, as in Asker, Fershtman and Pakes 2022);
* a session has converged when no firm's greedy action in any state has changed for
  ``window`` = 100,000 consecutive periods; it stops unconverged at ``max_periods`` (the paper's
  cap is 10^9).

After convergence the firms' greedy strategies are followed from the state at convergence
until a state repeats: the profits averaged over that limit cycle give the profit gain
``Delta = (pi - pi^N) / (pi^M - pi^N)`` (averaged over firms).

Randomness: session ``i`` under master seed ``seed`` draws from its own stream, SplitMix64
(Steele, Lea, Flood 2014) keyed by ``numpy.random.SeedSequence([seed, i])``, so a session's
result depends only on (configuration, seed, i): not on the batch size, the chunking or the
number of threads. :func:`reference_session` is a plain-Python implementation of the same
rules and the same stream; tests check that the compiled batch engine reproduces it exactly.

The optional regulator (``audit_prob``, ``fine``, ``audit_threshold``) draws
one more uniform per period when ``audit_prob > 0``: with that probability every firm
pricing above the threshold loses ``fine`` from that period's reward.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numba
import numpy as np
from numba import njit, prange

from oversight_gym.agents.learning.qlearning import QLearningAgent
from oversight_gym.analysis.detection import frozen_rivals
from oversight_gym.core.errors import check_float, check_int
from oversight_gym.core.params import LEARNING_RATE
from oversight_gym.envs.collusion.pricing import PricingGame

# SplitMix64 constants
_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_MASK = (1 << 64) - 1
_TWO53 = 1.0 / 9007199254740992.0  # 2^-53


@dataclass(frozen=True)
class CalvanoConfig:
    """Market and learning parameters of an experiment. The defaults are the paper's
    baseline at its representative point (alpha = 0.15, beta = 4e-6)."""

    n_firms: int = 2
    a: float | tuple[float, ...] = 2.0
    a0: float = 0.0
    c: float | tuple[float, ...] = 1.0
    mu: float = 0.25
    m: int = 15
    xi: float = 0.1
    k: int = 1
    alpha: float = 0.15
    beta: float = 4e-6
    delta: float = 0.95
    window: int = 100_000
    max_periods: int = 10**9
    audit_prob: float = 0.0
    fine: float = 0.0
    audit_threshold: float | None = None
    synchronous: bool = False

    def __post_init__(self) -> None:
        LEARNING_RATE.check("alpha (the learning rate)", check_float("alpha", self.alpha))
        beta = check_float("beta", self.beta)
        if beta < 0.0:
            raise ValueError(f"beta (the exploration decay) must be >= 0, got {self.beta!r}")
        check_int("window", self.window, 1)
        check_int("max_periods", self.max_periods, 0)
        if not isinstance(self.synchronous, bool | np.bool_):
            raise ValueError(f"synchronous must be True or False, got {self.synchronous!r}")
        self.game()  # validates the market (mu > 0, m >= 2, delta in [0, 1), ...)

    def game(self) -> PricingGame:
        """The kernel game with these market parameters."""
        return PricingGame(n_firms=self.n_firms, a=self.a, a0=self.a0, c=self.c, mu=self.mu, m=self.m, xi=self.xi,
                           k=self.k, delta=self.delta, audit_prob=self.audit_prob, fine=self.fine,
                           audit_threshold=self.audit_threshold)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for key in ("a", "c"):
            if isinstance(d[key], tuple):
                d[key] = list(d[key])
        return d


def initial_q(game: PricingGame, delta: float) -> np.ndarray:
    """``q0[i, a]``: firm i's discounted payoff of price a against uniformly random rivals
    (Calvano et al. 2020, section II.B); the same in every state."""
    n, m = game.n_firms, game.m
    q0 = np.empty((n, m))
    digits = np.indices((m,) * n).reshape(n, -1)  # digits[i, j'] for row-major j'
    joint = np.zeros(digits.shape[1], dtype=np.int64)
    for i in reversed(range(n)):
        joint = joint * m + digits[i]
    for i in range(n):
        own = digits[i]
        for a in range(m):
            q0[i, a] = game.profits[i, joint[own == a]].mean() / (1.0 - delta)
    return q0


def fine_table(game: PricingGame) -> np.ndarray:
    """``fines[i, a]``: what firm i pays if audited while pricing at a."""
    return np.where(game.grid > game.audit_threshold, game.fine, 0.0)


def session_keys(seed: int, start: int, stop: int) -> np.ndarray:
    """The SplitMix64 keys of sessions ``start..stop-1`` under master seed ``seed``."""
    check_int("seed", seed, 0)
    return np.array([np.random.SeedSequence([seed, i]).generate_state(1, dtype=np.uint64)[0]
                     for i in range(start, stop)], dtype=np.uint64)


# --- the compiled engine ------------------------------------------------------------------

@njit(cache=True, inline="always")
def _mix(z: np.uint64) -> np.uint64:
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@njit(cache=True, inline="always")
def _uniform(z: np.uint64) -> float:
    return float(_mix(z) >> np.uint64(11)) * _TWO53


@njit(cache=True, inline="always")
def _first_best(q, i, s, m):
    """The greedy price of firm i in state s: the first maximiser of its Q row."""
    best = 0
    for b in range(1, m):
        if q[i, s, b] > q[i, s, best]:
            best = b
    return best


@njit(cache=True, nogil=True)
def _session(profits, fines, q_init, fixed, n, m, k, alpha, delta, beta, window, max_periods, audit_prob,
             synchronous, key, strategy, q_out, slot):
    """One session from Q tables ``q_init`` (n, S, m); a firm whose row ``fixed[i]`` (n, S) is not
    -1 plays that strategy and neither explores nor learns. Writes the greedy strategies into
    ``strategy`` (n, S), the final Q into ``q_out[slot]`` if ``q_out`` has rows, and returns (converged,
    periods, state at the end)."""
    big_m = m**n
    n_states = big_m**k
    keep = n_states // big_m
    q = q_init.copy()
    greedy = np.empty((n, n_states), dtype=np.int64)
    vmax = np.empty((n, n_states))
    learns = np.empty(n, dtype=np.bool_)
    for i in range(n):
        learns[i] = fixed[i, 0] < 0
        for s in range(n_states):
            g0 = _first_best(q, i, s, m) if learns[i] else fixed[i, s]
            greedy[i, s] = g0
            vmax[i, s] = q[i, s, g0]
    rng = key
    s = 0
    place = 1
    for _ in range(n * k):
        rng += _GAMMA
        s += int(_uniform(rng) * m) * place
        place *= m
    acts = np.empty(n, dtype=np.int64)
    targets = np.empty(m)
    stable = 0
    t = 0
    converged = False
    while t < max_periods:
        eps = math.exp(-beta * t)
        for i in range(n):
            acts[i] = greedy[i, s]
            if learns[i]:
                rng += _GAMMA
                if _uniform(rng) < eps:
                    rng += _GAMMA
                    acts[i] = int(_uniform(rng) * m)
        j = 0
        for i in range(n - 1, -1, -1):
            j = j * m + acts[i]
        s_next = j + big_m * (s % keep)
        audited = False
        if audit_prob > 0.0:
            rng += _GAMMA
            audited = _uniform(rng) < audit_prob
        changed = False
        for i in range(n):
            if not learns[i]:
                continue
            if synchronous:  # every price of this state, against the rivals' realised prices
                place = m**i
                for b in range(m):
                    jb = j + (b - acts[i]) * place
                    rb = profits[i, jb]
                    if audited:
                        rb -= fines[i, b]
                    targets[b] = rb + delta * vmax[i, jb + big_m * (s % keep)]
                g = greedy[i, s]
                for b in range(m):
                    q[i, s, b] = (1.0 - alpha) * q[i, s, b] + alpha * targets[b]
                best = _first_best(q, i, s, m)
                greedy[i, s] = best
                vmax[i, s] = q[i, s, best]
                if best != g:
                    changed = True
                continue
            a = acts[i]
            r = profits[i, j]
            if audited:
                r -= fines[i, a]
            old = q[i, s, a]
            new = (1.0 - alpha) * old + alpha * (r + delta * vmax[i, s_next])
            q[i, s, a] = new
            g = greedy[i, s]
            if a == g:
                if new < old:  # the greedy action may lose its lead: rescan the row
                    best = _first_best(q, i, s, m)
                    greedy[i, s] = best
                    vmax[i, s] = q[i, s, best]
                    if best != g:
                        changed = True
                else:
                    vmax[i, s] = new
            elif new > vmax[i, s] or (new == vmax[i, s] and a < g):
                greedy[i, s] = a
                vmax[i, s] = new
                changed = True
        t += 1
        s = s_next
        if changed:
            stable = 0
        else:
            stable += 1
            if stable >= window:
                converged = True
                break
    for i in range(n):
        for x in range(n_states):
            strategy[i, x] = greedy[i, x]
    if q_out.shape[0] > 0:
        q_out[slot] = q
    return converged, t, s


@njit(cache=True, parallel=True)
def _batch(profits, fines, q_init, fixed, n, m, k, alpha, delta, beta, window, max_periods, audit_prob, synchronous,
           keys, q_row, fixed_row, converged, periods, final_state, strategies, q_out):
    """Sessions ``keys``; session b starts from ``q_init[q_row[b]]`` with ``fixed[fixed_row[b]]``."""
    for b in prange(keys.shape[0]):
        c, t, s = _session(profits, fines, q_init[q_row[b]], fixed[fixed_row[b]], n, m, k, alpha, delta, beta, window,
                           max_periods, audit_prob, synchronous, keys[b], strategies[b], q_out, b)
        converged[b] = c
        periods[b] = t
        final_state[b] = s


@njit(cache=True)
def _next_state(strategy, s, n, m, big_m, keep):
    j = 0
    for i in range(n - 1, -1, -1):
        j = j * m + strategy[i, s]
    return j, j + big_m * (s % keep)


@njit(cache=True)
def _limit_cycles(strategies, start, n, m, k, profits, price_idx_sum, profit_sum, cycle_len, cycle_start):
    """Follow each session's greedy strategies from ``start`` until a state repeats; sum
    prices (as indices) and profits over the cycle."""
    big_m = m**n
    n_states = big_m**k
    keep = n_states // big_m
    for b in range(strategies.shape[0]):
        seen = np.full(n_states, -1, dtype=np.int64)
        s = start[b]
        step = 0
        while seen[s] < 0:
            seen[s] = step
            _, s = _next_state(strategies[b], s, n, m, big_m, keep)
            step += 1
        length = step - seen[s]
        cycle_len[b] = length
        cycle_start[b] = s
        for _ in range(length):
            j, s2 = _next_state(strategies[b], s, n, m, big_m, keep)
            for i in range(n):
                profit_sum[b, i] += profits[i, j]
                price_idx_sum[b, i] += strategies[b, i, s]
            s = s2


@dataclass
class BatchResult:
    """Per-session outcomes of :func:`run_sessions` (arrays indexed by session)."""

    config: CalvanoConfig
    seed: int
    session_ids: np.ndarray  # (B,)
    converged: np.ndarray  # (B,) bool
    periods: np.ndarray  # (B,) periods run (to convergence, or the cap)
    final_state: np.ndarray  # (B,) state index at the end
    strategies: np.ndarray  # (B, n, S) greedy price index of each firm in each state
    cycle_length: np.ndarray = field(default=None)  # type: ignore[assignment]
    cycle_start: np.ndarray = field(default=None)  # type: ignore[assignment]
    cycle_profits: np.ndarray = field(default=None)  # type: ignore[assignment]  # (B, n) mean over the cycle
    cycle_prices: np.ndarray = field(default=None)  # type: ignore[assignment]  # (B, n) mean price on the cycle
    delta: np.ndarray = field(default=None)  # type: ignore[assignment]  # (B,) profit gain, mean over firms
    seconds: float = 0.0
    q: np.ndarray | None = None  # (B, n, S, m) final Q tables, if kept

    def __len__(self) -> int:
        return len(self.converged)

    def records(self) -> list[dict[str, Any]]:
        """One flat JSON-able record per session (strategies left out)."""
        return [{"session": int(self.session_ids[b]), "converged": bool(self.converged[b]),
                 "periods": int(self.periods[b]), "final_state": int(self.final_state[b]),
                 "cycle_length": int(self.cycle_length[b]), "cycle_start": int(self.cycle_start[b]),
                 "cycle_profits": self.cycle_profits[b].tolist(), "cycle_prices": self.cycle_prices[b].tolist(),
                 "delta": float(self.delta[b])} for b in range(len(self))]

    @staticmethod
    def concat(parts: list[BatchResult]) -> BatchResult:
        first = parts[0]
        cat = {name: np.concatenate([getattr(p, name) for p in parts])
               for name in ("session_ids", "converged", "periods", "final_state", "strategies", "cycle_length",
                            "cycle_start", "cycle_profits", "cycle_prices", "delta")}
        q = np.concatenate([p.q for p in parts]) if all(p.q is not None for p in parts) else None
        return BatchResult(first.config, first.seed, seconds=sum(p.seconds for p in parts), q=q, **cat)


def _strategy_dtype(m: int) -> type:
    return np.uint8 if m <= 255 else np.uint16


def _summarise(config: CalvanoConfig, game: PricingGame, res: BatchResult) -> BatchResult:
    n, m, k = config.n_firms, config.m, config.k
    size = len(res)
    price_idx_sum = np.zeros((size, n))
    profit_sum = np.zeros((size, n))
    length = np.zeros(size, dtype=np.int64)
    start = np.zeros(size, dtype=np.int64)
    _limit_cycles(res.strategies, res.final_state.astype(np.int64), n, m, k, game.profits, price_idx_sum,
                  profit_sum, length, start)
    res.cycle_length = length
    res.cycle_start = start
    res.cycle_profits = profit_sum / length[:, None]
    # mean price over the cycle: mean index is enough for a linear grid
    lo, hi = game.grid[:, 0], game.grid[:, -1]
    res.cycle_prices = lo + (hi - lo) * (price_idx_sum / length[:, None]) / (m - 1)
    gain = (res.cycle_profits - game.pi_nash) / (game.pi_monopoly - game.pi_nash)
    res.delta = gain.mean(axis=1)
    return res


def run_sessions(config: CalvanoConfig, sessions: int | range | list[int], seed: int = 0, *, chunk: int = 64,
                 progress: bool = False, on_chunk: Callable[[BatchResult], None] | None = None,
                 keep_q: bool = False) -> BatchResult:
    """Run sessions (a count, or the session ids to run) of Q-learning to convergence.

    Sessions run ``chunk`` at a time in parallel (numba threads); ``on_chunk`` receives each
    finished chunk (to store it: a killed run then loses at most one chunk). The result of a
    session depends only on ``config``, ``seed`` and its id. ``keep_q`` keeps each session's
    final Q tables (``BatchResult.q``, (B, n, S, m)).
    """
    ids = list(range(check_int("sessions", sessions, 1))) if isinstance(sessions, int) else [int(i) for i in sessions]
    if not ids:
        raise ValueError("sessions: no session ids given")
    game = config.game()
    q_init = np.broadcast_to(initial_q(game, config.delta)[:, None, :], (config.n_firms, game.num_states, config.m))
    fixed = np.full((1, config.n_firms, 1), -1, dtype=np.int64)
    return _run(config, ids, seed, q_init[None], fixed, chunk=chunk, progress=progress, on_chunk=on_chunk,
                keep_q=keep_q)


def _run(config: CalvanoConfig, ids: list[int], seed: int, q_init: np.ndarray, fixed: np.ndarray, *, chunk: int = 64,
         progress: bool = False, on_chunk: Callable[[BatchResult], None] | None = None,
         keep_q: bool = False) -> BatchResult:
    """Sessions ``ids`` from Q tables ``q_init`` (1 or len(ids), n, S, m) with firms frozen
    where ``fixed`` (1 or len(ids), n, S) is not -1."""
    check_int("chunk", chunk, 1)
    game = config.game()
    fines = fine_table(game)
    n, m, k = config.n_firms, config.m, config.k
    n_states = game.num_states
    parts: list[BatchResult] = []
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(ids), desc=f"sessions alpha={config.alpha} beta={config.beta:g}", unit="session")
    try:
        for lo in range(0, len(ids), chunk):
            sub = ids[lo:lo + chunk]
            keys = np.array([session_keys(seed, i, i + 1)[0] for i in sub], dtype=np.uint64)
            size = len(sub)
            converged = np.zeros(size, dtype=np.bool_)
            periods = np.zeros(size, dtype=np.int64)
            final = np.zeros(size, dtype=np.int64)
            strategies = np.zeros((size, n, n_states), dtype=_strategy_dtype(m))
            q_out = np.zeros((size if keep_q else 0, n, n_states, m))
            qi = q_init[lo:lo + chunk] if q_init.shape[0] > 1 else q_init
            fx = fixed[lo:lo + chunk] if fixed.shape[0] > 1 else fixed
            started = time.perf_counter()
            _batch(game.profits, fines, np.ascontiguousarray(qi, dtype=np.float64), np.ascontiguousarray(fx, np.int64),
                   n, m, k, float(config.alpha), float(config.delta), float(config.beta), int(config.window),
                   int(config.max_periods), float(config.audit_prob), bool(config.synchronous), keys,
                   _rows(len(qi), size), _rows(len(fx), size), converged, periods, final, strategies, q_out)
            part = BatchResult(config, seed, np.asarray(sub, dtype=np.int64), converged, periods, final,
                               strategies, seconds=time.perf_counter() - started)
            part = _summarise(config, game, part)
            if keep_q:
                part.q = q_out
            parts.append(part)
            if on_chunk is not None:
                on_chunk(part)
            if bar is not None:
                bar.update(size)
    finally:
        if bar is not None:
            bar.close()
    return BatchResult.concat(parts)


def _rows(tables: int, size: int) -> np.ndarray:
    """Which of ``tables`` tables each of ``size`` sessions uses: one for all, or one each."""
    return np.zeros(size, dtype=np.int64) if tables == 1 else np.arange(size, dtype=np.int64)


def retrain_sessions(config: CalvanoConfig, strategies: np.ndarray, learner: int = 0, seed: int = 0, *,
                     start: str = "fresh", q: np.ndarray | None = None, beta: float | None = None,
                     chunk: int = 64) -> BatchResult:
    """Retrain one firm against rivals frozen at their learned strategies (Courthoud 2021).

    ``strategies`` (B, n, S) are converged sessions' strategies. Firm ``learner`` learns again
    by the engine's rules while every other firm plays its strategy without exploring or
    learning; session b of the result is retraining b (master ``seed``, session id b: use
    another seed than the original sessions'). The learner's exploration restarts at 1 and
    decays as ``exp(-beta t)`` (``beta`` defaults to ``config.beta``); its Q starts at
    ``start="fresh"`` (default: the paper's initialisation, payoff against random rivals) or
    ``"learned"`` (its own final Q, ``q`` of shape (B, n, S, m), from
    ``run_sessions(..., keep_q=True)``). The session converges when the learner's greedy
    strategy has not changed for ``config.window`` periods.

    What it tests: whether the learner's collusive strategy is a best response to the rival's
    learned strategy. If the rival's strategy punishes deviations, a learner that starts afresh
    relearns to price high; if it is exploitable, the learner learns to exploit it.
    """
    strategies = np.asarray(strategies, dtype=np.int64)
    game = config.game()
    n, n_states = config.n_firms, game.num_states
    if strategies.ndim != 3 or strategies.shape[1:] != (n, n_states):
        raise ValueError(f"strategies must have shape (sessions, n_firms, states) = (B, {n}, {n_states}), "
                         f"got {strategies.shape}")
    check_int("learner", learner, 0, n - 1)
    size = len(strategies)
    shape = (size, n, n_states, config.m)
    fixed, q_start = frozen_rivals(strategies, learner, start, q, f"the sessions' final Q tables of shape (B, n, S, m) "
                                   f"= {shape} (run_sessions(..., keep_q=True))")
    if q_start is not None:
        if np.shape(q_start) != shape:
            raise ValueError(f"q must have shape (B, n, S, m) = {shape}, got {np.shape(q_start)}")
        q_init = np.asarray(q_start, dtype=np.float64)
    else:
        q_init = np.broadcast_to(initial_q(game, config.delta)[:, None, :], (n, n_states, config.m))[None]
    cfg = config if beta is None else replace(config, beta=beta)
    return _run(cfg, list(range(size)), seed, q_init, fixed, chunk=chunk)


def summarise_strategies(config: CalvanoConfig, seed: int, session_ids: np.ndarray, converged: np.ndarray,
                         periods: np.ndarray, final_state: np.ndarray, strategies: np.ndarray) -> BatchResult:
    """A :class:`BatchResult` (limit cycles and Delta included) from stored raw outcomes."""
    res = BatchResult(config, seed, np.asarray(session_ids, dtype=np.int64), np.asarray(converged, dtype=np.bool_),
                      np.asarray(periods, dtype=np.int64), np.asarray(final_state, dtype=np.int64),
                      np.asarray(strategies))
    return _summarise(config, config.game(), res)


def num_threads() -> int:
    """Threads the batch engine uses (``numba.set_num_threads`` changes it)."""
    return numba.get_num_threads()


# --- the readable reference ---------------------------------------------------------------

class SplitMix64:
    """SplitMix64 in plain Python (the stream the compiled engine draws from)."""

    def __init__(self, key: int) -> None:
        self.state = int(key) & _MASK

    def uniform(self) -> float:
        self.state = (self.state + int(_GAMMA)) & _MASK
        z = self.state
        z = ((z ^ (z >> 30)) * int(_M1)) & _MASK
        z = ((z ^ (z >> 27)) * int(_M2)) & _MASK
        z ^= z >> 31
        return (z >> 11) * _TWO53


def reference_session(config: CalvanoConfig, seed: int = 0, session: int = 0, q_init: np.ndarray | None = None,
                      frozen: dict[int, np.ndarray] | None = None) -> dict[str, Any]:
    """One session of the paper's algorithm, written for reading rather than speed.

    Returns ``converged``, ``periods``, ``final_state`` and ``strategies`` (n, S): the same
    values :func:`run_sessions` gives for this (seed, session), or, with ``frozen`` (firm ->
    strategy (S,): that firm plays it, never exploring or learning) and ``q_init`` (n, S, m;
    default the paper's), what :func:`retrain_sessions` gives.
    """
    game = config.game()
    n, m, k = config.n_firms, config.m, config.k
    n_joint = m**n
    n_states = game.num_states
    q0 = initial_q(game, config.delta)
    fines = fine_table(game)
    frozen = frozen or {}
    # Q_i(s, a) starts at the payoff against random rivals, in every state
    q = np.repeat(q0[:, None, :], n_states, axis=1) if q_init is None else np.array(q_init, dtype=np.float64)
    rng = SplitMix64(int(session_keys(seed, session, session + 1)[0]))
    # random initial memory: k periods of n prices, digit p = period * n + firm
    state = sum(int(rng.uniform() * m) * m**p for p in range(n * k))
    learners = [i for i in range(n) if i not in frozen]
    greedy = q.argmax(axis=2)
    for i, strategy in frozen.items():
        greedy[i] = strategy
    targets = np.empty(m)
    stable, t = 0, 0
    while t < config.max_periods:
        eps = math.exp(-config.beta * t)
        actions = []
        for i in range(n):
            if i in frozen:
                actions.append(int(frozen[i][state]))  # a frozen firm plays its strategy
            elif rng.uniform() < eps:
                actions.append(int(rng.uniform() * m))  # explore
            else:
                actions.append(int(np.argmax(q[i, state])))  # exploit
        joint = sum(a * m**i for i, a in enumerate(actions))
        next_state = joint + n_joint * (state % (n_states // n_joint))
        audited = config.audit_prob > 0 and rng.uniform() < config.audit_prob
        for i, a in enumerate(actions):
            if i in frozen:
                continue
            # asynchronous: the price played; synchronous: every price, against the rivals' realised prices
            for b in range(m) if config.synchronous else (a,):
                jb = joint + (b - a) * m**i
                reward = game.profits[i, jb] - (fines[i, b] if audited else 0.0)
                target = reward + config.delta * q[i, jb + n_joint * (state % (n_states // n_joint))].max()
                if config.synchronous:
                    targets[b] = target
                else:
                    q[i, state, a] = (1.0 - config.alpha) * q[i, state, a] + config.alpha * target
            if config.synchronous:
                q[i, state] = (1.0 - config.alpha) * q[i, state] + config.alpha * targets
        new_greedy = q[learners, state].argmax(axis=1)
        changed = bool((new_greedy != greedy[learners, state]).any())
        greedy[learners, state] = new_greedy
        t += 1
        state = next_state
        stable = 0 if changed else stable + 1
        if stable >= config.window:
            return {"converged": True, "periods": t, "final_state": state, "strategies": greedy}
    return {"converged": False, "periods": t, "final_state": state, "strategies": greedy}


# --- impulse response ---------------------------------------------------------------------

def static_best_response(game: PricingGame, firm: int, actions: np.ndarray) -> int:
    """The grid price that maximises ``firm``'s one-period profit against the others' ``actions``."""
    n, m = game.n_firms, game.m
    trial = np.array(actions, dtype=np.int64)
    best, best_val = 0, -np.inf
    for a in range(m):
        trial[firm] = a
        j = sum(int(trial[i]) * m**i for i in range(n))
        if game.profits[firm, j] > best_val:
            best, best_val = a, game.profits[firm, j]
    return best


def impulse_response(config: CalvanoConfig, result: BatchResult, deviator: int = 0, periods: int = 25,
                     deviation: int | None = None) -> dict[str, np.ndarray]:
    """Force ``deviator`` off its learned strategy for one period, then let every firm
    follow its learned strategy (Calvano et al. 2020, section IV.B).

    Starts from the first state of each session's limit cycle. The deviation is the static
    best response to the rivals' current prices (or the price index ``deviation``). Returns
    price-index paths ``shocked`` and ``baseline`` of shape (B, periods + 1, n), where index
    0 is the period before the shock and index 1 the shock, and the matching profit paths
    ``shocked_profits``/``baseline_profits`` (the period before the shock included), and
    ``prices_shocked``/``prices_baseline`` in price units.
    """
    game = config.game()
    n, m = config.n_firms, config.m
    check_int("deviator", deviator, 0, n - 1)
    check_int("periods", periods, 1)
    n_joint = m**n
    keep = game.num_states // n_joint
    size = len(result)
    out = {name: np.zeros((size, periods + 1, n), dtype=np.int64) for name in ("shocked", "baseline")}
    profits = {name: np.zeros((size, periods + 1, n)) for name in ("shocked", "baseline")}
    for b in range(size):
        strat = result.strategies[b].astype(np.int64)
        s0 = int(result.cycle_start[b])
        prev = np.array([(s0 // m**i) % m for i in range(n)], dtype=np.int64)  # prices that led to s0
        prev_joint = int(s0 % n_joint)
        for name in ("shocked", "baseline"):
            s = s0
            out[name][b, 0] = prev
            profits[name][b, 0] = game.profits[:, prev_joint]
            for t in range(1, periods + 1):
                acts = strat[:, s].copy()
                if name == "shocked" and t == 1:
                    acts[deviator] = (static_best_response(game, deviator, acts) if deviation is None
                                      else check_int("deviation", deviation, 0, m - 1))
                j = sum(int(acts[i]) * m**i for i in range(n))
                out[name][b, t] = acts
                profits[name][b, t] = game.profits[:, j]
                s = j + n_joint * (s % keep)
    rows = np.arange(n)
    return {"shocked": out["shocked"], "baseline": out["baseline"],
            "shocked_profits": profits["shocked"], "baseline_profits": profits["baseline"],
            "prices_shocked": game.grid[rows, out["shocked"]], "prices_baseline": game.grid[rows, out["baseline"]]}


def greedy_trajectory(config: CalvanoConfig, strategies: np.ndarray, start_state: int, periods: int,
                      rng: np.random.Generator, eps: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Play learned ``strategies`` (n, S) from ``start_state`` for ``periods`` periods, each firm
    pricing at random with probability ``eps``. Returns (states (T,), actions (T, n))."""
    n, m = config.n_firms, config.m
    n_joint = m**n
    keep = m ** (n * config.k) // n_joint
    states = np.empty(periods, dtype=np.int64)
    actions = np.empty((periods, n), dtype=np.int64)
    s = int(start_state)
    for t in range(periods):
        acts = strategies[:, s].astype(np.int64)
        explore = rng.random(n) < eps
        acts[explore] = rng.integers(m, size=int(explore.sum()))
        states[t] = s
        actions[t] = acts
        s = int(sum(int(acts[i]) * m**i for i in range(n))) + n_joint * (s % keep)
    return states, actions


def encode_strategies(strategies: np.ndarray) -> str:
    """One session's strategies (n, S) as compact text for a JSON record (base64 of the bytes)."""
    import base64

    return base64.b64encode(np.ascontiguousarray(strategies).tobytes()).decode("ascii")


def decode_strategies(text: str, config: CalvanoConfig) -> np.ndarray:
    """The inverse of :func:`encode_strategies` for sessions of ``config``."""
    import base64

    n_states = config.m ** (config.n_firms * config.k)
    raw = np.frombuffer(base64.b64decode(text), dtype=_strategy_dtype(config.m))
    return raw.reshape(config.n_firms, n_states).copy()


def limit_cycle_actions(config: CalvanoConfig, strategies: np.ndarray, cycle_start: int,
                        cycle_length: int) -> np.ndarray:
    """The price indices (cycle_length, n) played on a session's limit cycle."""
    n, m = config.n_firms, config.m
    n_joint = m**n
    keep = m ** (n * config.k) // n_joint
    out = np.empty((int(cycle_length), n), dtype=np.int64)
    s = int(cycle_start)
    for t in range(int(cycle_length)):
        acts = strategies[:, s].astype(np.int64)
        out[t] = acts
        s = int(sum(int(acts[i]) * m**i for i in range(n))) + n_joint * (s % keep)
    return out


def state_digits(config: CalvanoConfig, states: np.ndarray) -> np.ndarray:
    """State indices as observations: (N, k * n) price indices, most recent period first
    (the layout of :meth:`PricingState.observation`)."""
    states = np.asarray(states, dtype=np.int64)
    width = config.k * config.n_firms
    return np.stack([(states // config.m**p) % config.m for p in range(width)], axis=-1)


def digits_state(config: CalvanoConfig, observations: np.ndarray) -> np.ndarray:
    """Observations (N, k * n) of price indices as state indices (the inverse of :func:`state_digits`)."""
    obs = np.asarray(observations).astype(np.int64)
    weights = config.m ** np.arange(obs.shape[-1], dtype=np.int64)
    return obs @ weights


# --- the batch engine as registered with the game ---------------------------------------------------
OUTCOME_FIELDS = ("converged", "periods", "final_state", "strategies")


def batch_outcomes(config: dict[str, Any], seed: int, episodes: int) -> dict[str, np.ndarray]:
    """Sessions ``0..episodes-1`` of master ``seed`` by :func:`run_sessions` (the batch engine
    registered with ``collusion/pricing-v0``); ``config`` holds :class:`CalvanoConfig`'s fields."""
    res = run_sessions(CalvanoConfig(**config), episodes, seed=seed)
    return {f: getattr(res, f) for f in OUTCOME_FIELDS}


def reference_outcome(config: dict[str, Any], seed: int, episode: int) -> dict[str, Any]:
    """Session ``episode`` of master ``seed`` by the readable :func:`reference_session` over the
    kernel's profit table: what :func:`batch_outcomes` must reproduce exactly."""
    ref = reference_session(CalvanoConfig(**config), seed=seed, session=episode)
    return {f: ref[f] for f in OUTCOME_FIELDS}


def pricing_q_agent(game: PricingGame, seat: int, **kwargs: Any) -> QLearningAgent:
    """A :class:`~oversight_gym.agents.learning.qlearning.QLearningAgent` for seat ``seat`` of a
    :class:`~oversight_gym.envs.collusion.pricing.PricingGame`, initialised as in the paper
    (payoff against uniformly random rivals, discounted); ``kwargs`` go to the agent."""
    delta = kwargs.pop("delta", game.delta)
    return QLearningAgent(delta=delta, q_init=initial_q(game, delta)[seat], **kwargs)
