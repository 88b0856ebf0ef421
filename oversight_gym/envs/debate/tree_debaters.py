"""Scripted debaters for recursive debate over argument trees (``debate/recursive-v1``).

Every debater here plays either seat and every protocol of
:mod:`oversight_gym.envs.debate.recursive`, and decides only from what its seat knows
(:meth:`~oversight_gym.envs.debate.recursive.RecursiveDebateState.debater_view`): the
public debate, the root's truth (debaters know the answer; the judge does not) and the
leaves it has paid to verify. Bounded compute is explicit: a debater with budget B
verifies B leaves drawn uniformly at random on its first turn, then believes each claim
with the probability its verified leaves give it (unverified leaves hold with the
Laplace-smoothed share of true leaves it saw; children independent).

* ``tree-honest``: claims the truth; asserts the subclaims it believes, consistent with its
  claim; disputes a subclaim known false, else the one most likely false (Barnes &
  Christiano 2020's honest debater, who "can only say each step has a small chance of being
  flawed"). As estimator it states its beliefs, shifted in log-odds until they are
  consistent with its previous estimate; as prover it recurses where the estimator is
  furthest from its belief.
* ``tree-obfuscator``: the same search, on the false side: the obfuscating claimant builds
  the most plausible-looking argument for a false root without knowing where its flaws are.
* ``tree-random-search``: verifies B random leaves, then follows a subclaim known false if
  it found one, else a uniformly random subclaim not yet known to be right: the searcher
  whose win probability has the closed form of
  :func:`oversight_gym.envs.debate.metrics.random_search_win_probability`.
* ``tree-greedy``: greedy on the judge: never verifies; claims what the judge finds
  plausible, asserts the most plausible consistent subclaims, disputes the least plausible.

In prover-estimator debate these debaters price by their beliefs (the estimator shifts its
subclaims' prices in log-odds until they imply its price of the parent) and, as prover, bet the
sign of their belief minus the price and recurse where the price is furthest from their belief;
a bet has no side, so the side shows only in the claim and the estimator's root price. Two
debaters play that protocol exactly as the exact engine
(:mod:`oversight_gym.envs.debate.prover_estimator`) scores it, so that the mean payoff of the
registered game can be held to the engine's expectation:

* ``pe-estimator``: prices every claim from a belief (:class:`~oversight_gym.envs.debate.
  prover_estimator.ProductBelief` over the leaves it verified, the others at the generator's
  prior; or any belief given), conditioned on the coins already drawn, rounded to the grid.
* ``pe-prover``: bets and recurses as :class:`~oversight_gym.envs.debate.prover_estimator.
  ProverPlan`: the plan that maximises its subjective expected payoff against an estimator
  whose pricing it knows (``opponent``: the ``pe-estimator`` it faces; without one, an
  estimator who knows only the prior), with its leaf beliefs from the leaves it verified.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from oversight_gym.agents.base import BaseAgent
from oversight_gym.core.errors import check_choice, check_int
from oversight_gym.core.protocols import Classifier
from oversight_gym.envs.debate.argument_trees import (
    base_rate,
    kleene_evaluate,
    mean_field,
    pattern_consistent,
    prior_leaf_probability,
    rule_probability,
)
from oversight_gym.envs.debate.prover_estimator import (
    ESTIMATORS,
    GridBelief,
    ProductBelief,
    ProverPlan,
    estimator_leaf_p,
    path_context,
    posterior_leaf_p,
    sibling_contexts,
)
from oversight_gym.envs.debate.recursive import (
    ASSERT,
    BET,
    BETS,
    CLAIM,
    CLAIM_FALSE,
    CONCEDE,
    DISPUTE,
    ESTIMATE,
    OPEN,
    PICK,
    PROVER_PICK,
    REOPEN,
    STOP,
    RecursiveDebateState,
)

_TIE = 1e-12


def beliefs(view: dict[str, Any], branching: int) -> tuple[np.ndarray, np.ndarray]:
    """(probability each claim holds, which claims the known leaves decide: 0/1/-1)."""
    known = view["known"]
    return (mean_field(view["rules"], known, base_rate(known), branching),
            kleene_evaluate(view["rules"], known, branching))


def consistent_estimates(q: np.ndarray, target: float, rule: int, levels: int, tol: float,
                         frozen: int = 0) -> np.ndarray:
    """Grid levels for children believed to hold with ``q`` whose implied parent probability
    is within ``tol`` of ``target``: the beliefs are shifted in log-odds (by bisection) to
    the nearest point of the tolerance band, rounded to the grid and repaired one level at
    a time if rounding broke consistency. The first ``frozen`` entries (prices already stated)
    stay as they are."""
    qc = np.clip(q, 1e-9, 1 - 1e-9)
    free = np.arange(len(q)) >= frozen
    logit = np.log(qc / (1 - qc))
    implied = rule_probability(rule, qc)
    if abs(implied - target) <= tol + 1e-6:
        p = q  # already consistent: state the beliefs
    else:
        goal = min(max(implied, target - tol), target + tol)
        lo, hi = -60.0, 60.0
        for _ in range(80):
            mid = 0.5 * (lo + hi)
            if rule_probability(rule, np.where(free, 1 / (1 + np.exp(-(logit + mid))), qc)) < goal:
                lo = mid
            else:
                hi = mid
        p = np.where(free, 1 / (1 + np.exp(-(logit + 0.5 * (lo + hi)))), q)
    lv = np.rint(p * (levels - 1)).astype(np.int64)
    for _ in range(4 * levels * len(q)):
        err = rule_probability(rule, lv / (levels - 1)) - target
        if abs(err) <= tol + 1e-9:
            break
        best, best_err = None, abs(err)
        for i in range(frozen, len(q)):
            for step in (-1, 1):
                if 0 <= lv[i] + step < levels:
                    lv[i] += step
                    e = abs(rule_probability(rule, lv / (levels - 1)) - target)
                    lv[i] -= step
                    if e < best_err - 1e-12:
                        best, best_err = (i, step), e
        if best is None:
            break
        lv[best[0]] += best[1]
    return lv


class _TreeDebater(BaseAgent):
    """Shared machinery: budgeted verification, then a decision per phase."""

    games = ("debate/recursive-v1",)
    honest_side = True
    search = "belief"  # "belief", "random" or "prior"
    classifier = Classifier(honest=True, uses_search=True)
    requires_state = True

    def __init__(self, seed: int | None = None, budget: int | None = None) -> None:
        super().__init__(seed)
        self.budget = None if budget is None else check_int("budget", budget, 0)

    # --- helpers ------------------------------------------------------------------------------
    def _side(self, view: dict[str, Any]) -> int:
        """The root value this debater argues for."""
        if self.search == "prior":
            return int(view["prior"][0] >= 0.5)
        return view["root_truth"] if self.honest_side else 1 - view["root_truth"]

    def _pick_random(self, candidates: np.ndarray) -> int:
        return int(candidates[0]) if len(candidates) == 1 else int(self.rng.choice(candidates))

    def _argbest(self, scores: np.ndarray) -> int:
        best = np.flatnonzero(scores >= scores.max() - _TIE)
        return self._pick_random(best)

    def _wants_to_verify(self, state: RecursiveDebateState, player: int, mask: np.ndarray) -> bool:
        if self.search == "prior":
            return False
        g = state.game
        spent = g.budgets[player] - state.budget_left[player]
        limit = g.budgets[player] if self.budget is None else min(self.budget, g.budgets[player])
        return spent < limit and bool(mask[g.off_verify:].any())

    # --- the decision ---------------------------------------------------------------------------
    def act(self, observation: np.ndarray, action_mask: np.ndarray, state: Any = None) -> int:
        state = self._need_state(state)
        g = state.game
        player = state.current_player()
        if self._wants_to_verify(state, player, action_mask):
            unknown = np.flatnonzero(action_mask[g.off_verify:])
            return g.off_verify + self._pick_random(unknown)
        view = state.debater_view(player)
        ph = view["phase"]
        if ph == CLAIM:
            legal = [a for a in (CLAIM_FALSE, CLAIM_FALSE + 1) if action_mask[a]]
            want = CLAIM_FALSE + self._side(view)
            return want if want in legal else legal[0]
        if ph == OPEN and g.protocol != "prover-estimator":
            return DISPUTE if view["root_claim"] != self._side(view) else CONCEDE
        if ph == OPEN:  # the estimator's root probability
            if self.search == "prior":
                return g.off_level + int(round(float(view["prior"][0]) * (g.levels - 1)))
            return g.off_level + self._root_level(view, g)
        prob = view["prior"].astype(float) if self.search == "prior" else beliefs(view, g.branching)[0]
        decided = (np.full(g.num_nodes, -1, np.int8) if self.search == "prior"
                   else kleene_evaluate(view["rules"], view["known"], g.branching))
        node = view["node"]
        kids = np.arange(g.branching * node + 1, g.branching * node + g.branching + 1)
        if ph == ASSERT:
            return g.off_assert + self._assert(view, prob, kids, g.branching)
        if ph == PICK:
            return g.off_pick + self._pick_dispute(view, prob, decided, kids)
        if ph == PROVER_PICK:
            err = np.abs(view["estimate"][kids] - prob[kids])
            if self.search == "random":
                return g.off_pick + self._pick_random(np.arange(len(kids)))
            return g.off_pick + self._argbest(err)
        if ph == BET:  # the sign of belief minus price (a bet has no side)
            gap = float(prob[node] - view["estimate"][node])
            return g.off_bet + BETS.index(0 if abs(gap) <= 1e-9 else int(np.sign(gap)))
        if ph == ESTIMATE:
            i = view["next_estimate"]
            # the earlier subclaims' prices are stated: consistency asks only the rest to adjust
            fixed = view["estimate"][kids[:i]]
            lv = consistent_estimates(np.concatenate([fixed, prob[kids[i:]]]), float(view["estimate"][node]),
                                      int(view["rules"][node]), g.levels, 0.5 / (g.levels - 1), frozen=i)
            return g.off_level + int(lv[i])
        if ph == REOPEN:
            return self._reopen(view, prob, decided, action_mask, g)
        raise ValueError(f"{type(self).__name__}: no decision for phase {ph}")

    def _root_level(self, view: dict[str, Any], g: Any) -> int:
        """The estimator's root probability: its belief, moved just far enough to lie strictly
        on the side it argues for (it knows the answer, but states no more confidence than
        its verified leaves support, so that its subclaim estimates can stay calibrated)."""
        m = g.levels - 1
        side = self._side(view)
        belief = float(beliefs(view, g.branching)[0][0])
        level = int(round(belief * m))
        if side == 1:
            return max(level, m // 2 + 1)
        return min(level, (m - 1) // 2)

    def _assert(self, view: dict[str, Any], prob: np.ndarray, kids: np.ndarray, b: int) -> int:
        node = view["node"]
        rule, parent = int(view["rules"][node]), int(view["assertion"][node])
        q = np.clip(prob[kids], 1e-300, 1.0)
        nq = np.clip(1.0 - prob[kids], 1e-300, 1.0)
        pats, scores = [], []
        for pat in range(2**b):
            if not pattern_consistent(rule, parent, pat, b):
                continue
            bits = (pat >> np.arange(b)) & 1
            if self.search == "random":
                score = 0.0
            else:
                score = float(np.sum(np.where(bits == 1, np.log(q), np.log(nq))))
            pats.append(pat)
            scores.append(score)
        return pats[self._argbest(np.array(scores))]

    def _pick_dispute(self, view: dict[str, Any], prob: np.ndarray, decided: np.ndarray, kids: np.ndarray) -> int:
        a = view["assertion"][kids].astype(int)
        refuted = np.flatnonzero((decided[kids] >= 0) & (decided[kids] != a))
        if len(refuted):
            return self._pick_random(refuted)
        open_ = np.flatnonzero(decided[kids] < 0)
        plaus = np.where(a == 1, view["prior"][kids], 1.0 - view["prior"][kids])
        if self.search == "random":
            return self._pick_random(open_ if len(open_) else np.arange(len(kids)))
        if self.search == "prior":
            return self._argbest(-plaus)
        wrong = np.where(a == 1, 1.0 - prob[kids], prob[kids])
        # most likely wrong; among equals, the one the judge finds least plausible
        return self._argbest(wrong - 1e-9 * plaus)

    def _reopen(self, view: dict[str, Any], prob: np.ndarray, decided: np.ndarray, mask: np.ndarray, g: Any) -> int:
        last = view["paths"][-1]
        options, scores = [], []
        for j in range(len(last) - 1):
            if not mask[g.off_reopen + j]:
                continue
            u = last[j]
            kids = np.arange(g.branching * u + 1, g.branching * u + g.branching + 1)
            a = view["assertion"][kids].astype(int)
            still = (decided[kids] < 0) | (decided[kids] != a)
            if not still.any():
                continue
            wrong = np.where(a == 1, 1.0 - prob[kids], prob[kids])
            options.append(j)
            scores.append(float(wrong[still].max()) + 1e-9 * j)  # deeper first among equals
        if not options:
            return STOP
        if self.search != "belief":
            return g.off_reopen + self._pick_random(np.array(options))
        return g.off_reopen + options[int(np.argmax(scores))]


class HonestTreeDebater(_TreeDebater):
    """Honest debater with budgeted search (either seat, every protocol)."""

    name = "tree-honest"
    description = "recursive debate: honest, verifies B random leaves, disputes the subclaim most likely false"


class ObfuscatingTreeDebater(_TreeDebater):
    """Argues for the false root value with the same budgeted search: as claimant, the most
    plausible consistent argument for a falsehood (Barnes & Christiano's obfuscated argument)."""

    name = "tree-obfuscator"
    description = "recursive debate: argues the false side with the most plausible consistent subclaims"
    honest_side = False
    classifier = dataclasses.replace(_TreeDebater.classifier, honest=False)


class RandomSearchTreeDebater(_TreeDebater):
    """Verifies B random leaves, follows a refuted subclaim if it found one, else a uniformly
    random subclaim not yet known to be right (the closed-form searcher). ``honest`` sets its side."""

    name = "tree-random-search"
    description = "recursive debate: random search with budget B (the closed-form baseline)"
    search = "random"

    def __init__(self, seed: int | None = None, budget: int | None = None, honest: bool = True) -> None:
        super().__init__(seed, budget)
        self.honest_side = bool(honest)


class GreedyTreeDebater(_TreeDebater):
    """Greedy on the judge's prior; never verifies."""

    name = "tree-greedy"
    description = "recursive debate: greedy on the judge's prior, no verification"
    search = "prior"
    classifier = dataclasses.replace(_TreeDebater.classifier, honest=False, uses_search=False)


# --- prover-estimator debate as the exact engine scores it ----------------------------------------------------
def _leaf_prior(state: RecursiveDebateState) -> float:
    """The tree generator's probability that a leaf holds (what a debater believes of a leaf it has not seen)."""
    return prior_leaf_probability(state.tree.params or state.game.tree_params)


class _ExactPlayer(_TreeDebater):
    """A prover-estimator debater who decides its own ``phases`` by :meth:`decide` and leaves
    verification, the claim and every other protocol to the tree debater's rules."""

    phases: tuple[int, ...] = ()

    def act(self, observation: np.ndarray, action_mask: np.ndarray, state: Any = None) -> int:
        state = self._need_state(state)
        player = state.current_player()
        if state.phase not in self.phases or state.game.protocol != "prover-estimator" or \
                self._wants_to_verify(state, player, action_mask):
            return super().act(observation, action_mask, state)
        return self.decide(state, player)

    def decide(self, state: RecursiveDebateState, player: int) -> int:
        raise NotImplementedError


class BeliefEstimator(_ExactPlayer):
    """Prover-estimator debate's estimator ("Bob") pricing from a belief: the one given
    (``belief``: a belief of :mod:`~oversight_gym.envs.debate.prover_estimator`, fixed), or
    independent leaves: those it verified (``budget``, as every tree debater) certain, the
    others at the tree generator's prior (:func:`~oversight_gym.envs.debate.argument_trees.
    prior_leaf_probability`). Prices are conditioned on the coins drawn for earlier siblings
    (with ``conditioning="coins"``) and rounded to the game's grid (:class:`GridBelief`)."""

    name = "pe-estimator"
    phases = (OPEN, ESTIMATE)
    description = "prover-estimator debate: prices every claim from its belief, conditioned on the drawn coins"
    classifier = dataclasses.replace(_TreeDebater.classifier, uses_search=False)

    def __init__(self, seed: int | None = None, budget: int | None = None, belief: Any = None,
                 estimator: str = "calibrated") -> None:
        super().__init__(seed, budget)
        self.belief = belief
        self.estimator = check_choice("estimator", estimator, ESTIMATORS)

    def belief_for(self, state: RecursiveDebateState, player: int) -> GridBelief:
        """The belief this estimator prices from in ``state`` (seat ``player``), on the grid:
        the one given, or :func:`~oversight_gym.envs.debate.prover_estimator.estimator_leaf_p`'s
        (``estimator``: ``"calibrated"`` on its verified leaves, or ``"doubting"`` the true root)."""
        g = state.game
        inner = self.belief
        if inner is None:
            inner = ProductBelief(state.tree.rules, g.branching,
                                  estimator_leaf_p(state.tree, state.known[player], _leaf_prior(state), self.estimator))
        return GridBelief(inner, g.levels)

    def decide(self, state: RecursiveDebateState, player: int) -> int:
        g = state.game
        bob = self.belief_for(state, player)
        ctx = path_context(bob, g.branching, state.path, state.coins, g.pe)
        if state.phase == OPEN:
            return g.off_level + int(round(bob.price(0, ctx) * (g.levels - 1)))
        i = state.next_estimate
        child = g.branching * state.node + 1 + i
        ctx_i = sibling_contexts(bob, g.branching, state.node, ctx, state.coins, g.pe)[i]
        return g.off_level + int(round(bob.price(child, ctx_i) * (g.levels - 1)))


class BeliefProver(_ExactPlayer):
    """Prover-estimator debate's prover ("Alice") playing :class:`~oversight_gym.envs.debate.
    prover_estimator.ProverPlan`: against an estimator whose pricing it knows (``opponent``, a
    :class:`BeliefEstimator`; without one, an estimator who knows only the prior), with its own
    leaf beliefs (``leaf_p``, or the leaves it verified certain and the others at the prior), it
    bets the sign of the gap between the price and what the children's prices imply (its belief
    at a leaf) and recurses into the subclaim of largest subjective expected payoff."""

    name = "pe-prover"
    phases = (BET, PROVER_PICK)
    description = "prover-estimator debate: bets and recurses to maximise its expected payoff (exact plan)"

    def __init__(self, seed: int | None = None, budget: int | None = None, opponent: BeliefEstimator | None = None,
                 leaf_p: np.ndarray | None = None, honest: bool = True) -> None:
        super().__init__(seed, budget)
        self.opponent = BeliefEstimator(budget=0) if opponent is None else opponent
        self.leaf_p = leaf_p
        self.honest_side = bool(honest)

    def plan(self, state: RecursiveDebateState, player: int) -> tuple[ProverPlan, Any]:
        """Its plan in ``state`` (seat ``player``) and its model of the estimator's belief."""
        g = state.game
        bob = self.opponent.belief_for(state, 1 - player)
        mine = self.leaf_p
        if mine is None:
            mine = posterior_leaf_p(g.num_leaves, _leaf_prior(state), state.known[player])
        return ProverPlan(state.tree.rules, g.branching, g.depth, bob, mine, None, g.pe), bob

    def decide(self, state: RecursiveDebateState, player: int) -> int:
        g = state.game
        plan, bob = self.plan(state, player)
        ctx = path_context(bob, g.branching, state.path, state.coins, g.pe)
        node = state.node
        if state.phase == BET:
            return g.off_bet + BETS.index(plan.bet(node, ctx, float(state.estimate[node])))
        kids = state.children(node)
        ctxs = sibling_contexts(bob, g.branching, node, ctx, state.coins, g.pe)
        return g.off_pick + plan.pick(node, ctxs, [float(state.estimate[c]) for c in kids])


__all__ = ["BeliefEstimator", "BeliefProver", "GreedyTreeDebater", "HonestTreeDebater", "ObfuscatingTreeDebater",
           "RandomSearchTreeDebater", "consistent_estimates"]
