"""Speed of the memoryless learners on the homogeneous-good market (Asker, Fershtman and Pakes
2022) with its stage game written by rank (own price, lowest rival price, how many rivals charge
it) instead of tables over joint prices.

Prints, measured in the same run:

(a) at 3 firms on the paper's 100 prices (the most the joint tables fitted: 3 x 10^6 entries),
    the time to build the joint tables and to run the same sessions on them (the old path)
    beside the rank stage, with the check that both give identical sessions, and the ratio;
(b) session-periods per second of a plain numpy batch loop (all sessions advanced together, one
    vectorised step per period: the lowest rival price per firm, the split sale, the update of
    the price played or of every price) beside the compiled engine
    (:func:`oversight_gym.envs.collusion.stateless_q.run_sessions`) at 10 firms, per protocol,
    and the ratio;
(c) the wall time of 100 sessions (the scenario's cell) for 2 to 20 firms and both protocols.

Run: ``.venv/bin/python benchmarks/bench_memoryless.py [--quick]``.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from oversight_gym.envs.collusion.calvano import num_threads
from oversight_gym.envs.collusion.homogeneous_pricing import HomogeneousPricingGame
from oversight_gym.envs.collusion.memoryless import ASKER
from oversight_gym.envs.collusion.stateless_q import Learning, run_sessions


def numpy_batch(game: HomogeneousPricingGame, learning: Learning, sessions: int, seed: int = 0) -> float:
    """Greedy memoryless learners (no exploration draws, ties split) as a plain numpy batch loop
    (its own random initial values); returns seconds."""
    rng = np.random.default_rng(seed)
    n, k = game.n_firms, game.m
    low, high = learning.q0_range
    q = rng.uniform(low, high, size=(sessions, n, k))
    margin, sells = game.stage.prize[:, 0], game.stage.eligible
    rows = np.arange(sessions)[:, None]
    firms = np.arange(n)[None, :]
    prices = np.arange(k)
    a = learning.alpha
    started = time.perf_counter()
    for _ in range(learning.periods):
        acts = q.argmax(axis=2)  # (S, n)
        first = acts.min(axis=1, keepdims=True)
        count = (acts == first).sum(axis=1, keepdims=True)
        second = np.where(acts == first, k, acts).min(axis=1, keepdims=True)
        count2 = (acts == second).sum(axis=1, keepdims=True)
        alone = (acts == first) & (count == 1)
        rival = np.where(alone, second, first)
        ties = np.where(alone, count2, count - (acts == first))
        if learning.synchronous:
            b = prices[None, None, :]
            r = rival[:, :, None]
            share = np.where(b == r, 1.0 / (ties[:, :, None] + 1), (b < r).astype(float)) * sells[b]
            q = (1 - a) * q + a * (share * margin[b] + learning.gamma * q.max(axis=2, keepdims=True))
        else:
            share = np.where(acts == rival, 1.0 / (ties + 1), (acts < rival).astype(float)) * sells[acts]
            old = q[rows, firms, acts]
            q[rows, firms, acts] = (1 - a) * old + a * (share * margin[acts] + learning.gamma * q.max(axis=2))
    return time.perf_counter() - started


def timed(fn, *args, **kw):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    out = fn(*args, **kw)
    return out, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer sessions and periods")
    args = parser.parse_args(argv)
    print(f"machine: {os.cpu_count()} cores, numba threads {num_threads()}, "
          f"load average before {os.getloadavg()[0]:.2f}")
    small = HomogeneousPricingGame(n_firms=2, m=5)
    for sync in (False, True):  # compile outside the timing
        run_sessions(small.stage, Learning(periods=10, synchronous=sync), 2)
        run_sessions(small.stage.joint(), Learning(periods=10, synchronous=sync), 2)

    sessions = 20 if args.quick else 100
    game = HomogeneousPricingGame(n_firms=3)
    for sync, periods in ((False, 20_000 if args.quick else 200_000), (True, 2000)):
        learning = Learning(**{**ASKER, "periods": periods, "synchronous": sync})
        joint, build = timed(game.stage.joint)
        old, old_s = timed(run_sessions, joint, learning, sessions)
        new, new_s = timed(run_sessions, game.stage, learning, sessions)
        same = (old["actions"] == new["actions"]).all() and (old["stable"] == new["stable"]).all()
        name = "synchronous" if sync else "asynchronous"
        print(f"(a) 3 firms, 100 prices, {name}, {sessions} sessions x {periods:,} periods: joint tables "
              f"{joint.prize.size + joint.share.size:,} entries built in {build:.2f} s, run {old_s:.2f} s; rank stage "
              f"{game.stage.prize.size:,} entries, run {new_s:.2f} s: {(build + old_s) / new_s:.1f}x "
              f"({old_s / new_s:.1f}x on the runs alone); identical sessions: {same}")

    game = HomogeneousPricingGame(n_firms=10)
    for sync, periods in ((False, 2000 if args.quick else 10_000), (True, 500 if args.quick else 2000)):
        learning = Learning(**{**ASKER, "periods": periods, "synchronous": sync})
        loop = numpy_batch(game, learning, sessions)
        _, engine = timed(run_sessions, game.stage, learning, sessions)
        work = sessions * periods
        name = "synchronous" if sync else "asynchronous"
        print(f"(b) 10 firms, {name}, {sessions} sessions x {periods:,} periods: numpy batch loop "
              f"{work / loop:,.0f} session-periods/s, compiled engine {work / engine:,.0f} session-periods/s: "
              f"{loop / engine:.1f}x")

    for n in (2, 3, 4, 6, 10, 20):
        game = HomogeneousPricingGame(n_firms=n)
        walls = []
        for sync, periods in ((False, 20_000 if args.quick else 200_000), (True, 2000)):
            _, wall = timed(run_sessions, game.stage, Learning(**{**ASKER, "periods": periods, "synchronous": sync}),
                            sessions)
            walls.append(f"{'synchronous' if sync else 'asynchronous'} ({periods:,} periods) {wall:.1f} s")
        print(f"(c) {n} firms, {sessions} sessions: {', '.join(walls)}")
    print(f"load average after {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
