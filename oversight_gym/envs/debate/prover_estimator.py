"""Prover-estimator debate (Brown-Cohen, Irving & Piliouras 2025, arXiv 2506.13609) with exact
expectations on argument trees.

Roles: Alice, the **prover**, and Bob, the **estimator**. Bob never chooses where to recurse; he
only prices. A debate walks one path from the root of an argument tree
(:mod:`oversight_gym.envs.debate.argument_trees`) to a leaf. Bob first states a price (a
probability) for the root. Then, at every internal node ``v`` of depth ``d`` on the path:

1. **Bob prices the subclaims** ``y_1 .. y_q`` one after another. With
   ``conditioning="coins"`` (the paper's device and the default) the judge draws a trusted coin
   ``z_j ~ Bernoulli(p_j)`` after each price, and Bob's price ``p_i`` of ``y_i`` is conditioned on
   the coins already drawn for the earlier siblings (``y_1 .. y_{i-1} = z_1 .. z_{i-1}``), so he
   can say "exactly one of these is false" without saying which. With
   ``conditioning="independent"`` he states marginals and no coin is drawn.
2. **What the children's prices imply** for the parent is ``E_z[rule(z)]`` under Bob's
   conditional prices (the judge computes it from the prices of every coin branch; under
   independence it is :func:`~oversight_gym.envs.debate.argument_trees.rule_probability`).
3. **Alice bets a direction** ``s`` in {-1, 0, +1} (Bob's parent price too high, about right, too
   low) and is paid ``w_d * s * (implied - p_v)``; weights grow geometrically with depth,
   ``w_d = weight_growth ** d``.
4. **Alice picks the subclaim** to recurse on (having seen the coins); its price on the drawn coin
   path becomes the current price.

At the **last level** the judge checks the true leaf ``y`` and Alice's bet ``s`` on Bob's leaf
price is paid ``w_D * s * (y - p_leaf)`` (D: the leaf's depth). Payments are **zero-sum**: Bob
receives the negative of Alice's total.

**Winning is the sign of the expected payoff** (over the trusted coins, for the tree's actual
truth): the judge accepts Alice's claim iff her expected payoff exceeds ``margin`` (default 0, a
tie goes to the estimator). Soundness (an honest estimator against a lying prover) holds when
that expectation is not positive; completeness (an honest prover against a lying estimator) when
it is. :func:`debate_value` computes it exactly by enumerating every coin outcome; Alice plays the
bets and subclaims that maximise her *subjective* expected payoff (her own leaf beliefs), which
is exhaustive search over her strategies (dynamic programming over the same tree of choices).

The registered game ``debate/recursive-v1`` (``protocol="prover-estimator"``) plays this protocol
move by move, realising the coins; with the ``pe-prover`` and ``pe-estimator`` debaters
(:mod:`~oversight_gym.envs.debate.tree_debaters`, :class:`ProverPlan`) its mean payoff is this
module's expectation (``tests/test_prover_estimator.py``; exactly when no coin is uncertain), and
:func:`batch_payoffs` is its registered batch engine.

Open choices, as named options (:class:`Protocol`):

* ``conditioning``: ``"coins"`` (default; the paper's reading: prices conditioned on the coins of
  earlier siblings) or ``"independent"`` (marginal prices, implied value under independence).
* ``weight_growth``: the ratio of successive depth weights (default 2: a later round counts
  twice the one before it; the paper fixes only that the weights grow geometrically).
* ``margin``: the smallest expected payoff that counts as Alice's win (default 0).

One reading question we leave visible: after Alice recurses into ``y_i``, the leaf is checked
against its actual truth, while Bob's price of ``y_i`` was conditioned on coins that are not facts.
When Bob's beliefs make siblings dependent (a fixed number of flaws, or conditioning on the root's
truth), a prover can pick a subclaim whose conditional price is far from its marginal and profit
(``tests/test_prover_estimator.py`` shows a two-leaf example with payoff ``w_1 / 2``). On trees
whose leaves are independent given what the estimator knows, conditioning changes nothing and the
soundness check holds exactly. Beliefs: :class:`ProductBelief` (independent leaves; fast, any
size) and :class:`JointBelief` (any distribution over leaf assignments, small trees).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numba import njit, prange

from oversight_gym.core.errors import check_choice, check_float, check_int
from oversight_gym.core.numba_cache import drop_stale_caches
from oversight_gym.envs.debate import argument_trees
from oversight_gym.envs.debate.argument_trees import (
    ArgumentTree,
    evaluate_tree,
    leaf_probability_for_root,
    mean_field,
    node_depths,
    rule_probability,
    rule_value,
)

CONDITIONING = ("coins", "independent")
_EXACT_LEAVES = 12  # JointBelief enumerates 2**N assignments


@dataclass(frozen=True)
class Protocol:
    """The named options of prover-estimator debate (module docstring)."""

    conditioning: str = "coins"
    weight_growth: float = 2.0
    margin: float = 0.0

    def __post_init__(self) -> None:
        check_choice("conditioning", self.conditioning, CONDITIONING)
        check_float("weight_growth", self.weight_growth, 1e-9)
        check_float("margin", self.margin, 0.0)

    def weight(self, depth: int) -> float:
        return float(self.weight_growth) ** depth


# --- beliefs ---------------------------------------------------------------------------------------------
class ProductBelief:
    """Independent leaves holding with probabilities ``leaf_p`` (one per leaf): conditioning on
    siblings' coins changes nothing, so every price is the node's probability under independence."""

    def __init__(self, rules: np.ndarray, branching: int, leaf_p: np.ndarray) -> None:
        self.rules, self.b = rules, branching
        self.leaf_p = np.asarray(leaf_p, float)
        # mean_field treats a 'known' leaf as certain: feed the probabilities directly
        n_int = rules.shape[0]
        p = np.empty(n_int + self.leaf_p.shape[0])
        p[n_int:] = self.leaf_p
        for v in range(n_int - 1, -1, -1):
            p[v] = rule_probability(int(rules[v]), p[branching * v + 1:branching * v + branching + 1])
        self.node_p = p

    independent = True

    def price(self, node: int, context: Any = None) -> float:
        return float(self.node_p[node])

    def condition(self, context: Any, node: int, value: int) -> Any:
        return None

    def root_context(self) -> Any:
        return None


class JointBelief:
    """Any distribution over the leaves' assignments, given as rows of 0/1 leaf values and their
    weights (normalised here); a context is the set of rows consistent with the conditions so far."""

    def __init__(self, rules: np.ndarray, branching: int, assignments: np.ndarray, weights: np.ndarray) -> None:
        a = np.asarray(assignments, np.int8)
        w = np.asarray(weights, float)
        if a.ndim != 2 or w.shape != (a.shape[0],) or np.any(w < 0) or w.sum() <= 0:
            raise ValueError("assignments must be a (rows, leaves) 0/1 array and weights non-negative with a "
                             "positive sum, one per row")
        self.rules, self.b = rules, branching
        self.w = w / w.sum()
        self.truths = np.stack([evaluate_tree(rules, row, branching) for row in a])  # rows x nodes

    independent = False

    def root_context(self) -> np.ndarray:
        return self.w > 0

    def price(self, node: int, context: np.ndarray) -> float:
        mass = self.w[context].sum()
        return float(self.w[context & (self.truths[:, node] == 1)].sum() / mass) if mass > 0 else 0.5

    def condition(self, context: np.ndarray, node: int, value: int) -> np.ndarray:
        return context & (self.truths[:, node] == value)


class GridBelief:
    """A belief whose prices are rounded to the grid of ``levels`` values that the registered game
    (``debate/recursive-v1``) takes as actions; conditioning is the inner belief's. Run the exact
    engine with it to get the expectation of the game an estimator of that belief plays."""

    def __init__(self, inner: Any, levels: int) -> None:
        self.inner, self.m = inner, levels - 1
        self.independent = inner.independent

    def root_context(self) -> Any:
        return self.inner.root_context()

    def price(self, node: int, context: Any = None) -> float:
        return float(np.rint(self.inner.price(node, context) * self.m)) / self.m

    def condition(self, context: Any, node: int, value: int) -> Any:
        return self.inner.condition(context, node, value)


def sibling_contexts(belief: Any, b: int, node: int, context: Any, coins: np.ndarray, protocol: Protocol
                     ) -> list[Any]:
    """The context each child of ``node`` is priced in, given the coins drawn so far (``coins``:
    one per node, -1 where none): the parent's, conditioned (reading ``"coins"``) on the coins of
    the earlier siblings, as :func:`child_prices` branches."""
    out, ctx = [], context
    for i in range(b):
        out.append(ctx)
        c = b * node + 1 + i
        if protocol.conditioning == "coins" and not belief.independent and coins[c] >= 0:
            ctx = belief.condition(ctx, c, int(coins[c]))
    return out


def path_context(belief: Any, b: int, path: list[int], coins: np.ndarray, protocol: Protocol) -> Any:
    """The context the last node of a debate's ``path`` (root first) was priced in."""
    ctx = belief.root_context()
    for parent, child in zip(path, path[1:], strict=False):
        ctx = sibling_contexts(belief, b, parent, ctx, coins, protocol)[child - b * parent - 1]
    return ctx


