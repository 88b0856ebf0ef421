"""Registry of environments: ``oversight_gym.make("debate/pixels-v0", **kwargs)``.

Each id is versioned (``family/name-vN``); a behaviour change bumps N. Registering here
also registers the AEC and Parallel views in PettingZoo's own registry, so
``pettingzoo.make("aec", "debate/pixels-v0")`` works too.

A registration may declare a parameter ``space``: the configurations that property tests
draw from (:func:`oversight_gym.testing.strategies.game_kwargs`). It is small and
declarative: a dict from parameter name to a **list** of values or a **tuple**
``(low, high)`` of ints (inclusive), meaning every combination is a valid configuration;
or a list of such dicts, their union, for parameters that constrain each other::

    register("toy/coin-check-v0", CoinCheckGame, "...", space={"cost": [0.0, 0.5, 2.0]})
    register("debate/pixels-v0", ..., space=[
        {"precommit": [True], "liar_label": ["random", "judge", "choose"]},
        {"precommit": [False]},
    ])

Parameters a space leaves out keep their defaults.

Each game declares its parameters (:mod:`oversight_gym.core.params`): type, range, choices,
when each applies and the constraints between them. A game class holds them as ``PARAMS``
and checks them itself, so that building the class directly checks the same rules; a
registration reuses them (or declares ``params=`` for a factory function). :func:`make_game`
refuses an unknown parameter name, listing the known ones.
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
from oversight_gym.core.params import Param, Params, defaults_of, validate
from oversight_gym.core.single_agent import SingleAgentEnv

_ID = re.compile(r"^[a-z][a-z0-9_]*/[a-z][a-z0-9_-]*-v\d+$")

#: One product space: parameter name -> list of values, or (low, high) inclusive int range.
Space = dict[str, list[Any] | tuple[int, int]]


def is_versioned_id(name: object) -> bool:
    """Whether ``name`` is a versioned id ``family/name-vN`` (lower case)."""
    return isinstance(name, str) and bool(_ID.match(name))


def _check_space(id: str, space: Space | list[Space] | tuple[Space, ...] | None) -> tuple[Space, ...]:
    """Validate a declared parameter space; return it as a tuple of product spaces."""
    if space is None:
        return ()
    branches = [space] if isinstance(space, dict) else space
    if not isinstance(branches, list | tuple) or not branches:
        raise ValueError(f"space of {id!r} must be a dict or a non-empty list of dicts, got {space!r}")
    out = []
    for b, branch in enumerate(branches):
        if not isinstance(branch, dict):
            raise ValueError(f"space of {id!r}: branch {b} must be a dict, got {branch!r}")
        checked: Space = {}
        for name, dim in branch.items():
            where = f"space of {id!r}: parameter {name!r}"
            if not isinstance(name, str) or not name.isidentifier():
                raise ValueError(f"space of {id!r}: parameter names must be identifiers, got {name!r}")
            if isinstance(dim, list):
                if not dim:
                    raise ValueError(f"{where}: the list of values is empty")
                checked[name] = list(dim)
            elif isinstance(dim, tuple):
                ok = (len(dim) == 2 and all(isinstance(v, int) and not isinstance(v, bool) for v in dim)
                      and dim[0] <= dim[1])
                if not ok:
                    raise ValueError(f"{where}: a tuple must be an int range (low, high) with low <= high, "
                                     f"got {dim!r}; use a list for a set of values")
                checked[name] = (int(dim[0]), int(dim[1]))
            else:
                raise ValueError(f"{where}: must be a list of values or a (low, high) int tuple, got {dim!r}")
        out.append(checked)
    return tuple(out)


#: how a batch engine's episodes must agree with the kernel's
AGREEMENTS = ("exact", "rate", "mean")


@dataclass(frozen=True)
class BatchEngine:
    """A vectorised engine that plays many episodes of a registered game, registered beside
    the game's kernel (as Gymnasium registers a vector implementation beside the scalar one).

    ``run`` (``"module:function"``) is ``run(config, seed, episodes) -> {field: array}``: one
    entry per episode for each outcome field. ``reference`` is
    ``reference(config, seed, episode) -> {field: value}``: the same episode played on the
    kernel (or on the kernel's own rule functions, written for reading). ``space`` declares
    the configurations the registry-wide check draws (same form as a game's space; it may
    include the agents' parameters the engine hard-codes). ``agreement`` is ``"exact"`` (every
    episode's fields equal, byte for byte) or ``"rate"`` (the engine draws its own random
    numbers, so only the distributions can agree: each field's mean over ``episodes``
    kernel episodes and ``batch_episodes`` engine episodes, within four standard errors) or
    ``"mean"`` (the engine returns each episode's expected value where the kernel realises its
    chance moves, so the distributions differ and only the means can agree: within four
    standard errors of the difference, each side's from its own variance).
    :func:`oversight_gym.testing.checks.check_batch_engine` is the check.
    """

    name: str
    description: str
    run: str | Callable[..., dict[str, Any]]
    reference: str | Callable[..., dict[str, Any]]
    space: Any
    agreement: str = "exact"
    episodes: int = 3
    batch_episodes: int = 0

    def __post_init__(self) -> None:
        if self.agreement not in AGREEMENTS:
            raise ValueError(f"batch engine {self.name!r}: agreement must be one of {list(AGREEMENTS)}, "
                             f"got {self.agreement!r}")
        object.__setattr__(self, "space", _check_space(f"batch engine {self.name}", self.space))
        if not self.space:
            raise ValueError(f"batch engine {self.name!r} declares no space: the registry-wide check draws from it")


@dataclass(frozen=True)
class EnvSpec:
    id: str
    game: str | Callable[..., Game]  # "module:Class" or a callable returning a Game
    description: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    #: Declared parameter space: a union of product spaces (empty: none declared).
    space: tuple[Space, ...] = ()
    #: Compiled search fast paths the family offers: kind (``"mcts"``, ``"minimax"``) ->
    #: ``"module:OBJECT"`` (see :mod:`oversight_gym.agents.search.mcts`).
    fast_paths: dict[str, str] = field(default_factory=dict)
    #: batch engines of the game (see :class:`BatchEngine`)
    batch: tuple[BatchEngine, ...] = ()
    #: the declared parameters when the registration gives them (a factory function); None:
    #: the game class's own ``PARAMS``, which its constructor checks
    params: Params | None = None

    def batch_engine(self, name: str) -> BatchEngine:
        for engine in self.batch:
            if engine.name == name:
                return engine
        raise KeyError(f"{self.id} has no batch engine {name!r}; engines: {[e.name for e in self.batch]}")

    def game_factory(self) -> Callable[..., Game]:
        return resolve(self.game)

    def parameters(self) -> Params | None:
        """The game's declared parameters: the registration's, else the factory's ``PARAMS``
        (None: the game declares none, e.g. a plug-in that predates declarations)."""
        if self.params is not None:
            return self.params
        found = getattr(self.game_factory(), "PARAMS", None)
        return found if isinstance(found, Params) else None

    def defaults(self) -> dict[str, Any]:
        """Every parameter's default: the declaration's, the factory's signature, the spec's kwargs."""
        decl = self.parameters()
        return {**(decl.defaults if decl else {}), **defaults_of(self.game_factory()), **self.kwargs}

    def validate(self, **kwargs: Any) -> dict[str, Any]:
        """The full configuration ``kwargs`` make (defaults filled in), checked against the
        declared parameters without building the game; raises ``ValueError`` naming the parameter."""
        decl = self.parameters()
        if decl is None:
            return {**self.defaults(), **kwargs}
        return validate(decl, {**self.kwargs, **kwargs}, self.defaults())


def resolve(target: Any) -> Any:
    """A ``"module:attribute"`` reference, imported; anything else is returned as it is."""
    if not isinstance(target, str):
        return target
    module, sep, attr = target.partition(":")
    if not sep or not module or not attr:
        raise ValueError(f"expected a reference 'module:attribute', got {target!r}")
    return getattr(importlib.import_module(module), attr)


_REGISTRY: dict[str, EnvSpec] = {}


def register(
    id: str,
    game: str | Callable[..., Game],
    description: str,
    kwargs: dict[str, Any] | None = None,
    space: Space | list[Space] | None = None,
    fast_paths: dict[str, str] | None = None,
    batch: list[BatchEngine] | tuple[BatchEngine, ...] = (),
    params: Params | dict[str, Param] | None = None,
    override: bool = False,
) -> None:
    """Register a game under a versioned id (``family/name-vN``).

    An id already registered for another game is an error, so that a plug-in cannot
    silently replace a built-in game; ``override=True`` says the replacement is meant.
    Registering the same game again (a module imported twice) changes nothing.

    ``kwargs`` are defaults for the game factory; ``space`` declares the configurations
    property tests draw from (see the module docstring); ``fast_paths`` names the compiled
    search paths the family offers for the game (kind -> ``"module:OBJECT"``); ``batch``
    lists its batch engines (:class:`BatchEngine`), which one registry-wide check holds to
    the kernel. ``params`` declares the parameters of a factory function
    (:mod:`oversight_gym.core.params`); a game class declares its own as ``PARAMS``.
    """
    if not is_versioned_id(id):
        raise ValueError(f"id must look like 'family/name-vN' (lower case), got {id!r}")
    for kind, target in (fast_paths or {}).items():
        if not isinstance(target, str) or ":" not in target:
            raise ValueError(f"fast_paths of {id!r}: {kind!r} must name 'module:OBJECT', got {target!r}")
    names = [e.name for e in batch]
    if len(set(names)) != len(names) or not all(isinstance(e, BatchEngine) for e in batch):
        raise ValueError(f"batch of {id!r}: give BatchEngine objects with distinct names, got {names}")
    if params is not None and not isinstance(params, Params):
        params = Params(params)
    if id in _REGISTRY and not override and _REGISTRY[id].game != game:
        raise ValueError(f"{id!r} is already registered for {_REGISTRY[id].game!r}; choose another id (a new "
                         f"version, or another family), or pass override=True to replace it with {game!r}")
    spec = EnvSpec(id, game, description, dict(kwargs or {}), _check_space(id, space), dict(fast_paths or {}),
                   tuple(batch), params)
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
    """The kernel game of ``id`` with the spec's defaults overridden by ``kwargs``.

    The parameters are checked against the game's declaration first: an unknown name is an
    error listing the known ones. A game class checks the values in its constructor (the
    same rules as building it directly); a factory function registered with ``params=`` is
    checked here."""
    s = spec(id)
    decl = s.parameters()
    if decl is not None:
        decl.check_names(kwargs)
        if s.params is not None:
            kwargs = {k: v for k, v in s.validate(**kwargs).items() if k in kwargs or k in s.kwargs}
    return s.game_factory()(**{**s.kwargs, **kwargs})


def make(id: str, render_mode: str | None = None, max_cycles: int | None = None, max_steps: int | None = None,
         **kwargs: Any) -> KernelAECEnv:
    """The PettingZoo AEC view of a registered game; ``kwargs`` configure the game.
    ``max_cycles`` truncates the episode once an agent would act more often than that
    (PettingZoo's keyword; ``max_steps`` is its deprecated former name)."""
    return KernelAECEnv(make_game(id, **kwargs), render_mode=render_mode, max_cycles=max_cycles, max_steps=max_steps)


def make_parallel(id: str, render_mode: str | None = None, max_cycles: int | None = None,
                  max_steps: int | None = None, **kwargs: Any) -> KernelParallelEnv:
    """The PettingZoo Parallel view of a registered game; ``kwargs`` configure the game.
    ``max_cycles`` truncates the episode after that many calls of ``step()`` (``max_steps``
    is its deprecated former name)."""
    return KernelParallelEnv(make_game(id, **kwargs), render_mode=render_mode, max_cycles=max_cycles,
                             max_steps=max_steps)


def make_single_agent(id: str, learner: str, opponents: Any, illegal_action: str = "penalty",
                      render_mode: str | None = None, illegal_penalty: float = -1.0, **kwargs: Any) -> SingleAgentEnv:
    """The Gymnasium single-agent view: ``learner`` plays, ``opponents`` fill the other seats
    (see :class:`~oversight_gym.core.single_agent.SingleAgentEnv` for ``illegal_action``
    and ``illegal_penalty``); ``kwargs`` configure the game."""
    return SingleAgentEnv(make_game(id, **kwargs), learner, opponents, illegal_action=illegal_action,
                          illegal_penalty=illegal_penalty, render_mode=render_mode)


#: the entry-point group through which other installed packages add games (and their
#: agents): each entry point names a module whose import registers them, or a callable that does
ENTRY_POINT_GROUP = "oversight_gym.envs"
_PLUGINS_LOADED: set[str] = set()


def load_plugins() -> list[str]:
    """Load every entry point of the ``oversight_gym.envs`` group not loaded yet (importing
    ``oversight_gym`` does this); returns the names loaded now. A plug-in that fails to load
    is skipped with a warning naming it, so that one broken package does not break the others."""
    import importlib.metadata
    import warnings

    loaded = []
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        key = f"{ep.name}={ep.value}"
        if key in _PLUGINS_LOADED:
            continue
        _PLUGINS_LOADED.add(key)
        try:
            obj = ep.load()
            if callable(obj):
                obj()
        except Exception as err:  # noqa: BLE001 - any failure of someone else's package
            warnings.warn(f"games plug-in {key!r} (entry-point group {ENTRY_POINT_GROUP}) was skipped: "
                          f"{type(err).__name__}: {err}", stacklevel=2)
            continue
        loaded.append(ep.name)
    return loaded
