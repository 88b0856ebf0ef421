"""The turn structure the repeated markets share (Calvano's pricing, auctions, homogeneous-good
pricing): every player acts at once each period, any action is allowed, and an episode ends after
``game.horizon`` periods."""

from __future__ import annotations

import numpy as np

from oversight_gym.core.game import SIMULTANEOUS, TERMINAL, State


class RepeatedSimultaneousState(State):
    """A period of a repeated simultaneous-move game; subclasses count periods in ``period`` and
    implement ``_apply_joint``."""

    period: int

    def current_player(self) -> int:
        return TERMINAL if self.period >= self.game.horizon else SIMULTANEOUS  # type: ignore[attr-defined]

    def legal_actions_mask(self, player: int) -> np.ndarray:
        return np.ones(self.game.num_distinct_actions(), dtype=np.int8)

    def is_legal(self, player: int, action: int) -> bool:
        return True

    def _apply(self, player: int, action: int) -> None:  # pragma: no cover - never turn-based
        raise NotImplementedError
