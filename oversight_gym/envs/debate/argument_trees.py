"""Argument trees for recursive debate: instance generators and the local rules the judge checks.

A claim is a node of a complete ``branching``-ary tree of height ``depth``. Every internal
claim follows from its children by a local rule the judge can check (conjunction,
disjunction or majority); the ``branching ** depth`` leaves are facts the judge can check
directly, at the cost of one query. The judge also holds a prior plausibility for every
claim (the probability it gives the claim before any argument), which it falls back on
when a debate runs out of rounds.

Generators (Barnes & Christiano 2020, "Debate update: Obfuscated arguments problem";
Brown-Cohen, Irving & Piliouras 2025, "Avoiding obfuscation with prover-estimator
debate", arXiv 2506.13609):

* ``"conjunctive"``: every claim is the conjunction of its children (a long sum, a chain
  of implications); each leaf is wrong independently with probability ``1 - leaf_p``, so
  errors accumulate with size.
* ``"obfuscated"``: Barnes and Christiano's construction. A conjunction with exactly
  ``flaws`` wrong leaves placed uniformly at random: the root is false, and each subclaim
  on the way down is about as likely true as false under the wrong answer (with one flaw
  and two children, exactly 50%), so neither debater knows where the flaws are.
* ``"stable"``: majority (or disjunction) of the children, the case prover-estimator
  debate is designed for: a parent's error is not larger than its children's.
* ``"counter-intuitive"``: the judge's prior points the wrong way at the root (with
  strength ``prior_strength``), fading linearly to no information at depth ``truth_depth``
  and pointing the right way below it (:func:`judge_prior`): the truth is established only
  by an argument at least ``truth_depth`` deep.

Layout: nodes are numbered in heap order (root 0; the children of ``v`` are
``b*v + 1 .. b*v + b``); the ``I = (b**depth - 1) / (b - 1)`` internal nodes come first,
then the leaves, so leaf ``l`` is node ``I + l``. The rule functions below are compiled
with numba and shared by the kernel (:mod:`oversight_gym.envs.debate.recursive`) and the
batch path (:mod:`oversight_gym.envs.debate.recursive_batch`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from numba import njit

from oversight_gym.core.errors import check_int
from oversight_gym.core.params import Choice, Estimate, Int, Params, Real, Rule, defaults_of, is_, is_not, validate

AND, OR, MAJ = 0, 1, 2
RULES = {"and": AND, "or": OR, "majority": MAJ}
RULE_NAMES = ("and", "or", "majority")
KINDS = ("conjunctive", "obfuscated", "stable", "counter-intuitive")
#: largest tree the generators build (leaves)
MAX_LEAVES = 1 << 16
#: largest branching (the claimant's assertion patterns number 2 ** branching)
MAX_BRANCHING = 8
UNKNOWN = -1


# --- the local rules (shared by the kernel and the batch path) ------------------------------------
@njit(cache=True)
def rule_value(rule: int, values: np.ndarray) -> int:
    """The value (0/1) a parent takes under ``rule`` given its children's 0/1 ``values``."""
    n = values.shape[0]
    s = 0
    for i in range(n):
        s += values[i]
    if rule == AND:
        return 1 if s == n else 0
    if rule == OR:
        return 1 if s > 0 else 0
    return 1 if 2 * s > n else 0  # strict majority (a tie of an even branching is false)


@njit(cache=True)
def pattern_bits(pattern: int, b: int, out: np.ndarray) -> None:
    """Child ``i``'s asserted value is bit ``i`` of ``pattern``."""
    for i in range(b):
        out[i] = (pattern >> i) & 1


@njit(cache=True)
def pattern_consistent(rule: int, parent_value: int, pattern: int, b: int) -> bool:
    """Whether asserting ``pattern`` for the children is consistent with asserting
    ``parent_value`` for the parent: the judge's local check."""
    bits = np.empty(b, np.int64)
    pattern_bits(pattern, b, bits)
    return rule_value(rule, bits) == parent_value