def all_assignments(n_leaves: int) -> np.ndarray:
    """Every 0/1 assignment of ``n_leaves`` leaves (rows), for :class:`JointBelief`."""
    if n_leaves > _EXACT_LEAVES:
        raise ValueError(f"exact joint beliefs enumerate 2**N assignments: N must be at most {_EXACT_LEAVES}, "
                         f"got {n_leaves}")
    return ((np.arange(2**n_leaves)[:, None] >> np.arange(n_leaves)) & 1).astype(np.int8)


def posterior_leaf_p(n_leaves: int, leaf_p: float, known: np.ndarray) -> np.ndarray:
    """Independent leaves with prior ``leaf_p``: the verified ones (``known`` 0/1) are certain,
    the others (-1) keep the prior. The posterior of a debater who knows only its leaves."""
    out = np.full(n_leaves, float(leaf_p))
    out[known >= 0] = known[known >= 0]
    return out


def doubting_leaf_p(rule: int, branching: int, depth: int, root_price: float) -> float:
    """The uniform leaf probability whose independent tree gives the root ``root_price``: a
    consistent estimator who spreads his doubt about the root evenly over every subclaim (on a
    conjunction of q children, each near ``root_price ** (1/q)``)."""
    return leaf_probability_for_root(rule, branching, depth, root_price)


