"""What the views accept from their callers and when, the same in the PettingZoo AEC and
Parallel views and the Gymnasium single-agent view (the rules of ``core/view_checks.py``):

* an action is an integer in any form RL libraries give it (int, numpy integer, 0-d or
  one-element integer array); a value of another type is a bug in the caller and raises
  ``TypeError``, never a penalty;
* a seed is a non-negative integer, numpy integers included, everywhere;
* ``step()`` before ``reset()`` or after the episode ended raises ``ResetNeeded``;
* ``max_cycles`` is the truncation keyword (``max_steps`` a deprecated alias);
* every state has a picture, so ``rgb_array`` works for every game.
"""

from __future__ import annotations

from functools import partial
from types import SimpleNamespace

import gymnasium
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import oversight_gym
from oversight_gym.agents import RandomAgent
from oversight_gym.core.game import RGB_SHAPE, text_to_rgb
from oversight_gym.core.view_checks import ResetNeeded, action_index
from oversight_gym.testing import check_max_cycles, pettingzoo_module

PIXELS = "debate/pixels-v0"
SMALL = {"pixels": 4, "judge_steps": 300, "judge_hidden": 32}
PRICING = "collusion/pricing-v0"  # simultaneous moves
PRICING_SMALL = {"horizon": 3}

#: every form in which an integer action may come, built from a Python int
INTEGER_FORMS = {
    "int": int,
    "np.int64": np.int64,
    "np.int32": np.int32,
    "np.uint8": np.uint8,
    "0-d array (model.predict)": lambda a: np.array(a),
    "one-element array (a one-env VecEnv)": lambda a: np.array([a]),
    "0-d int32 array": lambda a: np.array(a, dtype=np.int32),
}
#: values that are no integer action at all
NOT_ACTIONS = [1.0, 2.5, np.float32(1), True, np.bool_(True), "1", np.array([1, 2]), np.array(1.0),
               np.array([[1]]), [1], object()]
NOT_ACTION_IDS = [f"{type(v).__name__}-{i}" for i, v in enumerate(NOT_ACTIONS)]  # stable across processes


def single(illegal_action: str = "penalty", **kwargs) -> gymnasium.Env:
    return oversight_gym.make_single_agent(PIXELS, "honest", RandomAgent(seed=0), illegal_action=illegal_action,
                                           **{**SMALL, **kwargs})


def first_legal(obs: dict) -> int:
    return int(np.flatnonzero(obs["action_mask"])[0])


# --- actions --------------------------------------------------------------------------------
@pytest.mark.parametrize("form", INTEGER_FORMS)
def test_action_index_takes_every_integer_form(form: str) -> None:
    value = action_index(INTEGER_FORMS[form](3))
    assert value == 3 and type(value) is int


@pytest.mark.parametrize("bad", NOT_ACTIONS, ids=NOT_ACTION_IDS)
def test_action_index_refuses_what_is_no_integer(bad: object) -> None:
    with pytest.raises(TypeError, match="action must be an integer"):
        action_index(bad)


@pytest.mark.parametrize("mode", ["penalty", "raise"])
@settings(max_examples=20, deadline=None)
@given(form=st.sampled_from(sorted(INTEGER_FORMS)), seed=st.integers(0, 2**16))
def test_single_agent_view_plays_a_legal_action_in_any_integer_form(mode: str, form: str, seed: int) -> None:
    """A move the mask allows is played, not penalised, whatever integer type carries it:
    the episode goes exactly as with plain ints."""
    plain, typed = single(mode), single(mode)
    obs, _ = plain.reset(seed=seed)
    typed.reset(seed=seed)
    done = False
    while not done:
        action = first_legal(obs)
        obs, reward, terminated, truncated, info = plain.step(action)
        out = typed.step(INTEGER_FORMS[form](action))
        assert not out[4].get("illegal_action") and out[1:4] == (reward, terminated, truncated)
        done = terminated or truncated
    assert typed.game_state.transcript_json() == plain.game_state.transcript_json()


@pytest.mark.parametrize("mode", ["penalty", "raise"])
@pytest.mark.parametrize("bad", NOT_ACTIONS, ids=NOT_ACTION_IDS)
def test_single_agent_view_refuses_a_wrong_type_without_a_penalty(mode: str, bad: object) -> None:
    env = single(mode)
    env.reset(seed=0)
    before = env.game_state.transcript_json()
    with pytest.raises(TypeError, match="action must be an integer"):
        env.step(bad)
    assert env.game_state.transcript_json() == before
    env.step(first_legal(env._obs()))  # the episode goes on


