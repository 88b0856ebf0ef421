"""Every registered environment, over configurations drawn from the parameter space its
registration declares: PettingZoo's API tests, our seed test over whole episodes, zero-sum
returns where the payoff is zero-sum, PettingZoo's registry, its render, max-cycles and
parallel seed tests, truncation by ``max_cycles``, Gymnasium's check_env on every seat's
single-agent view, a Stable-Baselines3 ``model.predict`` loop on it, and every batch engine
registered beside a kernel held to that kernel. A game registered later is covered without
a line of test code."""

from __future__ import annotations

import statistics
from functools import partial
from typing import Any

import numpy as np
import pettingzoo
import pytest
from gymnasium.utils.env_checker import data_equivalence
from hypothesis import given, settings
from hypothesis import strategies as st
from pettingzoo.test import max_cycles_test, parallel_api_test, parallel_seed_test, render_test

import oversight_gym
from oversight_gym.agents import RandomAgent
from oversight_gym.core.registry import BatchEngine, register, spec
from oversight_gym.testing import (
    check_batch_engine,
    check_determinism,
    check_env_contract,
    check_max_cycles,
    check_single_agent_view,
    check_zero_sum,
    pettingzoo_module,
    rollout,
)
from oversight_gym.testing.strategies import game_kwargs, seeds, space_kwargs

IDS = oversight_gym.registered_ids()
EXAMPLES = settings(max_examples=12, deadline=None)


@pytest.mark.parametrize("env_id", IDS)
def test_registration_is_complete(env_id: str) -> None:
    s = spec(env_id)
    assert s.id == env_id and s.description
    assert env_id in pettingzoo.aec_registry and env_id in pettingzoo.parallel_registry
    assert s.space, f"{env_id} declares no parameter space: register(..., space=...) so property tests cover it"


@pytest.mark.parametrize("env_id", IDS)
@EXAMPLES
@given(data=st.data())
def test_env_contract_and_pettingzoo_api_test(env_id: str, data: st.DataObject) -> None:
    kwargs = data.draw(game_kwargs(env_id), label="kwargs")
    env_fn = partial(oversight_gym.make, env_id, **kwargs)
    assert env_fn().metadata["name"] == env_id
    check_env_contract(env_fn, num_cycles=100, episodes=2)  # runs PettingZoo's api_test first


@pytest.mark.parametrize("env_id", IDS)
@EXAMPLES
@given(data=st.data())
def test_parallel_api_test(env_id: str, data: st.DataObject) -> None:
    kwargs = data.draw(game_kwargs(env_id), label="kwargs")
    parallel_api_test(oversight_gym.make_parallel(env_id, **kwargs), num_cycles=100)


@pytest.mark.parametrize("env_id", IDS)
@EXAMPLES
@given(data=st.data())
def test_same_seed_same_episodes(env_id: str, data: st.DataObject) -> None:
    kwargs = data.draw(game_kwargs(env_id), label="kwargs")
    check_determinism(partial(oversight_gym.make, env_id, **kwargs), seeds=(0, 1), episodes=2)


@pytest.mark.parametrize("env_id", IDS)
@EXAMPLES
@given(data=st.data())
def test_zero_sum_games_sum_to_zero(env_id: str, data: st.DataObject) -> None:
    kwargs = data.draw(game_kwargs(env_id), label="kwargs")
    if not oversight_gym.make_game(env_id, **kwargs).payoff.zero_sum:
        return  # a general-sum configuration (e.g. a collusion side payment): nothing to check
    check_zero_sum(partial(oversight_gym.make, env_id, **kwargs), episodes=3)


@pytest.mark.parametrize("env_id", IDS)
@settings(max_examples=2, deadline=None)
@given(data=st.data())
def test_pettingzoo_make(env_id: str, data: st.DataObject) -> None:
    kwargs: dict[str, Any] = data.draw(game_kwargs(env_id), label="kwargs")
    aec = pettingzoo.make("aec", env_id, **kwargs)
    assert isinstance(aec, pettingzoo.AECEnv) and aec.metadata["name"] == env_id
    episode = rollout(aec, RandomAgent(), seed=0)
    assert aec.agents == [] and episode.steps > 0
    par = pettingzoo.make("parallel", env_id, **kwargs)
    assert isinstance(par, pettingzoo.ParallelEnv)
    obs, _ = par.reset(seed=0)
    assert set(obs) == set(par.possible_agents)


