"""One-step look-ahead on the judge: the baseline below tree search.

Irving, Christiano and Amodei (2018, "AI safety via debate", section 3.1) pit debaters
that plan (MCTS) against a judge that sees only the revealed pixels. The greedy debater
plans one move ahead: it plays the legal move after which its own value is highest,
valued by the game's ``evaluate_batch`` (for the pixel debate, the judge through
:func:`oversight_gym.envs.debate.pixels.honest_value`; a finished game by its result).
For a game without an evaluator, positions are valued by one random play-out each.
The lowest action wins ties.

One step sees little at the claims of the pixel debate: before any reveal the judge's
view of a lie does not depend on the image, and a last claim is worth +1 or -1 whichever
winning lie is named (the lowest is taken). A liar given ``target_label`` (its lie in a
debate without precommit, as in the paper's one game per lie) values positions against
that lie and claims it at the end.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from oversight_gym.agents.base import BaseAgent
from oversight_gym.agents.search.mcts import (
    assumed_lie,
    check_target_label,
    child_states,
    exact_leaf_values,
    forced_claim,
    make_evaluator,
    sequential_player,
)
from oversight_gym.core.errors import check_int
from oversight_gym.core.game import State


class GreedyAgent(BaseAgent):
    """Plays the legal move that maximises its own value one move ahead.

    Parameters
    ----------
    seed: seeds the random play-outs of games without an evaluator.
    target_label: the liar's lie in a pixel debate without precommit (never for the honest side).
    """

    name = "greedy"
    description = "one-step look-ahead on the judge's value"
    classifier = {"honest": False, "deterministic": True, "learns": False, "uses_search": True,
                  "colludes": False, "requires_state": True}

    def __init__(self, seed: int | None = None, target_label: int | None = None) -> None:
        super().__init__(None if seed is None else check_int("seed", seed))
        self.target_label = check_target_label(target_label)

    def action_values(self, state: State) -> tuple[np.ndarray, np.ndarray]:
        """The legal actions (increasing) and the mover's value after each."""
        player = sequential_player(state)
        actions, children = child_states(state, player)
        evaluator, from_game = make_evaluator(state.game, self.rng, liar_label=assumed_lie(state, self.target_label))
        return actions, exact_leaf_values(children, evaluator, from_game)[:, player]

    def act(self, observation: np.ndarray, action_mask: np.ndarray, state: Any = None) -> int:
        state = self._need_state(state)
        move = forced_claim(state, self.target_label) if self.target_label is not None else None
        if move is not None:  # without a target the claim is searched like any other move
            return move
        actions, values = self.action_values(state)
        return int(actions[int(np.argmax(values))])
