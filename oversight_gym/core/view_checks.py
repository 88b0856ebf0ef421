"""The rules the views (PettingZoo AEC and Parallel, Gymnasium single-agent) apply to what
their callers pass, written once so that the three views agree: which seeds and actions
and reset options they accept, how long an episode may run, and in which order the calls
must come.

A wrong *type* of action is a bug in the caller and raises ``TypeError``; a well-typed
action the rules forbid is an illegal *move*, which the views handle their own way (an
:class:`~oversight_gym.core.errors.IllegalActionError`, or the single-agent view's penalty).
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Mapping
from typing import Any, TypeVar

import gymnasium
import numpy as np

from oversight_gym.core.errors import check_choice, check_int

S = TypeVar("S")


class ResetNeeded(gymnasium.error.ResetNeeded, RuntimeError):
    """``step()`` called before ``reset()``, or after the episode ended. It is Gymnasium's
    own error for a call out of order, and a ``RuntimeError``."""


#: the render modes of every view: ``"ansi"`` text, ``"human"`` (the text printed) and an
#: ``"rgb_array"`` picture
RENDER_MODES = ["ansi", "human", "rgb_array"]


def check_render_mode(render_mode: object) -> str | None:
    """A view's ``render_mode``: ``None`` or one of :data:`RENDER_MODES`; else a ``ValueError``."""
    return None if render_mode is None else check_choice("render_mode", render_mode, RENDER_MODES)


def warn_no_render_mode() -> None:
    """What ``render()`` says when the view was made without a ``render_mode`` (it returns ``None``)."""
    warnings.warn(f"render() called without a render_mode; pass render_mode, one of {RENDER_MODES}",
                  stacklevel=_caller_level())


def check_running(state: S | None, over: bool = False, call: str = "step") -> S:
    """The state ``call()`` acts on. Before the first ``reset()`` (no state), or once the
    episode is ``over``, the call is out of order: :class:`ResetNeeded`."""
    if state is None:
        raise ResetNeeded(f"call reset() before {call}()")
    if over:
        raise ResetNeeded(f"the episode is over; call reset() before {call}()")
    return state


def check_seed(seed: object) -> int | None:
    """A reset seed: ``None``, or a non-negative integer (a Python int or a numpy integer, as
    libraries pass them); anything else is a ``ValueError`` naming ``seed``."""
    return None if seed is None else check_int("seed", seed, low=0)


def reset_options(game: Any, options: Mapping[str, Any] | None) -> dict[str, Any]:
    """The ``options`` of a ``reset()`` that ``game`` takes (the names in its ``reset_options``);
    any other option is left out with a warning naming it and the ones the game takes, so that
    a library passing its own options does not break the game."""
    allowed = tuple(getattr(game, "reset_options", ()))
    opts = dict(options or {})
    for key in sorted(set(opts) - set(allowed), key=str):
        warnings.warn(f"reset option {key!r} is not used by {game.name}; it takes {list(allowed)}",
                      stacklevel=_caller_level())
        del opts[key]
    return opts


def action_index(action: object) -> int:
    """The action as a Python int. Accepted: an ``int``, a numpy integer, or a 0-d or
    one-element integer array (what ``model.predict`` of Stable-Baselines3 returns for one
    observation, or for a one-env vectorised one). Booleans, floats and anything else raise
    ``TypeError``: whether the integer is a legal move is for the game to say."""
    if isinstance(action, int | np.integer) and not isinstance(action, bool):
        return int(action)
    if (isinstance(action, np.ndarray) and action.ndim <= 1 and action.size == 1
            and np.issubdtype(action.dtype, np.integer)):
        return int(action.reshape(()))
    raise TypeError(f"action must be an integer (an int, a numpy integer, or a 0-d or one-element integer array), "
                    f"got {action!r} of type {type(action).__name__}")


#: the warning given when ``max_steps``, the former name of ``max_cycles``, is passed or read
MAX_STEPS_DEPRECATED = ("max_steps is deprecated: use max_cycles, the number of times each agent acts before the "
                        "episode is truncated (PettingZoo's name for it)")


def check_max_cycles(max_cycles: object, max_steps: object = None) -> int | None:
    """The truncation bound of a view: ``max_cycles`` (PettingZoo's name), ``None`` for none.
    ``max_steps`` is its deprecated former name: it still works, with a ``DeprecationWarning``."""
    if max_steps is not None:
        if max_cycles is not None:
            raise ValueError(f"give max_cycles only (max_steps is its deprecated former name), "
                             f"got max_cycles={max_cycles!r} and max_steps={max_steps!r}")
        warnings.warn(MAX_STEPS_DEPRECATED, DeprecationWarning, stacklevel=_caller_level())
        max_cycles = max_steps
    return None if max_cycles is None else check_int("max_cycles", max_cycles, low=1)


def _caller_level() -> int:
    """The ``stacklevel`` that points a warning at the first caller outside ``oversight_gym.core``."""
    level, frame = 2, sys._getframe(2)
    while frame is not None and frame.f_globals.get("__name__", "").startswith("oversight_gym.core"):
        frame, level = frame.f_back, level + 1
    return level