@pytest.mark.parametrize("env_id", IDS)
@settings(max_examples=3, deadline=None)
@given(data=st.data())
def test_single_agent_views_pass_gymnasium_check_env(env_id: str, data: st.DataObject) -> None:
    """Every seat of every registered game, as a Gymnasium env against random opponents."""
    kwargs: dict[str, Any] = data.draw(game_kwargs(env_id), label="kwargs")
    seats = oversight_gym.make_game(env_id, **kwargs).player_names
    seat = data.draw(st.sampled_from(seats), label="seat")
    opponents = {s: RandomAgent(seed=i) for i, s in enumerate(seats) if s != seat}
    check_single_agent_view(oversight_gym.make_single_agent(env_id, seat, opponents, **kwargs))


@pytest.mark.parametrize("env_id", IDS)
def test_game_modules_offer_pettingzoo_factories(env_id: str) -> None:
    """Each game's module has env(), raw_env() and parallel_env(), as PettingZoo's own do."""
    import importlib

    target = spec(env_id).game
    if not isinstance(target, str):
        pytest.skip("registered with a callable, not a module")
    module_name, _, cls_name = target.partition(":")
    module = importlib.import_module(module_name)
    assert hasattr(module, "env"), f"{module_name} has no env(): add env, raw_env, parallel_env = " \
                                   f"pettingzoo_factories({cls_name})"
    if getattr(module.raw_env, "game_cls", None) is not getattr(module, cls_name):
        pytest.skip(f"{module_name}'s factories are for another of its games")
    s = spec(env_id)
    kwargs = {**s.kwargs, **{k: v[0] for k, v in s.space[0].items() if isinstance(v, list | tuple)}}
    aec, par = module.env(**kwargs), module.parallel_env(**kwargs)
    assert isinstance(aec, pettingzoo.AECEnv) and isinstance(par, pettingzoo.ParallelEnv)
    assert module.raw_env(**kwargs).metadata["name"] == env_id


# --- PettingZoo's render, max-cycles and parallel seed tests ----------------------------------------
@pytest.mark.parametrize("env_id", IDS)
@settings(max_examples=2, deadline=None)
@given(data=st.data())
def test_pettingzoo_render_test(env_id: str, data: st.DataObject) -> None:
    """Every advertised render mode works: ansi text, human printing, an rgb_array picture."""
    kwargs = data.draw(game_kwargs(env_id), label="kwargs")
    assert set(oversight_gym.make(env_id, **kwargs).metadata["render_modes"]) == {"ansi", "human", "rgb_array"}
    render_test(partial(oversight_gym.make, env_id, **kwargs))


@pytest.mark.parametrize("env_id", IDS)
@EXAMPLES
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_max_cycles_truncates_where_pettingzoo_says(env_id: str, data: st.DataObject, seed: int) -> None:
    """No agent acts more than max_cycles times; the episode is truncated exactly when that cuts it
    short, with empty action masks; the Parallel view lasts at most max_cycles steps."""
    kwargs = data.draw(game_kwargs(env_id), label="kwargs")
    check_max_cycles(pettingzoo_module(env_id, seed=seed, **kwargs))


def _candidate_configs(env_id: str) -> list[dict[str, Any]]:
    """A few configurations from the declared space: each branch's first values, then each
    parameter's other values (or range ends) one at a time."""
    out = []
    for branch in spec(env_id).space:
        first = {k: v[0] for k, v in branch.items()}
        out.append(first)
        out += [{**first, k: x} for k, v in branch.items() for x in v[1:]]
        out.append({k: v[-1] for k, v in branch.items()})
    return out


