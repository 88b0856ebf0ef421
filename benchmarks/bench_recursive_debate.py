"""Speed of recursive debate sweeps: the batch path against the PettingZoo view, on the same cells.

The target: a 20 x 20 grid (verification budget B x flaws k) with 2,000 debates
per cell on Barnes & Christiano's obfuscated construction with 1,024 leaves, in under two
minutes on two cores. The grid is played by
:func:`oversight_gym.envs.debate.recursive_batch.simulate_standard` (obfuscating claimant,
budgeted honest challenger: ``tree-obfuscator`` vs ``tree-honest``).

Beside it, the same debaters play sampled cells of the same grid through the PettingZoo AEC
view (``oversight_gym.make("debate/recursive-v0", ...)``, one ``env.step`` per action,
every verification an action). Playing all 800,000 debates that way would take hours, so
the view runs ``--view-debates`` debates in every budget column at one flaw count, and the
whole grid's time is EXTRAPOLATED from the time per debate in each column (a debate's cost
is set by its budget: B verification steps). Both are printed with the ratio, and the
sampled cells' win rates beside the batch path's.

Run: ``.venv/bin/python benchmarks/bench_recursive_debate.py [--quick] [--threads 2]``.
"""

from __future__ import annotations

import argparse
import time

import numba
import numpy as np

import oversight_gym as og
from oversight_gym.envs.debate.metrics import random_search_win_probability
from oversight_gym.envs.debate.recursive_batch import simulate_standard
from oversight_gym.envs.debate.tree_debaters import HonestTreeDebater, ObfuscatingTreeDebater


def grid(n_leaves: int, points: int) -> tuple[list[int], list[int]]:
    budgets = sorted({0, *np.unique(np.geomspace(1, n_leaves, points - 1).round().astype(int)).tolist()})
    while len(budgets) < points:
        i = int(np.argmax(np.diff(budgets)))
        budgets.insert(i + 1, (budgets[i] + budgets[i + 1]) // 2)
    flaws = sorted({int(x) for x in np.geomspace(1, n_leaves // 16, points).round()})
    while len(flaws) < points:
        i = int(np.argmax(np.diff(flaws)))
        flaws.insert(i + 1, (flaws[i] + flaws[i + 1]) // 2)
    return budgets[:points], flaws[:points]


def run_batch(depth: int, budgets: list[int], flaws: list[int], debates: int, seed: int) -> tuple[float, np.ndarray]:
    rates = np.zeros((len(flaws), len(budgets)))
    t = time.perf_counter()
    for i, k in enumerate(flaws):
        for j, b in enumerate(budgets):
            rng = np.random.default_rng(np.random.SeedSequence([seed, i, j]))
            res = simulate_standard(debates, rng, kind="obfuscated", depth=depth, flaws=k, claimant="obfuscating",
                                    challenger="honest", challenger_budget=b)
            rates[i, j] = res["honest_wins"].mean()
    return time.perf_counter() - t, rates


def view_debate(env, agents, seed: int) -> bool:
    env.reset(seed=seed)
    for a, s in zip(agents, np.random.SeedSequence(seed).spawn(2), strict=True):
        a.reset(int(s.generate_state(1)[0]))
    names = env.possible_agents
    for name in env.agent_iter():
        obs, _, term, trunc, _ = env.last()
        if term or trunc:
            env.step(None)
            continue
        state = env.unwrapped.game_state
        env.step(agents[names.index(name)].act(obs["observation"], obs["action_mask"], state=state.clone()))
    return bool(env.unwrapped.game_state.outcome()["honest_wins"])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="a 6 x 6 grid of 200 debates on 256 leaves")
    ap.add_argument("--threads", type=int, default=2, help="numba threads for the batch path (default 2)")
    ap.add_argument("--view-debates", type=int, default=4, help="debates per sampled cell through PettingZoo")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    depth, points, debates = (8, 6, 200) if args.quick else (10, 20, 2000)
    n_leaves = 2**depth
    numba.set_num_threads(min(args.threads, numba.config.NUMBA_NUM_THREADS))
    budgets, flaws = grid(n_leaves, points)

    t = time.perf_counter()
    simulate_standard(10, np.random.default_rng(0), kind="obfuscated", depth=depth, flaws=1, challenger="honest",
                      challenger_budget=3)
    compile_s = time.perf_counter() - t
    batch_s, rates = run_batch(depth, budgets, flaws, debates, args.seed)
    n_total = len(budgets) * len(flaws) * debates
    print(f"grid: {len(flaws)} flaw counts x {len(budgets)} budgets, {debates} debates per cell, N={n_leaves} "
          f"leaves: {n_total:,} debates")
    print(f"batch path ({numba.get_num_threads()} numba threads): {batch_s:.1f} s "
          f"({n_total / batch_s:,.0f} debates/s; first call incl. compile or cache load {compile_s:.1f} s); "
          f"target < 120 s: {'met' if batch_s < 120 else 'NOT met'}")

    # the PettingZoo view on sampled cells
    k_view = flaws[len(flaws) // 2]
    per_debate = []
    view_rates = []
    t_all = time.perf_counter()
    for b in budgets:
        env = og.make("debate/recursive-v0", kind="obfuscated", depth=depth, flaws=k_view, claim="dishonest",
                      challenger_budget=b)
        agents = [ObfuscatingTreeDebater(), HonestTreeDebater()]
        t = time.perf_counter()
        wins = [view_debate(env, agents, args.seed * 1000 + i) for i in range(args.view_debates)]
        per_debate.append((time.perf_counter() - t) / args.view_debates)
        view_rates.append(np.mean(wins))
    view_sample_s = time.perf_counter() - t_all
    view_grid_s = sum(per_debate) * debates * len(flaws)
    print(f"PettingZoo AEC view, sampled: {args.view_debates} debates in each of the {len(budgets)} budget columns "
          f"at k={k_view} ({view_sample_s:.1f} s); EXTRAPOLATED to the whole grid: {view_grid_s:,.0f} s "
          f"({view_grid_s / 3600:.1f} h) on one core")
    print(f"ratio, PettingZoo view (extrapolated) / batch path: {view_grid_s / batch_s:,.0f}x")
    print(f"\nsampled cells (k={k_view}): budget B/N, s per debate through the view, win rate view "
          f"(n={args.view_debates}) | batch (n={debates}) | closed form")
    i = flaws.index(k_view)
    for j, b in enumerate(budgets):
        cf = random_search_win_probability(n_leaves, k_view, b)
        print(f"  B/N={b / n_leaves:6.3f}  {per_debate[j]:7.3f} s   {view_rates[j]:5.2f} | {rates[i, j]:5.3f} | "
              f"{cf:5.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
