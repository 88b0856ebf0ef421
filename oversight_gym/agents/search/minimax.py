"""Exact minimax with alpha-beta pruning for small games.

Irving, Christiano and Amodei (2018, "AI safety via debate", section 2) argue from
optimal play: with optimal debaters, debate with a polynomial-time judge answers PSPACE
questions, and the pixel game (section 3.1) asks whether honesty wins when both sides
search well. For a few pixels the game can be solved outright: this agent computes the
exact minimax value of every move by alpha-beta search (Knuth and Moore 1975, "An
analysis of alpha-beta pruning", Artificial Intelligence 6) and plays a best one.

The generic engine works on any sequential two-player zero-sum kernel through
``State.clone()``; it values terminal positions by ``returns()`` (or the game's
``evaluate_batch`` hook, and stops at positions the kernel declares exact). A game's
family may register a compiled fast path of kind ``"minimax"`` (see
:mod:`oversight_gym.agents.search.mcts`): an object with ``applies(state)``, ``describes``
and ``run(state, depth) -> (actions, values, tie-break values)`` for the player to move.

``depth`` limits the search to that many plies; positions at the horizon are then valued
by the game's evaluator (the judge's ``tanh`` value) and the result is no longer exact.
Among the moves of equal value the agent takes the one the evaluator likes best one ply
ahead (the judge's value after the move), then the lowest action, so that in a lost (or
won) position it still plays a move that looks good to the judge. A move the game forces
(``State.forced_move()``) is played without searching.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from oversight_gym.agents.base import BaseAgent
from oversight_gym.agents.search.mcts import (
    ENGINES,
    child_states,
    choose_engine,
    exact_leaf_values,
    forced_move,
    is_exact,
    make_evaluator,
    sequential_player,
)
from oversight_gym.core.errors import check_choice, check_int
from oversight_gym.core.game import State
from oversight_gym.core.protocols import Classifier


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
    engine: ``"auto"``, ``"numba"`` (the game's compiled fast path) or ``"python"``.
    seed: seeds the random play-outs that value horizon positions of a game without an
        evaluator (only with ``depth``).
    """

    name = "minimax"
    description = "exact minimax by alpha-beta search (small games)"
    classifier = Classifier(deterministic=True, uses_search=True)
    requires_state = True

    def __init__(self, depth: int | None = None, engine: str = "auto", seed: int | None = None) -> None:
        self.depth = None if depth is None else check_int("depth", depth, 1)
        self.engine = str(check_choice("engine", engine, ENGINES))
        super().__init__(None if seed is None else check_int("seed", seed))

    def action_values(self, state: State) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(actions, values, tie-break values)`` for the player to move: each legal action's
        minimax value and the evaluator's value right after it (zeros without an evaluator)."""
        player = sequential_player(state)
        if state.game.num_players != 2:
            raise ValueError(f"minimax needs a two-player zero-sum game; {state.game.name} has "
                             f"{state.game.num_players} players")
        _, path = choose_engine(self.engine, state, "minimax")
        if path is not None:
            return path.run(state, self.depth)
        evaluator, from_game = make_evaluator(state.game, self.rng)
        actions, children = child_states(state, player)
        sub = None if self.depth is None else self.depth - 1
        values = np.array([_alphabeta(c, sub, -math.inf, math.inf, evaluator, from_game) for c in children])
        greedy = exact_leaf_values(children, evaluator, from_game)[:, 0] if from_game else np.zeros(len(children))
        sign = 1.0 if player == 0 else -1.0
        return actions, sign * values, sign * greedy

    def act(self, observation: np.ndarray, action_mask: np.ndarray, state: Any = None) -> int:
        state = self._need_state(state)
        move = forced_move(state)
        if move is not None:
            return move
        actions, values, greedy = self.action_values(state)
        best = np.flatnonzero(values == values.max())
        return int(actions[best[int(np.argmax(greedy[best]))]])