@njit(cache=True)
def rule_probability(rule: int, probs: np.ndarray) -> float:
    """The probability the parent holds when the children hold independently with ``probs``
    (product for a conjunction; one minus the product of failures for a disjunction; the
    Poisson-binomial tail for a strict majority). The prover-estimator judge checks an
    estimator's probabilities against it."""
    n = probs.shape[0]
    if rule == AND:
        r = 1.0
        for i in range(n):
            r *= probs[i]
        return r
    if rule == OR:
        r = 1.0
        for i in range(n):
            r *= 1.0 - probs[i]
        return 1.0 - r
    dist = np.zeros(n + 1)
    dist[0] = 1.0
    for i in range(n):
        p = probs[i]
        for j in range(i + 1, 0, -1):
            dist[j] = dist[j] * (1.0 - p) + dist[j - 1] * p
        dist[0] *= 1.0 - p
    r = 0.0
    for j in range(n + 1):
        if 2 * j > n:
            r += dist[j]
    return r


@njit(cache=True)
def evaluate_tree(rules: np.ndarray, leaf_values: np.ndarray, b: int) -> np.ndarray:
    """Every node's truth (0/1), bottom-up, from the leaves' truths."""
    n_internal = rules.shape[0]
    n_nodes = n_internal + leaf_values.shape[0]
    out = np.empty(n_nodes, np.int8)
    out[n_internal:] = leaf_values
    vals = np.empty(b, np.int64)
    for v in range(n_internal - 1, -1, -1):
        for i in range(b):
            vals[i] = out[b * v + 1 + i]
        out[v] = rule_value(rules[v], vals)
    return out


@njit(cache=True)
def kleene_evaluate(rules: np.ndarray, known: np.ndarray, b: int) -> np.ndarray:
    """Which claims the known leaves already decide: 0/1, or -1 (undecided), bottom-up in
    three-valued logic. ``known`` holds 0/1 for a verified leaf and -1 otherwise."""
    n_internal = rules.shape[0]
    out = np.empty(n_internal + known.shape[0], np.int8)
    out[n_internal:] = known
    for v in range(n_internal - 1, -1, -1):
        t = 0
        f = 0
        for i in range(b):
            c = out[b * v + 1 + i]
            if c == 1:
                t += 1
            elif c == 0:
                f += 1
        r = rules[v]
        if r == AND:
            val = 0 if f > 0 else (1 if t == b else -1)
        elif r == OR:
            val = 1 if t > 0 else (0 if f == b else -1)
        else:
            need = b // 2 + 1  # strict majority
            val = 1 if t >= need else (0 if f > b - need else -1)
        out[v] = val
    return out


@njit(cache=True)
def mean_field(rules: np.ndarray, known: np.ndarray, q: float, b: int) -> np.ndarray:
    """Estimated probability that each claim holds: verified leaves are certain, unknown
    leaves hold with probability ``q``, children are treated as independent."""
    n_internal = rules.shape[0]
    out = np.empty(n_internal + known.shape[0])
    for i in range(known.shape[0]):
        out[n_internal + i] = q if known[i] < 0 else float(known[i])
    probs = np.empty(b)
    for v in range(n_internal - 1, -1, -1):
        for i in range(b):
            probs[i] = out[b * v + 1 + i]
        out[v] = rule_probability(rules[v], probs)
    return out


@njit(cache=True)
def base_rate(known: np.ndarray) -> float:
    """A debater's estimate of how often an unverified leaf holds: the Laplace-smoothed share
    of true leaves among those it verified."""
    t = 0
    n = 0
    for i in range(known.shape[0]):
        if known[i] >= 0:
            n += 1
            t += known[i]
    return (t + 1.0) / (n + 2.0)


def num_internal(branching: int, depth: int) -> int:
    return (branching**depth - 1) // (branching - 1)


def node_depths(branching: int, depth: int) -> np.ndarray:
    """Depth of every node in heap order."""
    out = np.empty(num_internal(branching, depth) + branching**depth, np.int64)
    start, width = 0, 1
    for d in range(depth + 1):
        out[start:start + width] = d
        start += width
        width *= branching
    return out


