"""Argument-tree generators and the local rules shared by the recursive-debate kernel and its batch path."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oversight_gym.envs.debate.argument_trees import (
    AND,
    KINDS,
    MAJ,
    OR,
    RULES,
    balanced_leaf_probability,
    base_rate,
    depth_for_leaves,
    kleene_evaluate,
    make_tree,
    mean_field,
    node_depths,
    pattern_consistent,
    rule_probability,
    rule_value,
    subtree_leaves,
)

SETTINGS = settings(max_examples=25, deadline=None)


@st.composite
def trees(draw, kinds=KINDS):
    kind = draw(st.sampled_from(kinds))
    branching = draw(st.integers(2, 4))
    depth = draw(st.integers(1, 4 if branching == 2 else 3))
    kw = {}
    if kind == "obfuscated":
        kw["flaws"] = draw(st.integers(0, branching**depth))
    if kind == "stable":
        kw["rule"] = draw(st.sampled_from(["majority", "or"]))
    if kind == "counter-intuitive":
        kw["rule"] = draw(st.sampled_from(["and", "or", "majority"]))
        kw["truth_depth"] = draw(st.integers(1, depth))
        kw["prior_strength"] = draw(st.sampled_from([0.0, 0.2, 0.5]))
    seed = draw(st.integers(0, 2**32 - 1))
    return make_tree(np.random.default_rng(seed), kind, depth, branching, **kw)


def _graph_truth(tree) -> dict[int, bool]:
    """Evaluate the networkx graph recursively (an independent implementation)."""
    g = tree.graph()
    out: dict[int, bool] = {}
    for v in reversed(list(nx.topological_sort(g))):
        kids = list(g.successors(v))
        if not kids:
            out[v] = bool(tree.leaf_truth[g.nodes[v]["leaf"]])
            continue
        vals = [out[c] for c in kids]
        rule = g.nodes[v]["rule"]
        out[v] = all(vals) if rule == "and" else any(vals) if rule == "or" else 2 * sum(vals) > len(vals)
    return out


@SETTINGS
@given(tree=trees())
def test_truth_agrees_with_an_independent_evaluation_of_the_networkx_graph(tree):
    truth = _graph_truth(tree)
    assert [truth[v] for v in range(tree.num_nodes)] == [bool(x) for x in tree.truth]
    g = tree.graph()
    assert g.number_of_nodes() == tree.num_nodes and g.number_of_edges() == tree.num_nodes - 1
    assert nx.is_arborescence(g)


@SETTINGS
@given(tree=trees(), data=st.data())
def test_decided_claims_are_true_whatever_the_unknown_leaves(tree, data):
    """Three-valued evaluation: a claim the known leaves decide has that value in the tree."""
    mask = np.array(data.draw(st.lists(st.booleans(), min_size=tree.num_leaves, max_size=tree.num_leaves)))
    known = np.where(mask, tree.leaf_truth, -1).astype(np.int8)
    decided = kleene_evaluate(tree.rules, known, tree.branching)
    sel = decided >= 0
    assert np.array_equal(decided[sel], tree.truth[sel])
    full = kleene_evaluate(tree.rules, tree.leaf_truth.astype(np.int8), tree.branching)
    assert np.array_equal(full, tree.truth)
    mf = mean_field(tree.rules, tree.leaf_truth.astype(np.int8), 0.5, tree.branching)
    assert np.array_equal(mf, tree.truth.astype(float))


def test_rules_on_zero_one_inputs_and_probabilities():
    for b in (2, 3, 4):
        for vals in itertools.product((0, 1), repeat=b):
            arr = np.array(vals, np.int64)
            for rule in (AND, OR, MAJ):
                assert rule_probability(rule, arr.astype(float)) == pytest.approx(rule_value(rule, arr))
    assert rule_probability(AND, np.array([0.5, 0.5])) == pytest.approx(0.25)
    assert rule_probability(OR, np.array([0.5, 0.5])) == pytest.approx(0.75)
    assert rule_probability(MAJ, np.array([0.5, 0.5, 0.5])) == pytest.approx(0.5)
    # the judge's local check: a conjunction asserted true needs every child true
    assert [p for p in range(4) if pattern_consistent(AND, 1, p, 2)] == [3]
    assert [p for p in range(4) if pattern_consistent(OR, 0, p, 2)] == [0]


@pytest.mark.parametrize("rule,b,d", [(AND, 2, 10), (MAJ, 3, 5), (OR, 2, 6)])
def test_balanced_leaf_probability_makes_the_root_a_coin(rule, b, d):
    p = balanced_leaf_probability(rule, b, d)
    x = p
    for _ in range(d):
        x = rule_probability(rule, np.full(b, x))
    assert x == pytest.approx(0.5, abs=1e-9)


@SETTINGS
@given(k=st.integers(0, 32), seed=st.integers(0, 2**32 - 1))
def test_obfuscated_construction_has_exactly_k_flaws_and_a_false_root(k, seed):
    tree = make_tree(np.random.default_rng(seed), "obfuscated", depth=5, flaws=k)
    assert int((tree.leaf_truth == 0).sum()) == k
    assert tree.root_truth == (k == 0)
    if k == 1:  # Barnes & Christiano's recipe: each half of the argument is 50% likely to hold the flaw
        lo, hi = subtree_leaves(1, 2, 5, 1)
        assert (tree.leaf_truth[lo:hi] == 0).sum() in (0, 1)


def test_size_n_gives_the_depth():
    assert depth_for_leaves(1024) == 10 and depth_for_leaves(81, 3) == 4
    with pytest.raises(ValueError, match="leaves must be a power of branching=2"):
        depth_for_leaves(1000)


def test_same_seed_same_tree_and_kinds():
    for kind in KINDS:
        a = make_tree(np.random.default_rng(3), kind, depth=3, branching=3)
        b = make_tree(np.random.default_rng(3), kind, depth=3, branching=3)
        assert np.array_equal(a.leaf_truth, b.leaf_truth) and np.array_equal(a.prior, b.prior)
    assert make_tree(np.random.default_rng(0), "stable", depth=2, branching=3).rules[0] == RULES["majority"]


def test_counter_intuitive_prior_points_the_wrong_way_above_truth_depth():
    tree = make_tree(np.random.default_rng(1), "counter-intuitive", depth=4, branching=2, rule="and",
                     truth_depth=2, prior_strength=0.4)
    depths = node_depths(2, 4)
    toward_truth = np.where(tree.truth == 1, tree.prior - 0.5, 0.5 - tree.prior)
    assert np.allclose(toward_truth[depths == 0], -0.4)
    assert np.allclose(toward_truth[depths == 1], -0.2)
    assert np.allclose(toward_truth[depths == 2], 0.0)
    assert np.allclose(toward_truth[depths >= 4], 0.4)
    plain = make_tree(np.random.default_rng(1), "conjunctive", depth=3, prior_strength=0.1)
    assert np.allclose(np.where(plain.truth == 1, plain.prior - 0.5, 0.5 - plain.prior), 0.1)
    assert base_rate(np.array([-1, -1], np.int8)) == 0.5


@pytest.mark.parametrize("kwargs,match", [
    ({"kind": "tree"}, "kind must be one of"),
    ({"branching": 1}, r"branching must be in \[2, 8\]"),
    ({"depth": 20}, "branching=2, depth=20: 1.05e[+]06 leaves would need"),
    ({"kind": "obfuscated", "depth": 3, "flaws": 9}, "flaws must be at most the number of leaves"),
    ({"kind": "stable", "flaws": 1}, "flaws applies only when kind is 'obfuscated'; got flaws=1 with kind='stable'"),
    ({"kind": "stable", "rule": "and"}, "rule must suit the kind"),
    ({"kind": "obfuscated", "rule": "or"}, "rule must suit the kind: 'and' for obfuscated"),
    ({"kind": "conjunctive", "truth_depth": 2}, "truth_depth applies only when kind is 'counter-intuitive'"),
    ({"kind": "counter-intuitive", "truth_depth": 0}, r"truth_depth must be in \[1, 64\]"),
    ({"kind": "obfuscated", "leaf_p": 0.5}, "leaf_p applies only when kind is not 'obfuscated'"),
    ({"prior_strength": 0.7}, r"prior_strength must be in \[0, 0.5\]"),
    ({"kind": "stable", "leaf_p": 1.5}, "leaf_p must be in"),
])
def test_bad_parameters_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_tree(np.random.default_rng(0), **kwargs)
