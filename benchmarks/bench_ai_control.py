"""Speed of the AI-control safety-usefulness sweep (Greenblatt et al. 2023).

Our target: a sweep of 50 protocol settings with 1,000 simulated deployments of
5,000 tasks each in under 2 minutes on 2 cores. Each setting is evaluated twice on the
same deployments: safety against a colluding red team and usefulness with an honest U
(:func:`oversight_gym.envs.collusion.ai_control.evaluate`, numba, deployments in parallel
threads).

Printed beside it, measured in the same run: the plain per-deployment loop
(:func:`oversight_gym.envs.collusion.ai_control.simulate_loop`: one kernel episode per deployment,
both seats played by the scripted rules in Python) on a sample of the settings and
deployments, its projection to the whole sweep, and the ratio of deployments per second.

Run: ``.venv/bin/python benchmarks/bench_ai_control.py [--quick]``.
"""

from __future__ import annotations

import argparse
import itertools
import os
import time

import numba

from oversight_gym.envs.collusion import ai_control as A
from oversight_gym.envs.collusion.untrusted_monitoring import ControlConfig


def settings(n_tasks: int) -> list[ControlConfig]:
    """50 protocol settings: trusted monitoring over 10 defer rates, and untrusted monitoring
    over 10 defer rates x {no counter-measure, honeypots, honeypots + paraphrase, paraphrase}."""
    defer = [0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.7]
    out = [ControlConfig(n_tasks=n_tasks, protocol="trusted", defer_rate=d) for d in defer]
    for d, (hp, para) in itertools.product(defer, [(0, 0.0), (30, 0.0), (30, 0.9), (0, 0.9)]):
        out.append(ControlConfig(n_tasks=n_tasks, protocol="untrusted", defer_rate=d, honeypots=hp,
                                 paraphrase_prob=para))
    return out


RED = A.RedTeam(0.003, True, "on_signal")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 deployments per setting")
    parser.add_argument("--deployments", type=int, default=None)
    parser.add_argument("--tasks", type=int, default=5000)
    parser.add_argument("--loop-deployments", type=int, default=10, help="deployments per sampled setting for the loop")
    args = parser.parse_args()
    deployments = args.deployments or (100 if args.quick else 1000)
    cfgs = settings(args.tasks)

    # compile outside the timing
    warm = cfgs[-1]
    A.evaluate(ControlConfig(**{**warm.as_dict(), "n_tasks": 10}), [RED], deployments=2)

    started = time.perf_counter()
    results = [A.evaluate(cfg, [RED], deployments=deployments, seed=i)[0] for i, cfg in enumerate(cfgs)]
    fast = time.perf_counter() - started
    fast_rate = 2 * len(cfgs) * deployments / fast  # deployments simulated per second (red + honest)

    sample = cfgs[::10]  # 5 settings
    started = time.perf_counter()
    n_loop = 0
    for i, cfg in enumerate(sample):
        seeds = A.deployment_seeds(i, args.loop_deployments)
        A.simulate_loop(cfg, RED, seeds)
        A.simulate_loop(cfg, A.HONEST_TEAM, seeds)
        n_loop += 2 * len(seeds)
    slow = time.perf_counter() - started
    slow_rate = n_loop / slow
    projected = 2 * len(cfgs) * deployments / slow_rate

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"AI-control sweep: {len(cfgs)} protocol settings x {deployments} deployments x {args.tasks} tasks "
          f"(safety vs a colluding red team + usefulness with an honest U)")
    print(f"  vectorised simulator (numba, {numba.get_num_threads()} threads): {fast:8.2f} s "
          f"({fast_rate:,.0f} deployments/s)   target: < 120 s  -> {'MET' if fast < 120 else 'NOT MET'}")
    print(f"  plain per-deployment loop (kernel + scripted rules, {n_loop} deployments over {len(sample)} settings): "
          f"{slow_rate:,.1f} deployments/s, projected {projected:,.0f} s for the sweep")
    print(f"  ratio: {fast_rate / slow_rate:,.0f}x   (load average {load:.2f}; other processes share the CPU)")
    print(f"  safety range over the settings: {min(r.safety.value for r in results):.3f} - "
          f"{max(r.safety.value for r in results):.3f}; usefulness {min(r.usefulness for r in results):.3f} - "
          f"{max(r.usefulness for r in results):.3f}")


if __name__ == "__main__":
    main()