def _fits_max_cycles_test(env_id: str, kwargs: dict[str, Any], max_cycles: int = 4) -> bool:
    """Whether PettingZoo's max_cycles_test can pass on this configuration: it counts on the
    Parallel view lasting max_cycles steps and, in the AEC view, on the median and the most
    active agent both acting max_cycles times before the game can end."""
    from oversight_gym.testing.checks import _aec_turns, _expected_turns, _parallel_length

    module = pettingzoo_module(env_id, **kwargs)
    turns, _, _ = _aec_turns(module.env(), 10_000)
    allowed, _ = _expected_turns(turns, max_cycles)
    counts = [allowed.count(a) for a in module.env().possible_agents]
    return (max(counts) == statistics.median(counts) == max_cycles
            and _parallel_length(module.parallel_env(), max_cycles)[0] == max_cycles)


@pytest.mark.parametrize("env_id", IDS)
def test_pettingzoo_max_cycles_test(env_id: str) -> None:
    """PettingZoo's own max_cycles_test, on a configuration of the game it can apply to."""
    for kwargs in _candidate_configs(env_id):
        if _fits_max_cycles_test(env_id, kwargs):
            max_cycles_test(pettingzoo_module(env_id, **kwargs))
            return
    pytest.skip(f"{env_id}: in no configuration tried do its agents act 4 times each before the game can end, "
                "as PettingZoo's max_cycles_test assumes; test_max_cycles_truncates_where_pettingzoo_says covers it")


@pytest.mark.parametrize("env_id", IDS)
@EXAMPLES
@given(data=st.data())
def test_pettingzoo_parallel_seed_test(env_id: str, data: st.DataObject) -> None:
    """PettingZoo's parallel_seed_test, then the same rule over whole episodes (PettingZoo's stops
    after the first step: it tests ``any()`` of a dict's keys): two Parallel views reset with one
    seed and given the same actions return the same observations, rewards, ends and infos to the end."""
    kwargs = data.draw(game_kwargs(env_id), label="kwargs")
    module = pettingzoo_module(env_id, **kwargs)
    parallel_seed_test(module.parallel_env, num_cycles=50)
    seed = data.draw(seeds(), label="seed")
    first, second = module.parallel_env(), module.parallel_env()
    out, again = first.reset(seed=seed), second.reset(seed=seed)
    for step in range(10_000):
        assert data_equivalence(out, again), f"{env_id}, seed {seed}: the views differ after {step} steps"
        if not first.agents:
            break
        actions = {a: first.action_space(a).sample() for a in first.agents}
        out, again = first.step(actions), second.step(actions)
    assert not second.agents


# --- Stable-Baselines3 on the single-agent views ----------------------------------------------------
def _seats() -> list[tuple[str, str]]:
    return [(env_id, seat) for env_id in IDS
            for seat in oversight_gym.make_game(env_id, **_candidate_configs(env_id)[0]).player_names]


@pytest.mark.parametrize("env_id,seat", _seats())
def test_sb3_predict_drives_every_single_agent_view(env_id: str, seat: str) -> None:
    """Every game's single-agent view, from every seat: an untrained Stable-Baselines3 model's
    predictions (a 0-d array, or a one-element array as from a vectorised env) are taken as
    actions: a move the mask allows is played, never penalised; a move it forbids gets the
    penalty. With MaskablePPO every move is legal."""
    sb3 = pytest.importorskip("stable_baselines3")
    kwargs = _candidate_configs(env_id)[0]  # a small configuration: the space's first values
    seats = oversight_gym.make_game(env_id, **kwargs).player_names
    opponents = {s: RandomAgent(seed=i) for i, s in enumerate(s for s in seats if s != seat)}
    env = oversight_gym.make_single_agent(env_id, seat, opponents, **kwargs)
    model = sb3.PPO("MultiInputPolicy", env, n_steps=16, batch_size=16, seed=0, device="cpu")
    for episode in range(2):
        obs, _ = env.reset(seed=episode)
        done = False
        while not done:
            action, _ = model.predict(obs, deterministic=False)
            assert isinstance(action, np.ndarray)
            if episode % 2:
                action = action.reshape(1)  # as for a one-env VecEnv
            allowed = bool(obs["action_mask"][action.item()])
            obs, _, terminated, truncated, info = env.step(action)
            assert info.get("illegal_action", False) is not allowed, \
                f"{env_id}: action {action!r} ({'legal' if allowed else 'illegal'} by the mask), info {info}"
            done = terminated or truncated
    contrib = pytest.importorskip("sb3_contrib")
    masked = contrib.MaskablePPO("MultiInputPolicy", env, n_steps=16, batch_size=16, seed=0, device="cpu")
    obs, _ = env.reset(seed=0)
    done = False
    while not done:
        action, _ = masked.predict(obs, action_masks=obs["action_mask"].astype(bool))
        obs, _, terminated, truncated, info = env.step(action)
        assert not info.get("illegal_action"), f"{env_id}: MaskablePPO's legal action {action!r} was penalised"
        done = terminated or truncated


