"""Every registered game, fuzzed through its declared parameters.

Rule: whatever a user passes, ``oversight_gym.make`` either refuses it with a ``ValueError``
or ``TypeError`` that names a parameter they changed, or builds a game that random legal play
takes to the end with finite returns. A configuration whose declared cost is large is only
validated, not played, so the file stays fast.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import oversight_gym
from oversight_gym.agents import RandomAgent
from oversight_gym.core.episode import play_episode
from oversight_gym.core.registry import spec
from oversight_gym.testing.strategies import fuzz_kwargs

IDS = oversight_gym.registered_ids()
#: largest declared cost (about elementary operations) of a configuration that is played
COST_LIMIT = 3e7
#: longest episode played (random play; the games' own bounds are far larger)
MAX_MOVES = 2_000


def _names_a_changed_parameter(err: Exception, changed: list[str]) -> bool:
    return any(name in str(err) for name in changed)


@pytest.mark.parametrize("env_id", IDS)
def test_make_refuses_by_name_or_plays_to_a_finite_end(env_id: str) -> None:
    """The first configuration of the declared space, unchanged, is always among the draws and
    must be played: a game that refused every draw, or whose declared space is too costly or too
    long to play, would otherwise pass without playing anything."""
    played: list[dict] = []
    first = _first_of_space(spec(env_id).space)

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(case=fuzz_kwargs(env_id), seed=st.integers(0, 2**32 - 1))
    @example(case=(first, []), seed=0)
    def refuses_by_name_or_plays(case: tuple[dict, list[str]], seed: int) -> None:
        kwargs, changed = case
        s = spec(env_id)
        try:
            config = s.validate(**kwargs)
        except (ValueError, TypeError) as err:
            assert _names_a_changed_parameter(err, changed), f"{err} names none of {changed}"
            with pytest.raises(type(err)):  # make refuses it too, before building anything
                oversight_gym.make_game(env_id, **kwargs)
            return
        decl = s.parameters()
        if decl is not None and decl.cost is not None and decl.cost(config) > COST_LIMIT:
            return  # valid but large: validated only
        try:
            game = oversight_gym.make_game(env_id, **kwargs)
        except (ValueError, TypeError) as err:  # a check only the built game can make (e.g. pixels > the images')
            assert _names_a_changed_parameter(err, changed), f"{err} names none of {changed}"
            return
        length = game.max_game_length()
        if length is not None and length > MAX_MOVES:
            return
        state = play_episode(game, [RandomAgent() for _ in range(game.num_players)], seed=seed)
        assert state.is_terminal()
        returns = np.asarray(state.returns(), dtype=np.float64)
        assert np.all(np.isfinite(returns)), f"{env_id} {kwargs}: returns {returns}"
        played.append(kwargs)

    refuses_by_name_or_plays()
    assert first in played, f"{env_id}: {first} was not played (refused, or cost or length over the test's limits)"


def _first_of_space(space: tuple) -> dict:
    """The configuration a space's draws shrink to: each parameter's first value in the first branch."""
    return {k: dim[0] for k, dim in (space or ({},))[0].items()}


@pytest.mark.parametrize("env_id", IDS)
def test_a_parameter_that_does_not_apply_is_refused(env_id: str) -> None:
    """Each conditional parameter (``when=``), given a value other than its default where its
    condition is false, is refused with a message saying when it applies."""
    s = spec(env_id)
    decl = s.parameters()
    defaults = s.defaults()
    for name, param in decl.params.items():
        if param.when is None:
            continue
        base = _config_where_false(s, param.when)
        if base is None:
            continue
        other = _another_value(param, defaults.get(name))
        with pytest.raises(ValueError, match=f"{name} applies only when"):
            s.validate(**base, **{name: other})


def _config_where_false(s, cond):  # noqa: ANN001, ANN202 - test helper
    """A configuration from the declared space (or the defaults) where ``cond`` is false."""
    defaults = s.defaults()
    for branch in s.space or ({},):
        for name, dim in branch.items():
            values = list(range(dim[0], dim[1] + 1)) if isinstance(dim, tuple) else dim
            for v in values:
                config = {name: v}
                if not cond({**defaults, **config}):
                    return config
    return {} if not cond(defaults) else None


def _another_value(param, default):  # noqa: ANN001, ANN202 - test helper
    from oversight_gym.core import params as P

    if isinstance(param, P.Choice):
        return next(v for v in param.values if v != default)
    if isinstance(param, P.Int):
        low = 0 if param.low is None else param.low
        return low if default != low else low + 1
    if isinstance(param, P.Real):
        low = 0.0 if param.low is None else param.low
        high = low + 1.0 if param.high is None else param.high
        mid = (low + high) / 2
        return mid if default is None or not math.isclose(default, mid) else low
    return object()
