"""Prover-estimator debate (Brown-Cohen, Irving & Piliouras 2025) computed exactly on small trees:
the theorems' checks by exhaustive enumeration of coins and prover strategies, the stability test,
and the reading question the coin conditioning leaves open."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oversight_gym.core.episode import play_episode
from oversight_gym.envs.debate.argument_trees import (
    AND,
    MAJ,
    OR,
    ArgumentTree,
    make_tree,
    node_depths,
    rule_probability,
)
from oversight_gym.envs.debate.prover_estimator import (
    GridBelief,
    JointBelief,
    ProductBelief,
    Protocol,
    all_assignments,
    batch_debate_values,
    best_prover_payoff,
    debate_value,
    doubting_leaf_p,
    node_sensitivity,
    posterior_leaf_p,
    round_payments,
    stability_report,
    tree_node_probabilities,
)
from oversight_gym.envs.debate.recursive import RecursiveDebateGame
from oversight_gym.envs.debate.tree_debaters import BeliefEstimator, BeliefProver

EXACT = settings(max_examples=25, deadline=None)
SHAPES = st.sampled_from([(2, 1), (2, 2), (2, 3), (3, 1), (3, 2)])  # (branching, depth): at most 9 leaves
PROTOCOLS = st.builds(Protocol, conditioning=st.sampled_from(["coins", "independent"]),
                      weight_growth=st.sampled_from([1.0, 2.0, 3.0]))


@st.composite
def small_trees(draw, kinds=("conjunctive", "stable")):
    b, d = draw(SHAPES)
    kind = draw(st.sampled_from(kinds))
    rule = "and" if kind == "conjunctive" else draw(st.sampled_from(["majority", "or"]))
    leaf_p = draw(st.floats(0.05, 0.95))
    tree = make_tree(np.random.default_rng(draw(st.integers(0, 2**32 - 1))), kind, depth=d, branching=b, rule=rule,
                     leaf_p=leaf_p)
    return tree, leaf_p


@EXACT
@given(data=st.data(), protocol=PROTOCOLS)
def test_a_consistent_estimator_pays_nothing_in_expectation_whatever_the_prover_bets(data, protocol):
    """Any joint belief, priced with the coins of earlier siblings, is consistent: at every node
    and on every coin branch, what the children's prices imply equals the parent's price, so each
    round's payment w_d * s * (implied - stated) is zero for every bet s."""
    tree, _ = data.draw(small_trees(("conjunctive", "stable", "counter-intuitive")))
    n = tree.num_leaves
    weights = np.array(data.draw(st.lists(st.floats(0, 1), min_size=2**n, max_size=2**n)))
    if weights.sum() <= 0:
        weights[0] = 1.0
    bob = JointBelief(tree.rules, tree.branching, all_assignments(n), weights)
    coins = Protocol(conditioning="coins", weight_growth=protocol.weight_growth)
    gaps = round_payments(bob, tree.rules, tree.branching, coins)
    assert len(gaps) >= tree.num_internal
    for node, gap in gaps:
        for s in (-1, 0, 1):
            assert abs(coins.weight(int(node_depths(tree.branching, tree.depth)[node])) * s * gap) < 1e-9
    # an independent belief is consistent under either reading
    product = ProductBelief(tree.rules, tree.branching, np.array(data.draw(
        st.lists(st.floats(0, 1), min_size=n, max_size=n))))
    assert all(abs(g) < 1e-12 for _, g in round_payments(product, tree.rules, tree.branching, protocol))


def _brute_force_best(tree: ArgumentTree, bob: ProductBelief, alice: np.ndarray, protocol: Protocol) -> float:
    """Every deterministic prover strategy against an independent-belief estimator (whose prices do
    not depend on the coins): each root-to-leaf path with each vector of bets in {-1, 0, +1}."""
    b, d, n_int = tree.branching, tree.depth, tree.num_internal
    best = -np.inf
    for picks in itertools.product(range(b), repeat=d):
        path = [0]
        for i in picks:
            path.append(b * path[-1] + 1 + i)
        for bets in itertools.product((-1, 0, 1), repeat=d + 1):
            total = 0.0
            for depth, (v, s) in enumerate(zip(path, bets, strict=True)):
                w = protocol.weight(depth)
                if v < n_int:
                    kids = bob.node_p[b * v + 1:b * v + b + 1]
                    total += w * s * (rule_probability(int(tree.rules[v]), kids) - bob.node_p[v])
                else:
                    total += w * s * (alice[v - n_int] - bob.node_p[v])
            best = max(best, total)
    return best