# --- batch engines ----------------------------------------------------------------------------------
def _engine_branches(agreement: str) -> list[tuple[str, str, int]]:
    return [(env_id, e.name, b) for env_id in IDS for e in spec(env_id).batch if e.agreement == agreement
            for b in range(len(e.space))]


@pytest.mark.parametrize("env_id,engine,branch", _engine_branches("exact"))
@settings(max_examples=3, deadline=None)
@given(data=st.data())
def test_exact_batch_engines_equal_their_kernels(env_id: str, engine: str, branch: int, data: st.DataObject) -> None:
    """Every branch of every exact engine's declared space: episode by episode, field by field."""
    space = spec(env_id).batch_engine(engine).space
    config = data.draw(space_kwargs([space[branch]]), label="config")
    check_batch_engine(env_id, engine, config, seed=data.draw(seeds(), label="seed"))


@pytest.mark.parametrize("env_id,engine,branch", _engine_branches("rate") + _engine_branches("mean"))
def test_rate_batch_engines_agree_with_their_kernels(env_id: str, engine: str, branch: int) -> None:
    """Engines with their own random numbers (each outcome's rate, kernel against engine) or
    that take expectations over the kernel's chance (each outcome's mean)."""
    space = spec(env_id).batch_engine(engine).space[branch]
    config = {k: v[0] for k, v in space.items()}  # these branches declare one configuration each
    assert all(len(v) == 1 for v in space.values()), "a rate engine's branches are single configurations"
    check_batch_engine(env_id, engine, config, seed=branch)


def test_the_batch_check_catches_an_engine_that_disagrees(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shared check can fail: an engine off by one in one episode, and one whose rate is off."""
    from oversight_gym.core import registry

    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))  # the test game stays in this test
    def kernel(config: dict, seed: int, episode: int) -> dict:
        return {"x": (seed + episode) % 2}

    def off_by_one(config: dict, seed: int, episodes: int) -> dict:
        x = np.array([(seed + i) % 2 for i in range(episodes)])
        x[-1] += config["shift"]
        return {"x": x}

    def biased(config: dict, seed: int, episodes: int) -> dict:
        return {"x": np.ones(episodes)}

    register("test/batch-check-v0", "oversight_gym.envs.debate.pixels:PixelDebateGame", "a test registration",
             batch=[BatchEngine("off", "off by one", off_by_one, kernel, {"shift": [0, 1]}),
                    BatchEngine("biased", "always 1", biased, kernel, {"shift": [0]}, agreement="rate",
                                episodes=200),
                    BatchEngine("mean", "the expectation 1/2", lambda c, s, m: {"x": np.full(m, 0.5 + c["shift"])},
                                kernel, {"shift": [0.0, 0.2]}, agreement="mean", episodes=400)])
    check_batch_engine("test/batch-check-v0", "off", {"shift": 0}, seed=4)
    with pytest.raises(AssertionError, match="episode 2: the engine and the kernel differ in 'x'"):
        check_batch_engine("test/batch-check-v0", "off", {"shift": 1}, seed=4)
    with pytest.raises(AssertionError, match="standard errors"):
        check_batch_engine("test/batch-check-v0", "biased", {"shift": 0})
    check_batch_engine("test/batch-check-v0", "mean", {"shift": 0.0})  # realised 0/1 against their mean 1/2
    with pytest.raises(AssertionError, match="standard errors"):
        check_batch_engine("test/batch-check-v0", "mean", {"shift": 0.2})
    with pytest.raises(ValueError, match="agreement must be one of"):
        BatchEngine("bad", "x", biased, kernel, {"shift": [0]}, agreement="close")
