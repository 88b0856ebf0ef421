"""Speed of Q-learning pricing (Calvano, Calzolari, Denicolo, Pastorello 2020).

Prints, measured in the same run:

(a) session-periods per second of a plain numpy batch loop (all sessions advanced together,
    one vectorised step per period, the paper's algorithm: epsilon-greedy, Q update, greedy
    strategy check) for a fixed number of periods, beside the compiled batch engine
    (:func:`oversight_gym.envs.collusion.calvano.run_sessions`, numba, sessions in parallel
    threads) run for the same fixed number of periods (convergence switched off), and the ratio;
(b) the wall time of 1,000 sessions at the representative point (alpha = 0.15,
    beta = 4e-6) run to convergence, with the session-periods per second it reached, the
    threads used and the machine's load average (other processes share the CPU).

For scale: a public pure-Python re-implementation takes about 84 microseconds per period,
about 20 CPU-hours for one 1,000-session experiment (Calvano et al. 2020 describe the
experiment; the figure is that re-implementation's own timing).

Run: ``.venv/bin/python benchmarks/bench_calvano.py [--quick] [--sessions N]``.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from oversight_gym.envs.collusion.calvano import CalvanoConfig, initial_q, num_threads, run_sessions


def numpy_batch(config: CalvanoConfig, sessions: int, periods: int, seed: int = 0) -> float:
    """A plain numpy batch loop over ``sessions`` for ``periods`` periods; returns seconds."""
    game = config.game()
    n, m = config.n_firms, config.m
    n_joint = m**n
    n_states = game.num_states
    keep = n_states // n_joint
    rng = np.random.default_rng(seed)
    q = np.broadcast_to(initial_q(game, config.delta)[None, :, None, :], (sessions, n, n_states, m)).copy()
    greedy = q.argmax(axis=3)
    state = rng.integers(n_states, size=sessions)
    stable = np.zeros(sessions, dtype=np.int64)
    rows = np.arange(sessions)
    powers = m ** np.arange(n)
    started = time.perf_counter()
    for t in range(periods):
        eps = np.exp(-config.beta * t)
        explore = rng.random((sessions, n)) < eps
        acts = np.where(explore, rng.integers(m, size=(sessions, n)), greedy[rows, :, state])
        joint = acts @ powers
        nxt = joint + n_joint * (state % keep)
        changed = np.zeros(sessions, dtype=bool)
        for i in range(n):
            target = game.profits[i, joint] + config.delta * q[rows, i, nxt].max(axis=1)
            old = q[rows, i, state, acts[:, i]]
            q[rows, i, state, acts[:, i]] = (1 - config.alpha) * old + config.alpha * target
            g = q[rows, i, state].argmax(axis=1)
            changed |= g != greedy[rows, i, state]
            greedy[rows, i, state] = g
        stable = np.where(changed, 0, stable + 1)
        state = nxt
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer sessions and periods")
    parser.add_argument("--sessions", type=int, default=1000, help="sessions to run to convergence in (b)")
    parser.add_argument("--periods", type=int, default=20_000, help="fixed periods of the comparison in (a)")
    args = parser.parse_args(argv)
    sessions = 100 if args.quick else args.sessions
    periods = 2_000 if args.quick else args.periods
    cfg = CalvanoConfig()
    print(f"machine: {os.cpu_count()} cores, numba threads {num_threads()}, "
          f"load average before {os.getloadavg()[0]:.2f}")

    # (a) fixed number of periods, same sessions
    run_sessions(CalvanoConfig(window=10, max_periods=100), 2, seed=0)  # compile outside the timing
    fixed = CalvanoConfig(window=10**12, max_periods=periods)
    t_np = numpy_batch(cfg, sessions, periods)
    t0 = time.perf_counter()
    run_sessions(fixed, sessions, seed=0, chunk=sessions)
    t_nb = time.perf_counter() - t0
    rate_np = sessions * periods / t_np
    rate_nb = sessions * periods / t_nb
    print(f"\n(a) {sessions} sessions x {periods:,} periods (representative point, no convergence stop)")
    print(f"    numpy batch loop      {rate_np / 1e6:8.2f} M session-periods/s  ({t_np:.2f} s)")
    print(f"    compiled batch engine {rate_nb / 1e6:8.2f} M session-periods/s  ({t_nb:.2f} s)")
    print(f"    ratio                 {rate_nb / rate_np:8.1f}x")

    # (b) 1,000 sessions to convergence
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    res = run_sessions(cfg, sessions, seed=0, progress=True)
    wall = time.perf_counter() - t0
    total = int(res.periods.sum())
    print(f"\n(b) {sessions} sessions at alpha=0.15, beta=4e-6 to convergence (window 100,000)")
    print(f"    wall time {wall:.1f} s on {num_threads()} threads (load average at start {load:.2f}, "
          f"at end {os.getloadavg()[0]:.2f}); target < 180 s for 1,000 sessions on 2 cores")
    print(f"    {total:,} session-periods, {total / wall / 1e6:.1f} M/s; converged {res.converged.mean():.1%}; "
          f"Delta {res.delta.mean():.3f} (published 0.849)")
    print(f"    the numpy loop of (a) would take about {total / rate_np / 60:.1f} min for the same periods "
          f"({total / rate_np / wall:.0f}x longer); a Python loop at 84 us/period about "
          f"{total * 84e-6 / 3600:.0f} CPU-hours")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
