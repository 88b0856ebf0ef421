"""Batch path for sweeps of recursive debate: many debates at once, compiled.

The readable kernel (:mod:`oversight_gym.envs.debate.recursive`) with the scripted debaters
(:mod:`oversight_gym.envs.debate.tree_debaters`) plays a debate in milliseconds;
a sweep of a 20 x 20 grid with 2,000 debates per cell on trees of 1,024 leaves needs
microseconds. This module plays the standard protocol (one path, the challenger picks),
cross-examination (the challenger reopens earlier claims, Q paths) and judge-directed debate
(the judge picks by its prior, Q paths) with the same debaters' decision rules, compiled with
numba and run over cores with ``prange``,
and shares the kernel's rule functions: tree evaluation, the judge's local consistency
check, three-valued and mean-field beliefs, the judge's prior and its length-limit decision
(all from :mod:`oversight_gym.envs.debate.argument_trees`).

Randomness: every uniform draw comes from the ``numpy.random.Generator`` passed in, drawn
up front per chunk of debates, so the same seed gives the same results on any number of
threads. The draws are not those of the kernel's agents (which each hold a generator), so
the two paths agree in distribution, not debate by debate; ``tests/test_recursive_debate_batch.py``
checks the agreement within confidence intervals and against the closed form.

Debaters: claimant ``"honest"`` or ``"obfuscating"`` (``tree-honest`` / ``tree-obfuscator``);
challenger ``"honest"``, ``"obfuscating"`` or ``"random-search"`` (``tree-random-search``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit, prange

from oversight_gym.core.errors import check_choice, check_int
from oversight_gym.core.numba_cache import drop_stale_caches
from oversight_gym.envs.debate import argument_trees
from oversight_gym.envs.debate.argument_trees import (
    RULES,
    balanced_leaf_probability,
    base_rate,
    check_tree_params,
    evaluate_tree,
    judge_prior,
    kleene_evaluate,
    limit_value,
    mean_field,
    node_depths,
    num_internal,
    pattern_consistent,
)

CLAIMANTS = ("honest", "obfuscating")
CHALLENGERS = ("honest", "obfuscating", "random-search")
# ended_by codes
CONCEDE, LEAF, LIMIT = 0, 1, 2
ENDED_BY = ("concede", "leaf", "limit")
_CHUNK = 2000


@njit(cache=True)
def _sample_without_replacement(n: int, k: int, u: np.ndarray, perm: np.ndarray) -> None:
    """The first ``k`` entries of ``perm`` become a uniform sample of ``range(n)`` (partial
    Fisher-Yates on the uniforms ``u[:k]``)."""
    for i in range(n):
        perm[i] = i
    for i in range(k):
        j = i + int(u[i] * (n - i))
        if j >= n:
            j = n - 1
        t = perm[i]
        perm[i] = perm[j]
        perm[j] = t


@njit(cache=True)
def _pick_best(scores: np.ndarray, n: int, u: float) -> int:
    """Index of a maximum of ``scores[:n]``, ties broken by the uniform ``u``."""
    best = scores[0]
    for i in range(1, n):
        if scores[i] > best:
            best = scores[i]
    count = 0
    for i in range(n):
        if scores[i] >= best - 1e-12:
            count += 1
    target = int(u * count)
    if target >= count:
        target = count - 1
    for i in range(n):
        if scores[i] >= best - 1e-12:
            if target == 0:
                return i
            target -= 1
    return 0


@njit(cache=True)
def _claimant_pattern(rule: int, a: int, v: int, b: int, prob_c: np.ndarray, scores: np.ndarray, pats: np.ndarray,
                      u: float) -> int:
    """The claimant asserts the most likely pattern consistent with its claim ``a`` at ``v``
    (``tree-honest`` / ``tree-obfuscator``'s rule), ties broken by ``u``."""
    n_p = 0
    for pat in range(2**b):
        if pattern_consistent(rule, a, pat, b):
            s = 0.0
            for i in range(b):
                q = prob_c[b * v + 1 + i]
                if (pat >> i) & 1:
                    s += np.log(max(q, 1e-300))
                else:
                    s += np.log(max(1.0 - q, 1e-300))
            scores[n_p] = s
            pats[n_p] = pat
            n_p += 1
    return pats[_pick_best(scores, n_p, u)]


@njit(cache=True)
def _challenger_child(v: int, b: int, assertion: np.ndarray, decided: np.ndarray, prob_h: np.ndarray,
                      prior: np.ndarray, mode: int, scores: np.ndarray, u: float) -> int:
    """The challenger disputes a refuted subclaim, else the one most likely wrong (belief
    search) or a random one not known to be right (``mode`` 2, random search)."""
    n_r = 0
    for i in range(b):
        c = b * v + 1 + i
        if decided[c] >= 0 and decided[c] != assertion[c]:
            scores[i] = 1.0
            n_r += 1
        else:
            scores[i] = 0.0
    if n_r == 0:
        n_open = 0
        for i in range(b):
            c = b * v + 1 + i
            ai = assertion[c]
            if mode == 2:
                scores[i] = 1.0 if decided[c] < 0 else 0.0
                n_open += decided[c] < 0
            else:
                plaus = prior[c] if ai == 1 else 1.0 - prior[c]
                wrong = 1.0 - prob_h[c] if ai == 1 else prob_h[c]
                scores[i] = wrong - 1e-9 * plaus
        if mode == 2 and n_open == 0:
            for i in range(b):
                scores[i] = 0.0
    return _pick_best(scores, b, u)


@njit(cache=True)
def _judge_child(v: int, b: int, assertion: np.ndarray, prior: np.ndarray, visits: np.ndarray,
                 scores: np.ndarray, u: float) -> int:
    """Judge-directed recursion: the subclaim whose asserted value the judge's prior finds least
    plausible, then the least visited, ties broken by ``u`` (the kernel's rule)."""
    for i in range(b):
        c = b * v + 1 + i
        plaus = prior[c] if assertion[c] == 1 else 1.0 - prior[c]
        scores[i] = -(plaus * 1e6 + visits[c])
    return _pick_best(scores, b, u)


@njit(cache=True)
def _reopen_depth(path: np.ndarray, plen: int, max_rounds: int, b: int, assertion: np.ndarray,
                  decided: np.ndarray, prob_h: np.ndarray, mode: int, scores: np.ndarray, u: float) -> int:
    """Cross-examination: the depth at which the challenger reopens the last path (a claim with
    a subclaim not yet known to be right: the deepest most-likely-wrong one; random search picks
    among them at random), or -1 to stop questioning."""
    top = min(plen - 1, max_rounds)
    n_opt = 0
    best_j = -1
    best = -1e300
    for j in range(top):
        v = path[j]
        found = False
        score = -1e300
        for i in range(b):
            c = b * v + 1 + i
            if decided[c] < 0 or decided[c] != assertion[c]:
                found = True
                wrong = 1.0 - prob_h[c] if assertion[c] == 1 else prob_h[c]
                if wrong > score:
                    score = wrong
        if found:
            scores[n_opt] = float(j)
            n_opt += 1
            if score + 1e-9 * j > best:
                best = score + 1e-9 * j
                best_j = j
    if n_opt == 0:
        return -1
    if mode == 2:
        k = int(u * n_opt)
        if k >= n_opt:
            k = n_opt - 1
        return int(scores[k])
    return best_j


@njit(cache=True, parallel=True)
def _simulate(uniforms: np.ndarray, rules: np.ndarray, b: int, depth: int, kind_obfuscated: bool, flaws: int,
              leaf_p: float, prior_strength: float, truth_depth: int, claimant_honest: bool, challenger_mode: int,
              bc: int, bh: int, max_rounds: int, sample_judge: bool, base_claimant: np.ndarray,
              base_challenger: np.ndarray, depths: np.ndarray, protocol: int, queries: int) -> np.ndarray:
    """One row per debate: claimant_wins, root_truth, root_claim, ended_by, depth reached,
    queries used. ``protocol``: 0 standard, 1 cross-examination, 2 judge-directed."""
    n_games = uniforms.shape[0]
    n_int = rules.shape[0]
    n_leaves = b**depth
    out = np.zeros((n_games, 6), np.int64)
    for g in prange(n_games):
        u = uniforms[g]
        pos = 0
        perm = np.empty(n_leaves, np.int64)
        leaves = np.empty(n_leaves, np.int8)
        if kind_obfuscated:
            leaves[:] = 1
            _sample_without_replacement(n_leaves, flaws, u[pos:pos + flaws], perm)
            for i in range(flaws):
                leaves[perm[i]] = 0
            pos += flaws
        else:
            for i in range(n_leaves):
                leaves[i] = 1 if u[pos + i] < leaf_p else 0
            pos += n_leaves
        truth = evaluate_tree(rules, leaves, b)
        prior = judge_prior(truth, depths, prior_strength, truth_depth)
        root_truth = int(truth[0])
        claim = root_truth if claimant_honest else 1 - root_truth
        # the claimant verifies on its first turn (the claim), then the challenger (the opening)
        known_c = np.full(n_leaves, -1, np.int8)
        _sample_without_replacement(n_leaves, bc, u[pos:pos + bc], perm)
        for i in range(bc):
            known_c[perm[i]] = leaves[perm[i]]
        pos += bc
        known_h = np.full(n_leaves, -1, np.int8)
        _sample_without_replacement(n_leaves, bh, u[pos:pos + bh], perm)
        for i in range(bh):
            known_h[perm[i]] = leaves[perm[i]]
        pos += bh
        out[g, 1] = root_truth
        out[g, 2] = claim
        side_h = root_truth if challenger_mode != 1 else 1 - root_truth
        if claim == side_h:  # the challenger concedes a claim it agrees with
            out[g, 0] = 1
            out[g, 3] = CONCEDE
            continue
        prob_c = mean_field(rules, known_c, base_rate(known_c), b) if bc > 0 else base_claimant
        prob_h = mean_field(rules, known_h, base_rate(known_h), b) if bh > 0 else base_challenger
        decided = kleene_evaluate(rules, known_h, b)
        scores = np.empty(max(2**b, depth + 1))
        pats = np.empty(2**b, np.int64)
        assertion = np.full(n_int + n_leaves, -1, np.int8)
        assertion[0] = claim
        visits = np.zeros(n_int + n_leaves, np.int64)
        path = np.empty(depth + 1, np.int64)
        plen = 0
        v = 0
        enter = True
        used = 0
        while True:
            # one path from v down to a leaf or the length limit
            while True:
                if enter:
                    path[plen] = v
                    plen += 1
                    visits[v] += 1
                    if v >= n_int:
                        y = int(truth[v])
                        out[g, 3] = LEAF
                        break
                    if depths[v] >= max_rounds:
                        y = limit_value(prior[v], sample_judge, u[pos])
                        pos += 1
                        out[g, 3] = LIMIT
                        break
                    if assertion[b * v + 1] < 0:
                        pat = _claimant_pattern(int(rules[v]), int(assertion[v]), v, b, prob_c, scores, pats, u[pos])
                        pos += 1
                        for i in range(b):
                            assertion[b * v + 1 + i] = (pat >> i) & 1
                enter = True
                if protocol == 2:
                    i = _judge_child(v, b, assertion, prior, visits, scores, u[pos])
                else:
                    i = _challenger_child(v, b, assertion, decided, prob_h, prior, challenger_mode, scores, u[pos])
                pos += 1
                v = b * v + 1 + i
            used += 1
            out[g, 4] = depths[v]
            if int(assertion[v]) != y:
                out[g, 0] = 0
                break
            if used >= queries:
                out[g, 0] = 1
                break
            if v >= n_int:  # a checked leaf becomes known to both debaters
                known_c[v - n_int] = y
                known_h[v - n_int] = y
                prob_c = mean_field(rules, known_c, base_rate(known_c), b)
                prob_h = mean_field(rules, known_h, base_rate(known_h), b)
                decided = kleene_evaluate(rules, known_h, b)
            if protocol == 1:
                j = _reopen_depth(path, plen, max_rounds, b, assertion, decided, prob_h, challenger_mode, scores,
                                  u[pos])
                pos += 1
                if j < 0:
                    out[g, 0] = 1
                    break
                v = path[j]
                plen = j + 1
                enter = False  # the challenger disputes a subclaim of the reopened claim
            else:  # judge-directed: another path from the root
                plen = 0
                v = 0
        out[g, 5] = used
    return out


# _simulate inlines the compiled rules of argument_trees: recompile when that module changes
drop_stale_caches("recursive_batch", [_simulate, _pick_best, _sample_without_replacement, _claimant_pattern,
                                      _challenger_child, _judge_child, _reopen_depth], [argument_trees])


def draws_per_debate(kind: str, branching: int, depth: int, flaws: int, claimant_budget: int,
                     challenger_budget: int, queries: int = 1) -> int:
    n = branching**depth
    return (flaws if kind == "obfuscated" else n) + claimant_budget + challenger_budget + queries * (2 * depth + 3)


#: the protocols of this batch path (prover-estimator debate's: :func:`~oversight_gym.envs.debate.prover_estimator.
#: batch_debate_values`)
BATCH_PROTOCOLS = ("standard", "cross-examination", "judge-directed")


def simulate(n: int, rng: np.random.Generator, *, protocol: str = "standard", queries: int = 1,
             kind: str = "obfuscated", depth: int = 10, branching: int = 2, flaws: int | None = None,
             leaf_p: float | None = None, rule: str | None = None, truth_depth: int | None = None,
             prior_strength: float | None = None, claimant: str = "obfuscating", challenger: str = "honest",
             claimant_budget: int = 0, challenger_budget: int = 0, max_rounds: int | None = None,
             judge_limit: str = "sample") -> dict[str, np.ndarray]:
    """Play ``n`` recursive debates on fresh trees; every draw from ``rng``.

    ``protocol``: ``"standard"`` (one path, the challenger picks), ``"cross-examination"``
    (after a surviving path the challenger reopens an earlier claim, up to ``queries`` paths) or
    ``"judge-directed"`` (the judge picks by its prior, ``queries`` paths from the root), as in
    ``debate/recursive-v1``. Returns arrays ``claimant_wins``, ``root_truth``, ``root_claim``,
    ``honest_wins`` (the verdict equals the root's truth), ``ended_by`` (codes of
    :data:`ENDED_BY`), ``depth_reached`` and ``queries_used``. The claim is fixed by the
    claimant's honesty; the other parameters are the game's.
    """
    n = check_int("n", n, 0)
    check_choice("protocol", protocol, BATCH_PROTOCOLS)
    queries = check_int("queries", queries, 1, 1024)
    if protocol == "standard" and queries != 1:
        raise ValueError(f"queries must be 1 for the standard protocol (one path), got {queries}")
    p = check_tree_params(kind, depth, branching, flaws, leaf_p, rule, truth_depth, prior_strength)
    check_choice("claimant", claimant, CLAIMANTS)
    check_choice("challenger", challenger, CHALLENGERS)
    b, d = p["branching"], p["depth"]
    n_leaves = b**d
    bc = check_int("claimant_budget", claimant_budget, 0, n_leaves)
    bh = check_int("challenger_budget", challenger_budget, 0, n_leaves)
    L = d if max_rounds is None else check_int("max_rounds", max_rounds, 0)
    check_choice("judge_limit", judge_limit, ("sample", "threshold"))
    rule_code = RULES[p["rule"]]
    rules = np.full(num_internal(b, d), rule_code, np.int8)
    obf = kind == "obfuscated"
    k = p.get("flaws", 0) if obf else 0
    q = 0.0 if obf else (p["leaf_p"] if p["leaf_p"] is not None else balanced_leaf_probability(rule_code, b, d))
    depths = node_depths(b, d)
    unknown = np.full(n_leaves, -1, np.int8)
    base = mean_field(rules, unknown, base_rate(unknown), b)
    width = draws_per_debate(kind, b, d, k, bc, bh, queries)
    mode = CHALLENGERS.index(challenger)
    code = BATCH_PROTOCOLS.index(protocol)
    rows = []
    for start in range(0, n, _CHUNK):
        m = min(_CHUNK, n - start)
        u = rng.random((m, width))
        rows.append(_simulate(u, rules, b, d, obf, k, q, p["prior_strength"], p["truth_depth"], claimant == "honest",
                              mode, bc, bh, L, judge_limit == "sample", base, base, depths, code, queries))
    res = np.concatenate(rows) if rows else np.zeros((0, 6), np.int64)
    wins = res[:, 0].astype(bool)
    claim = res[:, 2]
    verdict = np.where(wins, claim, 1 - claim)
    return {"claimant_wins": wins, "root_truth": res[:, 1], "root_claim": claim,
            "honest_wins": verdict == res[:, 1], "ended_by": res[:, 3], "depth_reached": res[:, 4],
            "queries_used": res[:, 5]}


def simulate_standard(n: int, rng: np.random.Generator, **kwargs: Any) -> dict[str, np.ndarray]:
    """:func:`simulate` with ``protocol="standard"`` (one path, the challenger picks)."""
    return simulate(n, rng, protocol="standard", **kwargs)


# --- the batch engine as registered with the game ---------------------------------------------------
OUTCOME_FIELDS = ("claimant_wins", "root_truth", "root_claim", "honest_wins", "depth_reached", "queries_used")


def batch_outcomes(config: dict[str, Any], seed: int, episodes: int) -> dict[str, np.ndarray]:
    """``episodes`` debates by :func:`simulate` (the batch engines registered with
    ``debate/recursive-v1``, one per protocol), drawing from ``numpy.random.default_rng(seed)``."""
    res = simulate(episodes, np.random.default_rng(seed), **config)
    return {f: res[f] for f in OUTCOME_FIELDS}


def reference_outcome(config: dict[str, Any], seed: int, episode: int) -> dict[str, Any]:
    """One debate on the kernel (``debate/recursive-v1``, the configuration's protocol) played by the
    scripted debaters the batch path hard-codes (:mod:`~oversight_gym.envs.debate.tree_debaters`):
    the claimant is honest or obfuscating, the challenger honest, obfuscating or a random
    searcher. Its own random numbers, so only the rates can agree with :func:`batch_outcomes`."""
    from oversight_gym.core.episode import play_episode
    from oversight_gym.envs.debate.recursive import RecursiveDebateGame
    from oversight_gym.envs.debate.tree_debaters import (
        HonestTreeDebater,
        ObfuscatingTreeDebater,
        RandomSearchTreeDebater,
    )

    kw = dict(config)
    claimant, challenger = kw.pop("claimant", "obfuscating"), kw.pop("challenger", "honest")
    kw["claimant_budget"] = kw.get("claimant_budget", 0)
    kw["challenger_budget"] = kw.get("challenger_budget", 0)
    game = RecursiveDebateGame(**kw, claim="honest" if claimant == "honest" else "dishonest")
    agents = {"honest": HonestTreeDebater, "obfuscating": ObfuscatingTreeDebater}
    second = RandomSearchTreeDebater(honest=True) if challenger == "random-search" else agents[challenger]()
    seeds = np.random.SeedSequence([seed, episode]).generate_state(1)
    outcome = play_episode(game, [agents[claimant](), second], seed=int(seeds[0])).outcome()
    return {f: outcome[f] for f in OUTCOME_FIELDS}


def summary(result: dict[str, np.ndarray]) -> dict[str, Any]:
    """Counts for a batch result: debates, honest wins, wrong verdicts."""
    n = int(result["honest_wins"].shape[0])
    h = int(result["honest_wins"].sum())
    return {"n": n, "honest_wins": h, "wrong_verdicts": n - h}


__all__ = ["BATCH_PROTOCOLS", "CHALLENGERS", "CLAIMANTS", "ENDED_BY", "batch_outcomes", "draws_per_debate",
           "reference_outcome", "simulate", "simulate_standard", "summary"]
