"""The batch path of recursive debate agrees with the closed forms (its agreement with the kernel and
its debaters is the registry-wide batch check, tests/test_registry_envs.py)."""

from __future__ import annotations

import numpy as np
import pytest

from oversight_gym.analysis.metrics import Rate
from oversight_gym.envs.debate import argument_trees, recursive, recursive_batch
from oversight_gym.envs.debate.metrics import limit_failure_probability, random_search_win_probability
from oversight_gym.envs.debate.recursive_batch import simulate_standard


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