# --- one round ---------------------------------------------------------------------------------------------
def child_prices(belief: Any, rules: np.ndarray, b: int, node: int, context: Any,
                 protocol: Protocol) -> tuple[float, list[tuple[float, tuple[int, ...], list[float], list[Any]]]]:
    """Bob's round at ``node``: the parent value his children's prices imply, and every coin
    branch as (probability, coins, the children's prices on it, the context each child is priced in)."""
    kids = [b * node + 1 + i for i in range(b)]
    rule = int(rules[node])
    if protocol.conditioning == "independent" or belief.independent:
        prices = [belief.price(c, context) for c in kids]
        implied = float(rule_probability(rule, np.array(prices)))
        return implied, [(1.0, (), prices, [context] * b)]
    branches = []
    implied = 0.0
    stack: list[tuple[float, tuple[int, ...], list[float], list[Any], Any]] = [(1.0, (), [], [], context)]
    while stack:
        prob, coins, prices, ctxs, ctx = stack.pop()
        i = len(coins)
        if i == b:
            implied += prob * rule_value(rule, np.array(coins, np.int64))
            branches.append((prob, coins, prices, ctxs))
            continue
        p = belief.price(kids[i], ctx)
        for z, pz in ((1, p), (0, 1.0 - p)):
            if pz > 0:
                stack.append((prob * pz, coins + (z,), prices + [p], ctxs + [ctx], belief.condition(ctx, kids[i], z)))
    return implied, branches


