"""Speed of recursive debate sweeps: the batch path against a baseline on the same cells, per protocol.

The target: a 20 x 20 grid (verification budget B x flaws k) with 2,000 debates
per cell on Barnes & Christiano's obfuscated construction with 1,024 leaves, in under two
minutes on two cores. ``--protocol`` chooses the protocol (``all``: each in turn):

* ``standard``, ``cross-examination``, ``judge-directed`` (Q = ``--queries`` paths): the grid is
  played by :func:`oversight_gym.envs.debate.recursive_batch.simulate` (obfuscating claimant,
  budgeted honest challenger: ``tree-obfuscator`` vs ``tree-honest``); baseline: the PettingZoo
  AEC view, below.
* ``prover-estimator``: the protocol as Brown-Cohen et al. (2025) define it, exact expected payoffs
  (:func:`oversight_gym.envs.debate.prover_estimator.batch_debate_values`); soundness setting: the
  estimator verified B leaves and prices the others at 1 - k/N, the lying prover knows half of
  his leaves. Baseline: the readable exact engine
  (:func:`~oversight_gym.envs.debate.prover_estimator.debate_value`, Python), because the
  PettingZoo view's ``prover-estimator`` protocol realises the judge's coins: one run's payoff
  is a sample, not the expectation whose sign the grid scores (the registry-wide tests hold the
  view's mean payoff to the batch engine's expectations).

Beside it, the same debaters play sampled cells of the same grid through the PettingZoo AEC
view (``oversight_gym.make("debate/recursive-v1", ...)``, one ``env.step`` per action,
every verification an action). Playing all 800,000 debates that way would take hours, so
the view runs ``--view-debates`` debates in every budget column at one flaw count, and the
whole grid's time is EXTRAPOLATED from the time per debate in each column (a debate's cost
is set by its budget: B verification steps). Both are printed with the ratio, and the
sampled cells' win rates beside the batch path's.

Run: ``.venv/bin/python benchmarks/bench_recursive_debate.py [--quick] [--threads 2] [--protocol all]``.
"""

from __future__ import annotations

import argparse
import time

import numba
import numpy as np

import oversight_gym as og
from oversight_gym.envs.debate.argument_trees import AND, ArgumentTree, num_internal
from oversight_gym.envs.debate.metrics import random_search_win_probability
from oversight_gym.envs.debate.prover_estimator import ProductBelief, batch_debate_values, debate_value
from oversight_gym.envs.debate.recursive_batch import simulate
from oversight_gym.envs.debate.tree_debaters import HonestTreeDebater, ObfuscatingTreeDebater

PROTOCOLS = ("standard", "cross-examination", "judge-directed", "prover-estimator")


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


def protocol_kw(protocol: str, queries: int) -> dict:
    return {"protocol": protocol, **({"queries": queries} if protocol != "standard" else {})}


def run_batch(protocol: str, queries: int, depth: int, budgets: list[int], flaws: list[int], debates: int,
              seed: int) -> tuple[float, np.ndarray]:
    rates = np.zeros((len(flaws), len(budgets)))
    t = time.perf_counter()
    for i, k in enumerate(flaws):
        for j, b in enumerate(budgets):
            rng = np.random.default_rng(np.random.SeedSequence([seed, i, j]))
            if protocol == "prover-estimator":
                truths, bob, alice = pe_cell(rng, 2**depth, k, b, debates)
                pay = batch_debate_values(pe_rules(depth), 2, depth, truths, bob, alice)["actual"]
                rates[i, j] = np.mean(pay <= 0)
                continue
            res = simulate(debates, rng, **protocol_kw(protocol, queries), kind="obfuscated", depth=depth, flaws=k,
                           claimant="obfuscating", challenger="honest", challenger_budget=b)
            rates[i, j] = res["honest_wins"].mean()
    return time.perf_counter() - t, rates


def pe_rules(depth: int) -> np.ndarray:
    return np.full(num_internal(2, depth), AND, np.int8)


