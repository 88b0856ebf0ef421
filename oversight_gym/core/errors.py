"""Errors raised by kernels and views."""

from __future__ import annotations


class IllegalActionError(ValueError):
    """An action that the rules do not allow in the current state."""


class Forfeit(Exception):  # noqa: N818 - a move of the game, not a failure of the program
    """A seat gave up instead of moving (a language-model seat whose replies named no legal
    action, with the forfeit as its declared fallback). ``player`` and ``seat`` say who;
    ``state`` is the game as it stood (a copy, or ``None`` when the decision was not a move of
    a game), with what led to it recorded in its transcript; ``reason`` says why. Whoever
    plays the episode decides what a forfeit scores (the tournament records it as such)."""

    def __init__(self, player: int, seat: str, state: object, reason: str) -> None:
        super().__init__(f"{seat} forfeits: {reason}")
        self.player, self.seat, self.state, self.reason = player, seat, state, reason


def check_int(name: str, value: object, low: int | None = None, high: int | None = None) -> int:
    """Validate an integer parameter; the error names it, its value and the allowed range."""
    if isinstance(value, bool) or not isinstance(value, int | __import__("numpy").integer):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    v = int(value)
    if (low is not None and v < low) or (high is not None and v > high):
        lo = "-inf" if low is None else low
        hi = "inf" if high is None else high
        raise ValueError(f"{name} must be in [{lo}, {hi}], got {v}")
    return v


def check_choice(name: str, value: object, allowed: tuple | list) -> object:
    """Validate a parameter drawn from a fixed set of choices."""
    if value not in allowed:
        raise ValueError(f"{name} must be one of {list(allowed)}, got {value!r}")
    return value


def check_float(name: str, value: object, low: float | None = None, high: float | None = None,
                finite: bool = True) -> float:
    """Validate a real parameter within closed bounds, by the rule of a declared
    :class:`~oversight_gym.core.params.Real` (which games use instead): NaN never passes, and an
    infinite value only with ``finite=False`` (an infinite parameter turns rewards into NaN).
    Unlike a declaration, anything ``float()`` reads (a numeric string) is converted first."""
    from oversight_gym.core.params import Real  # params imports payoffs, which imports this module

    rule = Real(low, high, finite=finite)
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be {rule.allowed()}, got {value!r}") from None
    return rule.check(name, v)