@EXACT
@given(data=st.data(), protocol=PROTOCOLS, kind=st.sampled_from(["conjunctive", "stable"]))
def test_no_prover_strategy_gains_against_an_estimator_calibrated_on_its_information(data, protocol, kind):
    """Soundness (no stability needed): the estimator prices with the posterior given the leaves
    the prover knows; every prover strategy, found by exhaustive search over bets and subclaims,
    has expected payoff zero when the leaves are distributed as the prover believes (an estimator
    who knows more is no easier: a prover who could read his extra leaves off his prices is this
    case with those leaves added to hers). The dynamic programme of ``best_prover_payoff`` equals
    brute force over every deterministic strategy."""
    tree, leaf_p = data.draw(small_trees((kind,)))
    n = tree.num_leaves
    alice_known = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    known = np.where(alice_known, tree.leaf_truth, -1).astype(np.int8)
    alice = posterior_leaf_p(n, leaf_p, known)
    bob = ProductBelief(tree.rules, tree.branching, alice)
    best = best_prover_payoff(tree.rules, tree.branching, tree.depth, bob, alice, protocol)
    assert abs(best) <= 1e-9
    if tree.depth <= 2:
        assert _brute_force_best(tree, bob, alice, protocol) == pytest.approx(best, abs=1e-9)
    # a miscalibrated estimator (prices off the posterior) is exploitable: the search finds it
    off = ProductBelief(tree.rules, tree.branching, np.clip(alice + 0.2 * (alice < 0.5) - 0.2 * (alice >= 0.5),
                                                           0, 1))
    assert best_prover_payoff(tree.rules, tree.branching, tree.depth, off, alice, protocol) > 0.1


def test_a_prover_who_knows_a_leaf_the_estimator_cannot_check_gains():
    """Outside the theorem's assumption: the prover knows a false leaf the estimator prices at its
    prior, bets 'too high' there and earns w_1 * 0.7 in expectation (actual and subjective)."""
    tree = ArgumentTree(2, 1, np.array([AND], np.int8), np.array([0, 1], np.int8), np.full(3, 0.5))
    bob = ProductBelief(tree.rules, 2, np.full(2, 0.7))
    value = debate_value(tree, bob, np.array([0.0, 0.7]))
    assert value.actual == pytest.approx(2 * 0.7) and value.subjective == pytest.approx(2 * 0.7)
    assert value.prover_wins(Protocol())


def test_coin_conditioning_lets_a_prover_exploit_dependent_beliefs():
    """The reading question the module names: two leaves, exactly one false, Bob knows nothing
    more. Conditioned on the coin of leaf 1, his price of leaf 2 is 0 or 1 (consistent with his root
    price 0), yet leaf 2 is false with probability 1/2 from Alice's side: she recurses there and bets
    against the price, earning w_1 / 2 = 1. With marginal prices (independent reading) Bob cannot be
    consistent with his root price 0: implied 1/4, so Alice earns w_0 / 4 at the root instead."""
    rules = np.array([AND], np.int8)
    bob = JointBelief(rules, 2, all_assignments(2), np.array([0, 1, 1, 0.0]))
    assert round_payments(bob, rules, 2, Protocol()) == [(0, 0.0)]
    assert best_prover_payoff(rules, 2, 1, bob, np.array([0.5, 0.5])) == pytest.approx(1.0)
    assert best_prover_payoff(rules, 2, 1, bob, np.array([0.5, 0.5]),
                              Protocol(conditioning="independent")) == pytest.approx(0.25)


@pytest.mark.parametrize("q", [2, 3, 5, 8])
def test_a_doubting_estimator_is_consistent_and_the_honest_provers_edge_shrinks_with_q(q):
    """Completeness needs stability: on a true conjunction of q leaves a consistent estimator
    prices the root at 1/4 and each leaf at 4**(-1/q); the honest prover's expected edge
    w_1 * (1 - 4**(-1/q)) stays positive but shrinks as q grows."""
    rules = np.array([AND], np.int8)
    r = doubting_leaf_p(AND, q, 1, 0.25)
    assert r == pytest.approx(0.25 ** (1 / q))
    tree = ArgumentTree(q, 1, rules, np.ones(q, np.int8), np.full(q + 1, 0.5))
    bob = ProductBelief(rules, q, np.full(q, r))
    value = debate_value(tree, bob, np.ones(q))
    assert value.root_price == pytest.approx(0.25)
    assert value.actual == pytest.approx(2 * (1 - 0.25 ** (1 / q)))