def subtree_leaves(node: int, branching: int, depth: int, node_depth: int) -> tuple[int, int]:
    """The leaves (indices ``lo..hi-1``) below ``node``, which sits at ``node_depth``."""
    h = depth - node_depth
    first = node
    for _ in range(h):
        first = branching * first + 1
    lo = first - num_internal(branching, depth)
    return lo, lo + branching**h


# --- the instance -------------------------------------------------------------------------------
@dataclass(frozen=True)
class ArgumentTree:
    """An argument: a complete tree of claims with local rules, leaf facts and judge priors.

    ``rules`` (one per internal node), ``leaf_truth`` (0/1 per leaf) and ``prior`` (the
    judge's plausibility of every node, in ``[0, 1]``) are in heap order.
    """

    branching: int
    depth: int
    rules: np.ndarray
    leaf_truth: np.ndarray
    prior: np.ndarray
    kind: str = "custom"
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n_int = num_internal(self.branching, self.depth)
        if self.rules.shape != (n_int,) or self.leaf_truth.shape != (self.branching**self.depth,):
            raise ValueError(f"an ArgumentTree of branching {self.branching} and depth {self.depth} needs "
                             f"{n_int} rules and {self.branching ** self.depth} leaves, got "
                             f"{self.rules.shape[0]} and {self.leaf_truth.shape[0]}")
        if self.prior.shape != (n_int + self.branching**self.depth,):
            raise ValueError(f"prior must have one entry per node ({n_int + self.branching ** self.depth}), "
                             f"got {self.prior.shape[0]}")
        object.__setattr__(self, "truth", evaluate_tree(self.rules, self.leaf_truth, self.branching))

    truth: np.ndarray = field(init=False, repr=False)

    @property
    def num_leaves(self) -> int:
        return self.branching**self.depth

    @property
    def num_internal(self) -> int:
        return self.rules.shape[0]

    @property
    def num_nodes(self) -> int:
        return self.num_internal + self.num_leaves

    @property
    def root_truth(self) -> bool:
        return bool(self.truth[0])

    def children(self, node: int) -> range:
        if node >= self.num_internal:
            return range(0)
        return range(self.branching * node + 1, self.branching * node + self.branching + 1)

    def graph(self):
        """The tree as a ``networkx.DiGraph`` (edges parent -> child) with node attributes
        ``depth``, ``truth``, ``prior``, ``rule`` (``"leaf"`` for leaves) and ``leaf``."""
        import networkx as nx

        g = nx.DiGraph(kind=self.kind, branching=self.branching, depth=self.depth)
        depths = node_depths(self.branching, self.depth)
        for v in range(self.num_nodes):
            leaf = v >= self.num_internal
            g.add_node(v, depth=int(depths[v]), truth=bool(self.truth[v]), prior=float(self.prior[v]),
                       rule="leaf" if leaf else RULE_NAMES[int(self.rules[v])],
                       leaf=(v - self.num_internal) if leaf else None)
            if v > 0:
                g.add_edge((v - 1) // self.branching, v)
        return g


def depth_for_leaves(leaves: int, branching: int = 2) -> int:
    """The depth of a complete ``branching``-ary tree with ``leaves`` leaves (size N); the
    error names ``leaves`` if it is not a power of ``branching``."""
    n = check_int("leaves", leaves, 1, MAX_LEAVES)
    b = check_int("branching", branching, 2, MAX_BRANCHING)
    d, m = 0, 1
    while m < n:
        m *= b
        d += 1
    if m != n or d == 0:
        raise ValueError(f"leaves must be a power of branching={b} greater than 1 (a complete tree), got {leaves}")
    return d


def balanced_leaf_probability(rule: int, branching: int, depth: int) -> float:
    """The leaf probability ``p`` at which the root holds with probability 1/2 when every
    leaf holds independently with ``p`` (see :func:`leaf_probability_for_root`)."""
    return leaf_probability_for_root(rule, branching, depth, 0.5)


@lru_cache(maxsize=1024)  # a pure function of its arguments, asked by every debater's belief
def leaf_probability_for_root(rule: int, branching: int, depth: int, root: float) -> float:
    """The uniform leaf probability ``p`` whose independent tree gives the root probability
    ``root`` (bisection on the rule's probability iterated ``depth`` times; the rule is
    increasing in ``p``)."""
    lo, hi = 0.0, 1.0
    probs = np.empty(branching)
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        p = mid
        for _ in range(depth):
            probs[:] = p
            p = rule_probability(rule, probs)
        if p < root:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


#: the rules each kind of tree allows (the obfuscated and conjunctive constructions are conjunctions)
KIND_RULES = {"obfuscated": ("and",), "conjunctive": ("and",), "stable": ("majority", "or"),
              "counter-intuitive": RULE_NAMES}


def leaf_count(config: Any) -> float:
    """The leaves of a configuration's tree, branching^depth (a float: no huge integer is built)."""
    return float(config["branching"]) ** config["depth"]


#: the tree generator's parameters (:func:`make_tree`), declared once for the generator, the
#: recursive debate game and its batch engine
TREE_PARAMS = Params(
    {
        "kind": Choice(*KINDS),
        "depth": Int(1, 64),
        "branching": Int(2, MAX_BRANCHING),
        "flaws": Int(0, none=True, when=is_("kind", "obfuscated")),
        "leaf_p": Real(0.0, 1.0, none=True, when=is_not("kind", "obfuscated")),
        "rule": Choice(*RULE_NAMES, none=True),
        "truth_depth": Int(1, 64, none=True, when=is_("kind", "counter-intuitive")),
        "prior_strength": Real(0.0, 0.5, none=True),
    },
    rules=[
        # a node's value, truth, assertion, estimate and visits, and each debater's view of it
        Estimate(("branching", "depth"), leaf_count, MAX_LEAVES, "leaves", item_bytes=64),
        Rule(("flaws", "branching", "depth"), lambda c: c.get("flaws") is None or c["flaws"] <= leaf_count(c),
             "flaws must be at most the number of leaves, branching^depth"),
        Rule(("rule", "kind"), lambda c: c.get("rule") is None or c["rule"] in KIND_RULES[c["kind"]],
             "rule must suit the kind: 'and' for obfuscated and conjunctive trees, 'majority' or 'or' for stable "
             "ones, any rule for counter-intuitive ones"),
    ],
)


def tree_params(cfg: dict[str, Any]) -> dict[str, Any]:
    """Validated generator parameters (:data:`TREE_PARAMS`) with the derived defaults filled in."""
    kind = cfg["kind"]
    prior = cfg.get("prior_strength")
    out: dict[str, Any] = {"kind": kind, "depth": cfg["depth"], "branching": cfg["branching"],
                           "prior_strength": (0.25 if kind == "counter-intuitive" else 0.0) if prior is None else prior}
    if kind == "obfuscated":
        out["flaws"] = 1 if cfg.get("flaws") is None else cfg["flaws"]
    else:
        out["leaf_p"] = cfg.get("leaf_p")
    out["rule"] = KIND_RULES[kind][0] if cfg.get("rule") is None else cfg["rule"]
    truth_depth = cfg.get("truth_depth")
    out["truth_depth"] = (cfg["depth"] if truth_depth is None else truth_depth) if kind == "counter-intuitive" else 0
    return out


def check_tree_params(kind: str, depth: int, branching: int, flaws: int | None = None, leaf_p: float | None = None,
                      rule: str | None = None, truth_depth: int | None = None,
                      prior_strength: float | None = None) -> dict[str, Any]:
    """Validate the generator parameters against :data:`TREE_PARAMS`; return them normalised
    (defaults filled in). A parameter that the kind does not use (``leaf_p`` of an obfuscated
    tree, ``flaws`` of an iid one, ``truth_depth`` of any but a counter-intuitive one) is an error."""
    given = {"kind": kind, "depth": depth, "branching": branching, "flaws": flaws, "leaf_p": leaf_p, "rule": rule,
             "truth_depth": truth_depth, "prior_strength": prior_strength}
    return tree_params(validate(TREE_PARAMS, given, defaults_of(check_tree_params)))


def prior_leaf_probability(params: dict[str, Any]) -> float:
    """The probability that a leaf holds before any is seen, for normalised generator parameters
    (:func:`tree_params`): ``1 - k/N`` for an obfuscated tree of ``k`` flaws among ``N`` leaves,
    else ``leaf_p`` or, by default, the balanced value (:func:`balanced_leaf_probability`)."""
    b, d = params["branching"], params["depth"]
    if params["kind"] == "obfuscated":
        return 1.0 - params["flaws"] / b**d
    q = params.get("leaf_p")
    return float(q) if q is not None else balanced_leaf_probability(RULES[params["rule"]], b, d)


def make_tree(rng: np.random.Generator, kind: str = "obfuscated", depth: int = 4, branching: int = 2,
              flaws: int | None = None, leaf_p: float | None = None, rule: str | None = None,
              truth_depth: int | None = None, prior_strength: float | None = None) -> ArgumentTree:
    """Draw an argument tree; every random choice draws from ``rng``.

    Parameters
    ----------
    kind: ``"conjunctive"``, ``"obfuscated"``, ``"stable"`` or ``"counter-intuitive"`` (module doc).
    depth, branching: the tree has ``N = branching ** depth`` leaves.
    flaws: the number ``k`` of wrong leaves of the obfuscated construction (default 1).
    leaf_p: probability that a leaf holds (iid kinds); default: the value at which the root
        holds with probability 1/2.
    rule: ``"and"``, ``"or"`` or ``"majority"`` (stable: majority or or; counter-intuitive: any).
    truth_depth: counter-intuitive only: the prior misleads above this depth (default: ``depth``).
    prior_strength: how far the judge's prior sits from 1/2, in ``[0, 0.5]``. Counter-intuitive
        trees point it the wrong way above ``truth_depth`` (:func:`judge_prior`); other kinds
        point it the right way
        (default 0.25 for counter-intuitive trees, else 0: an uninformative judge).
    """
    p = check_tree_params(kind, depth, branching, flaws, leaf_p, rule, truth_depth, prior_strength)
    b, d = p["branching"], p["depth"]
    n = b**d
    rule_code = RULES[p["rule"]]
    rules = np.full(num_internal(b, d), rule_code, np.int8)
    if kind == "obfuscated":
        leaves = np.ones(n, np.int8)
        leaves[rng.choice(n, size=p["flaws"], replace=False)] = 0
    else:
        leaves = (rng.random(n) < prior_leaf_probability(p)).astype(np.int8)
    truth = evaluate_tree(rules, leaves, b)
    prior = judge_prior(truth, node_depths(b, d), p["prior_strength"], p["truth_depth"])
    return ArgumentTree(b, d, rules, leaves, prior, kind, p)


@njit(cache=True)
def judge_prior(truth: np.ndarray, depths: np.ndarray, strength: float, truth_depth: int) -> np.ndarray:
    """The judge's prior plausibility of each claim, ``1/2 + r * strength`` toward the truth.

    With ``truth_depth = 0`` the prior points the right way everywhere (``r = 1``). With
    ``truth_depth = d > 0`` (counter-intuitive claims) ``r = clip((depth - d) / d, -1, 1)``:
    the prior points the wrong way with full strength at the root, fades to no information
    at depth ``d`` and points the right way below it: a claim is intuitive only once the
    argument has gone ``d`` steps deep."""
    out = np.empty(truth.shape[0])
    for v in range(truth.shape[0]):
        sign = 1.0 if truth[v] == 1 else -1.0
        r = 1.0
        if truth_depth > 0:
            r = (depths[v] - truth_depth) / truth_depth
            r = min(1.0, max(-1.0, r))
        out[v] = 0.5 + strength * sign * r
    return out


@njit(cache=True)
def limit_value(prior: float, sample: bool, u: float) -> int:
    """The judge's value for a claim it must decide on its prior (the debate ran out of
    rounds): believed with probability ``prior`` (``sample``), or iff ``prior > 1/2`` (a tie
    decided by the uniform draw ``u``)."""
    if sample or prior == 0.5:
        return 1 if u < prior else 0
    return 1 if prior > 0.5 else 0
