"""Playing episodes of a kernel game with agents, in-process or over local processes.

An episode is a function of (game, agents, seed, reset options): the same inputs give
the same transcript on any backend. ``run_parallel`` maps a task function over tasks
with a progress bar, handing each result to a callback as it finishes (so results can
be appended to a file and a killed run loses nothing already computed).
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from oversight_gym.core.game import SIMULTANEOUS, Game, State
from oversight_gym.core.protocols import Agent


def agent_seeds(seed: int, n: int) -> list[int]:
    """Independent seeds for ``n`` agents, derived from one episode seed."""
    return [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(n)]


def choose_action(agent: Agent, state: State, player: int) -> int:
    """Ask ``agent`` for ``player``'s move; search agents get a clone of the state."""
    needs_state = bool(getattr(agent, "classifier", {}).get("requires_state", False))
    return int(agent.act(state.observation(player), state.legal_actions_mask(player),
                         state=state.clone() if needs_state else None))


def play_episode(game: Game, agents: Sequence[Agent], seed: int, **options: Any) -> State:
    """Play one game to the end; ``agents[i]`` plays seat ``i``. Returns the final state."""
    if len(agents) != game.num_players:
        raise ValueError(f"agents: {game.name} has {game.num_players} seats, got {len(agents)} agents")
    for agent, s in zip(agents, agent_seeds(seed, len(agents)), strict=True):
        agent.reset(s)
    state = game.new_initial_state(np.random.default_rng(seed), **options)
    while not state.is_terminal():
        p = state.current_player()
        if p == SIMULTANEOUS:
            state.apply_joint_action([choose_action(a, state, i) for i, a in enumerate(agents)])
        else:
            state.apply_action(choose_action(agents[p], state, p))
    return state


def _one_blas_thread() -> None:
    """Worker initializer: one BLAS thread per process. Several processes each running a
    multi-threaded BLAS on small matrices oversubscribe the cores and run several times
    slower."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


def run_parallel(fn: Callable[[Any], Any], tasks: Iterable[Any], workers: int = 1,
                 on_result: Callable[[Any], None] | None = None, progress: bool = True,
                 desc: str = "episodes", total: int | None = None) -> list[Any]:
    """``[fn(t) for t in tasks]`` over ``workers`` processes (results in completion order).

    ``fn`` must be a module-level function (it is pickled by reference). Each result is
    passed to ``on_result`` in this process as soon as it arrives.
    """
    tasks = list(tasks)
    total = len(tasks) if total is None else total
    results: list[Any] = []
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, desc=desc, unit="task", smoothing=0.05)

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
            with ctx.Pool(workers, initializer=_one_blas_thread) as pool:
                for res in pool.imap_unordered(fn, tasks, chunksize=1):
                    handle(res)
    finally:
        if bar is not None:
            bar.close()
    return results