def test_an_illegal_integer_is_still_a_move_the_penalty_mode_penalises() -> None:
    env = single()
    obs, _ = env.reset(seed=0)
    illegal = int(np.flatnonzero(obs["action_mask"] == 0)[0])
    for action in (np.array(illegal), np.array([illegal]), np.int64(10_000)):
        env.reset(seed=0)
        _, reward, terminated, _, info = env.step(action)
        assert (reward, terminated, info) == (-1.0, True, {"illegal_action": True})


@pytest.mark.parametrize("form", INTEGER_FORMS)
def test_pettingzoo_views_take_every_integer_form(form: str) -> None:
    aec = oversight_gym.make(PRICING, **PRICING_SMALL)
    aec.reset(seed=0)
    for _agent in aec.agent_iter():
        obs, _, term, trunc, _ = aec.last()
        aec.step(None if term or trunc else INTEGER_FORMS[form](first_legal(obs)))
    par = oversight_gym.make_parallel(PIXELS, **SMALL)
    obs, _ = par.reset(seed=0)
    while par.agents:
        mover = next(a for a, o in obs.items() if o["action_mask"].any())
        obs, *_ = par.step({mover: INTEGER_FORMS[form](first_legal(obs[mover]))})


@pytest.mark.parametrize("bad", NOT_ACTIONS, ids=NOT_ACTION_IDS)
def test_pettingzoo_views_refuse_a_wrong_type(bad: object) -> None:
    aec = oversight_gym.make(PIXELS, **SMALL)
    aec.reset(seed=0)
    with pytest.raises(TypeError, match="action must be an integer"):
        aec.step(bad)
    par = oversight_gym.make_parallel(PRICING, **PRICING_SMALL)
    par.reset(seed=0)
    with pytest.raises(TypeError, match="action must be an integer"):
        par.step({a: bad for a in par.agents})


def test_the_parallel_view_takes_a_dict_of_actions() -> None:
    par = oversight_gym.make_parallel(PRICING, **PRICING_SMALL)
    par.reset(seed=0)
    with pytest.raises(TypeError, match=r"actions must be a dict \{agent: action\} .*got list"):
        par.step([0, 0])


def test_none_is_the_action_of_a_done_agent_only() -> None:
    env = oversight_gym.make(PIXELS, **SMALL)
    env.reset(seed=0)
    with pytest.raises(TypeError, match="'honest' must act now; None is the action of an agent that is done"):
        env.step(None)
    for _agent in env.agent_iter():  # PettingZoo's rule: done agents are stepped with None
        obs, _, term, trunc, _ = env.last()
        env.step(None if term or trunc else first_legal(obs))
    assert env.agents == []