def test_stability_per_node_and_for_the_tree():
    """A wide-margin majority barely moves; an AND of many children moves about q * eps; a tree is
    stable only if every node passes."""
    eps = 0.05
    assert node_sensitivity(MAJ, np.full(9, 0.9), eps) < 0.02
    assert node_sensitivity(AND, np.full(8, 0.95), eps) > 0.2
    # an OR resting on one child: all up gives 1 - 0.05 * 0.95 ** 2, all down 0.85
    assert node_sensitivity(OR, np.array([0.9, 0.0, 0.0]), eps) == pytest.approx(0.05 - 0.05 * 0.95**2 + 0.05)
    maj = np.full(4, MAJ, np.int8)  # ternary majority, depth 2
    p = tree_node_probabilities(maj, 3, 0.95, 9)
    rep = stability_report(maj, 3, p, eps, 0.05)
    assert rep["stable"] and rep["passes"].all()
    conj = np.full(4, AND, np.int8)
    rep = stability_report(conj, 3, tree_node_probabilities(conj, 3, 0.95, 9), eps, 0.05)
    assert not rep["stable"] and rep["worst"] > 0.1
    mixed = np.array([MAJ, MAJ, AND, MAJ], np.int8)  # one unstable node on the argument
    rep = stability_report(mixed, 3, tree_node_probabilities(mixed, 3, 0.95, 9), eps, 0.05)
    assert not rep["stable"] and rep["passes"].sum() == 3
    with pytest.raises(ValueError, match="eps"):
        stability_report(maj, 3, p, 2.0, 0.05)


def test_named_options_and_errors():
    with pytest.raises(ValueError, match="conditioning must be one of"):
        Protocol(conditioning="sampled")
    with pytest.raises(ValueError, match="weight_growth"):
        Protocol(weight_growth=0.0)
    with pytest.raises(ValueError, match="N must be at most"):
        all_assignments(20)
    with pytest.raises(ValueError, match="weights non-negative"):
        JointBelief(np.array([AND], np.int8), 2, all_assignments(2), np.zeros(4))
    assert Protocol().weight(3) == 8.0