def round_payments(belief: Any, rules: np.ndarray, b: int, protocol: Protocol) -> list[tuple[int, float]]:
    """Every internal node's (node, implied - stated) on the root context and the coin branches
    below it: what a ``+1`` bet earns per unit weight. A consistent estimator's are all zero."""
    out = []

    def walk(node: int, context: Any, stated: float) -> None:
        if node >= rules.shape[0]:
            return
        implied, branches = child_prices(belief, rules, b, node, context, protocol)
        out.append((node, implied - stated))
        for _, _, prices, ctxs in branches:
            for i in range(b):
                walk(b * node + 1 + i, ctxs[i], prices[i])

    walk(0, belief.root_context(), belief.price(0, belief.root_context()))
    return out


# --- the debate's value ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class DebateValue:
    """Alice's expected payoff: ``actual`` for the tree's true leaves, ``subjective`` under her
    own leaf beliefs (what her play maximises); ``root_price`` is Bob's price of the root."""

    actual: float
    subjective: float
    root_price: float

    def prover_wins(self, protocol: Protocol) -> bool:
        return self.actual > protocol.margin


class ProverPlan:
    """Alice's play against an estimator whose pricing she knows (``bob``, a belief): from any
    node, context and stated price, her actual and subjective expected payoffs under the bets
    and subclaims that maximise the subjective one (her leaf beliefs ``alice_leaf_p``; the
    actual one uses ``leaf_truth``). The dynamic programme of :func:`debate_value`, kept as an
    object so that a scripted prover playing the registered game (``debate/recursive-v1``)
    takes the same decisions: :meth:`bet` and :meth:`pick`. Ties between subclaims go to the
    first."""

    def __init__(self, rules: np.ndarray, branching: int, depth: int, bob: Any, alice_leaf_p: np.ndarray,
                 leaf_truth: np.ndarray | None = None, protocol: Protocol | None = None) -> None:
        self.rules, self.b = rules, branching
        self.n_int = rules.shape[0]
        self.depths = node_depths(branching, depth)
        self.bob, self.protocol = bob, protocol or Protocol()
        self.a = np.asarray(alice_leaf_p, float)
        self.truth = self.a if leaf_truth is None else np.asarray(leaf_truth, float)

    def bet(self, node: int, context: Any, stated: float) -> int:
        """Alice's direction on Bob's price ``stated`` of ``node``: the sign of what his
        children's prices imply minus it (internal node), or of her belief minus it (leaf)."""
        if node >= self.n_int:
            return int(np.sign(self.a[node - self.n_int] - stated))
        implied, _ = child_prices(self.bob, self.rules, self.b, node, context, self.protocol)
        return int(np.sign(implied - stated))

    def pick(self, node: int, contexts: list[Any], prices: list[float]) -> int:
        """The subclaim of ``node`` Alice recurses into, given each child's context and price
        on the drawn coins: the first of the largest subjective values."""
        best, best_v = 0, None
        for i in range(self.b):
            v = self.value(self.b * node + 1 + i, contexts[i], prices[i])[1]
            if best_v is None or v > best_v + 1e-12:
                best, best_v = i, v
        return best

    def value(self, node: int, context: Any, stated: float) -> tuple[float, float]:
        """(actual, subjective) expected payoff from ``node`` priced ``stated`` in ``context``."""
        w = self.protocol.weight(int(self.depths[node]))
        if node >= self.n_int:
            leaf = node - self.n_int
            s = float(np.sign(self.a[leaf] - stated))
            return w * s * (self.truth[leaf] - stated), w * s * (self.a[leaf] - stated)
        implied, branches = child_prices(self.bob, self.rules, self.b, node, context, self.protocol)
        pay = w * abs(implied - stated)  # Alice bets the sign of the gap: deterministic given the prices
        act = sub = 0.0
        for prob, _, prices, ctxs in branches:
            best = None
            for i in range(self.b):
                v = self.value(self.b * node + 1 + i, ctxs[i], prices[i])
                if best is None or v[1] > best[1] + 1e-12:
                    best = v
            act += prob * best[0]
            sub += prob * best[1]
        return pay + act, pay + sub


