"""The batch path of recursive debate agrees with the kernel and its debaters, and with the closed forms."""

from __future__ import annotations

import numpy as np
import pytest

from oversight_gym.analysis.metrics import Rate
from oversight_gym.envs.debate import argument_trees, recursive, recursive_batch
from oversight_gym.envs.debate.metrics import limit_failure_probability, random_search_win_probability
from oversight_gym.envs.debate.recursive import RecursiveDebateGame
from oversight_gym.envs.debate.recursive_batch import simulate_standard
from oversight_gym.envs.debate.tree_debaters import HonestTreeDebater, ObfuscatingTreeDebater, RandomSearchTreeDebater
from oversight_gym.runner.episodes import play_episode

AGENTS = {"honest": HonestTreeDebater, "obfuscating": ObfuscatingTreeDebater, "random-search": RandomSearchTreeDebater}


def _kernel_rate(tree_kw: dict, claimant: str, challenger: str, bc: int, bh: int, n: int, **game_kw) -> Rate:
    game = RecursiveDebateGame(**tree_kw, claim="honest" if claimant == "honest" else "dishonest",
                               claimant_budget=bc, challenger_budget=bh, **game_kw)
    ch = AGENTS[challenger](honest=True) if challenger == "random-search" else AGENTS[challenger]()
    wins = sum(play_episode(game, [AGENTS[claimant](), ch], seed=s).outcome()["honest_wins"] for s in range(n))
    return Rate(wins, n)


@pytest.mark.parametrize("tree_kw,claimant,challenger,bc,bh,game_kw", [
    ({"kind": "obfuscated", "depth": 5, "flaws": 2}, "obfuscating", "honest", 0, 6, {}),
    ({"kind": "stable", "depth": 3, "branching": 3}, "obfuscating", "honest", 3, 6, {}),
    ({"kind": "stable", "depth": 3, "branching": 3}, "honest", "obfuscating", 6, 3, {}),
    ({"kind": "conjunctive", "depth": 4}, "obfuscating", "random-search", 2, 4, {}),
    ({"kind": "counter-intuitive", "depth": 3, "rule": "majority", "branching": 3, "prior_strength": 0.3},
     "honest", "obfuscating", 27, 27, {"max_rounds": 1}),
])
def test_batch_path_agrees_with_the_kernel(tree_kw, claimant, challenger, bc, bh, game_kw):
    """Same debaters, same rules: the win rates agree (two-proportion z within 4 standard errors)."""
    kernel = _kernel_rate(tree_kw, claimant, challenger, bc, bh, 300, **game_kw)
    res = simulate_standard(6000, np.random.default_rng(0), **tree_kw, claimant=claimant, challenger=challenger,
                            claimant_budget=bc, challenger_budget=bh, **game_kw)
    batch = Rate(int(res["honest_wins"].sum()), 6000)
    p = (kernel.successes + batch.successes) / (kernel.n + batch.n)
    se = np.sqrt(max(p * (1 - p), 1e-4) * (1 / kernel.n + 1 / batch.n))
    assert abs(kernel.value - batch.value) <= 4 * se, (kernel, batch)


@pytest.mark.parametrize("k,budget", [(1, 0), (3, 20), (8, 64), (2, 255)])
def test_batch_random_search_matches_the_closed_form(k, budget):
    res = simulate_standard(20_000, np.random.default_rng(k), kind="obfuscated", depth=8, flaws=k,
                            challenger="random-search", challenger_budget=budget)
    lo, hi = Rate(int(res["honest_wins"].sum()), 20_000, 0.999).interval
    assert lo <= random_search_win_probability(256, k, budget) <= hi


@pytest.mark.parametrize("max_rounds", [0, 2, 4])
def test_batch_limit_failures_match_the_closed_form(max_rounds):
    res = simulate_standard(20_000, np.random.default_rng(max_rounds), kind="counter-intuitive", depth=4,
                            branching=2, rule="and", truth_depth=3, prior_strength=0.4, claimant="honest",
                            challenger="obfuscating", claimant_budget=16, challenger_budget=16, max_rounds=max_rounds)
    wrong = Rate(int((~res["honest_wins"]).sum()), 20_000, 0.999)
    lo, hi = wrong.interval
    assert lo <= limit_failure_probability(max_rounds, 3, 0.4, 4) <= hi


def test_same_seed_same_batch_and_named_errors():
    a = simulate_standard(3000, np.random.default_rng(9), kind="stable", depth=3, branching=3, challenger_budget=4)
    b = simulate_standard(3000, np.random.default_rng(9), kind="stable", depth=3, branching=3, challenger_budget=4)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert a["claimant_wins"].shape == (3000,)
    with pytest.raises(ValueError, match="challenger must be one of"):
        simulate_standard(1, np.random.default_rng(0), challenger="oracle")
    with pytest.raises(ValueError, match=r"challenger_budget must be in \[0, 16\]"):
        simulate_standard(1, np.random.default_rng(0), depth=4, challenger_budget=17)


def test_kernel_and_batch_share_the_rule_functions():
    """The batch path imports the kernel's rule functions rather than copying them."""
    for name in ("evaluate_tree", "kleene_evaluate", "mean_field", "pattern_consistent", "judge_prior",
                 "limit_value", "base_rate"):
        assert getattr(recursive_batch, name) is getattr(argument_trees, name)
    assert recursive.limit_value is argument_trees.limit_value
    assert recursive.pattern_consistent is argument_trees.pattern_consistent
    assert recursive.judge_limit_value(0.7, "threshold", 0.99) == 1
    assert recursive.judge_limit_value(0.7, "sample", 0.71) == 0
