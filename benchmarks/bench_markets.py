"""Speed of the market engines: Q-learning bidders in repeated auctions (Banchio and Skrzypacz
2022) and Q-learning firms under sequential pricing (Klein 2021).

Prints, measured in the same run, for the auctions:

(a) session-periods per second of a plain numpy batch loop (all sessions advanced together, one
    vectorised step per period: epsilon-greedy bids, the lottery among tied bidders, the update of
    the bids played, the greedy check) beside the compiled engine
    (:func:`oversight_gym.envs.collusion.stateless_q.run_sessions`, numba, sessions in parallel
    threads) on the same sessions and periods, and the ratio;
(b) the wall time of the paper's experiment: 1,000 sessions of 10^6 periods of the first-price
    auction, with the threads used and the machine's load average;

and for sequential pricing:

(c) run-periods per second of a plain numpy batch loop over runs beside the compiled engine
    (:func:`oversight_gym.envs.collusion.klein.run_runs`), and the ratio;
(d) the wall time of Klein's experiment: 1,000 runs of 500,000 periods on 7 prices.

Run: ``.venv/bin/python benchmarks/bench_markets.py [--quick]``.
"""

from __future__ import annotations

import argparse
import math
import os
import time

import numpy as np

from oversight_gym.envs.collusion.auction import AuctionGame
from oversight_gym.envs.collusion.auction_runs import optimistic_q0
from oversight_gym.envs.collusion.calvano import num_threads
from oversight_gym.envs.collusion.klein import KleinConfig, run_runs
from oversight_gym.envs.collusion.stateless_q import Learning, run_sessions


def numpy_batch(game: AuctionGame, learning: Learning, sessions: int, periods: int, seed: int = 0) -> float:
    """The same algorithm as a plain numpy batch loop (its own random numbers); returns seconds."""
    rng = np.random.default_rng(seed)
    n, k = game.n_bidders, game.n_bids
    q = np.full((sessions, n, k), optimistic_q0(game, learning.gamma))
    rows = np.arange(sessions)
    powers = k ** np.arange(n)
    greedy = q.argmax(axis=2)
    stable = np.zeros(sessions, dtype=np.int64)
    started = time.perf_counter()
    for t in range(periods):
        eps = learning.eps0 * math.exp(-learning.eps_decay * t)
        explore = rng.random((sessions, n)) < eps
        acts = np.where(explore, rng.integers(k, size=(sessions, n)), greedy)
        joint = acts @ powers
        share = game.share[:, joint].T  # (sessions, n)
        ties = (share > 0).sum(axis=1)
        lottery = np.where(share > 0, rng.random((sessions, n)), -1.0)
        winner = lottery.argmax(axis=1)
        reward = np.where(ties[:, None] > 0, np.eye(n)[winner] * game.prize[:, joint].T, 0.0)
        best = q.max(axis=2)
        for i in range(n):
            old = q[rows, i, acts[:, i]]
            q[rows, i, acts[:, i]] = (1 - learning.alpha) * old + learning.alpha * (reward[:, i] + learning.gamma
                                                                                     * best[:, i])
        new = q.argmax(axis=2)
        stable = np.where((new == greedy).all(axis=1), stable + 1, 0)
        greedy = new
    return time.perf_counter() - started


def numpy_klein(config: KleinConfig, runs: int, periods: int, seed: int = 0) -> float:
    """Klein's algorithm as a plain numpy batch loop over runs (its own random numbers); returns seconds."""
    rng = np.random.default_rng(seed)
    profit = config.game().profit
    m = config.k + 1
    q = np.zeros((runs, 2, m, m))
    rows = np.arange(runs)
    prices = rng.integers(m, size=(runs, 2))
    pend = np.zeros((runs, 2, 2), dtype=np.int64)  # (state, price) of each firm's last move
    pend_r = np.zeros((runs, 2))
    started = time.perf_counter()
    for t in range(periods):
        i, j = t % 2, 1 - t % 2
        s = prices[:, j]
        explore = rng.random(runs) < np.exp(t * config.log_decay)
        a = np.where(explore, rng.integers(m, size=runs), q[rows, i, s].argmax(axis=1))
        prices[:, i] = a
        if t > 0:
            target = pend_r[:, j] + config.delta * profit[s, a] + config.delta**2 * q[rows, j, a].max(axis=1)
            old = q[rows, j, pend[:, j, 0], pend[:, j, 1]]
            q[rows, j, pend[:, j, 0], pend[:, j, 1]] = (1 - config.alpha) * old + config.alpha * target
        pend[:, i, 0], pend[:, i, 1], pend_r[:, i] = s, a, profit[a, s]
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer sessions and periods")
    args = parser.parse_args(argv)
    game = AuctionGame(a=1.0)
    print(f"machine: {os.cpu_count()} cores, numba threads {num_threads()}, "
          f"load average before {os.getloadavg()[0]:.2f}")
    sessions, periods = (100, 2_000) if args.quick else (1000, 20_000)
    base = Learning(q0=optimistic_q0(game, 0.99), periods=periods)
    run_sessions(game.stage, Learning(periods=10), 2)  # compile outside the timing
    loop = numpy_batch(game, base, sessions, periods)
    started = time.perf_counter()
    run_sessions(game.stage, base, sessions, random_ties=True)
    engine = time.perf_counter() - started
    work = sessions * periods
    print(f"(a) {sessions} sessions x {periods:,} periods: numpy batch loop {work / loop:,.0f} session-periods/s, "
          f"compiled engine {work / engine:,.0f} session-periods/s: {loop / engine:.1f}x")
    full_sessions, full_periods = (100, 100_000) if args.quick else (1000, 1_000_000)
    started = time.perf_counter()
    run_sessions(game.stage, Learning(q0=optimistic_q0(game, 0.99), periods=full_periods), full_sessions,
                 random_ties=True)
    wall = time.perf_counter() - started
    print(f"(b) {full_sessions:,} sessions x {full_periods:,} periods (first price): {wall:.1f} s, "
          f"{full_sessions * full_periods / wall:,.0f} session-periods/s, load average after "
          f"{os.getloadavg()[0]:.2f}")

    runs, periods = (100, 2_000) if args.quick else (1000, 20_000)
    cfg = KleinConfig(periods=periods, window=min(1000, periods))
    run_runs(KleinConfig(periods=10, window=1), 2)  # compile outside the timing
    loop = numpy_klein(cfg, runs, periods)
    started = time.perf_counter()
    run_runs(cfg, runs)
    engine = time.perf_counter() - started
    print(f"(c) {runs} runs x {periods:,} periods: numpy batch loop {runs * periods / loop:,.0f} run-periods/s, "
          f"compiled engine {runs * periods / engine:,.0f} run-periods/s: {loop / engine:.1f}x")
    full_runs, full_periods = (100, 50_000) if args.quick else (1000, 500_000)
    started = time.perf_counter()
    run_runs(KleinConfig(periods=full_periods), full_runs)
    wall = time.perf_counter() - started
    print(f"(d) {full_runs:,} runs x {full_periods:,} periods (7 prices): {wall:.1f} s, load average after "
          f"{os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
