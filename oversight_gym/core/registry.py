"""Registry of environments: ``oversight_gym.make("debate/pixels-v0", **kwargs)``.

Each id is versioned (``family/name-vN``); a behaviour change bumps N. Registering here
also registers the AEC and Parallel views in PettingZoo's own registry, so
``pettingzoo.make("aec", "debate/pixels-v0")`` works too.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pettingzoo

from oversight_gym.core.aec import KernelAECEnv, KernelParallelEnv
from oversight_gym.core.game import Game
from oversight_gym.core.single_agent import SingleAgentEnv

_ID = re.compile(r"^[a-z][a-z0-9_]*/[a-z][a-z0-9_-]*-v\d+$")


@dataclass(frozen=True)
class EnvSpec:
    id: str
    game: str | Callable[..., Game]  # "module:Class" or a callable returning a Game
    description: str
    kwargs: dict[str, Any] = field(default_factory=dict)

    def game_factory(self) -> Callable[..., Game]:
        if callable(self.game):
            return self.game
        module, _, attr = self.game.partition(":")
        return getattr(importlib.import_module(module), attr)


_REGISTRY: dict[str, EnvSpec] = {}


def register(id: str, game: str | Callable[..., Game], description: str, kwargs: dict[str, Any] | None = None) -> None:
    """Register a game under a versioned id (``family/name-vN``)."""
    if not _ID.match(id):
        raise ValueError(f"id must look like 'family/name-vN' (lower case), got {id!r}")
    spec = EnvSpec(id, game, description, dict(kwargs or {}))
    _REGISTRY[id] = spec
    pettingzoo.register("aec", id, entry_point=lambda **kw: make(id, **kw))
    pettingzoo.register("parallel", id, entry_point=lambda **kw: make_parallel(id, **kw))


def spec(id: str) -> EnvSpec:
    if id not in _REGISTRY:
        raise KeyError(f"no environment {id!r}; registered: {sorted(_REGISTRY)}")
    return _REGISTRY[id]


def registered_ids() -> list[str]:
    return sorted(_REGISTRY)


def make_game(id: str, **kwargs: Any) -> Game:
    """The kernel game of ``id`` with the spec's defaults overridden by ``kwargs``."""
    s = spec(id)
    return s.game_factory()(**{**s.kwargs, **kwargs})


def make(id: str, render_mode: str | None = None, max_steps: int | None = None, **kwargs: Any) -> KernelAECEnv:
    """The PettingZoo AEC view of a registered game."""
    return KernelAECEnv(make_game(id, **kwargs), render_mode=render_mode, max_steps=max_steps)


def make_parallel(id: str, render_mode: str | None = None, max_steps: int | None = None,
                  **kwargs: Any) -> KernelParallelEnv:
    """The PettingZoo Parallel view of a registered game."""
    return KernelParallelEnv(make_game(id, **kwargs), render_mode=render_mode, max_steps=max_steps)


def make_single_agent(id: str, learner: str, opponents: Any, illegal_action: str = "penalty",
                      render_mode: str | None = None, **kwargs: Any) -> SingleAgentEnv:
    """The Gymnasium single-agent view: ``learner`` plays, ``opponents`` fill the other seats."""
    return SingleAgentEnv(make_game(id, **kwargs), learner, opponents, illegal_action=illegal_action,
                          render_mode=render_mode)
