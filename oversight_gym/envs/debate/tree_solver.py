"""Exact solver for recursive debate on small argument trees: backward induction with full
information.

The solver reads the whole tree from the kernel state (every leaf's truth: it is the
debater of unbounded compute that Irving et al. 2018 assume, and the benchmark the
budgeted agents fall short of) and computes, by backward induction, the claimant's
probability of winning under optimal play by both sides; chance (the judge's tie-breaks
and prior draws) is averaged. It never spends verification budget.

Values (claimant's win probability):

* standard and judge-directed recursion, one path: ``V(v, a)`` for the claim ``a`` asserted
  at node ``v``: at a leaf, ``[a == truth]``; at the length limit L, the probability that
  the judge's prior accepts ``a``; otherwise the claimant maximises over the consistent
  assertion patterns the minimum over children (standard: the challenger picks) or the
  average over the judge's tied least-plausible children (judge-directed).
Cross-examination and judge-directed debates with ``queries > 1`` are not solved (their
state includes the earlier paths), nor is prover-estimator debate, whose payoffs are
expectations over the judge's coins: its exact values, and the prover's best response to a
given estimator, are :mod:`oversight_gym.envs.debate.prover_estimator`'s. The solver raises a
``ValueError`` there.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from oversight_gym.agents.base import BaseAgent
from oversight_gym.core.protocols import Classifier
from oversight_gym.envs.debate.argument_trees import pattern_consistent
from oversight_gym.envs.debate.recursive import (
    ASSERT,
    CLAIM,
    CLAIM_FALSE,
    CLAIMANT,
    CONCEDE,
    DISPUTE,
    OPEN,
    PICK,
    RecursiveDebateState,
)

#: the largest tree (nodes) the solver accepts
MAX_NODES = 4096


class TreeSolution:
    """Backward induction over one state's tree (full information)."""

    def __init__(self, state: RecursiveDebateState) -> None:
        g = state.game
        if g.num_nodes > MAX_NODES:
            raise ValueError(f"tree-solver: the tree has {g.num_nodes} nodes; the exact solver takes at most "
                             f"{MAX_NODES}")
        if g.protocol == "prover-estimator":
            raise ValueError("tree-solver: protocol='prover-estimator' is not solved here: its exact expected "
                             "payoffs are oversight_gym.envs.debate.prover_estimator.debate_value's")
        if g.queries > 1:
            raise ValueError(f"tree-solver: queries={g.queries}: the exact solver handles one path "
                             f"(queries=1) only")
        self.g = g
        self.tree = state.tree
        self.b = g.branching
        self.value = lru_cache(maxsize=None)(self._value)

    def kids(self, v: int) -> range:
        return range(self.b * v + 1, self.b * v + self.b + 1)

    def accept_probability(self, v: int, a: int) -> float:
        """Probability that the judge's prior decision at ``v`` gives value ``a``."""
        pi = float(self.tree.prior[v])
        p1 = pi if (self.g.judge_limit == "sample" or pi == 0.5) else float(pi > 0.5)
        return p1 if a == 1 else 1.0 - p1

    def _end(self, v: int) -> str | None:
        if v >= self.g.num_internal:
            return "leaf"
        if self.g.depths[v] >= self.g.max_rounds:
            return "limit"
        return None

    # --- recursion with assertions ------------------------------------------------------------
    def _value(self, v: int, a: int) -> float:
        end = self._end(v)
        if end == "leaf":
            return float(int(self.tree.truth[v]) == a)
        if end == "limit":
            return self.accept_probability(v, a)
        return max(self.pattern_value(v, pat) for pat in self.patterns(v, a))

    def patterns(self, v: int, a: int) -> list[int]:
        rule = int(self.tree.rules[v])
        return [p for p in range(2**self.b) if pattern_consistent(rule, a, p, self.b)]

    def pattern_value(self, v: int, pat: int) -> float:
        vals = [self.value(c, (pat >> i) & 1) for i, c in enumerate(self.kids(v))]
        if self.g.protocol != "judge-directed":
            return min(vals)
        prior = self.tree.prior
        plaus = [prior[c] if (pat >> i) & 1 else 1 - prior[c] for i, c in enumerate(self.kids(v))]
        low = min(plaus)
        tied = [x for x, p in zip(vals, plaus, strict=True) if abs(p - low) <= 1e-9]
        return float(np.mean(tied))

    def open_value(self, claim: int) -> float:
        """Claimant's value after claiming ``claim`` at the root (the challenger to move)."""
        return min(1.0, self.value(0, claim))  # conceding gives the claimant 1


def solve(state: RecursiveDebateState) -> float:
    """The claimant's win probability from ``state`` under optimal play by both debaters
    (full information; chance averaged). Supports the phases before and during one path."""
    sol = TreeSolution(state)
    ph = state.phase
    if state.is_terminal():
        return 1.0 if state.winner == CLAIMANT else 0.0
    if ph == CLAIM:
        claims = [c for c in (0, 1) if state.legal_actions_mask(CLAIMANT)[CLAIM_FALSE + c]]
        return max(sol.open_value(c) for c in claims)
    if ph == OPEN:
        return sol.open_value(int(state.root_claim))
    v = state.node
    if ph == ASSERT:
        return max(sol.pattern_value(v, p) for p in sol.patterns(v, int(state.assertion[v])))
    if ph == PICK:
        vals = [sol.value(c, int(state.assertion[c])) for c in sol.kids(v)]
        return min(vals)
    raise ValueError(f"tree-solver: cannot solve phase {ph} (cross-examination is not supported)")


class TreeSolverAgent(BaseAgent):
    """Optimal play by backward induction with full information, for small trees."""

    name = "tree-solver"
    description = "recursive debate: exact backward induction with full information (small trees)"
    games = ("debate/recursive-v1",)
    classifier = Classifier(deterministic=True, uses_search=True)
    requires_state = True

    def act(self, observation: np.ndarray, action_mask: np.ndarray, state: Any = None) -> int:
        state = self._need_state(state)
        g = state.game
        player = state.current_player()
        sign = 1.0 if player == CLAIMANT else -1.0
        sol = TreeSolution(state)
        ph, v = state.phase, state.node
        options: list[tuple[int, float]] = []
        if ph == CLAIM:
            options = [(CLAIM_FALSE + c, sol.open_value(c)) for c in (0, 1) if action_mask[CLAIM_FALSE + c]]
        elif ph == OPEN:
            options = [(CONCEDE, 1.0), (DISPUTE, sol.value(0, int(state.root_claim)))]
        elif ph == ASSERT:
            options = [(g.off_assert + p, sol.pattern_value(v, p)) for p in sol.patterns(v, int(state.assertion[v]))]
        elif ph == PICK:
            options = [(g.off_pick + i, sol.value(c, int(state.assertion[c]))) for i, c in enumerate(sol.kids(v))]
        else:
            raise ValueError(f"tree-solver: cannot play phase {ph} (cross-examination is not supported)")
        best = max(options, key=lambda o: (sign * o[1], -o[0]))
        return int(best[0])


__all__ = ["TreeSolution", "TreeSolverAgent", "solve"]
