"""Speed of the AI-control table (Greenblatt et al. 2023) at the paper's scale.

Our target: the whole protocol table of ``oversight-gym run ai-control`` (19 protocols: no
monitoring, upfront auditing, trusted monitoring deferring 0-50%, untrusted monitoring with and
without counter-measures deferring 0-20% with the red team choosing among 4 collusion signals,
trusted editing 5-50%), each against the red team's best response searched on 2,000 deployments
of 5,000 tasks and reported on 2,000 fresh ones, in under a minute on 2 cores
(:func:`oversight_gym.envs.collusion.control_runs.solve_protocols`: the vectorised simulator,
all protocols on shared draws, honest tasks read from a per-protocol outcome table).

Printed beside it, measured in the same run: the plain per-deployment loop
(:func:`oversight_gym.envs.collusion.ai_control.simulate_loop`: one kernel episode per deployment,
both seats played by the scripted rules through the episode driver) on a sample of the protocols
and red teams, its projection to the same number of simulated deployments, and the ratio.

Run: ``.venv/bin/python benchmarks/bench_ai_control.py [--quick]``.
"""

from __future__ import annotations

import argparse
import os
import time

from oversight_gym.envs.collusion import ai_control as A
from oversight_gym.scenarios import ai_control as S


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 deployments per protocol")
    parser.add_argument("--deployments", type=int, default=None, help="deployments per protocol (2,000)")
    parser.add_argument("--loop-deployments", type=int, default=3, help="kernel deployments per sampled red team")
    args = parser.parse_args()
    deployments = args.deployments or (200 if args.quick else 2000)
    params = {**S.SCENARIO.defaults(False), "deployments": deployments, "search_deployments": deployments}
    cells = S.protocols(params)
    jobs = {label: S.variants(params, kw) for label, kw, _ in cells}
    # the red teams the search simulates, and the honest runs (one per protocol variant), as deployments
    grid = S.rate_grid(params)
    searched = sum(len(reds) for v in jobs.values() for _, reds in A._attacks(list(v.values()), grid))
    simulated = (searched + sum(len(v) for v in jobs.values()) + 2 * len(jobs)) * deployments

    S.solve({**params, "deployments": 2, "search_deployments": 2, "n_tasks": 50}, cells, 0)  # compile outside
    started = time.perf_counter()
    done = S.solve(params, cells, seed=0)
    fast = time.perf_counter() - started
    fast_rate = simulated / fast

    sample = [(v[next(iter(v))], r) for v in list(jobs.values())[::4] for r in (A.RedTeam(0.002), A.HONEST_TEAM)]
    started = time.perf_counter()
    n_loop = 0
    for i, (cfg, red) in enumerate(sample):
        A.simulate_loop(cfg, red, A.deployment_seeds(i, args.loop_deployments))
        n_loop += args.loop_deployments
    slow_rate = n_loop / (time.perf_counter() - started)

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"AI-control table: {len(cells)} protocols x {deployments} deployments x {params['n_tasks']} tasks, "
          f"red team searched over {len(grid)} attack rates (and signals, monitor strategies)")
    print(f"  vectorised simulator (numba, one thread): {fast:8.2f} s for {simulated:,} simulated deployments "
          f"({fast_rate:,.0f}/s)   target: < 60 s  -> {'MET' if fast < 60 else 'NOT MET'}")
    print(f"  plain per-deployment loop (kernel + scripted rules, {n_loop} deployments over {len(sample)} red teams): "
          f"{slow_rate:,.1f} deployments/s, projected {simulated / slow_rate:,.0f} s for the table")
    print(f"  ratio: {fast_rate / slow_rate:,.0f}x   (load average {load:.2f}; other processes share the CPU)")
    print(f"  safety over the table: {min(r['safety'] for r in done.values()):.3f} - "
          f"{max(r['safety'] for r in done.values()):.3f}")


if __name__ == "__main__":
    main()
