"""One-step look-ahead on the judge: the baseline below tree search.

Irving, Christiano and Amodei (2018, "AI safety via debate", section 3.1) pit debaters
that plan (MCTS) against a judge that sees only the revealed pixels. The greedy debater
plans one move ahead: it plays the legal move after which its own value is highest,
valued by the game's ``evaluate_batch`` hook (for the pixel debate, the judge; a finished
game by its result). For a game without an evaluator, positions are valued by one random
play-out each. The lowest action wins ties; a move the game forces
(``State.forced_move()``, see :mod:`oversight_gym.agents.search.mcts`) is played without
looking ahead.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from oversight_gym.agents.base import BaseAgent
from oversight_gym.agents.search.mcts import (
    child_states,
    exact_leaf_values,
    forced_move,
    make_evaluator,
    sequential_player,
)
from oversight_gym.core.errors import check_int
from oversight_gym.core.game import State
from oversight_gym.core.protocols import Classifier


class GreedyAgent(BaseAgent):
    """Plays the legal move that maximises its own value one move ahead.

    Parameters
    ----------
    seed: seeds the random play-outs of games without an evaluator.
    """

    name = "greedy"
    description = "one-step look-ahead on the judge's value"
    classifier = Classifier(deterministic=True, uses_search=True)
    requires_state = True

    def __init__(self, seed: int | None = None) -> None:
        super().__init__(None if seed is None else check_int("seed", seed))

    def action_values(self, state: State) -> tuple[np.ndarray, np.ndarray]:
        """The legal actions (increasing) and the mover's value after each."""
        player = sequential_player(state)
        actions, children = child_states(state, player)
        evaluator, from_game = make_evaluator(state.game, self.rng)
        return actions, exact_leaf_values(children, evaluator, from_game)[:, player]

    def act(self, observation: np.ndarray, action_mask: np.ndarray, state: Any = None) -> int:
        state = self._need_state(state)
        move = forced_move(state)
        if move is not None:
            return move
        actions, values = self.action_values(state)
        return int(actions[int(np.argmax(values))])
