"""Playing episodes of a kernel game with agents, in-process or over local processes.

An episode is a function of (game, agents, seed, reset options): the same inputs give
the same transcript on any backend. The episode driver itself is
:mod:`oversight_gym.core.episode` (re-exported here); ``run_parallel`` maps a task function
over tasks with a progress bar, handing each result to a callback as it finishes (so
results can be appended to a file and a killed run loses nothing already computed).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import warnings
from collections.abc import Callable, Iterable
from typing import Any

from oversight_gym.core.episode import agent_seeds, choose_action, play_episode

__all__ = ["agent_seeds", "choose_action", "play_episode", "run_parallel", "worker_count"]


def worker_count(requested: int | None, option: str = "--workers") -> int:
    """How many worker processes to use: all cores by default; more than the cores there are
    is capped to them with a warning (extra processes only compete for the same cores)."""
    cores = os.cpu_count() or 1
    if requested is None:
        return cores
    if isinstance(requested, bool) or not isinstance(requested, int) or requested < 1:
        raise ValueError(f"{option} must be a whole number of at least 1, got {requested!r}")
    if requested > cores:
        warnings.warn(f"{option} {requested} is more than the {cores} cores of this machine; using {cores}",
                      stacklevel=2)
        return cores
    return requested


def _worker_init() -> None:
    """Worker initializer. Ctrl-C is the parent's to handle (it stops the pool and says what
    was kept), so workers ignore it instead of each printing a traceback. One BLAS thread per
    process: several processes each running a multi-threaded BLAS on small matrices
    oversubscribe the cores and run several times slower."""
    from threadpoolctl import threadpool_limits

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threadpool_limits(limits=1, user_api="blas")


def run_parallel(fn: Callable[[Any], Any], tasks: Iterable[Any], workers: int = 1,
                 on_result: Callable[[Any], None] | None = None, progress: bool = True,
                 desc: str = "episodes", total: int | None = None, done: int = 0) -> list[Any]:
    """``[fn(t) for t in tasks]`` over ``workers`` processes (results in completion order).

    ``fn`` must be a module-level function (it is pickled by reference). Each result is
    passed to ``on_result`` in this process as soon as it arrives. ``done`` is how many tasks
    an earlier run already finished (a resumed progress bar counts from there).
    """
    tasks = list(tasks)
    total = done + len(tasks) if total is None else total
    results: list[Any] = []
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, initial=done, desc=desc, unit="task", smoothing=0.05)

    def handle(res: Any) -> None:
        results.append(res)
        if on_result is not None:
            on_result(res)
        if bar is not None:
            bar.update(1)

    try:
        if workers <= 1 or len(tasks) <= 1:
            for t in tasks:
                handle(fn(t))
        else:
            ctx = mp.get_context("fork")
            with ctx.Pool(workers, initializer=_worker_init) as pool:
                for res in pool.imap_unordered(fn, tasks, chunksize=1):
                    handle(res)
    finally:
        if bar is not None:
            bar.close()
    return results