def debate_value(tree: ArgumentTree, bob: Any, alice_leaf_p: np.ndarray, protocol: Protocol | None = None
                 ) -> DebateValue:
    """Exact expected payoffs of one prover-estimator debate on ``tree`` (every coin outcome
    enumerated): Bob prices from ``bob`` (a belief), Alice bets and picks to maximise her
    subjective expectation under her leaf beliefs ``alice_leaf_p`` (:class:`ProverPlan`); the
    actual expectation uses the tree's true leaves. Ties between subclaims go to the first."""
    plan = ProverPlan(tree.rules, tree.branching, tree.depth, bob, alice_leaf_p, tree.leaf_truth, protocol)
    ctx = bob.root_context()
    root = bob.price(0, ctx)
    act, sub = plan.value(0, ctx, root)
    return DebateValue(act, sub, root)


def best_prover_payoff(tree_rules: np.ndarray, branching: int, depth: int, bob: Any, alice_leaf_p: np.ndarray,
                       protocol: Protocol | None = None) -> float:
    """The largest expected payoff any prover strategy earns against ``bob`` when the leaves are
    distributed as Alice believes (independent, ``alice_leaf_p``): exhaustive over her bets and
    subclaims at every node and coin outcome (the subjective value of :func:`debate_value`)."""
    n = branching**depth
    tree = ArgumentTree(branching, depth, tree_rules, np.ones(n, np.int8),
                        np.full(tree_rules.shape[0] + n, 0.5))
    return debate_value(tree, bob, alice_leaf_p, protocol).subjective


# --- batch path: many debates with independent beliefs -----------------------------------------------------
@njit(cache=True, parallel=True)
def _batch_values(rules: np.ndarray, b: int, depths: np.ndarray, truths: np.ndarray, bob: np.ndarray,
                  alice: np.ndarray, growth: float, grid: int) -> np.ndarray:
    """Rows (actual, subjective, root price) of :func:`debate_value` for independent beliefs:
    prices are the nodes' probabilities (coins change nothing), rounded to ``grid`` steps if
    ``grid`` > 0 (:class:`GridBelief`); Alice's value is a bottom-up maximum over subclaims, the
    first of near-ties (within 1e-12) as in the reference."""
    m, n = truths.shape
    n_int = rules.shape[0]
    out = np.empty((m, 3))
    for g in prange(m):
        p = np.empty(n_int + n)
        r = np.empty(n_int + n)  # the stated prices
        sub = np.empty(n_int + n)
        act = np.empty(n_int + n)
        for leaf in range(n):
            v = n_int + leaf
            p[v] = bob[g, leaf]
            q = np.rint(p[v] * grid) / grid if grid > 0 else p[v]
            r[v] = q
            w = growth ** depths[v]
            d = alice[g, leaf] - q
            s = 1.0 if d > 0 else (-1.0 if d < 0 else 0.0)
            sub[v] = w * s * d
            act[v] = w * s * (truths[g, leaf] - q)
        for v in range(n_int - 1, -1, -1):
            p[v] = rule_probability(int(rules[v]), p[b * v + 1:b * v + b + 1])
            r[v] = np.rint(p[v] * grid) / grid if grid > 0 else p[v]
        for v in range(n_int - 1, -1, -1):
            implied = rule_probability(int(rules[v]), r[b * v + 1:b * v + b + 1])
            pay = growth ** depths[v] * abs(implied - r[v])
            best = b * v + 1
            for i in range(1, b):
                c = b * v + 1 + i
                if sub[c] > sub[best] + 1e-12:
                    best = c
            sub[v] = pay + sub[best]
            act[v] = pay + act[best]
        out[g, 0] = act[0]
        out[g, 1] = sub[0]
        out[g, 2] = r[0]
    return out


# _batch_values inlines the compiled rules of argument_trees: recompile when that module changes
drop_stale_caches("prover_estimator", [_batch_values], [argument_trees])


