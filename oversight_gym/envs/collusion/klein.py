"""Q-learning under sequential pricing (Klein 2021, RAND Journal of Economics 52(3)): a batch
engine over many independent runs of :mod:`oversight_gym.envs.collusion.sequential_pricing`,
with a readable single-run reference.

As in the paper: each firm's state is the rival's standing price; Q starts at 0; the firm that
moves in period t explores with probability ``eps_t = (1 - theta)^t``, ``theta = 1 -
eps_end^(1 / T)`` (``eps_end = 10^-6``: exploration has all but ended at the last period T),
playing a price drawn uniformly, and otherwise plays its greedy price (the lowest of the best);
once the rival has answered in period t + 1, the mover updates

    Q(s_t, a_t) <- (1 - alpha) Q(s_t, a_t) + alpha [pi(a_t, s_t) + delta pi(a_t, s_t+1)
                                                      + delta^2 max_a Q(s_t+1, a)]

with ``alpha = 0.3``, ``delta = 0.95``, ``T = 500,000``. A run's profit is each firm's mean over
its last ``window`` = 1,000 periods. Initial prices are drawn uniformly.

Randomness: run ``i`` under master seed ``seed`` draws from its own SplitMix64 stream (as
:mod:`oversight_gym.envs.collusion.calvano`): two uniforms for the initial prices, then per
period one uniform, and a second if the mover explores. :func:`reference_run` is the same
algorithm in plain Python; tests check the compiled engine reproduces it exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numba import njit, prange

from oversight_gym.analysis.detection import frozen_rivals
from oversight_gym.core.errors import check_float, check_int
from oversight_gym.core.numba_cache import drop_stale_caches
from oversight_gym.core.params import LEARNING_RATE
from oversight_gym.envs.collusion import calvano
from oversight_gym.envs.collusion.calvano import _GAMMA, SplitMix64, _uniform, session_keys
from oversight_gym.envs.collusion.sequential_pricing import SequentialPricingGame, is_equilibrium

#: what the batch engine returns per run
OUTCOME_FIELDS = ("policies", "final_prices", "profits")


@dataclass(frozen=True)
class KleinConfig:
    """A market and its learners; the defaults are Klein's baseline at k = 6 (7 prices)."""

    k: int = 6
    alpha: float = 0.3
    delta: float = 0.95
    periods: int = 500_000
    eps_end: float = 1e-6
    window: int = 1000

    def __post_init__(self) -> None:
        self.game()
        LEARNING_RATE.check("alpha (the learning rate)", check_float("alpha", self.alpha))
        check_int("periods", self.periods, 2)
        eps_end = check_float("eps_end", self.eps_end)
        if not 0.0 < eps_end <= 1.0:
            raise ValueError(f"eps_end (exploration at the last period) must be in (0, 1], got {self.eps_end!r}")
        check_int("window", self.window, 1, self.periods)

    def game(self) -> SequentialPricingGame:
        return SequentialPricingGame(k=self.k, delta=self.delta)

    @property
    def log_decay(self) -> float:
        """``log(1 - theta)``: exploration is ``exp(t log(1 - theta))``."""
        return math.log(self.eps_end) / self.periods


@njit(cache=True, nogil=True)
def _run(profit, m, alpha, delta, periods, log_decay, window, key, q_given, fixed, policy_out, prices_out, profits_out,
         q_out):
    """One run from Q ``q_given`` (2, m, m) if it has rows, else zeros; a firm whose row
    ``fixed[i]`` (2, m) is not -1 plays that policy and neither explores nor learns."""
    q = np.zeros((2, m, m))
    if q_given.shape[0] > 0:
        q[:] = q_given
    rng = key
    prices = np.empty(2, dtype=np.int64)
    for i in range(2):
        rng += _GAMMA
        prices[i] = int(_uniform(rng) * m)
    pend_s = np.zeros(2, dtype=np.int64)
    pend_a = np.zeros(2, dtype=np.int64)
    pend_r = np.zeros(2)
    pending = np.zeros(2, dtype=np.bool_)
    total = np.zeros(2)
    for t in range(periods):
        i = t % 2
        j = 1 - i
        s = prices[j]
        learns = fixed[i, 0] < 0
        explore = False
        if learns:
            rng += _GAMMA
            explore = _uniform(rng) < math.exp(t * log_decay)
        if not learns:
            a = fixed[i, s]
        elif explore:
            rng += _GAMMA
            a = int(_uniform(rng) * m)
        else:
            a = 0
            for b in range(1, m):
                if q[i, s, b] > q[i, s, a]:
                    a = b
        prices[i] = a
        pi_i = profit[a, s]
        pi_j = profit[s, a]
        if pending[j] and fixed[j, 0] < 0:
            best = q[j, a, 0]
            for b in range(1, m):
                if q[j, a, b] > best:
                    best = q[j, a, b]
            old = q[j, pend_s[j], pend_a[j]]
            q[j, pend_s[j], pend_a[j]] = (1.0 - alpha) * old + alpha * (pend_r[j] + delta * pi_j + delta * delta * best)
        pend_s[i] = s
        pend_a[i] = a
        pend_r[i] = pi_i
        pending[i] = True
        if t >= periods - window:
            total[i] += pi_i
            total[j] += pi_j
    for i in range(2):
        for s in range(m):
            a = 0
            for b in range(1, m):
                if q[i, s, b] > q[i, s, a]:
                    a = b
            policy_out[i, s] = a if fixed[i, 0] < 0 else fixed[i, s]
        prices_out[i] = prices[i]
        profits_out[i] = total[i] / window
    q_out[:] = q


