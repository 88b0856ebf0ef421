"""Aggregation trees (after Wu et al. 2021) and recursive reward modelling (after Leike et
al. 2018): with no node error and perfect nodes the root is exact; node errors stay in
range; errors compound with height; an honest assistant helps and a misleading one hurts."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import oversight_gym
from oversight_gym.envs.amplification.decomposition import (
    ERROR_MODELS,
    corrupt,
    fit_combiner,
    recursive_reward_modelling,
    simulate_trees,
)
from oversight_gym.envs.amplification.metrics import tree_error, tree_nodes
from oversight_gym.envs.amplification.scripted import ScriptedAggregator
from oversight_gym.testing import rollout

FEW = settings(max_examples=25, deadline=None)
shapes = st.tuples(st.integers(1, 4), st.integers(1, 4), st.integers(2, 5))


@FEW
@given(shape=shapes, model=st.sampled_from(ERROR_MODELS), seed=st.integers(0, 2**32 - 1))
def test_perfect_nodes_without_errors_give_an_exact_root(shape, model, seed) -> None:
    b, h, v = shape
    sim = simulate_trees(50, b, h, v, 0.0, model, np.random.default_rng(seed))
    assert sim["correct"].all() and (sim["errors"] == 0).all()
    env = oversight_gym.make("amplification/aggregation-v0", branching=b, height=h, values=v, node_error=0.0,
                             error_model=model)
    ep = rollout(env, ScriptedAggregator(), seed=seed % 1000)
    out = env.game_state.outcome()
    assert out["correct"] and out["root"] == env.game_state.content.sum() and ep.returns["worker"] == 1.0


@FEW
@given(model=st.sampled_from(ERROR_MODELS), p=st.floats(0.0, 1.0), seed=st.integers(0, 2**32 - 1))
def test_node_errors_stay_in_range_and_change_the_value(model, p, seed) -> None:
    rng = np.random.default_rng(seed)
    high = rng.integers(1, 20, size=200)
    out = np.minimum(rng.integers(0, 20, size=200), high)
    kids = np.stack([out // 2, out - out // 2], axis=1)
    new, err = corrupt(out, high, model, p, rng, children=kids)
    assert ((new >= 0) & (new <= high)).all()
    assert (new[~err] == out[~err]).all()
    if model == "replace":
        assert (new[err] != out[err]).all()
    if model == "off_by_one":
        assert (np.abs(new[err] - out[err]) == 1).all()


def test_errors_compound_with_height_and_replace_errors_match_the_closed_form() -> None:
    rng = np.random.default_rng(0)
    errs = [1 - simulate_trees(3000, 3, h, 2, 0.02, "replace", rng)["correct"].mean() for h in range(1, 5)]
    assert all(a < b for a, b in zip(errs, errs[1:], strict=False))
    assert tree_nodes(3, 2) == 13 and tree_nodes(1, 3) == 4
    # every replace error reaches the root unless a later one undoes it: close to the closed form, never far above
    for h, e in zip(range(1, 3), errs, strict=False):
        assert abs(e - tree_error(3, h, 0.02)) < 0.04


def test_a_learned_combiner_without_errors_learns_the_sum() -> None:
    comb = fit_combiner(3, 3, 2, 0.0, "replace", np.random.default_rng(1), train_trees=300)
    assert np.allclose(comb.w, 1.0) and np.allclose(comb.c, 0.0, atol=1e-9)
    sim = simulate_trees(200, 3, 3, 2, 0.0, "replace", np.random.default_rng(2), comb)
    assert sim["correct"].all()


def test_recursive_reward_modelling_honest_assistance_helps_and_misleading_hurts() -> None:
    honest = recursive_reward_modelling(5, mislead=0.0, labels=1500, test=1500, rng=np.random.default_rng(0))
    misled = recursive_reward_modelling(5, mislead=0.6, labels=1500, test=1500, rng=np.random.default_rng(0))
    assert honest[-1]["eval_accuracy"] > honest[0]["eval_accuracy"] + 0.2
    assert honest[-1]["true_quality"] > honest[0]["true_quality"]
    assert honest[0] == misled[0]  # A_1 has no assistant: nothing to mislead
    assert misled[-1]["eval_accuracy"] < honest[-1]["eval_accuracy"] - 0.05


def test_task_decomposition_scenario_runs(tmp_path) -> None:

    import json

    import pytest

    from oversight_gym.analysis.measures import find as find_measure
    from oversight_gym.scenarios import task_decomposition as mod

    given = {"max_height": 2, "node_errors": "0,0.05", "error_models": "replace,drop", "trees": 100,
             "iterations": 3, "mislead": "0,0.5", "labels": 200}
    res = mod.SCENARIO.execute(given, quick=True, out=tmp_path, progress=False)
    trees = [m for m in res.measures if m.name == "root error, scripted sum"]
    assert len(trees) == 8 and len([m for m in res.measures if m.name == "evaluation accuracy"]) == 6
    exact = [m for m in trees if m.setting["p"] == 0.0]
    assert len(exact) == 4 and all(m.value == 0.0 and m.format(m.value) == "0.0%" for m in exact)
    rrm = find_measure(res.measures, "evaluation accuracy", mislead=0.5, agent="A_3")
    assert rrm.n == 200 and rrm.interval[0] <= rrm.value <= rrm.interval[1]
    # Leike et al.'s expectation is checked on the honest assistant; the A_6 comparison needs 6 iterations
    assert {v.claim.id for v in res.verdicts} == {"rrm-evaluation-improves", "rrm-agent-improves"}
    assert find_measure(res.measures, "evaluation accuracy rises with k", mislead=0.5).published is None
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["params"]["error_models"] == ["replace", "drop"] and len(summary["measures"]) == len(res.measures)
    assert (tmp_path / "aggregation_trees.png").exists() and (tmp_path / "recursive_reward_modelling.png").exists()
    with pytest.raises(ValueError, match="error-models"):
        mod.SCENARIO.execute({"error_models": "swap"}, quick=True, out=tmp_path / "x", progress=False)
    rec = mod.experiment({**mod.SCENARIO.defaults(True), **given}, seed=1)
    assert rec["height"] == 2 and "rrm_eval_accuracy" in rec
