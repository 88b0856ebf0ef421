"""Base class and registry for agents. Every agent follows
:class:`oversight_gym.core.protocols.Agent`: ``act(observation, action_mask, state=None)``
and ``reset(seed)``; learners add ``update(...)``.

Each class carries a typed :class:`~oversight_gym.core.protocols.Classifier` (as the Axelrod
library does; Knight et al. 2016) so populations can be filtered, e.g.
``filter_agents(honest=True, learns=True)``, and says explicitly whether it needs the
kernel state (``requires_state``; the episode driver then hands it a clone). An agent
written for particular games lists their ids in ``games`` (``None``: it plays any kernel
game), so ``filter_agents(env_id=...)`` keeps only the agents that can play it.
"""

from __future__ import annotations

import importlib
from typing import Any, ClassVar

import numpy as np

from oversight_gym.core.protocols import CLASSIFIER_KEYS, Classifier

_AGENTS: dict[str, type[BaseAgent]] = {}


class BaseAgent:
    """Common plumbing: a seeded generator, a name and the classifier."""

    name: ClassVar[str] = "agent"
    description: ClassVar[str] = ""
    classifier: ClassVar[Classifier] = Classifier()
    #: whether ``act`` needs the kernel state (search agents); the driver hands it a clone
    requires_state: ClassVar[bool] = False
    #: ids of the games this agent plays (prefixes such as ``"debate/"`` match a family);
    #: ``None``: any game
    games: ClassVar[tuple[str, ...] | None] = None

    @classmethod
    def plays(cls, env_id: str) -> bool:
        """Whether this agent can play ``env_id``."""
        return cls.games is None or any(env_id == g or (g.endswith("/") and env_id.startswith(g))
                                        for g in cls.games)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not isinstance(cls.classifier, Classifier):
            raise TypeError(f"{cls.__name__}.classifier must be a Classifier(...), got {cls.classifier!r}")
        if cls.name != "agent":
            _AGENTS[cls.name] = cls

    def __init__(self, seed: int | None = None) -> None:
        self.rng = np.random.default_rng(seed)

    def reset(self, seed: int | None = None) -> None:
        if seed is not None:
            self.rng = np.random.default_rng(seed)

    def act(self, observation: np.ndarray, action_mask: np.ndarray, state: Any = None) -> int:
        raise NotImplementedError

    def _need_state(self, state: Any) -> Any:
        if state is None:
            raise ValueError(f"{type(self).__name__} searches the game tree: pass state=the kernel State")
        return state

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


#: modules whose import defines agent classes: the generic ones here, and the modules each
#: family adds with :func:`register_agent_module` when it registers its games
_AGENT_MODULES: list[str] = [
    "oversight_gym.agents.random_agent",
    "oversight_gym.agents.search",
    "oversight_gym.agents.learning",
    "oversight_gym.agents.llm",
]


def register_agent_module(*modules: str) -> None:
    """Declare modules that define agent classes (imported the first time agents are listed,
    so a family's agents are found without importing them at start-up)."""
    for module in modules:
        if module not in _AGENT_MODULES:
            _AGENT_MODULES.append(module)


def registered_agents() -> dict[str, type[BaseAgent]]:
    """Name -> class of every registered agent (every module declared with
    :func:`register_agent_module` is imported first)."""
    for module in list(_AGENT_MODULES):
        importlib.import_module(module)
    return dict(sorted(_AGENTS.items()))


def _trait(cls: type[BaseAgent], key: str) -> Any:
    return cls.requires_state if key == "requires_state" else getattr(cls.classifier, key)


def filter_agents(env_id: str | None = None, **criteria: Any) -> list[type[BaseAgent]]:
    """Agent classes whose classifier (or ``requires_state``) matches every ``key=value``
    given, and that play ``env_id`` if given."""
    keys = (*CLASSIFIER_KEYS, "requires_state")
    for key in criteria:
        if key not in keys:
            raise ValueError(f"{key!r} is not a classifier key; keys are {list(keys)}")
    return [c for c in registered_agents().values() if all(_trait(c, k) == v for k, v in criteria.items())
            and (env_id is None or c.plays(env_id))]


def make_agent(name: str, **kwargs: Any) -> BaseAgent:
    agents = registered_agents()
    if name not in agents:
        raise ValueError(f"agent must be one of {sorted(agents)}, got {name!r}")
    return agents[name](**kwargs)
