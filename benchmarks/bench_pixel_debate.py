"""Speed of the pixel debate (Irving, Christiano, Amodei 2018, section 3.1): search and env.

Prints three tables, each measured beside a baseline in the same run:

(a) MCTS rollouts per second on one core: the numba engine over whole debates (both
    debaters MCTS, 10,000 rollouts per move as in the paper), and the generic python
    engine beside it on the same positions, as a ratio;
(b) random-play turns per second of the AEC env ``oversight_gym.make("debate/pixels-v0")``
    beside PettingZoo's ``tictactoe_v3`` in the same loop, as a ratio;
(c) the projected time of the paper's full evaluation on our data: 360 test images x 6
    moves x 10,000 rollouts on 2 cores (and the nine-games-per-image evaluation without
    precommit).

``--sweep-c-puct`` adds (d): how often the numba MCTS move is exactly optimal (by the
exact solver of :mod:`oversight_gym.agents.search.minimax`) on 6-pixel positions where
the choice matters, for several ``c_puct``; this is how the default was chosen.

Run: ``.venv/bin/python benchmarks/bench_pixel_debate.py [--quick] [--sweep-c-puct]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from threadpoolctl import threadpool_limits

import oversight_gym as og
from oversight_gym.agents.search import MCTSAgent
from oversight_gym.envs.debate.pixel_search import pixel_minimax
from oversight_gym.envs.debate.pixels import PixelDebateGame, PixelDebateState

PAPER_ROLLOUTS = 10_000


def search_rate(agent: MCTSAgent, states: list[PixelDebateState]) -> tuple[float, int]:
    """Rollouts per second of ``agent.search`` over ``states`` (and the rollouts run)."""
    t = time.perf_counter()
    for s in states:
        agent.search(s)
    return agent.rollouts * len(states) / (time.perf_counter() - t), agent.rollouts * len(states)


def debate_positions(game: PixelDebateGame, images: list[int], rollouts: int) -> list[PixelDebateState]:
    """Every position at which a debater moves in MCTS-vs-MCTS debates on ``images``."""
    agent = MCTSAgent(rollouts=rollouts)
    out = []
    for i in images:
        s = game.new_initial_state(np.random.default_rng(i), image_index=i)
        while not s.is_terminal():
            out.append(s.clone())
            s.apply_action(agent.act(None, None, s.clone()))
    return out


def bench_search(quick: bool) -> float:
    game = og.make_game("debate/pixels-v0", pixels=6)
    images = list(range(0, 360, 36 if quick else 12))
    positions = debate_positions(game, images, PAPER_ROLLOUTS)
    fast = MCTSAgent(rollouts=PAPER_ROLLOUTS, engine="numba")
    fast.search(positions[0])  # compile (or load the numba cache) first
    numba_rate, n_fast = search_rate(fast, positions)
    firsts = [s for s in positions if not s.reveals]
    first_rate, _ = search_rate(fast, firsts)
    sample = positions[:: max(1, len(positions) // (3 if quick else 6))]
    slow_rate, n_slow = search_rate(MCTSAgent(rollouts=PAPER_ROLLOUTS, engine="python"), sample)
    batched_rate, _ = search_rate(MCTSAgent(rollouts=PAPER_ROLLOUTS, engine="python", batch_size=16), sample)
    print("\n(a) MCTS rollouts per second, one core (6 pixels, 10,000 rollouts per move, PUCT c=1)")
    print(f"    {'engine':<28}{'positions':>10}{'rollouts':>12}{'rollouts/s':>14}{'ratio':>9}")
    print(f"    {'numba (pixel fast path)':<28}{len(positions):>10}{n_fast:>12,}{numba_rate:>14,.0f}{1.0:>9.1f}")
    print(f"    {'numba, first moves only':<28}{len(firsts):>10}{PAPER_ROLLOUTS * len(firsts):>12,}"
          f"{first_rate:>14,.0f}{first_rate / numba_rate:>9.2f}")
    print(f"    {'python (generic), batch 1':<28}{len(sample):>10}{n_slow:>12,}{slow_rate:>14,.0f}"
          f"{slow_rate / numba_rate:>9.4f}")
    print(f"    {'python (generic), batch 16':<28}{len(sample):>10}{n_slow:>12,}{batched_rate:>14,.0f}"
          f"{batched_rate / numba_rate:>9.4f}")
    print(f"    numba is {numba_rate / slow_rate:,.0f}x the generic engine")
    return numba_rate


def random_turns(env, turns: int, seed: int = 0) -> float:
    """Turns per second of uniformly random legal play through the AEC API (resets included)."""
    rng = np.random.default_rng(seed)
    done = 0
    episode = 0
    t = time.perf_counter()
    while done < turns:
        env.reset(seed=episode)
        episode += 1
        for _agent in env.agent_iter():
            obs, _reward, term, trunc, _info = env.last()
            if term or trunc:
                action = None
            else:
                legal = np.flatnonzero(obs["action_mask"])
                action = int(legal[rng.integers(len(legal))])
                done += 1
            env.step(action)
    return done / (time.perf_counter() - t)


def bench_env(quick: bool) -> None:
    from pettingzoo.classic import tictactoe_v3

    from oversight_gym.envs.debate import pixels

    turns = 5_000 if quick else 30_000
    # og.make gives the unwrapped env; pixels.env() and tictactoe_v3.env() add PettingZoo's wrappers
    envs = {
        "ours: oversight_gym.make('debate/pixels-v0')": og.make("debate/pixels-v0"),
        "ours wrapped: envs.debate.pixels.env()": pixels.env(),
        "pettingzoo.classic.tictactoe_v3.env()": tictactoe_v3.env(),
        "pettingzoo.classic.tictactoe_v3.raw_env()": tictactoe_v3.raw_env(),
    }
    for e in envs.values():
        random_turns(e, 300)  # warm up
    runs = [[random_turns(e, turns) for e in envs.values()] for _ in range(3)]  # interleaved repeats
    best = dict(zip(envs, np.max(np.array(runs), axis=0), strict=True))
    print("\n(b) AEC env, uniformly random legal play (same loop, resets included, best of 3)")
    print(f"    {'env':<46}{'turns/s':>12}")
    for name, rate in best.items():
        print(f"    {name:<46}{rate:>12,.0f}")
    names = list(best)
    for ours, theirs, what in ((0, 2, "og.make vs tictactoe_v3.env() (the target)"),
                               (1, 2, "wrapped vs wrapped"), (0, 3, "unwrapped vs unwrapped")):
        print(f"    ratio, {what:<44}{best[names[ours]] / best[names[theirs]]:>7.2f}")


def bench_projection(numba_rate: float) -> None:
    cores = 2
    print(f"\n(c) projected time of the full evaluation at {numba_rate:,.0f} rollouts/s per core, {cores} cores")
    print(f"    {'evaluation':<52}{'rollouts':>16}{'time':>10}")
    rows = (("precommit: 360 images x 6 moves", 360), ("no precommit: 360 images x 9 lies x 6 moves", 3240))
    for name, games in rows:
        total = games * 6 * PAPER_ROLLOUTS
        secs = total / (numba_rate * cores)
        print(f"    {name:<52}{total:>16,}{secs / 60:>8.1f} min")
    print("    (target: under 10 min for the precommit evaluation, i.e. >= 18,000 rollouts/s per core)")


def sweep_c_puct(quick: bool) -> None:
    """Share of exactly optimal MCTS moves on positions whose moves differ in exact value."""
    positions = []
    for precommit in (True, False):
        game = og.make_game("debate/pixels-v0", pixels=6, precommit=precommit)
        rng = np.random.default_rng(123)
        for img in rng.permutation(len(game.data)):
            if sum(p[3] == precommit for p in positions) >= (10 if quick else 40):
                break
            s = game.new_initial_state(np.random.default_rng(int(img)), image_index=int(img))
            for a in rng.choice(game.data.num_pixels, int(rng.integers(1, 4)), replace=False):
                s.apply_action(int(a))
            actions, values, _ = pixel_minimax(s)
            if values.max() > 0 > values.min():
                positions.append((s, actions.tolist(), values, precommit))
    print(f"\n(d) c_puct: exactly optimal MCTS moves among {len(positions)} 6-pixel positions with winning and "
          "losing moves (1-3 pixels revealed)")
    print(f"    {'c_puct':>8}" + "".join(f"{f'{r:,} rollouts':>18}" for r in (1_000, PAPER_ROLLOUTS)))
    for c in (0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0):
        row = f"    {c:>8}"
        for r in (1_000, PAPER_ROLLOUTS):
            agent = MCTSAgent(rollouts=r, c_puct=c)
            ok = sum(v[a.index(agent.search(s).best_action())] == v.max() for s, a, v, _ in positions)
            row += f"{f'{ok}/{len(positions)}':>18}"
        print(row)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer positions and turns")
    parser.add_argument("--sweep-c-puct", action="store_true", help="also run the c_puct sweep (d)")
    args = parser.parse_args()
    with threadpool_limits(1):  # one core: numba is single-threaded; BLAS too, for the python engine
        rate = bench_search(args.quick)
        bench_env(args.quick)
        bench_projection(rate)
        if args.sweep_c_puct:
            sweep_c_puct(args.quick)


if __name__ == "__main__":
    main()
