"""Uniformly random play over the legal actions."""

from __future__ import annotations

from typing import Any

import numpy as np

from oversight_gym.agents.base import BaseAgent
from oversight_gym.core.protocols import Classifier


class RandomAgent(BaseAgent):
    """Picks uniformly among the legal actions (a baseline for every game)."""

    name = "random"
    description = "uniformly random legal actions"
    classifier = Classifier()

    def act(self, observation: np.ndarray, action_mask: np.ndarray, state: Any = None) -> int:
        legal = np.flatnonzero(action_mask)
        if len(legal) == 0:
            raise ValueError("action_mask has no legal action")
        return int(self.rng.choice(legal))
