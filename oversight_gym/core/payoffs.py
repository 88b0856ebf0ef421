"""Payoff schemes: how a game's raw utilities become the players' rewards.

A scheme is separate from the rules, so the same game can be played zero-sum (the
debate of Irving et al. 2018), mixed-sum with a cooperation weight, or with side
payments that reward an outcome the overseer does not want (the "models can collude
... gaining more compute" failure of debate). Schemes compose left to right with ``+``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from oversight_gym.core.errors import check_float

if TYPE_CHECKING:
    from oversight_gym.core.game import State


class PayoffScheme:
    """Maps the raw utility vector of a state to the players' payoffs."""

    zero_sum: bool = False

    def apply(self, raw: np.ndarray, state: State) -> np.ndarray:
        raise NotImplementedError

    def __add__(self, other: PayoffScheme) -> PayoffScheme:
        return Compose((self, other))

    def config(self) -> dict[str, Any]:
        return {"scheme": type(self).__name__}


@dataclass(frozen=True)
class ZeroSum(PayoffScheme):
    """Payoff = raw utility minus the players' mean: returns always sum to zero."""

    zero_sum = True

    def apply(self, raw: np.ndarray, state: State) -> np.ndarray:
        raw = np.asarray(raw, dtype=np.float64)
        values = raw.tolist()  # a Python sum: cheaper than a numpy reduction on a few players
        return raw - sum(values) / len(values)


@dataclass(frozen=True)
class MixedSum(PayoffScheme):
    """Payoff_i = (1 - weight) * u_i + weight * mean_j u_j.

    ``weight = 0`` keeps each player's own utility; ``weight = 1`` makes the game fully
    cooperative (every player receives the team average).
    """

    weight: float = 0.5

    def __post_init__(self) -> None:
        check_float("weight", self.weight, 0.0, 1.0)

    def apply(self, raw: np.ndarray, state: State) -> np.ndarray:
        raw = np.asarray(raw, dtype=np.float64)
        return (1.0 - self.weight) * raw + self.weight * raw.mean()

    def config(self) -> dict[str, Any]:
        return {"scheme": "MixedSum", "weight": self.weight}


@dataclass(frozen=True)
class SidePayment(PayoffScheme):
    """Pay ``amount`` to each of ``recipients`` (all players if None) when the terminal
    outcome flag ``condition`` (a key of ``state.outcome()``) is true.

    Example: ``ZeroSum() + SidePayment(0.5, "judge_wrong")`` pays both debaters when the
    judge is misled, a payoff from outside the game that rewards colluding.
    """

    amount: float
    condition: str
    recipients: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        check_float("amount", self.amount)

    def apply(self, raw: np.ndarray, state: State) -> np.ndarray:
        out = np.asarray(raw, dtype=np.float64).copy()
        if not state.is_terminal():
            return out
        outcome = state.outcome()
        if self.condition not in outcome:
            raise ValueError(
                f"condition {self.condition!r} is not an outcome of {state.game.name}; "
                f"outcomes are {sorted(outcome)}"
            )
        if outcome[self.condition]:
            idx = range(len(out)) if self.recipients is None else self.recipients
            for i in idx:
                out[i] += self.amount
        return out

    def config(self) -> dict[str, Any]:
        return {"scheme": "SidePayment", "amount": self.amount, "condition": self.condition,
                "recipients": self.recipients}


@dataclass(frozen=True)
class SharedPrize(PayoffScheme):
    """Weight ``weight`` (lambda) on winning against a prize all players share:
    ``payoff_i = weight * (u_i - mean_j u_j) + (1 - weight) * amount * [condition]``, where
    ``condition`` is a terminal outcome flag (a key of ``state.outcome()``).

    ``weight = 1`` is the zero-sum game; lower weights pay the players jointly for an
    outcome the overseer does not want. Example: ``SharedPrize(0.5, "judge_wrong")``: debaters
    who care half about winning and half about a reward they both get when the judge is
    misled ("gaining more compute").
    """

    weight: float = 1.0
    condition: str = "judge_wrong"
    amount: float = 1.0

    def __post_init__(self) -> None:
        check_float("weight", self.weight, 0.0, 1.0)
        check_float("amount", self.amount)

    @property
    def zero_sum(self) -> bool:  # type: ignore[override]
        return self.weight == 1.0 or self.amount == 0.0

    def apply(self, raw: np.ndarray, state: State) -> np.ndarray:
        # the zero-sum part scaled by the weight, then the prize as a side payment to all
        out = self.weight * ZeroSum().apply(raw, state)
        if self.weight == 1.0:
            return out
        return SidePayment((1.0 - self.weight) * self.amount, self.condition).apply(out, state)

    def config(self) -> dict[str, Any]:
        return {"scheme": "SharedPrize", "weight": self.weight, "condition": self.condition, "amount": self.amount}


@dataclass(frozen=True)
class Compose(PayoffScheme):
    """Apply schemes in order."""

    schemes: tuple[PayoffScheme, ...]

    @property
    def zero_sum(self) -> bool:  # type: ignore[override]
        return bool(self.schemes) and self.schemes[-1].zero_sum

    def apply(self, raw: np.ndarray, state: State) -> np.ndarray:
        out = np.asarray(raw, dtype=np.float64)
        for scheme in self.schemes:
            out = scheme.apply(out, state)
        return out

    def config(self) -> dict[str, Any]:
        return {"scheme": "Compose", "schemes": [s.config() for s in self.schemes]}