# --- seeds ----------------------------------------------------------------------------------
def _first_observations(seed: object) -> list:
    aec = oversight_gym.make(PIXELS, **SMALL)
    aec.reset(seed=seed)
    par = oversight_gym.make_parallel(PIXELS, **SMALL)
    par_obs, _ = par.reset(seed=seed)
    gym_obs, _ = single().reset(seed=seed)
    return [aec.unwrapped.game_state.transcript_json(), par.game_state.transcript_json(), par_obs["honest"],
            gym_obs]


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**40), kind=st.sampled_from([np.int64, np.uint32, np.int16]))
def test_numpy_integer_seeds_are_the_same_seeds_in_every_view(seed: int, kind: type) -> None:
    seed = seed % (np.iinfo(kind).max + 1)
    plain, typed = _first_observations(seed), _first_observations(kind(seed))
    assert plain[:2] == typed[:2]
    for a, b in zip(plain[2:], typed[2:], strict=True):
        assert all(np.array_equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("bad,message", [(-1, r"seed must be in \[0, inf\], got -1"),
                                         (np.int64(-5), r"seed must be in \[0, inf\], got -5"),
                                         (2.0, "seed must be an integer, got 2.0"),
                                         (True, "seed must be an integer, got True"),
                                         ("3", "seed must be an integer, got '3'")])
def test_bad_seeds_get_the_same_error_in_every_view(bad: object, message: str) -> None:
    for env in (oversight_gym.make(PIXELS, **SMALL), oversight_gym.make_parallel(PIXELS, **SMALL), single()):
        with pytest.raises(ValueError, match=message):
            env.reset(seed=bad)


# --- reset options ----------------------------------------------------------------------------
def test_reset_options_are_the_same_in_every_view() -> None:
    """An option the game takes configures the episode; any other is left out with a warning
    that names it, pointing at the caller (a library's own options do not break the game)."""
    for env in (oversight_gym.make(PIXELS, **SMALL), oversight_gym.make_parallel(PIXELS, **SMALL), single()):
        env.reset(seed=0, options={"image_index": 5})
        assert env.game_state.image_index == 5
        with pytest.warns(UserWarning, match=r"reset option 'imag_index' is not used by .*'image_index'") as caught:
            env.reset(seed=0, options={"imag_index": 5, "image_index": 6})
        assert env.game_state.image_index == 6 and caught[0].filename == __file__


# --- the order of calls -----------------------------------------------------------------------
def test_step_before_reset_says_to_call_reset() -> None:
    for env, action in ((oversight_gym.make(PIXELS, **SMALL), 0), (oversight_gym.make_parallel(PIXELS, **SMALL),
                                                                   {"honest": 0}), (single(), 0)):
        with pytest.raises(ResetNeeded, match=r"call reset\(\) before step\(\)"):
            env.step(action)
    with pytest.raises(ResetNeeded, match=r"call reset\(\) before observe\(\)"):
        oversight_gym.make(PIXELS, **SMALL).observe("honest")
    # one error, catchable as Gymnasium's and as a RuntimeError
    assert issubclass(ResetNeeded, gymnasium.error.ResetNeeded) and issubclass(ResetNeeded, RuntimeError)


OVER = r"^the episode is over; call reset\(\) before step\(\)$"


def test_step_after_the_episode_says_it_is_over() -> None:
    """The same error and message in the three views."""
    aec = oversight_gym.make(PIXELS, **SMALL)
    aec.reset(seed=0)
    for _ in aec.agent_iter():
        obs, _, term, trunc, _ = aec.last()
        aec.step(None if term or trunc else first_legal(obs))
    with pytest.raises(ResetNeeded, match=OVER):
        aec.step(0)

    par = oversight_gym.make_parallel(PRICING, **PRICING_SMALL)
    par.reset(seed=0)
    while par.agents:
        par.step({a: 0 for a in par.agents})
    with pytest.raises(ResetNeeded, match=OVER):
        par.step({a: 0 for a in par.possible_agents})

    env = single()
    obs, _ = env.reset(seed=0)
    done = False
    while not done:
        obs, _, done, _, _ = env.step(first_legal(obs))
    with pytest.raises(ResetNeeded, match=OVER):
        env.step(0)
    env.reset(seed=0)
    env.step(10_000)  # an illegal move ends the episode with the penalty ...
    with pytest.raises(ResetNeeded, match=OVER):
        env.step(0)  # ... and then it is over too
    obs, _ = env.reset(seed=1)
    env.step(first_legal(obs))  # reset starts the next one


# --- max_cycles -----------------------------------------------------------------------------
def test_max_cycles_is_the_keyword_and_max_steps_a_deprecated_alias() -> None:
    assert oversight_gym.make(PIXELS, max_cycles=3, **SMALL).max_cycles == 3
    assert oversight_gym.make_parallel(PIXELS, max_cycles=3, **SMALL).max_cycles == 3
    with pytest.warns(DeprecationWarning, match="max_steps is deprecated: use max_cycles") as passed:
        env = oversight_gym.make(PIXELS, max_steps=2, **SMALL)
    assert passed[0].filename == __file__  # the warning points at the caller, not at the library
    with pytest.warns(DeprecationWarning, match="max_steps is deprecated: use max_cycles"):
        assert env.max_cycles == env.max_steps == 2
    with pytest.warns(DeprecationWarning, match="max_steps is deprecated"):
        assert oversight_gym.make_parallel(PIXELS, max_steps=2, **SMALL).max_cycles == 2
    with pytest.raises(ValueError, match="give max_cycles only"):
        oversight_gym.make(PIXELS, max_cycles=2, max_steps=2, **SMALL)
    for bad in (0, -1, 2.5):
        with pytest.raises(ValueError, match="max_cycles must be"):
            oversight_gym.make_parallel(PIXELS, max_cycles=bad, **SMALL)


def test_max_cycles_counts_each_agents_turns_and_empties_the_masks() -> None:
    """Pixel debate, 4 reveals (honest, liar, honest, liar) then the verdict: max_cycles=1 lets
    each debater reveal once; a truncated agent has no legal action left."""
    env = oversight_gym.make(PIXELS, max_cycles=1, **SMALL)
    env.reset(seed=0)
    turns = []
    for agent in env.agent_iter():
        obs, _, term, trunc, _ = env.last()
        if term or trunc:
            assert trunc and not term and not obs["action_mask"].any()
            env.step(None)
            continue
        turns.append(agent)
        env.step(first_legal(obs))
    assert turns == ["honest", "liar"]
    par = oversight_gym.make_parallel(PIXELS, max_cycles=3, **SMALL)
    obs, _ = par.reset(seed=0)
    for _ in range(3):
        mover = next(a for a, o in obs.items() if o["action_mask"].any())
        obs, _, terms, truncs, _ = par.step({mover: first_legal(obs[mover])})
    assert all(truncs.values()) and not any(terms.values()) and par.agents == []
    assert not any(o["action_mask"].any() for o in obs.values())


def test_check_max_cycles_catches_a_view_that_does_not_truncate_where_it_should() -> None:
    """The registry-wide truncation check can fail: an AEC view that allows one cycle more, and a
    Parallel view that ignores the bound, are caught."""
    good = pettingzoo_module(PIXELS, **SMALL)
    check_max_cycles(good, cycles=(1,))

    def one_more(max_cycles: int | None = None):
        return good.env(max_cycles=None if max_cycles is None else max_cycles + 1)

    with pytest.raises(AssertionError, match=r"max_cycles=1: the agents acted in the order"):
        check_max_cycles(SimpleNamespace(env=one_more, parallel_env=good.parallel_env), cycles=(1,))
    unbounded = SimpleNamespace(env=good.env, parallel_env=lambda max_cycles=None: good.parallel_env())
    with pytest.raises(AssertionError, match=r"max_cycles=1: the Parallel view lasted 4 steps"):
        check_max_cycles(unbounded, cycles=(1,))


# --- rendering ------------------------------------------------------------------------------
def test_the_default_picture_draws_the_text_the_same_way_every_time() -> None:
    a = text_to_rgb("honest reveals (3, 4)\nliar reveals (0, 1)")
    assert a.shape == RGB_SHAPE and a.dtype == np.uint8 and a.flags.c_contiguous
    assert np.array_equal(a, text_to_rgb("honest reveals (3, 4)\nliar reveals (0, 1)"))
    assert not np.array_equal(a, text_to_rgb("honest reveals (3, 5)\nliar reveals (0, 1)"))
    assert (text_to_rgb("") == 255).all()  # white, nothing written
    huge = text_to_rgb("\n".join("x" * 300 for _ in range(100)))  # wrapped and cut, not an error
    assert huge.shape == RGB_SHAPE and (huge < 255).any()


@pytest.mark.parametrize("text", ["pays $x^{ then $", r"a $\frac{$ b", "$a_b$"])
def test_the_default_picture_draws_dollar_signs_as_text(text: str) -> None:
    """A transcript is text, not mathtext: dollar signs and braces are drawn as they are
    (between two "$" matplotlib would typeset a formula, or raise on an unbalanced brace)."""
    picture = text_to_rgb(text)
    assert picture.shape == RGB_SHAPE and (picture < 255).any()
    assert not np.array_equal(picture, text_to_rgb(text.replace("$", "S")))


def test_render_modes_are_the_same_in_every_view() -> None:
    """The same modes, the same error for another one, the same warning without one."""
    for view in (partial(oversight_gym.make, PIXELS, **SMALL), partial(oversight_gym.make_parallel, PIXELS, **SMALL),
                 single):
        assert view().metadata["render_modes"] == ["ansi", "human", "rgb_array"]
        with pytest.raises(ValueError, match=r"^render_mode must be one of \['ansi', 'human', 'rgb_array'\]"):
            view(render_mode="video")
        env = view()
        env.reset(seed=0)
        with pytest.warns(UserWarning, match="render.. called without a render_mode") as caught:
            assert env.render() is None
        assert caught[0].filename == __file__


def test_single_agent_view_renders_in_every_mode_it_advertises(capsys: pytest.CaptureFixture) -> None:
    text = single(render_mode="ansi")
    text.reset(seed=0)
    assert isinstance(text.render(), str) and text.render()
    picture = single(render_mode="rgb_array")
    picture.reset(seed=0)
    assert picture.render().shape[2] == 3 and picture.render().dtype == np.uint8
    human = single(render_mode="human")
    obs, _ = human.reset(seed=0)
    human.step(first_legal(obs))
    assert human.render() is None
    printed = capsys.readouterr().out  # the state after reset, then after the step
    now = human.game_state.render_text() + "\n"
    assert printed.endswith(now) and len(printed) > len(now)
