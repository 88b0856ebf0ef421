"""Exact minimax with alpha-beta pruning for small games, with a numba path for the
pixel debate.

Irving, Christiano and Amodei (2018, "AI safety via debate", section 2) argue from
optimal play: with optimal debaters, debate with a polynomial-time judge answers PSPACE
questions, and the pixel game (section 3.1) asks whether honesty wins when both sides
search well. For a few pixels the game can be solved outright: this agent computes the
exact minimax value of every move by alpha-beta search (Knuth and Moore 1975, "An
analysis of alpha-beta pruning", Artificial Intelligence 6) and plays a best one.

* The generic engine works on any sequential two-player zero-sum kernel through
  ``State.clone()``; it values terminal positions by ``returns()`` (or the game's
  ``evaluate_batch``, and stops at positions the kernel declares exact).
* The numba engine solves the pixel debate's reveal phase (and the liar's first claim)
  without Python per node: the judge's hidden pre-activation is kept per depth (one
  H-vector add per reveal), children are ordered by the judge's value for the mover,
  and every final position is worth exactly +1/-1 by
  :func:`oversight_gym.envs.debate.pixels.honest_value`, so a winning reply cuts the
  search at once. It solves up to about four reveals from the start in seconds.

``depth`` limits the search to that many plies; positions at the horizon are then valued
by the game's evaluator (the judge's ``tanh`` value) and the result is no longer exact.
Among the moves of equal value the agent takes the one the evaluator likes best one ply
ahead (the judge's value after the move), then the lowest action, so that in a lost (or
won) position it still plays a move that looks good to the judge.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numba import njit

from oversight_gym.agents.base import BaseAgent
from oversight_gym.agents.search.mcts import (
    assumed_lie,
    check_target_label,
    child_states,
    choose_engine,
    exact_leaf_values,
    forced_claim,
    is_exact,
    make_evaluator,
    sequential_player,
)
from oversight_gym.agents.search.pixel_mcts import leaf_value, mover, pixel_inputs
from oversight_gym.core.errors import check_choice, check_int
from oversight_gym.core.game import State
from oversight_gym.core.numba_cache import drop_stale_caches
from oversight_gym.envs.debate.pixels import honest_value, legal_pixels

ENGINES = ("auto", "numba", "python")


# --- numba exact solver for the pixel debate ---------------------------------------------------
@njit(cache=True)
def _solve(cols: np.ndarray, w2t: np.ndarray, b2: np.ndarray, lit: np.ndarray, forbid_black: bool,
           revealed: np.ndarray, hs: np.ndarray, acts: np.ndarray, keys: np.ndarray, relu: np.ndarray, z: np.ndarray,
           nrev: int, horizon: int, k: int, first: int, true_label: int, liar: int, alpha: float,
           beta: float) -> float:
    """The honest value of the position with ``nrev`` reveals (pre-activation ``hs[nrev]``),
    fail-soft alpha-beta inside ``[alpha, beta]``; exact when the window is [-1, 1]."""
    if nrev == k or nrev == horizon:
        return leaf_value(hs[nrev], relu, z, w2t, b2, true_label, liar, nrev == k)
    hid = hs.shape[1]
    player = mover(nrev, first)
    m = legal_pixels(revealed, lit, forbid_black, acts[nrev])
    if horizon - nrev >= 2:
        # order the children by the judge's value for the mover: good moves first, early cut-offs
        for i in range(m):
            a = acts[nrev, i]
            for j in range(hid):
                hs[nrev + 1, j] = hs[nrev, j] + cols[a, j]
            v = leaf_value(hs[nrev + 1], relu, z, w2t, b2, true_label, liar, False)
            keys[nrev, i] = -v if player == 0 else v
        order = np.argsort(keys[nrev, :m], kind="mergesort")
    else:
        order = np.arange(m)
    best = -math.inf if player == 0 else math.inf
    for idx in range(m):
        a = acts[nrev, order[idx]]
        revealed[a] = True
        for j in range(hid):
            hs[nrev + 1, j] = hs[nrev, j] + cols[a, j]
        v = _solve(cols, w2t, b2, lit, forbid_black, revealed, hs, acts, keys, relu, z, nrev + 1, horizon, k, first,
                   true_label, liar, alpha, beta)
        revealed[a] = False
        if player == 0:
            if v > best:
                best = v
            if best > alpha:
                alpha = best
        else:
            if v < best:
                best = v
            if best < beta:
                beta = best
        if alpha >= beta:
            break
    return best


@njit(cache=True)
def _root_values(cols: np.ndarray, b1: np.ndarray, w2t: np.ndarray, b2: np.ndarray, lit: np.ndarray,
                 forbid_black: bool, root_revealed: np.ndarray, root_nrev: int, horizon: int, k: int, first: int,
                 claim_root: bool, true_label: int, root_liar: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact honest value, and the judge's honest value one ply ahead, of every root move."""
    p_count, hid = cols.shape
    n_classes = b2.shape[0]
    hs = np.empty((k + 1, hid))
    acts = np.empty((k + 1, p_count), np.int64)
    keys = np.empty((k + 1, p_count))
    relu = np.empty(hid)
    z = np.zeros(n_classes)
    revealed = root_revealed.copy()
    for j in range(hid):
        hs[root_nrev, j] = b1[j]
    for p in range(p_count):
        if revealed[p]:
            for j in range(hid):
                hs[root_nrev, j] += cols[p, j]
    if claim_root:
        actions = np.empty(n_classes - 1, np.int64)
        exact = np.empty(n_classes - 1)
        greedy = np.empty(n_classes - 1)
        i = 0
        for c in range(n_classes):
            if c == true_label:
                continue
            actions[i] = p_count + c
            greedy[i] = leaf_value(hs[root_nrev], relu, z, w2t, b2, true_label, c, root_nrev == k)
            exact[i] = _solve(cols, w2t, b2, lit, forbid_black, revealed, hs, acts, keys, relu, z, root_nrev,
                              horizon, k, first, true_label, c, -1.0, 1.0)
            i += 1
        return actions, exact, greedy
    m = legal_pixels(revealed, lit, forbid_black, acts[root_nrev])
    actions = acts[root_nrev, :m].copy()
    exact = np.empty(m)
    greedy = np.empty(m)
    for i in range(m):
        a = actions[i]
        revealed[a] = True
        for j in range(hid):
            hs[root_nrev + 1, j] = hs[root_nrev, j] + cols[a, j]
        greedy[i] = leaf_value(hs[root_nrev + 1], relu, z, w2t, b2, true_label, root_liar, root_nrev + 1 == k)
        exact[i] = _solve(cols, w2t, b2, lit, forbid_black, revealed, hs, acts, keys, relu, z, root_nrev + 1,
                          horizon, k, first, true_label, root_liar, -1.0, 1.0)
        revealed[a] = False
    return actions, exact, greedy


