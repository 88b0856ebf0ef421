"""Sweep runner: overhead per cell on each backend, and a 200+ cell sweep of a real game on
Ray checked against the local backend.

1. Overhead: a trivial experiment is run over N cells by ``run_sweep`` (with a results
   file, as users run it) and by a bare loop calling the same function; the difference
   per cell is the runner's overhead (targets: under 5 ms in-process, under 50 ms on Ray,
   where a cell's wall time is counted across the workers).
2. Agreement: a pixel-debate sweep of 208 cells (8 pixel counts x 2 liar modes x 13
   seeds) runs on local processes and on a local Ray; the records, without their timing
   field, must be identical.

Run: ``python benchmarks/bench_sweep.py [--cells 2000] [--workers 2]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def trivial(params: dict, seed: int) -> dict:
    return {"y": params["x"] * 31 + seed % 7}


def overhead(backend: str, cells: int, workers: int, tmp: Path) -> tuple[float, float]:
    """(seconds per cell of run_sweep, seconds per cell of a bare loop)."""
    from oversight_gym.runner.sweep import run_sweep

    grid = {"x": list(range(cells // 10))}
    t0 = time.perf_counter()
    for p in grid["x"]:
        for s in range(10):
            trivial({"x": p}, s)
    bare = (time.perf_counter() - t0) / cells
    if backend == "ray":
        import ray

        ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)  # started once, outside the timing
    try:
        t0 = time.perf_counter()
        recs = run_sweep(trivial, grid, seeds=10, backend=backend, workers=workers, progress=False,
                         results=tmp / f"{backend}.jsonl")
        took = time.perf_counter() - t0
    finally:
        if backend == "ray":
            ray.shutdown()
    assert len(recs) == cells
    return took / cells, bare


def agreement(workers: int, tmp: Path) -> None:
    from oversight_gym.runner.scenario import get_scenario
    from oversight_gym.runner.sweep import ScenarioExperiment, run_sweep, strip_timing

    scenario = get_scenario("pixel-debate")
    exp = ScenarioExperiment(scenario)
    fixed = scenario.resolve({"images": 10, "matchups": "greedy-random,random-random", "judge_steps": 2000}, quick=True)
    grid = {"pixels": [1, 2, 3, 4, 5, 6, 7, 8], "liar_label": ["random", "judge"]}
    for k in grid:
        fixed.pop(k)
    runs = {}
    for backend in ("processes", "ray"):
        t0 = time.perf_counter()
        runs[backend] = run_sweep(exp, grid, seeds=13, fixed=fixed, backend=backend, workers=workers,
                                  progress=False, results=tmp / f"debate-{backend}.jsonl")
        print(f"  {backend:9s}: {len(runs[backend])} cells in {time.perf_counter() - t0:.1f} s")
    same = strip_timing(runs["processes"]) == strip_timing(runs["ray"])
    print(f"  records identical on both backends (timing field aside): {same}")
    if not same:
        raise SystemExit("backends disagree")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-agreement", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        print(f"runner overhead per cell ({args.cells} cells of a trivial experiment, results file on):")
        targets = {"inprocess": 5e-3, "processes": 50e-3, "ray": 50e-3}
        for backend, cells in (("inprocess", args.cells), ("processes", args.cells), ("ray", min(args.cells, 1000))):
            per_cell, bare = overhead(backend, cells, args.workers, tmp)
            over = per_cell - bare
            print(f"  {backend:9s}: {1e3 * per_cell:7.3f} ms/cell vs bare loop {1e6 * bare:6.2f} us/cell: "
                  f"overhead {1e3 * over:6.3f} ms (target < {1e3 * targets[backend]:.0f} ms; "
                  f"{targets[backend] / max(over, 1e-9):.0f}x under)")
        if not args.skip_agreement:
            print("pixel-debate sweep, 208 cells, local processes vs local Ray:")
            agreement(args.workers, tmp)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