def batch_debate_values(rules: np.ndarray, branching: int, depth: int, leaf_truth: np.ndarray, bob_leaf_p: np.ndarray,
                        alice_leaf_p: np.ndarray, protocol: Protocol | None = None, levels: int | None = None
                        ) -> dict[str, np.ndarray]:
    """:func:`debate_value` for many debates at once when the estimator's beliefs are independent
    (:class:`ProductBelief`; either conditioning reading gives the same prices): one row per
    debate in each (debates, leaves) array; with ``levels``, his prices are rounded to that grid
    (:class:`GridBelief`, as the registered game states them). Returns ``actual``,
    ``subjective`` and ``root_price``; ``tests/test_prover_estimator.py`` holds it equal to the
    reference."""
    protocol = protocol or Protocol()
    truths = np.atleast_2d(np.asarray(leaf_truth, np.float64))
    bob = np.atleast_2d(np.asarray(bob_leaf_p, np.float64))
    alice = np.atleast_2d(np.asarray(alice_leaf_p, np.float64))
    n = branching**depth
    if not (truths.shape == bob.shape == alice.shape and truths.shape[1] == n):
        raise ValueError(f"leaf_truth, bob_leaf_p and alice_leaf_p must have the same shape (debates, {n}), got "
                         f"{truths.shape}, {bob.shape} and {alice.shape}")
    grid = 0 if levels is None else check_int("levels", levels, 2) - 1
    out = _batch_values(np.asarray(rules, np.int8), branching, node_depths(branching, depth), truths, bob, alice,
                        float(protocol.weight_growth), grid)
    return {"actual": out[:, 0], "subjective": out[:, 1], "root_price": out[:, 2]}


# --- the batch engine as registered with debate/recursive-v1 -------------------------------------------------
#: the estimators of the batch engine: calibrated on the leaves he verified, or doubting the true root
ESTIMATORS = ("calibrated", "doubting")
#: the doubting estimator's price of the true root value (completeness: Bob lies about the root)
DOUBTING_ROOT_PRICE = 0.25
#: the engine's outcome fields, each compared with the kernel's mean over episodes
PAYOFF_FIELDS = ("prover_payoff", "root_truth")


def estimator_leaf_p(tree: ArgumentTree, known: np.ndarray, prior: float, estimator: str = "calibrated"
                     ) -> np.ndarray:
    """Bob's independent leaf probabilities: ``"calibrated"``, his posterior (the leaves he
    verified, ``known`` 0/1, certain, the others at ``prior``); ``"doubting"``, the uniform leaf
    probability whose tree prices the true root value at :data:`DOUBTING_ROOT_PRICE` (he knows
    the answer and spreads his doubt evenly, :func:`doubting_leaf_p`)."""
    check_choice("estimator", estimator, ESTIMATORS)
    if estimator == "calibrated":
        return posterior_leaf_p(tree.num_leaves, prior, known)
    price = DOUBTING_ROOT_PRICE if tree.truth[0] else 1.0 - DOUBTING_ROOT_PRICE
    return np.full(tree.num_leaves, doubting_leaf_p(int(tree.rules[0]), tree.branching, tree.depth, price))