drop_stale_caches("minimax", [_solve, _root_values], [leaf_value, legal_pixels, honest_value])


def pixel_minimax(state: Any, depth: int | None = None,
                  liar_label: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(actions, values, judge values)`` of a pixel-debate state in the reveal phase or
    at the liar's first claim, both for the player to move; ``values`` are exact when
    ``depth`` is None (else searched ``depth`` plies). ``liar_label`` is the lie assumed
    while none is claimed (None: the judge's favourite wrong label at each position)."""
    from oversight_gym.envs.debate.pixels import CLAIM_FIRST, HONEST, LIAR, REVEAL

    if state.phase not in (CLAIM_FIRST, REVEAL):
        raise ValueError(f"the numba solver needs a state in the reveal phase or the first claim, got phase "
                         f"{state.phase}")
    game = state.game
    cols, arrays, lit, revealed = pixel_inputs(state)
    nrev = len(state.reveals)
    claim_root = state.phase == CLAIM_FIRST
    plies = game.pixels - nrev  # reveals left
    if depth is not None:
        plies = min(plies, depth - 1 if claim_root else depth)
    actions, exact, greedy = _root_values(
        cols, arrays.b1, arrays.w2t, arrays.b2, lit, game.forbid_black, revealed, nrev, nrev + plies, game.pixels,
        HONEST if game.first == "honest" else LIAR, claim_root, state.true_label,
        int(state.claims[LIAR]) if state.claims[LIAR] >= 0 or liar_label is None else int(liar_label))
    sign = 1.0 if state.current_player() == HONEST else -1.0
    return actions, sign * exact, sign * greedy


# --- generic alpha-beta ------------------------------------------------------------------------
def _alphabeta(state: State, depth: int | None, alpha: float, beta: float, evaluator: Any,
               from_game: bool) -> float:
    """Player 0's value of ``state``, fail-soft alpha-beta (player 0 maximises)."""
    if is_exact(state, from_game) or depth == 0:
        return float(exact_leaf_values([state], evaluator, from_game)[0, 0])
    player = sequential_player(state)
    best = -math.inf if player == 0 else math.inf
    for a in np.flatnonzero(state.legal_actions_mask(player)):
        child = state.clone()
        child.apply_action(int(a))
        v = _alphabeta(child, None if depth is None else depth - 1, alpha, beta, evaluator, from_game)
        if player == 0:
            best = max(best, v)
            alpha = max(alpha, best)
        else:
            best = min(best, v)
            beta = min(beta, best)
        if alpha >= beta:
            break
    return best


class MinimaxAgent(BaseAgent):
    """Plays a move of best minimax value, found by alpha-beta search; see the module docstring.

    Parameters
    ----------
    depth: plies searched (None: to the end of the game, exact).
    engine: ``"auto"``, ``"numba"`` (pixel debate, reveal phase or first claim) or ``"python"``.
    seed: seeds the random play-outs that value horizon positions of a game without an
        evaluator (only with ``depth``).
    target_label: the liar's lie in a pixel debate without precommit: its search assumes
        it and the liar claims it at the end (never for the honest side).
    """

    name = "minimax"
    description = "exact minimax by alpha-beta search (small games)"
    classifier = {"honest": False, "deterministic": True, "learns": False, "uses_search": True,
                  "colludes": False, "requires_state": True}

    def __init__(self, depth: int | None = None, engine: str = "auto", seed: int | None = None,
                 target_label: int | None = None) -> None:
        self.depth = None if depth is None else check_int("depth", depth, 1)
        self.engine = str(check_choice("engine", engine, ENGINES))
        super().__init__(None if seed is None else check_int("seed", seed))
        self.target_label = check_target_label(target_label)

    def _engine_for(self, state: State) -> str:
        return choose_engine(self.engine, state, "solves")

    def action_values(self, state: State) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(actions, values, tie-break values)`` for the player to move: each legal action's
        minimax value and the evaluator's value right after it (zeros without an evaluator)."""
        player = sequential_player(state)
        if state.game.num_players != 2:
            raise ValueError(f"minimax needs a two-player zero-sum game; {state.game.name} has "
                             f"{state.game.num_players} players")
        lie = assumed_lie(state, self.target_label)
        if self._engine_for(state) == "numba":
            return pixel_minimax(state, self.depth, lie)
        evaluator, from_game = make_evaluator(state.game, self.rng, liar_label=lie)
        actions, children = child_states(state, player)
        sub = None if self.depth is None else self.depth - 1
        values = np.array([_alphabeta(c, sub, -math.inf, math.inf, evaluator, from_game) for c in children])
        greedy = exact_leaf_values(children, evaluator, from_game)[:, 0] if from_game else np.zeros(len(children))
        sign = 1.0 if player == 0 else -1.0
        return actions, sign * values, sign * greedy

    def act(self, observation: np.ndarray, action_mask: np.ndarray, state: Any = None) -> int:
        state = self._need_state(state)
        move = forced_claim(state, self.target_label) if self.target_label is not None else None
        if move is not None:  # without a target the claim is searched like any other move
            return move
        actions, values, greedy = self.action_values(state)
        best = np.flatnonzero(values == values.max())
        return int(actions[best[int(np.argmax(greedy[best]))]])
