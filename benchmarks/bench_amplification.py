"""Speed of the amplification tasks (Christiano, Shlegeris, Amodei 2018): the five task
generators and the scripted overseer H answering full-size questions (64 names) with
ground-truth subanswers, against the target of 10,000 questions per second per core.

For each task: instances are generated at full size, ``--per-instance`` root questions
are drawn from each, and H decomposes each question, every subquestion answered by its
ground truth (:func:`~oversight_gym.envs.amplification.tasks.answer_with_truth`); every
answer is checked against the direct answer. The rate counts everything: generating the
instances, drawing the questions, H's decomposition and the ground truth of every
subquestion. The baseline beside it is the same work through the general path
(:func:`~oversight_gym.envs.amplification.tasks.hch` at depth 1 with a perfect model, which
also records the decomposition tree), and the rate of instance generation alone.

Run: ``.venv/bin/python benchmarks/bench_amplification.py [--quick]`` (one core).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from oversight_gym.envs.amplification.tasks import FULL_SIZE, TASKS, answer_with_truth, hch

TARGET = 10_000.0


def run_fast(task, rng, instances: int, per_instance: int) -> int:
    n = 0
    for _ in range(instances):
        inst = task.generate(rng, FULL_SIZE)
        for _ in range(per_instance):
            q = task.sample_question(inst, rng, root=True)
            if answer_with_truth(task, inst, q) != task.answer(inst, q):
                raise AssertionError(f"{task.name}: H disagrees with the direct answer on {q}")
            n += 1
    return n


def run_tree(task, rng, instances: int, per_instance: int) -> int:
    n = 0
    for _ in range(instances):
        inst = task.generate(rng, FULL_SIZE)
        for _ in range(per_instance):
            q = task.sample_question(inst, rng, root=True)
            if hch(task, inst, q, None, 1).answer != task.answer(inst, q):
                raise AssertionError(f"{task.name}: H disagrees with the direct answer on {q}")
            n += 1
    return n


def rate(fn, seconds: float) -> float:
    start = time.perf_counter()
    n = 0
    while time.perf_counter() - start < seconds:
        n += fn()
    return n / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="0.3 s per measurement instead of 2 s")
    parser.add_argument("--per-instance", type=int, default=100, help="questions drawn per instance (default 100)")
    args = parser.parse_args(argv)
    seconds = 0.3 if args.quick else 2.0
    k = args.per_instance
    print(f"full size: {FULL_SIZE} names; {k} questions per instance; target {TARGET:,.0f} questions/s per core")
    print(f"{'task':24s} {'H + truth q/s':>14s} {'ratio to target':>16s} {'tree path q/s':>14s} "
          f"{'instances/s':>12s}")
    worst = float("inf")
    for task in TASKS.values():
        rng = np.random.default_rng(0)
        fast = rate(lambda t=task, r=rng: run_fast(t, r, 1, k), seconds)
        tree = rate(lambda t=task, r=rng: run_tree(t, r, 1, k), seconds)
        gen = rate(lambda t=task, r=rng: (t.generate(r, FULL_SIZE), 1)[1], seconds / 2)
        worst = min(worst, fast / TARGET)
        print(f"{task.name:24s} {fast:14,.0f} {fast / TARGET:16.2f} {tree:14,.0f} {gen:12,.0f}")
    print(f"slowest task: {worst:.2f}x the target")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
