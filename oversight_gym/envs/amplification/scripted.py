"""Scripted agents of the amplification games (Christiano, Shlegeris, Amodei 2018, arXiv
1810.08575; Wu et al. 2021, arXiv 2109.10862).

* :class:`ScriptedOverseer`: H, the task's scripted decomposition, with error ``epsilon``
  per step;
* :class:`OracleModel`: a perfect M (answers every subquestion with the ground truth);
* :class:`ScriptedAggregator`: a perfect worker/combiner of ``amplification/aggregation-v0``.

They need the kernel state (``requires_state``) and play the amplification family only
(``games``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from oversight_gym.agents.base import BaseAgent
from oversight_gym.core.errors import check_float
from oversight_gym.core.protocols import Classifier


class ScriptedOverseer(BaseAgent):
    """H: asks the subquestions of the task's scripted decomposition one at a time and
    combines their answers; each step errs with probability ``epsilon`` (seeded)."""

    name = "amplification-overseer"
    description = "scripted overseer H of iterated amplification (errs with probability epsilon per step)"
    classifier = Classifier(honest=True, deterministic=True)
    requires_state = True
    games = ("amplification/",)

    def __init__(self, epsilon: float = 0.0, seed: int | None = None) -> None:
        super().__init__(seed)
        self.epsilon = check_float("epsilon", epsilon, 0.0, 1.0)

    def act(self, observation: np.ndarray, action_mask: np.ndarray, state: Any = None) -> int:
        from oversight_gym.envs.amplification.amplify import scripted_overseer_action

        state = self._need_state(state)
        if state.current_player() != 0:  # in the model seat: answer the truth
            return OracleModel().act(observation, action_mask, state)
        return scripted_overseer_action(state, self.epsilon, self.rng)


class OracleModel(BaseAgent):
    """A perfect M: answers the subquestion in hand with its ground truth."""

    name = "amplification-oracle"
    description = "perfect model M: answers every subquestion with the ground truth"
    classifier = Classifier(honest=True, deterministic=True)
    requires_state = True
    games = ("amplification/",)

    def act(self, observation: np.ndarray, action_mask: np.ndarray, state: Any = None) -> int:
        state = self._need_state(state)
        g = state.game
        return g.answer_action(g.task.answer(state.instance, state.question_in_hand()))


class ScriptedAggregator(BaseAgent):
    """A perfect node of ``amplification/aggregation-v0``: a worker outputs its leaf's
    content, a combiner the exact sum of its children's outputs."""

    name = "aggregation-scripted"
    description = "perfect worker/combiner of the aggregation tree (exact sums)"
    classifier = Classifier(honest=True, deterministic=True)
    requires_state = True
    games = ("amplification/aggregation-v0",)

    def act(self, observation: np.ndarray, action_mask: np.ndarray, state: Any = None) -> int:
        from oversight_gym.envs.amplification.decomposition import scripted_node_action

        return scripted_node_action(self._need_state(state))