@EXACT
@given(data=st.data(), protocol=PROTOCOLS)
def test_the_batch_path_equals_the_reference_debate_by_debate(data, protocol):
    """Many debates with independent beliefs at once (compiled) against :func:`debate_value`."""
    tree, leaf_p = data.draw(small_trees(("conjunctive", "stable")))
    n, m = tree.num_leaves, 6
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    truths = (rng.random((m, n)) < leaf_p).astype(np.int8)
    bob, alice = rng.random((m, n)), rng.random((m, n))
    alice[:, : n // 2] = bob[:, : n // 2]  # some exact ties between the two beliefs
    res = batch_debate_values(tree.rules, tree.branching, tree.depth, truths, bob, alice, protocol)
    for g in range(m):
        t = ArgumentTree(tree.branching, tree.depth, tree.rules, truths[g], tree.prior)
        ref = debate_value(t, ProductBelief(tree.rules, tree.branching, bob[g]), alice[g], protocol)
        assert res["actual"][g] == pytest.approx(ref.actual, abs=1e-9)
        assert res["subjective"][g] == pytest.approx(ref.subjective, abs=1e-9)
        assert res["root_price"][g] == pytest.approx(ref.root_price, abs=1e-12)
    with pytest.raises(ValueError, match="same shape"):
        batch_debate_values(tree.rules, tree.branching, tree.depth, truths, bob[:, :1], alice, protocol)


# --- the registered game (debate/recursive-v1) plays the protocol the engine scores ---------------------------
class _TableBelief:
    """A fixed price per node, whatever the coins (possibly inconsistent): a lying estimator."""

    independent = True

    def __init__(self, prices: np.ndarray) -> None:
        self.prices = prices

    def root_context(self) -> None:
        return None

    def price(self, node: int, context: object = None) -> float:
        return float(self.prices[node])

    def condition(self, context: object, node: int, value: int) -> None:
        return None


def _play(tree: ArgumentTree, bob: object, alice: np.ndarray, protocol: Protocol, seed: int, levels: int = 101,
          max_rounds: int | None = None) -> float:
    """One kernel episode on ``tree``: pe-estimator pricing from ``bob``, pe-prover knowing it."""
    game = RecursiveDebateGame(kind="conjunctive", depth=tree.depth, branching=tree.branching,
                               protocol="prover-estimator", claim="honest", claimant_budget=0, challenger_budget=0,
                               levels=levels, conditioning=protocol.conditioning,
                               weight_growth=protocol.weight_growth, max_rounds=max_rounds)
    estimator = BeliefEstimator(belief=bob)
    state = play_episode(game, [BeliefProver(opponent=estimator, leaf_p=alice), estimator], seed=seed, tree=tree)
    assert state.is_terminal() and state.returns().tolist() == [state.payoff, -state.payoff]
    return state.outcome()["prover_payoff"]


@EXACT
@given(data=st.data(), protocol=PROTOCOLS, consistent=st.booleans())
def test_the_registered_game_pays_the_exact_expectation_when_no_coin_is_uncertain(data, protocol, consistent):
    """Prices of 0 or 1 make every coin certain, so one kernel episode is the whole expectation:
    its payoff equals :func:`debate_value`'s exactly (integer multiples of the weights). Bob
    believes one leaf assignment (consistent) or states arbitrary 0/1 prices (inconsistent,
    so the prover's bets on the gaps are paid); Alice's beliefs are anything."""
    tree, _ = data.draw(small_trees(("conjunctive", "stable")))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    if consistent:
        row = (rng.random(tree.num_leaves) < 0.6).astype(np.int8)[None, :]
        bob = JointBelief(tree.rules, tree.branching, row, np.ones(1))
    else:
        bob = _TableBelief((rng.random(tree.num_nodes) < 0.5).astype(float))
    alice = rng.choice([0.0, 0.25, 0.5, 0.75, 1.0], tree.num_leaves)
    exact = debate_value(tree, GridBelief(bob, 101), alice, protocol).actual
    assert _play(tree, bob, alice, protocol, seed=data.draw(st.integers(0, 2**16))) == exact


@pytest.mark.parametrize("case", ["one flaw, coins", "one flaw, independent", "independent leaves", "length limit"])
def test_the_registered_games_mean_payoff_is_the_exact_expectation(case):
    """The coins make single runs random: over 400 seeded episodes the kernel's mean payoff lies
    within 4 standard errors of the exact expectation (:func:`debate_value` on Bob's prices on
    the game's grid). Bob believes exactly one of four leaves false (dependent: conditioning on
    the coins matters, the reading question the module names) or independent leaves off the
    grid; Alice believes the truth or the prior."""
    rules = np.array([AND, AND, AND], np.int8)
    tree = ArgumentTree(2, 2, rules, np.array([1, 1, 0, 1], np.int8), np.full(7, 0.5))
    one_flaw = JointBelief(rules, 2, np.array([[0, 1, 1, 1], [1, 0, 1, 1], [1, 1, 0, 1], [1, 1, 1, 0]]), np.ones(4))
    protocol = Protocol(conditioning="independent" if "independent" in case else "coins")
    bob = ProductBelief(rules, 2, np.array([0.83, 0.61, 0.77, 0.9])) if "leaves" in case else one_flaw
    alice = tree.leaf_truth.astype(float) if case != "one flaw, coins" else np.full(4, 0.75)
    rounds = 1 if case == "length limit" else None
    pays = np.array([_play(tree, bob, alice, protocol, seed, max_rounds=rounds) for seed in range(400)])
    if rounds is None:
        exact = debate_value(tree, GridBelief(bob, 101), alice, protocol).actual
        assert abs(pays.mean() - exact) <= 4 * pays.std(ddof=1) / np.sqrt(len(pays)) + 1e-12, (pays.mean(), exact)
    else:  # the judge's prior (1/2, sampled) stands in for the leaf at the limit: Alice's bet is paid on it
        assert np.all(np.abs(pays) <= 1 + 2 + 1e-12)


def test_the_batch_engine_rounds_prices_as_the_game_states_them():
    """:func:`batch_debate_values` with ``levels`` equals :func:`debate_value` on :class:`GridBelief`."""
    tree = ArgumentTree(3, 2, np.full(4, MAJ, np.int8), np.array([1, 0, 1, 1, 1, 0, 0, 1, 1], np.int8),
                        np.full(13, 0.5))
    bob, alice = np.linspace(0.13, 0.87, 9), np.linspace(0.9, 0.1, 9)
    ref = debate_value(tree, GridBelief(ProductBelief(tree.rules, 3, bob), 11), alice)
    res = batch_debate_values(tree.rules, 3, 2, tree.leaf_truth[None], bob[None], alice[None], levels=11)
    assert res["actual"][0] == pytest.approx(ref.actual, abs=1e-12)
    assert res["root_price"][0] == ref.root_price