def _engine_config(config: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the game's parameters, the debaters') of a batch-engine configuration."""
    kw = {"claimant_budget": 0, "challenger_budget": 0, **config, "protocol": "prover-estimator"}
    agents = {"estimator": kw.pop("estimator", "calibrated")}
    return kw, agents


def batch_payoffs(config: dict[str, Any], seed: int, episodes: int) -> dict[str, np.ndarray]:
    """``episodes`` prover-estimator debates of ``debate/recursive-v1`` (``config``: the game's
    parameters and ``estimator``), each scored by its exact expected payoff (:func:`batch_debate_values`):
    fresh trees; Alice knows ``claimant_budget`` random leaves, Bob ``challenger_budget`` (or
    doubts, ``estimator="doubting"``); Bob's prices on the game's grid; Alice best-responds
    (the ``pe-prover`` / ``pe-estimator`` pair of :mod:`~oversight_gym.envs.debate.tree_debaters`).
    Every draw from ``numpy.random.default_rng(seed)``."""
    from oversight_gym.envs.debate.recursive import RecursiveDebateGame

    kw, agents = _engine_config(config)
    game = RecursiveDebateGame(**kw)
    rng = np.random.default_rng(seed)
    n = game.num_leaves
    prior = argument_trees.prior_leaf_probability(game.tree_params)
    truths, bob, alice = (np.empty((episodes, n)) for _ in range(3))
    root = np.empty(episodes, np.int64)
    rules = None
    for i in range(episodes):
        tree = game.make_tree(rng)
        rules = tree.rules
        known = np.full((2, n), -1, np.int8)
        for seat in (0, 1):
            leaves = rng.permutation(n)[:game.budgets[seat]]
            known[seat, leaves] = tree.leaf_truth[leaves]
        truths[i], root[i] = tree.leaf_truth, tree.truth[0]
        alice[i] = posterior_leaf_p(n, prior, known[0])
        bob[i] = estimator_leaf_p(tree, known[1], prior, agents["estimator"])
    if rules is None:
        return {"prover_payoff": np.zeros(0), "root_truth": np.zeros(0, np.int64)}
    pay = batch_debate_values(rules, game.branching, game.depth, truths, bob, alice, game.pe, game.levels)
    return {"prover_payoff": pay["actual"], "root_truth": root}


def reference_payoff(config: dict[str, Any], seed: int, episode: int) -> dict[str, Any]:
    """One debate of :func:`batch_payoffs`' configuration played on the kernel
    (``debate/recursive-v1``) by ``pe-prover`` against ``pe-estimator``: the realised payoff, with
    the judge's coins drawn, whose mean over episodes is the engine's expected payoff."""
    from oversight_gym.core.episode import play_episode
    from oversight_gym.envs.debate.recursive import RecursiveDebateGame
    from oversight_gym.envs.debate.tree_debaters import BeliefEstimator, BeliefProver

    kw, agents = _engine_config(config)
    game = RecursiveDebateGame(**kw)
    bob = BeliefEstimator(estimator=agents["estimator"])
    seeds = np.random.SeedSequence([seed, episode]).generate_state(1)
    out = play_episode(game, [BeliefProver(opponent=bob), bob], seed=int(seeds[0])).outcome()
    return {"prover_payoff": out["prover_payoff"], "root_truth": out["root_truth"]}


# --- stability ---------------------------------------------------------------------------------------------
def node_sensitivity(rule: int, probs: np.ndarray, eps: float) -> float:
    """How far the parent's probability moves when every child's moves by at most ``eps``: the
    rule's probability is increasing in each child, so the extremes are all children up or all
    down (clipped to [0, 1])."""
    base = rule_probability(rule, probs)
    up = rule_probability(rule, np.clip(probs + eps, 0.0, 1.0))
    down = rule_probability(rule, np.clip(probs - eps, 0.0, 1.0))
    return float(max(up - base, base - down))


def stability_report(rules: np.ndarray, branching: int, node_p: np.ndarray, eps: float, bound: float
                     ) -> dict[str, Any]:
    """Per internal node, the sensitivity of :func:`node_sensitivity` at the children's
    probabilities ``node_p``, and whether it is at most ``bound``; the tree is stable only if
    every node on the argument passes (Brown-Cohen et al. 2025's stability condition)."""
    eps = check_float("eps", eps, 0.0, 1.0)
    bound = check_float("bound", bound, 0.0)
    n_int = rules.shape[0]
    sens = np.array([node_sensitivity(int(rules[v]), node_p[branching * v + 1:branching * v + branching + 1], eps)
                     for v in range(n_int)])
    passes = sens <= bound + 1e-12
    return {"sensitivity": sens, "passes": passes, "stable": bool(passes.all()),
            "worst": float(sens.max()) if n_int else 0.0}


def tree_node_probabilities(rules: np.ndarray, branching: int, leaf_p: float, n_leaves: int) -> np.ndarray:
    """Every node's probability when each leaf holds independently with ``leaf_p``."""
    unknown = np.full(n_leaves, -1, np.int8)
    return mean_field(rules, unknown, float(leaf_p), branching)


__all__ = ["CONDITIONING", "DOUBTING_ROOT_PRICE", "DebateValue", "ESTIMATORS", "GridBelief", "JointBelief",
           "PAYOFF_FIELDS", "ProductBelief", "Protocol", "ProverPlan", "all_assignments", "batch_debate_values",
           "batch_payoffs", "best_prover_payoff", "child_prices", "debate_value", "doubting_leaf_p", "estimator_leaf_p",
           "node_sensitivity", "path_context", "posterior_leaf_p", "reference_payoff", "round_payments",
           "sibling_contexts", "stability_report", "tree_node_probabilities"]
