"""The one protocol every agent follows (scripted, search-based, learned, human), and its
typed classifier.

An agent knows a game only through observations and action masks. An agent that needs the
kernel ``State`` (search agents, to ``clone()`` and look ahead) says so explicitly with
``requires_state = True``; the episode driver (:mod:`oversight_gym.core.episode`) then hands
it a clone. The classifier describes an agent so populations can be filtered, with the
keys of the Axelrod library's classifier (Knight et al. 2016, "An open framework for the
reproducible study of the iterated prisoner's dilemma", Journal of Open Research Software 4).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class Classifier:
    """What an agent is, for filtering populations (every key defaults to False)."""

    #: plays for the truth (a debater who never lies, a firm that never colludes on purpose)
    honest: bool = False
    #: the same observations give the same moves (no randomness of its own)
    deterministic: bool = False
    #: changes its policy from experience (``update``)
    learns: bool = False
    #: looks ahead on the game tree
    uses_search: bool = False
    #: coordinates with another seat against an overseer
    colludes: bool = False


#: the classifier's keys, in order
CLASSIFIER_KEYS = tuple(f.name for f in fields(Classifier))


@runtime_checkable
class Agent(Protocol):
    name: str
    #: whether ``act`` needs the kernel state (it is handed a clone); False if absent
    requires_state: bool

    def reset(self, seed: int | None = None) -> None: ...

    def act(self, observation: np.ndarray, action_mask: np.ndarray, state: Any = None) -> int: ...
