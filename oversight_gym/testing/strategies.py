"""Hypothesis strategies for property tests of games, judges, protocols and agents.

The strategies build valid inputs by construction, so a property test spends its
examples on the property, not on rejected draws:

* :func:`seeds`: seeds for ``reset(seed=...)`` and ``numpy.random.default_rng``;
* :func:`game_kwargs`: configurations of a registered game, drawn from the parameter
  space its registration declares (``register(..., space=...)``); :func:`batch_configs`
  those of a batch engine registered with a game;
* :func:`wild_values` and :func:`fuzz_kwargs`: values of a declared parameter in range, on
  and past its bounds, infinite, NaN, of the wrong type and huge, for fuzzing a game's
  validation (:mod:`oversight_gym.core.params`);
* :func:`agents`: seeded scripted agents that play from observations alone;
* :func:`policies`: shrinkable policies that pick among the legal actions, so a
  failing game shrinks to the simplest line of play that breaks it.

Example, a property of the pixel debate over random configurations and random play::

    from hypothesis import given, settings, strategies as st
    import oversight_gym
    from oversight_gym.testing import rollout
    from oversight_gym.testing.strategies import game_kwargs, policies, seeds

    @settings(max_examples=10, deadline=None)
    @given(kwargs=game_kwargs("debate/pixels-v0", payoff=None), policy=policies(), seed=seeds())
    def test_returns_sum_to_zero(kwargs, policy, seed):
        env = oversight_gym.make("debate/pixels-v0", **kwargs)
        rollout(env, policy, seed=seed)
        assert abs(env.unwrapped.game_state.returns().sum()) < 1e-9
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from oversight_gym.core import params as P
from oversight_gym.core.protocols import Classifier
from oversight_gym.core.registry import spec

__all__ = ["ChoicePolicy", "agents", "batch_configs", "fuzz_kwargs", "game_kwargs", "policies", "seeds",
           "space_kwargs", "wild_values"]

#: Largest seed drawn (numpy and PettingZoo accept any non-negative int; 32 bits is plenty).
MAX_SEED = 2**32 - 1


def seeds() -> SearchStrategy[int]:
    """Seeds in ``[0, 2**32 - 1]``; shrinks towards 0.

    >>> from hypothesis import given
    >>> from oversight_gym.testing.strategies import seeds
    >>> @given(seed=seeds())
    ... def test_reset_accepts_any_seed(seed): ...
    """
    return st.integers(min_value=0, max_value=MAX_SEED)


def _dimension(dim: list[Any] | tuple[int, int]) -> SearchStrategy[Any]:
    if isinstance(dim, tuple):
        return st.integers(min_value=dim[0], max_value=dim[1])
    return st.sampled_from(dim)


def _admits(dim: list[Any] | tuple[int, int] | None, value: Any) -> bool:
    """Whether a fixed ``value`` lies in a declared dimension (absent dimensions admit anything)."""
    if dim is None:
        return True
    if isinstance(dim, tuple):
        return _is_int(value) and dim[0] <= value <= dim[1]
    return any(_same(value, v) for v in dim)


def _is_int(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


def _same(a: Any, b: Any) -> bool:
    """Equal values of the same kind (``True`` is not ``1``; ``np.int64(3)`` is ``3``)."""
    if a is b:
        return True
    if _is_int(a) and _is_int(b):
        return int(a) == int(b)
    try:
        return type(a) is type(b) and bool(a == b)
    except (TypeError, ValueError):  # arrays and other values without a truth value
        return False


def _check_names(env_id: str, names: set[str]) -> None:
    """Every name must be a parameter of the game factory (unless it takes ``**kwargs``)."""
    factory = spec(env_id).game_factory()
    try:
        params = inspect.signature(factory).parameters
    except (TypeError, ValueError):  # builtins and some callables have no signature
        return
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return
    unknown = sorted(names - set(params))
    if unknown:
        raise ValueError(f"{env_id}: {unknown} are not parameters of its game; parameters are {sorted(params)}")


def space_kwargs(space: Sequence[dict[str, Any]]) -> SearchStrategy[dict[str, Any]]:
    """Configurations drawn from a declared space (a union of product spaces, as a
    registration declares it): one branch, then one value (or int in a range) per parameter."""
    return st.one_of([st.fixed_dictionaries({k: _dimension(d) for k, d in branch.items()})
                      for branch in (space or ({},))])


def batch_configs(env_id: str, engine: str) -> SearchStrategy[dict[str, Any]]:
    """Configurations of a registered batch engine of ``env_id``, drawn from its declared space."""
    return space_kwargs(spec(env_id).batch_engine(engine).space)


def game_kwargs(env_id: str, **fixed: Any) -> SearchStrategy[dict[str, Any]]:
    """Valid keyword arguments for ``oversight_gym.make(env_id, **kwargs)``.

    Draws from the parameter space declared by ``register(env_id, ..., space=...)``: one
    value (or int in a range) per declared parameter, within one branch of the space, so
    every draw is valid by construction. Parameters the space leaves out keep the
    registration's defaults (they are not in the drawn dict). A game that declares no
    space yields ``{}``, its defaults, plus ``fixed``.

    ``fixed`` pins parameters to a value or to a strategy of your own. A fixed value
    restricts the draw to the branches of the space that admit it (``precommit=False``
    selects the pixel debate's branch without precommit); a value that no branch declares
    is taken as given in every branch, and then the caller answers for its validity.
    Parameter names that the game does not take raise ``ValueError``. A drawn parameter
    that does not apply once ``fixed`` is taken into account (its declared ``when=`` is
    false) is left out. The draw shrinks towards the first value of each list.

    >>> from hypothesis import given, settings
    >>> import oversight_gym
    >>> from oversight_gym.testing.strategies import game_kwargs
    >>> @settings(max_examples=5, deadline=None)
    ... @given(kwargs=game_kwargs("debate/pixels-v0", precommit=False))
    ... def test_builds(kwargs):
    ...     assert oversight_gym.make_game("debate/pixels-v0", **kwargs).precommit is False
    """
    s = spec(env_id)  # KeyError naming the registered ids if unknown
    branches = s.space or ({},)
    _check_names(env_id, {name for branch in branches for name in branch} | set(fixed))
    compatible = list(branches)
    for k, v in fixed.items():
        if isinstance(v, SearchStrategy):
            continue
        admitting = [b for b in compatible if _admits(b.get(k), v)]
        if admitting:  # a value outside every branch is the caller's override: all branches take it
            compatible = admitting
    options = []
    for branch in compatible:
        parts: dict[str, SearchStrategy[Any]] = {k: _dimension(d) for k, d in branch.items() if k not in fixed}
        for k, v in fixed.items():
            parts[k] = v if isinstance(v, SearchStrategy) else st.just(v)
        options.append(st.fixed_dictionaries(parts))
    decl = s.parameters()
    if decl is None:
        return st.one_of(options)
    defaults = s.defaults()

    def applicable(kwargs: dict[str, Any]) -> dict[str, Any]:
        """Drop the drawn parameters that the fixed ones make inapplicable (a space's
        ``judge_hidden`` once ``judge=`` is fixed): giving them would be an error."""
        config = {**defaults, **kwargs}
        return {k: v for k, v in kwargs.items() if k in fixed or k not in decl.params
                or decl.params[k].when is None or decl.params[k].when(config)}

    return st.one_of(options).map(applicable)


def agents(names: Sequence[str] | None = None, *, env_id: str | None = None,
           include_learners: bool = False) -> SearchStrategy[Any]:
    """Seeded agents from ``oversight_gym.agents.registered_agents()`` that play from the
    observation and action mask alone (``requires_state`` is false).

    ``names`` restricts the draw to those agents (each must exist and need no state);
    ``env_id`` to the agents that play that game (agents written for other games declare
    it in ``games``).
    Learning agents are left out unless ``include_learners``: untrained, they are just
    another policy, and their constructors may need more than a seed.

    >>> from hypothesis import given
    >>> from oversight_gym.testing.strategies import agents
    >>> @given(opponent=agents(["random"]))
    ... def test_any_opponent(opponent):
    ...     assert opponent.act([0.0], [0, 1, 0]) == 1
    """
    from oversight_gym.agents import registered_agents

    registry = registered_agents()

    def eligible(cls: type) -> bool:
        return (not cls.requires_state and (include_learners or not cls.classifier.learns)
                and (env_id is None or cls.plays(env_id)))

    if names is None:
        chosen = [n for n, cls in registry.items() if eligible(cls)]
        if not chosen:
            raise ValueError("no registered agent plays without the kernel state"
                             + (f" on {env_id}" if env_id else ""))
    else:
        chosen = list(names)
        if not chosen:
            raise ValueError("names must not be empty")
        for n in chosen:
            if n not in registry:
                raise ValueError(f"names: {n!r} is not a registered agent; agents are {sorted(registry)}")
            if not eligible(registry[n]):
                raise ValueError(
                    f"names: agent {n!r} is not drawn: it needs the kernel state or learns "
                    f"(requires_state={registry[n].requires_state}, {registry[n].classifier})"
                )
    return st.builds(lambda name, seed: registry[name](seed=seed), st.sampled_from(chosen), seeds())


class ChoicePolicy:
    """A policy that plays the legal action numbered ``choices[t] % len(legal)`` at its t-th
    move, and the first legal action once the choices run out.

    It follows the :class:`~oversight_gym.core.protocols.Agent` protocol. Drawn by
    :func:`policies`, it shrinks towards "always the first legal action", so hypothesis
    reports the simplest play that breaks a property. ``reset()`` rewinds it.
    """

    name = "choices"
    classifier = Classifier(deterministic=True)

    def __init__(self, choices: Sequence[int] = ()) -> None:
        self.choices = [int(c) for c in choices]
        self._t = 0

    def reset(self, seed: int | None = None) -> None:
        self._t = 0

    def act(self, observation: Any, action_mask: Any, state: Any = None) -> int:
        legal = np.flatnonzero(np.asarray(action_mask))
        if len(legal) == 0:
            raise ValueError("action_mask has no legal action")
        c = self.choices[self._t] if self._t < len(self.choices) else 0
        self._t += 1
        return int(legal[c % len(legal)])

    def __repr__(self) -> str:
        return f"ChoicePolicy({self.choices})"


def policies(max_moves: int = 128) -> SearchStrategy[ChoicePolicy]:
    """Shrinkable policies over the legal actions (see :class:`ChoicePolicy`).

    One policy may play every seat (each move consumes the next choice), or draw one per
    seat.

    >>> from hypothesis import given
    >>> from oversight_gym.testing.strategies import policies
    >>> @given(policy=policies())
    ... def test_policy_is_legal(policy):
    ...     assert policy.act(None, [0, 1, 1]) in (1, 2)
    """
    return st.lists(st.integers(min_value=0, max_value=2**16), max_size=max_moves).map(ChoicePolicy)


#: values of no declared type: each parameter must refuse them (unless it accepts anything)
_ALIENS = (None, "bogus", [], {}, object())


def _wild_numbers(low: float | None, high: float | None, integer: bool) -> SearchStrategy[Any]:
    """Numbers in a range, on and just past its bounds, far past them, and huge."""
    lo = -1e6 if low is None else low
    hi = lo + 1e6 if high is None else high
    edges = [v for v in (low, high) if v is not None]
    if integer:
        inside = st.integers(int(lo), int(min(hi, lo + 16)))  # small sizes: games stay cheap
        past = [int(v) + d for v in edges for d in (-1, 1)]
        huge = [10**6, 10**12, 2**63, -1, -(10**12)]
        odd = [2.5, float(lo), float("nan"), True, np.int64(int(lo)), str(int(lo))]
    else:
        inside = st.floats(lo, hi, allow_nan=False, allow_infinity=False)
        past = [v + d for v in edges for d in (-1e-9, 1e-9, -1.0, 1.0)]
        huge = [1e300, -1e300, 1e12, -1.0]
        odd = [float("inf"), float("-inf"), float("nan"), True, np.float32(lo), np.int64(int(lo)), str(lo)]
    return st.one_of(inside, st.sampled_from(edges or [lo]), st.sampled_from(past or [lo - 1]),
                     st.sampled_from(huge), st.sampled_from(odd))


def wild_values(param: P.Param, valid: Sequence[Any] = ()) -> SearchStrategy[Any]:
    """Values for fuzzing one declared parameter (see :mod:`oversight_gym.core.params`): in range,
    on the bounds and just past them, far past them, infinite, NaN, negative, of the wrong
    type (a bool for an int, a string for a number) and huge; ``valid`` adds known-good values
    (e.g. those a registration's space declares). Most draws are invalid: the property is that
    the game refuses them by name or plays them to the end."""
    parts: list[SearchStrategy[Any]] = [st.sampled_from(_ALIENS)]
    if valid:
        parts.append(st.sampled_from(list(valid)))
    if isinstance(param, P.Int):
        parts.append(_wild_numbers(param.low, param.high, integer=True))
    elif isinstance(param, P.Real):
        numbers = _wild_numbers(param.low, param.high, integer=False)
        parts.append(numbers)
        if isinstance(param, P.Reals):
            parts.append(st.lists(numbers, min_size=0, max_size=4))
    elif isinstance(param, P.Choice):
        parts.append(st.sampled_from(param.values))
        parts.append(st.sampled_from([1, True, "X", *(str(v).upper() for v in param.values)]))
    elif isinstance(param, P.Bool):
        parts.append(st.sampled_from([True, False, np.bool_(True), 0, 1, "yes"]))
    elif isinstance(param, P.Text):
        parts.append(st.sampled_from(["", "no-such-name", "a:b,c=", 3]))
    return st.one_of(parts)


def fuzz_kwargs(env_id: str, max_changed: int = 2) -> SearchStrategy[tuple[dict[str, Any], list[str]]]:
    """``(kwargs, changed)``: a valid configuration of ``env_id`` drawn from its declared space,
    with up to ``max_changed`` declared parameters (``changed``) replaced by :func:`wild_values`.
    Needs the game's declared parameters (``PARAMS`` or ``register(..., params=...)``)."""
    s = spec(env_id)
    decl = s.parameters()
    if decl is None:
        raise ValueError(f"{env_id} declares no parameters to fuzz")
    valid: dict[str, list[Any]] = {}
    for branch in s.space:
        for k, dim in branch.items():
            vals = list(range(dim[0], dim[1] + 1)) if isinstance(dim, tuple) else dim
            valid.setdefault(k, []).extend(vals)

    @st.composite
    def build(draw: st.DrawFn) -> tuple[dict[str, Any], list[str]]:
        kwargs = dict(draw(space_kwargs(s.space)))
        changed = draw(st.lists(st.sampled_from(decl.names), min_size=1, max_size=max_changed, unique=True))
        for name in changed:
            kwargs[name] = draw(wild_values(decl.params[name], valid.get(name, ())), label=name)
        return kwargs, changed

    return build()
