"""The one protocol every agent follows (scripted, search-based, learned, human).

An agent knows a game only through observations and action masks; search agents may
also receive the kernel ``State`` (to ``clone()`` and look ahead) when their
``classifier["requires_state"]`` is true. Classifier keys follow the Axelrod library's
convention (Knight et al. 2016) so populations can be filtered.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np

CLASSIFIER_KEYS = ("honest", "deterministic", "learns", "uses_search", "colludes", "requires_state")


@runtime_checkable
class Agent(Protocol):
    name: str
    classifier: dict[str, Any]

    def reset(self, seed: int | None = None) -> None: ...

    def act(self, observation: np.ndarray, action_mask: np.ndarray, state: Any = None) -> int: ...