@njit(cache=True, parallel=True)
def _batch(profit, m, alpha, delta, periods, log_decay, window, keys, q_given, fixed, policies, prices, profits,
           q_out):
    for r in prange(keys.shape[0]):
        _run(profit, m, alpha, delta, periods, log_decay, window, keys[r], q_given[r], fixed[r], policies[r], prices[r],
             profits[r], q_out[r])


# the engine inlines the random-number functions of the Calvano engine: its cache follows their source
drop_stale_caches("klein", [_run, _batch], [calvano._mix, calvano._uniform])


def run_runs(config: KleinConfig, runs: int | range, seed: int = 0, *, fixed: np.ndarray | None = None,
             q_start: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Runs (a count, or a range of run ids): per run the final greedy ``policies`` (2, k + 1: a
    firm's price index for each rival price), the ``final_prices``, each firm's mean ``profits``
    over the last ``window`` periods and the final Q tables ``q`` (2, k + 1, k + 1).

    ``fixed`` (runs, 2, k + 1): a firm whose row is not all -1 plays that policy throughout and
    neither explores nor learns (a frozen rival); ``q_start`` (runs, 2, k + 1, k + 1): the Q
    tables to start from instead of 0."""
    ids = range(check_int("runs", runs, 1)) if isinstance(runs, int) else runs
    if len(ids) == 0:
        raise ValueError("runs: no run ids given")
    game = config.game()
    m = config.k + 1
    size = len(ids)
    keys = session_keys(seed, ids.start, ids.stop)
    fixed = np.full((size, 2, m), -1, dtype=np.int64) if fixed is None else np.asarray(fixed, dtype=np.int64)
    if fixed.shape != (size, 2, m):
        raise ValueError(f"fixed must have shape (runs, 2, k + 1) = ({size}, 2, {m}), got {fixed.shape}")
    q_given = np.zeros((size, 0, m, m)) if q_start is None else np.ascontiguousarray(q_start, dtype=np.float64)
    if q_start is not None and q_given.shape != (size, 2, m, m):
        raise ValueError(f"q_start must have shape (runs, 2, k + 1, k + 1) = ({size}, 2, {m}, {m}), "
                         f"got {q_given.shape}")
    policies = np.zeros((size, 2, m), dtype=np.int64)
    prices = np.zeros((size, 2), dtype=np.int64)
    profits = np.zeros((size, 2))
    q_out = np.zeros((size, 2, m, m))
    _batch(game.profit, m, config.alpha, config.delta, config.periods, config.log_decay, config.window, keys,
           q_given, fixed, policies, prices, profits, q_out)
    return {"policies": policies, "final_prices": prices, "profits": profits, "q": q_out}


def retrain_runs(config: KleinConfig, policies: np.ndarray, learner: int = 0, seed: int = 0, *, start: str = "fresh",
                 q: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Retrain one firm against a rival frozen at its learned policy (Courthoud 2021).

    ``policies`` (B, 2, k + 1) are converged runs' policies. Firm ``learner`` learns again by
    Klein's rules, its exploration restarting at 1 and decaying to ``eps_end`` over
    ``config.periods``, while the rival plays its policy without exploring or learning;
    retraining b is run b of master ``seed``. Its Q starts ``"fresh"`` (default: 0, Klein's) or
    at its ``"learned"`` tables ``q`` (B, 2, k + 1, k + 1: :func:`run_runs`'s ``q``).

    What it tests: whether the learner's learned policy is a best response to the rival's (Klein's
    equilibrium test, here by learning rather than value iteration): against a rival whose policy
    punishes undercuts, the learner relearns the collusive price.
    """
    policies = np.asarray(policies, dtype=np.int64)
    m = config.k + 1
    if policies.ndim != 3 or policies.shape[1:] != (2, m):
        raise ValueError(f"policies must have shape (runs, 2, k + 1) = (B, 2, {m}), got {policies.shape}")
    check_int("learner", learner, 0, 1)
    fixed, q_start = frozen_rivals(policies, learner, start, q, "the runs' final Q tables (run_runs(...)['q'])")
    return run_runs(config, len(policies), seed, fixed=fixed, q_start=q_start)


def reference_run(config: KleinConfig, seed: int = 0, run: int = 0, frozen: dict[int, np.ndarray] | None = None,
                  q_start: np.ndarray | None = None) -> dict[str, Any]:
    """One run, written for reading rather than speed: what :func:`run_runs` gives for (seed, run),
    with firms ``frozen`` (firm -> its policy, played without exploring or learning) and Q
    starting at ``q_start``."""
    game = config.game()
    m = config.k + 1
    frozen = frozen or {}
    rng = SplitMix64(int(session_keys(seed, run, run + 1)[0]))
    # q[firm, rival's price, own price]
    q = np.zeros((2, m, m)) if q_start is None else np.array(q_start, dtype=np.float64)
    prices = [int(rng.uniform() * m), int(rng.uniform() * m)]
    waiting: dict[int, tuple[int, int, float]] = {}  # firm -> (state, price, profit) of its last move
    total = np.zeros(2)
    for t in range(config.periods):
        mover, other = t % 2, 1 - t % 2
        state = prices[other]
        if mover in frozen:
            price = int(frozen[mover][state])
        else:
            explore = rng.uniform() < math.exp(t * config.log_decay)
            price = int(rng.uniform() * m) if explore else int(np.argmax(q[mover, state]))
        prices[mover] = price
        earned = [0.0, 0.0]
        earned[mover] = game.profit[price, state]
        earned[other] = game.profit[state, price]
        if other in waiting and other not in frozen:  # the other firm's last move is answered: update it
            s, a, first = waiting[other]
            target = first + config.delta * earned[other] + config.delta**2 * q[other, price].max()
            q[other, s, a] = (1 - config.alpha) * q[other, s, a] + config.alpha * target
        waiting[mover] = (state, price, earned[mover])
        if t >= config.periods - config.window:
            total += earned
    policies = q.argmax(axis=2)
    for i, policy in frozen.items():
        policies[i] = policy
    return {"policies": policies, "final_prices": np.array(prices), "profits": total / config.window, "q": q}


def greedy_path(policies: np.ndarray, prices: np.ndarray, start_mover: int, periods: int) -> np.ndarray:
    """Standing prices (periods + 1, 2) when both firms follow their greedy ``policies`` from
    ``prices``, ``start_mover`` moving first."""
    path = [np.array(prices, dtype=np.int64)]
    cur = np.array(prices, dtype=np.int64)
    for t in range(periods):
        i = (start_mover + t) % 2
        cur = cur.copy()
        cur[i] = policies[i, cur[1 - i]]
        path.append(cur)
    return np.stack(path)


def classify(config: KleinConfig, policies: np.ndarray, prices: np.ndarray, periods: int) -> dict[str, Any]:
    """What a run converged to: the limit cycle that greedy play reaches from its final prices
    (its length in moves; 2 for a standing price pair), whether the policies are an equilibrium
    on that cycle (Nash: each firm's price is a best response at every rival price it meets
    there) and in every state (subgame perfect), whether the cycle is the joint-profit price, and
    its mean profit per firm."""
    game = config.game()
    path = greedy_path(policies, prices, periods % 2, 4 * (config.k + 1) ** 2 + 4)
    tail = path[len(path) // 2:]
    length = next((c for c in range(2, len(tail), 2) if (tail[c:] == tail[:-c]).all()), len(tail))
    cycle = tail[:length]
    prof = np.array([[game.profit[p[0], p[1]], game.profit[p[1], p[0]]] for p in cycle]).mean(axis=0)
    monopoly = int(np.argmax(game.grid * (1 - game.grid)))
    met = [cycle[:, 1].tolist(), cycle[:, 0].tolist()]  # the rival prices each firm meets on the cycle
    return {"equilibrium": is_equilibrium(game.profit, policies, config.delta, states=met),
            "subgame_perfect": is_equilibrium(game.profit, policies, config.delta),
            "cycle_length": length, "joint_profit": bool((cycle == monopoly).all()),
            "cycle_profit": float(prof.mean())}


# --- the batch engine as registered with the game ---------------------------------------------------
def batch_outcomes(config: dict[str, Any], seed: int, episodes: int) -> dict[str, np.ndarray]:
    """Runs ``0..episodes-1`` of master ``seed`` (the batch engine registered with
    ``collusion/sequential-pricing-v0``); ``config`` holds :class:`KleinConfig`'s fields."""
    out = run_runs(KleinConfig(**config), episodes, seed=seed)
    return {f: out[f] for f in OUTCOME_FIELDS}


def reference_outcome(config: dict[str, Any], seed: int, episode: int) -> dict[str, Any]:
    """Run ``episode`` of master ``seed`` by the readable :func:`reference_run`."""
    ref = reference_run(KleinConfig(**config), seed=seed, run=episode)
    return {f: ref[f] for f in OUTCOME_FIELDS}


def deviation_path(config: KleinConfig, policies: np.ndarray, prices: np.ndarray, periods: int,
                   moves: int = 12) -> np.ndarray:
    """Standing prices (moves + 2, 2) around a forced undercut: the firm about to move (after
    ``periods`` periods) sets one grid step below the rival's price instead of its greedy price,
    then both follow their greedy policies; row 0 is before the deviation. Rows are ordered
    (deviator, rival)."""
    mover = periods % 2
    start = np.array(prices, dtype=np.int64)
    shocked = start.copy()
    shocked[mover] = max(int(start[1 - mover]) - 1, 0)
    path = np.vstack([start[None, :], greedy_path(policies, shocked, 1 - mover, moves)])
    return path[:, [mover, 1 - mover]]