def pe_cell(rng: np.random.Generator, n: int, k: int, budget: int, debates: int):
    """Obfuscated trees (k flaws among n leaves) and the soundness setting's beliefs, one row per debate."""
    order = np.argsort(rng.random((debates, n)), axis=1)
    truths = np.ones((debates, n))
    np.put_along_axis(truths, order[:, :k], 0.0, axis=1)
    seen = np.argsort(rng.random((debates, n)), axis=1)
    bob = np.full((debates, n), 1.0 - k / n)
    alice = bob.copy()
    rows = np.arange(debates)[:, None]
    bob[rows, seen[:, :budget]] = truths[rows, seen[:, :budget]]
    alice[rows, seen[:, :budget // 2]] = truths[rows, seen[:, :budget // 2]]
    return truths, bob, alice


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


def pe_reference(depth: int, k: int, budget: int, debates: int, seed: int) -> tuple[float, float]:
    """Seconds per debate and the honest estimator's win rate on the readable exact engine."""
    rng = np.random.default_rng(seed)
    truths, bob, alice = pe_cell(rng, 2**depth, k, budget, debates)
    rules = pe_rules(depth)
    prior = np.full(num_internal(2, depth) + 2**depth, 0.5)
    t = time.perf_counter()
    wins = [debate_value(ArgumentTree(2, depth, rules, truths[i].astype(np.int8), prior),
                         ProductBelief(rules, 2, bob[i]), alice[i]).actual <= 0 for i in range(debates)]
    return (time.perf_counter() - t) / debates, float(np.mean(wins))


def bench(protocol: str, args: argparse.Namespace) -> None:
    depth, points, debates = (8, 6, 200) if args.quick else (10, 20, 2000)
    n_leaves = 2**depth
    budgets, flaws = grid(n_leaves, points)
    q = args.queries
    t = time.perf_counter()
    run_batch(protocol, q, depth, budgets[:1], flaws[:1], 10, 0)  # compile or load the cache
    compile_s = time.perf_counter() - t
    batch_s, rates = run_batch(protocol, q, depth, budgets, flaws, debates, args.seed)
    n_total = len(budgets) * len(flaws) * debates
    label = protocol + (f" (Q={q})" if protocol in ("cross-examination", "judge-directed") else "")
    print(f"\n== {label} ==\ngrid: {len(flaws)} flaw counts x {len(budgets)} budgets, {debates} debates per cell, "
          f"N={n_leaves} leaves: {n_total:,} debates")
    print(f"batch path ({numba.get_num_threads()} numba threads): {batch_s:.1f} s "
          f"({n_total / batch_s:,.0f} debates/s; first call incl. compile or cache load {compile_s:.1f} s); "
          f"target < 120 s: {'met' if batch_s < 120 else 'NOT met'}")
    k_view = flaws[len(flaws) // 2]
    per_debate, view_rates = [], []
    t_all = time.perf_counter()
    for j, b in enumerate(budgets):
        if protocol == "prover-estimator":
            sec, rate = pe_reference(depth, k_view, b, args.view_debates, args.seed * 1000 + j)
            per_debate.append(sec)
            view_rates.append(rate)
            continue
        env = og.make("debate/recursive-v1", kind="obfuscated", depth=depth, flaws=k_view, claim="dishonest",
                      challenger_budget=b, **protocol_kw(protocol, q))
        agents = [ObfuscatingTreeDebater(), HonestTreeDebater()]
        t = time.perf_counter()
        wins = [view_debate(env, agents, args.seed * 1000 + i) for i in range(args.view_debates)]
        per_debate.append((time.perf_counter() - t) / args.view_debates)
        view_rates.append(np.mean(wins))
    base = "readable exact engine (Python)" if protocol == "prover-estimator" else "PettingZoo AEC view"
    view_sample_s = time.perf_counter() - t_all
    view_grid_s = sum(per_debate) * debates * len(flaws)
    print(f"{base}, sampled: {args.view_debates} debates in each of the {len(budgets)} budget columns "
          f"at k={k_view} ({view_sample_s:.1f} s); EXTRAPOLATED to the whole grid: {view_grid_s:,.0f} s "
          f"({view_grid_s / 3600:.1f} h) on one core")
    print(f"ratio, {base} (extrapolated) / batch path: {view_grid_s / batch_s:,.0f}x")
    closed = protocol == "standard"
    print(f"sampled cells (k={k_view}): budget B/N, s per debate in the baseline, honest win rate baseline "
          f"(n={args.view_debates}) | batch (n={debates})" + (" | closed form" if closed else ""))
    i = flaws.index(k_view)
    for j, b in enumerate(budgets):
        cf = f" | {random_search_win_probability(n_leaves, k_view, b):5.3f}" if closed else ""
        print(f"  B/N={b / n_leaves:6.3f}  {per_debate[j]:7.4f} s   {view_rates[j]:5.2f} | {rates[i, j]:5.3f}{cf}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="a 6 x 6 grid of 200 debates on 256 leaves")
    ap.add_argument("--threads", type=int, default=2, help="numba threads for the batch path (default 2)")
    ap.add_argument("--view-debates", type=int, default=4, help="debates per sampled cell in the baseline")
    ap.add_argument("--protocol", choices=(*PROTOCOLS, "all"), default="all")
    ap.add_argument("--queries", type=int, default=3, help="paths Q of cross-examination and judge-directed debate")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    numba.set_num_threads(min(args.threads, numba.config.NUMBA_NUM_THREADS))
    for protocol in PROTOCOLS if args.protocol == "all" else (args.protocol,):
        bench(protocol, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
