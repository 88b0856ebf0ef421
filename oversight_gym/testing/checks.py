"""Property checks for environments: the contract every oversight-gym environment keeps.

Each check plays random games and raises ``AssertionError`` with a message that says what
differed and where (seed, episode, agent-step, agent). They work on any PettingZoo AEC
environment; the checks that need the game kernel (legal actions, transcripts, returns)
run when ``env.unwrapped.game_state`` is a kernel :class:`~oversight_gym.core.game.State`, as
it is for every environment made by ``oversight_gym.make``.

* :func:`check_env_contract`: PettingZoo's ``api_test`` plus our own checks;
* :func:`check_determinism`: the same seed gives the same game, byte for byte, over
  whole episodes (PettingZoo's ``parallel_seed_test`` stops after one step);
* :func:`check_zero_sum`: cumulative returns sum to zero at every step;
* :func:`check_single_agent_view`: Gymnasium's ``check_env`` plus random episodes;
* :func:`check_max_cycles`: ``max_cycles`` truncates where PettingZoo's convention says;
* :func:`check_batch_engine`: a batch engine registered with a game agrees with the kernel;
* :func:`check_text_view`: the text view renders every legal action of every decision and
  reads each back from its name, its number and a reply with prose around it;
* :func:`pettingzoo_module`: a registered game as the module-like object (``env()``,
  ``parallel_env()``) that PettingZoo's own tests (``max_cycles_test``) take.

Example::

    import oversight_gym
    from oversight_gym.testing import check_determinism, check_env_contract, check_zero_sum

    def env_fn():
        return oversight_gym.make("debate/pixels-v0", pixels=4, judge_steps=300)

    check_env_contract(env_fn)
    check_determinism(env_fn, seeds=(0, 1))
    check_zero_sum(env_fn, episodes=3)
"""

from __future__ import annotations

import contextlib
import io
import math
import types
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import gymnasium
import numpy as np
from pettingzoo import AECEnv, ParallelEnv
from pettingzoo.utils import BaseParallelWrapper, BaseWrapper

from oversight_gym.core.episode import ask
from oversight_gym.core.errors import IllegalActionError
from oversight_gym.core.game import TERMINAL, State
from oversight_gym.core.registry import is_versioned_id, make, make_parallel, resolve, spec

__all__ = [
    "Episode", "check_batch_engine", "check_determinism", "check_env_contract", "check_max_cycles",
    "check_single_agent_view", "check_text_view", "check_zero_sum", "pettingzoo_module", "rollout",
]

EnvFn = Callable[[], AECEnv] | str

# Warnings PettingZoo's api_test gives for choices this library makes on purpose: seats
# are named ("honest", "liar"), observations are dicts with an action mask, and unknown
# reset options are reported by our views.
_EXPECTED_WARNINGS = (
    "We recommend agents to be named",
    "Observation is not a NumPy array",
    "Observation space for each agent probably should be",
    "reset option 'options' is not used",
    "Not able to test alternative render modes",  # Gymnasium's check_env, for envs not made by gymnasium.make
)


# --- plumbing ---------------------------------------------------------------------------
def _factory(env_fn: EnvFn) -> tuple[Callable[[], AECEnv], str]:
    """A zero-argument env factory and a label for messages."""
    if isinstance(env_fn, str):
        env_id = env_fn
        spec(env_id)  # KeyError naming the registered ids

        def make_env() -> AECEnv:
            return make(env_id)

        return make_env, env_id
    if isinstance(env_fn, AECEnv | ParallelEnv):
        raise TypeError("env_fn must be a zero-argument callable returning a fresh env (or a registered id), "
                        f"not an env instance: pass `lambda: <your env factory>()` instead of {env_fn!r}")
    if not callable(env_fn):
        raise TypeError(f"env_fn must be a zero-argument callable or a registered id, got {env_fn!r}")

    def checked() -> AECEnv:
        env = env_fn()
        if not isinstance(env, AECEnv):
            raise TypeError(f"env_fn must return a PettingZoo AECEnv, got {type(env).__name__}"
                            + ("; check Parallel envs with pettingzoo.test.parallel_api_test"
                               if isinstance(env, ParallelEnv) else ""))
        return env

    return checked, getattr(env_fn, "__name__", repr(env_fn))


def _label(env: Any, fallback: str) -> str:
    name = getattr(env, "metadata", {}).get("name")
    return str(name) if name else fallback


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence the warnings and prints PettingZoo's tests give for this library's design."""
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        for message in _EXPECTED_WARNINGS:
            warnings.filterwarnings("ignore", message=message)
        yield


def _kernel_state(env: Any) -> State | None:
    state = getattr(env.unwrapped, "game_state", None)
    return state if isinstance(state, State) else None


def _transcript(env: Any) -> str | None:
    state = _kernel_state(env)
    return None if state is None else state.transcript_json()


def _mask_of(obs: Any, info: Any) -> np.ndarray | None:
    if isinstance(obs, Mapping) and "action_mask" in obs:
        return np.asarray(obs["action_mask"])
    if isinstance(info, Mapping) and "action_mask" in info:
        return np.asarray(info["action_mask"])
    return None


def _random_action(rng: np.random.Generator, env: Any, agent: str, obs: Any, info: Any, where: str) -> Any:
    """A uniformly random legal action drawn from ``rng`` alone (so two equal envs get equal actions)."""
    mask = _mask_of(obs, info)
    space = env.action_space(agent)
    if mask is not None:
        legal = np.flatnonzero(mask)
        if len(legal) == 0:
            raise AssertionError(f"{where}: agent {agent!r} must act but its action mask has no legal action")
        return int(legal[rng.integers(len(legal))]) + int(getattr(space, "start", 0))
    if isinstance(space, gymnasium.spaces.Discrete):
        return int(space.start + rng.integers(space.n))
    space.seed(int(rng.integers(2**31)))
    return space.sample()


def _diff(a: Any, b: Any, path: str = "") -> str | None:
    """The first difference between two values (byte-exact for arrays and floats), or None."""
    here = path or "value"
    if isinstance(a, Mapping) or isinstance(b, Mapping):
        if not (isinstance(a, Mapping) and isinstance(b, Mapping)):
            return f"{here}: {type(a).__name__} != {type(b).__name__}"
        if set(a) != set(b):
            return f"{here}: keys {sorted(map(str, a))} != {sorted(map(str, b))}"
        for k in a:
            d = _diff(a[k], b[k], f"{path}[{k!r}]")
            if d:
                return d
        return None
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
            return f"{here}: {type(a).__name__} != {type(b).__name__}"
        if a.dtype != b.dtype or a.shape != b.shape:
            return f"{here}: dtype/shape {a.dtype}{a.shape} != {b.dtype}{b.shape}"
        if a.tobytes() != b.tobytes():
            idx = np.argwhere(~((a == b) | ((a != a) & (b != b))))
            first = tuple(int(i) for i in idx[0]) if len(idx) else ()
            return f"{here}: differ at {len(idx)} entries, first {list(first)}: {a[first]!r} != {b[first]!r}"
        return None
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        if type(a) is not type(b) or len(a) != len(b):
            return f"{here}: {type(a).__name__} of {len(a)} != {type(b).__name__} of {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            d = _diff(x, y, f"{path}[{i}]")
            if d:
                return d
        return None
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return None
    if type(a) is not type(b) or a != b:
        return f"{here}: {a!r} != {b!r}"
    return None


def _transcript_diff(t1: str | None, t2: str | None) -> str | None:
    if t1 == t2:
        return None
    if t1 is None or t2 is None:
        return "one env has a kernel transcript and the other has none"
    import json

    e1, e2 = json.loads(t1), json.loads(t2)
    for i, (x, y) in enumerate(zip(e1, e2, strict=False)):
        if x != y:
            return f"transcript event {i} differs: {json.dumps(x)} != {json.dumps(y)}"
    extra = (e1 if len(e1) > len(e2) else e2)[min(len(e1), len(e2))]
    return f"transcripts have {len(e1)} and {len(e2)} events; the first extra one is {json.dumps(extra)}"


def _not_in_space(space: gymnasium.Space, x: Any, path: str = "observation") -> str | None:
    """Why ``x`` is not in ``space`` (None if it is)."""
    if space.contains(x):
        return None
    if isinstance(space, gymnasium.spaces.Dict) and isinstance(x, Mapping):
        if set(space.spaces) != set(x):
            return f"{path}: keys {sorted(x)} != the space's {sorted(space.spaces)}"
        for k, sub in space.spaces.items():
            why = _not_in_space(sub, x[k], f"{path}[{k!r}]")
            if why:
                return why
    if isinstance(space, gymnasium.spaces.Box):
        arr = np.asarray(x)
        if arr.shape != space.shape:
            return f"{path}: shape {arr.shape} != the space's {space.shape}"
        if arr.dtype != space.dtype:
            return f"{path}: dtype {arr.dtype} != the space's {space.dtype}"
        bad = np.argwhere((arr < space.low) | (arr > space.high) | np.isnan(arr))
        if len(bad):
            i = tuple(int(v) for v in bad[0])
            return f"{path}: entry {list(i)} = {arr[i]!r} outside [{space.low[i]}, {space.high[i]}]"
    return f"{path}: {x!r} is not in {space}"


def _obs_in_spaces(env: Any, where: str) -> None:
    for a in env.agents:
        why = _not_in_space(env.observation_space(a), env.observe(a))
        if why:
            raise AssertionError(f"{where}: observation of {a!r} is outside its space: {why}")


def _check_spaces_cached(env: Any, agents: Sequence[str], where: str) -> None:
    for a in agents:
        if env.observation_space(a) is not env.observation_space(a):
            raise AssertionError(f"{where}: observation_space({a!r}) returns a new object on each call; "
                                 "cache the spaces per agent")
        if env.action_space(a) is not env.action_space(a):
            raise AssertionError(f"{where}: action_space({a!r}) returns a new object on each call; "
                                 "cache the spaces per agent")


def _run_wrapped(what: str, label: str, fn: Callable[[], Any]) -> Any:
    """Run ``fn``; turn any failure into an AssertionError that names the check and the env."""
    try:
        with _quiet():
            return fn()
    except AssertionError as err:
        raise AssertionError(f"{label}: {what} failed: {err}") from err
    except Exception as err:  # noqa: BLE001 - any crash of the env is a failed check
        raise AssertionError(f"{label}: {what} raised {type(err).__name__}: {err}") from err


# --- rollout ----------------------------------------------------------------------------
@dataclass
class Episode:
    """What :func:`rollout` played: each agent's total reward, the moves, the agent-steps."""

    returns: dict[str, float]
    moves: list[tuple[str, Any]] = field(default_factory=list)
    steps: int = 0


def rollout(env: AECEnv, policy: Any, seed: int | None = None, max_steps: int = 100_000) -> Episode:
    """Play one episode of the AEC env ``env`` from ``env.reset(seed=seed)``.

    ``policy`` is one agent for every seat or a dict ``{seat: agent}``; an agent is any
    object with ``act(observation, action_mask, state=None)`` (see
    :class:`oversight_gym.core.protocols.Agent`), asked through the episode driver
    (:func:`oversight_gym.core.episode.ask`: agents with ``requires_state`` receive a clone of
    the kernel state). Each
    distinct agent is ``reset`` first (with ``seed + k`` for the k-th, if a seed is given).

    >>> import oversight_gym
    >>> from oversight_gym.agents import RandomAgent
    >>> from oversight_gym.testing import rollout
    >>> env = oversight_gym.make("debate/pixels-v0", pixels=4, judge_steps=300)
    >>> episode = rollout(env, RandomAgent(), seed=0)
    >>> sorted(episode.returns) == ["honest", "liar"] and len(episode.moves) == 4
    True
    """
    seats: dict[str, Any] = dict(policy) if isinstance(policy, Mapping) else {}
    distinct: list[Any] = []
    for p in (seats.values() if seats else [policy]):
        if all(p is not q for q in distinct):
            distinct.append(p)
    for k, p in enumerate(distinct):
        if hasattr(p, "reset"):
            p.reset(None if seed is None else seed + k)
    env.reset(seed=seed)
    if seats:
        missing = sorted(set(env.agents) - set(seats))
        if missing:
            raise ValueError(f"policy: no agent for the seats {missing}")
    totals = {a: 0.0 for a in env.agents}
    episode = Episode(totals)
    for agent in env.agent_iter(max_steps):
        obs, _, term, trunc, info = env.last()
        if term or trunc:
            env.step(None)
            continue
        p = seats.get(agent, policy) if seats else policy
        mask = _mask_of(obs, info)
        features = obs["observation"] if isinstance(obs, Mapping) and "observation" in obs else obs
        action = ask(p, features, mask, _kernel_state(env))
        env.step(action)
        episode.moves.append((agent, action))
        episode.steps += 1
        for a, r in env.rewards.items():
            totals[a] = totals.get(a, 0.0) + float(r)
    return episode


# --- the contract -----------------------------------------------------------------------
def _snapshot(env: Any) -> dict[str, Any]:
    u = env.unwrapped
    return {
        "agent_selection": env.agent_selection,
        "agents": list(env.agents),
        "observations": {a: env.observe(a) for a in env.agents},
        "rewards": dict(env.rewards),
        "cumulative_rewards": dict(getattr(u, "_cumulative_rewards", {})),
        "terminations": dict(env.terminations),
        "truncations": dict(env.truncations),
        "transcript": _transcript(env),
    }


def _check_illegal_actions(env: Any, agent: str, mask: np.ndarray | None, where: str) -> None:
    """Illegal actions raise IllegalActionError with a message and leave the env as it was."""
    space = env.action_space(agent)
    if not isinstance(space, gymnasium.spaces.Discrete):
        return
    start, n = int(space.start), int(space.n)
    bad: list[int] = [start + n, start - 1]
    if mask is not None:
        masked = np.flatnonzero(np.asarray(mask) == 0)
        if len(masked):
            bad.insert(0, start + int(masked[0]))
    for action in bad:
        before = _snapshot(env)
        _expect_illegal_action_error(lambda a=action: env.step(a), action, where)
        changed = _diff(before, _snapshot(env), "env")
        if changed:
            raise AssertionError(f"{where}: the rejected illegal action {action} changed the env: {changed}")


def _check_kernel_step(env: Any, agent: str, mask: np.ndarray | None, where: str) -> None:
    """The selected agent is the kernel's player to move and its mask is the kernel's legal set."""
    state = _kernel_state(env)
    if state is None:
        return
    seats = list(env.unwrapped.possible_agents)
    i = seats.index(agent)
    cur = state.current_player()
    if cur == TERMINAL:
        raise AssertionError(f"{where}: {agent!r} is asked to act but the kernel state is terminal")
    if cur >= 0 and cur != i:
        raise AssertionError(f"{where}: {agent!r} is asked to act but the kernel's player to move is {seats[cur]!r}")
    expected = state.legal_actions(i)
    if mask is None:
        raise AssertionError(f"{where}: the observation of {agent!r} has no 'action_mask'")
    got = np.flatnonzero(mask).tolist()
    if got != expected:
        extra, missing = sorted(set(got) - set(expected)), sorted(set(expected) - set(got))
        raise AssertionError(f"{where}: action mask of {agent!r} differs from the kernel's legal actions: "
                             f"masked legal but illegal {extra}, legal but masked out {missing}")
    if cur >= 0:
        for other in env.agents:
            if other != agent:
                m = _mask_of(env.observe(other), env.infos.get(other, {}))
                if m is not None and np.any(m):
                    raise AssertionError(f"{where}: it is {agent!r}'s turn, yet {other!r} has legal actions "
                                         f"{np.flatnonzero(m).tolist()} in its mask")


def _check_returns(env: Any, totals: Mapping[str, float], where: str, atol: float = 1e-9) -> None:
    """Each agent's summed rewards equal the kernel's ``returns()``."""
    state = _kernel_state(env)
    if state is None:
        return
    seats = list(env.unwrapped.possible_agents)
    returns = state.returns()
    for a, total in totals.items():
        if not abs(total - float(returns[seats.index(a)])) <= atol:
            raise AssertionError(f"{where}: {a!r} has received rewards summing to {total!r}, but the kernel's "
                                 f"returns() give {float(returns[seats.index(a)])!r}")


def check_env_contract(env_fn: EnvFn, num_cycles: int = 200, seed: int = 0, episodes: int = 3) -> None:
    """Check the environment contract of an AEC env (``env_fn``: a zero-argument callable
    returning a fresh env, or a registered id, made with its defaults).

    Runs PettingZoo's ``api_test``, then plays ``episodes`` random episodes (resets with
    ``seed``, ``seed + 1``, ...) checking at every agent-step that:

    * ``metadata["name"]`` is a versioned id ``family/name-vN``;
    * spaces are cached per agent (``observation_space(a) is observation_space(a)``);
    * every agent's observation lies in its observation space;
    * the acting agent is the kernel's player to move and its action mask equals the
      kernel's legal actions (other agents' masks are empty in turn-based states);
    * an illegal action (masked out, or out of range) raises
      :class:`oversight_gym.IllegalActionError` with a message and changes nothing;
    * each agent's summed rewards equal the kernel's ``returns()``.

    The kernel checks run when ``env.unwrapped.game_state`` is a kernel ``State``.

    >>> import oversight_gym
    >>> from oversight_gym.testing import check_env_contract
    >>> check_env_contract(lambda: oversight_gym.make("debate/pixels-v0", pixels=4, judge_steps=300))
    """
    make_env, fallback = _factory(env_fn)
    env = make_env()
    label = _label(env, fallback)
    name = getattr(env, "metadata", {}).get("name")
    if not is_versioned_id(name):
        raise AssertionError(f"{label}: metadata['name'] must be a versioned id 'family/name-vN', got {name!r}")
    _check_spaces_cached(env, list(env.possible_agents), f"{label}, before reset")
    from pettingzoo.test import api_test

    _run_wrapped("PettingZoo api_test", label, lambda: api_test(make_env(), num_cycles=num_cycles))

    rng = np.random.default_rng(seed)
    for ep in range(episodes):
        with _quiet():
            env.reset(seed=seed + ep)
        _check_spaces_cached(env, list(env.agents), f"{label}, after reset")
        totals = {a: 0.0 for a in env.agents}
        for t in range(num_cycles * max(1, len(env.possible_agents))):
            if not env.agents:
                break
            agent = env.agent_selection
            where = f"{label}, episode {ep} (reset seed {seed + ep}), agent-step {t}, agent {agent!r}"
            _obs_in_spaces(env, where)
            obs, _, term, trunc, info = env.last()
            if term or trunc:
                env.step(None)
                continue
            mask = _mask_of(obs, info)
            _check_kernel_step(env, agent, mask, where)
            _check_illegal_actions(env, agent, mask, where)
            action = _random_action(rng, env, agent, obs, info, where)
            try:
                env.step(action)
            except Exception as err:  # noqa: BLE001
                raise AssertionError(f"{where}: legal action {action!r} raised {type(err).__name__}: {err}") from err
            for a, r in env.rewards.items():
                totals[a] = totals.get(a, 0.0) + float(r)
            _check_returns(env, totals, where)


# --- determinism ------------------------------------------------------------------------
def _lockstep(e1: Any, e2: Any, r1: np.random.Generator, r2: np.random.Generator, where: str,
              max_steps: int) -> None:
    """Step two envs with equal random policies; fail at the first difference."""

    def compare(what: str, x: Any, y: Any, at: str) -> None:
        d = _diff(x, y, what)
        if d:
            raise AssertionError(f"{at}: the two envs differ: {d}")

    t = 0
    while e1.agents or e2.agents:
        at = f"{where}, agent-step {t}"
        compare("agents", list(e1.agents), list(e2.agents), at)
        compare("agent_selection", e1.agent_selection, e2.agent_selection, at)
        agent = e1.agent_selection
        at = f"{at}, agent {agent!r}"
        for a in e1.agents:
            compare(f"observation of {a!r}", e1.observe(a), e2.observe(a), at)
        l1, l2 = e1.last(), e2.last()
        for what, x, y in zip(("observation", "reward", "termination", "truncation", "info"), l1, l2, strict=True):
            compare(f"last() {what}", x, y, at)
        d = _transcript_diff(_transcript(e1), _transcript(e2))
        if d:
            raise AssertionError(f"{at}: the kernel transcripts differ: {d}")
        if t >= max_steps:
            return
        obs, _, term, trunc, info = l1
        if term or trunc:
            a1 = a2 = None
        else:
            a1 = _random_action(r1, e1, agent, obs, info, at)
            a2 = _random_action(r2, e2, agent, l2[0], l2[4], at)
            compare("chosen action", a1, a2, at)
        e1.step(a1)
        e2.step(a2)
        for what in ("rewards", "terminations", "truncations", "infos"):
            compare(f"{what} after the step", dict(getattr(e1, what)), dict(getattr(e2, what)), at)
        t += 1
    d = _transcript_diff(_transcript(e1), _transcript(e2))
    if d:
        raise AssertionError(f"{where}, end of episode: the kernel transcripts differ: {d}")


def check_determinism(env_fn: EnvFn, seeds: Sequence[int] = (0, 1, 2), episodes: int = 2,
                      max_steps: int = 100_000) -> None:
    """Same seed, same game: byte for byte, over whole episodes.

    For each seed, two fresh envs are reset with it and played by two random policies
    seeded alike, for ``episodes`` episodes in a row (later resets take no seed, so the
    envs' own random streams are compared too). After every agent-step their agents,
    observations (every agent's), ``last()``, rewards, terminations, truncations, infos
    and kernel transcripts (``env.unwrapped.game_state.transcript_json()``) must be identical.
    Then the used env is reset with the seed again and must replay the first episode
    exactly as a fresh env does (no state leaks from one episode into the next).

    >>> import oversight_gym
    >>> from oversight_gym.testing import check_determinism
    >>> check_determinism(lambda: oversight_gym.make("debate/pixels-v0", pixels=4, judge_steps=300), seeds=(0,))
    """
    make_env, fallback = _factory(env_fn)
    for seed in seeds:
        e1, e2 = make_env(), make_env()
        label = _label(e1, fallback)
        r1, r2 = np.random.default_rng(seed), np.random.default_rng(seed)
        try:
            for ep in range(episodes):
                s = seed if ep == 0 else None
                with _quiet():
                    e1.reset(seed=s)
                    e2.reset(seed=s)
                _lockstep(e1, e2, r1, r2, f"{label}: seed {seed}, episode {ep}", max_steps)
            fresh = make_env()
            with _quiet():
                fresh.reset(seed=seed)
                e2.reset(seed=seed)
            _lockstep(fresh, e2, np.random.default_rng(seed), np.random.default_rng(seed),
                      f"{label}: seed {seed}, a fresh env against one reset after {episodes} episodes", max_steps)
        except AssertionError:
            raise
        except Exception as err:  # noqa: BLE001
            raise AssertionError(f"{label}: seed {seed}: playing raised {type(err).__name__}: {err}") from err


# --- zero sum ---------------------------------------------------------------------------
def check_zero_sum(env_fn: EnvFn, episodes: int = 5, seed: int = 0, atol: float = 1e-9,
                   max_steps: int = 100_000) -> None:
    """Cumulative returns sum to zero (within ``atol``) at every step of random play.

    Sums each agent's rewards since reset, and (for kernel envs) the kernel's
    ``returns()``, after every agent-step of ``episodes`` random episodes.

    >>> import oversight_gym
    >>> from oversight_gym.testing import check_zero_sum
    >>> check_zero_sum(lambda: oversight_gym.make("debate/pixels-v0", pixels=4, judge_steps=300), episodes=2)
    """
    make_env, fallback = _factory(env_fn)
    env = make_env()
    label = _label(env, fallback)
    rng = np.random.default_rng(seed)
    for ep in range(episodes):
        with _quiet():
            env.reset(seed=seed if ep == 0 else None)
        totals = {a: 0.0 for a in env.possible_agents}
        for t in range(max_steps):
            if not env.agents:
                break
            agent = env.agent_selection
            where = f"{label}: seed {seed}, episode {ep}, agent-step {t}, agent {agent!r}"
            obs, _, term, trunc, info = env.last()
            if term or trunc:
                env.step(None)
                continue
            env.step(_random_action(rng, env, agent, obs, info, where))
            for a, r in env.rewards.items():
                totals[a] += float(r)
            total = math.fsum(totals.values())
            if not abs(total) <= atol:
                raise AssertionError(f"{where}: cumulative rewards {totals} sum to {total!r}, not 0 (atol {atol})")
            state = _kernel_state(env)
            if state is not None:
                returns = state.returns()
                if not abs(math.fsum(returns)) <= atol:
                    raise AssertionError(f"{where}: the kernel's returns() {returns.tolist()} sum to "
                                         f"{math.fsum(returns)!r}, not 0 (atol {atol})")


# --- single-agent view ------------------------------------------------------------------
def check_single_agent_view(env: gymnasium.Env, episodes: int = 3, seed: int = 0, max_steps: int = 100_000) -> None:
    """Gymnasium's ``check_env`` on a single-agent view, then ``episodes`` random episodes
    over the legal actions: observations in the space, finite float rewards, boolean
    flags, and (for :class:`oversight_gym.core.SingleAgentEnv`) the ``illegal_action``
    mode honoured: ``"raise"`` raises ``IllegalActionError``, ``"penalty"`` ends the
    episode with ``illegal_penalty``.

    ``check_env`` steps with unmasked samples of the action space, which the
    ``"raise"`` mode rejects by design; a view in that mode is put in ``"penalty"`` mode
    for ``check_env`` only (and restored).

    >>> import oversight_gym
    >>> from oversight_gym.agents import RandomAgent
    >>> from oversight_gym.testing import check_single_agent_view
    >>> env = oversight_gym.make_single_agent("debate/pixels-v0", "honest", RandomAgent(seed=0), judge_steps=300)
    >>> check_single_agent_view(env)
    """
    from gymnasium.utils.env_checker import check_env

    label = _label(env, type(env).__name__)
    game = getattr(env.unwrapped, "game", None)
    if game is not None:
        label = getattr(game, "name", label)
    view = env.unwrapped
    mode = getattr(view, "illegal_action", None)
    if mode == "raise":
        # check_env steps with unmasked samples of the action space; the penalty mode
        # accepts them, and the raise mode is checked on its own below
        view.illegal_action = "penalty"
    try:
        _run_wrapped("Gymnasium check_env", label, lambda: check_env(env))
    finally:
        if mode == "raise":
            view.illegal_action = mode
    rng = np.random.default_rng(seed)
    for ep in range(episodes):
        where = f"{label}: episode {ep} (reset seed {seed + ep})"
        obs, info = env.reset(seed=seed + ep)
        for t in range(max_steps):
            at = f"{where}, step {t}"
            why = _not_in_space(env.observation_space, obs)
            if why:
                raise AssertionError(f"{at}: observation outside the observation space: {why}")
            if t == 0:
                _check_single_agent_illegal(env, obs, info, at, seed + ep)
                obs, info = env.reset(seed=seed + ep)
            mask = _mask_of(obs, info)
            if mask is not None and not np.any(mask):
                raise AssertionError(f"{at}: the episode is not over but the action mask has no legal action")
            action = (int(np.flatnonzero(mask)[rng.integers(np.count_nonzero(mask))]) if mask is not None
                      else env.action_space.sample())
            obs, reward, terminated, truncated, info = env.step(action)
            if not isinstance(reward, float | int) or not math.isfinite(reward):
                raise AssertionError(f"{at}: reward must be a finite float, got {reward!r}")
            if not isinstance(terminated, bool) or not isinstance(truncated, bool):
                raise AssertionError(f"{at}: terminated/truncated must be bool, got {terminated!r}, {truncated!r}")
            if terminated or truncated:
                break


def _expect_illegal_action_error(step: Any, action: int, where: str, context: str = "") -> None:
    """``step()`` must raise :class:`IllegalActionError` with a message."""
    try:
        step()
    except IllegalActionError as err:
        if not str(err).strip():
            raise AssertionError(
                f"{where}: illegal action {action} raised IllegalActionError without a message") from err
    except Exception as err:  # noqa: BLE001
        raise AssertionError(f"{where}: illegal action {action} raised {type(err).__name__}: {err}; "
                             f"expected oversight_gym.IllegalActionError{context}") from err
    else:
        raise AssertionError(f"{where}: illegal action {action} was accepted{context}; "
                             "expected oversight_gym.IllegalActionError")


def _check_single_agent_illegal(env: gymnasium.Env, obs: Any, info: Any, where: str, seed: int) -> None:
    mode = getattr(env.unwrapped, "illegal_action", None)
    mask = _mask_of(obs, info)
    if mode not in ("raise", "penalty") or mask is None or np.all(mask):
        return
    action = int(np.flatnonzero(np.asarray(mask) == 0)[0])
    if mode == "raise":
        state = getattr(env.unwrapped, "game_state", None)
        before = state.transcript_json() if isinstance(state, State) else None
        _expect_illegal_action_error(lambda: env.step(action), action, where, " with illegal_action='raise'")
        if isinstance(state, State) and state.transcript_json() != before:
            raise AssertionError(f"{where}: the rejected illegal action {action} changed the kernel transcript")
    else:
        _, reward, terminated, _, step_info = env.step(action)
        penalty = float(getattr(env.unwrapped, "illegal_penalty", reward))
        if not terminated or reward != penalty or not step_info.get("illegal_action"):
            raise AssertionError(f"{where}: with illegal_action='penalty' an illegal action must end the episode "
                                 f"with reward {penalty} and info['illegal_action']; got terminated={terminated}, "
                                 f"reward={reward!r}, info={step_info!r}")


# --- batch engines ----------------------------------------------------------------------
def check_batch_engine(env_id: str, engine: str, config: Mapping[str, Any], seed: int = 0,
                       episodes: int | None = None, sigmas: float = 4.0) -> None:
    """A batch engine registered with ``env_id`` agrees with its kernel reference on ``config``.

    ``"exact"`` engines: for each of the ``episodes`` episodes of ``seed``, every outcome field
    of the engine equals the reference's, byte for byte. ``"rate"`` engines draw their own
    random numbers, so their distributions are compared: each field's mean over the
    reference's episodes and over the engine's (``batch_episodes``, by default ten times as
    many) must agree within ``sigmas`` standard errors of the difference. ``"mean"`` engines
    return expectations where the kernel realises chance, so only the means are compared, the
    standard error of the difference from each side's own variance (Welch's).

    >>> from oversight_gym.testing import check_batch_engine
    >>> check_batch_engine("collusion/untrusted-monitoring-v1", "simulator",
    ...                    {"n_tasks": 50, "protocol": "trusted", "attack_rate": 0.1}, seed=3)
    """
    e = spec(env_id).batch_engine(engine)
    run, reference = resolve(e.run), resolve(e.reference)
    n = e.episodes if episodes is None else episodes
    where = f"{env_id} batch engine {engine!r}, config {dict(config)}, seed {seed}"
    if e.agreement == "exact":
        batch = run(dict(config), seed, n)
        for i in range(n):
            ref = reference(dict(config), seed, i)
            for name, value in ref.items():
                a, b = np.asarray(batch[name][i]), np.asarray(value)
                floats = a.dtype.kind == "f" or b.dtype.kind == "f"
                if a.shape != b.shape or not np.array_equal(a, b, equal_nan=floats):
                    at = np.argwhere(a != b)[0].tolist() if a.shape == b.shape else None
                    raise AssertionError(f"{where}, episode {i}: the engine and the kernel differ in {name!r}: "
                                         + (f"shape {a.shape} != {b.shape}" if at is None else
                                            f"first at {at}: {a[tuple(at)]!r} != {b[tuple(at)]!r}"))
        return
    m = e.batch_episodes or 10 * n
    batch = run(dict(config), seed, m)
    refs = [reference(dict(config), seed, i) for i in range(n)]
    for name in refs[0]:
        x = np.asarray([r[name] for r in refs], dtype=float)
        y = np.asarray(batch[name], dtype=float)
        if e.agreement == "mean":
            se = math.sqrt(x.var(ddof=1) / n + y.var(ddof=1) / m) if n > 1 and m > 1 else 0.0
            se = max(se, 1e-12)
        else:
            pooled = np.concatenate([x, y]).var()
            se = math.sqrt(max(pooled, 1.0 / (n + m)) * (1.0 / n + 1.0 / m))
        if abs(x.mean() - y.mean()) > sigmas * se:
            raise AssertionError(f"{where}: field {name!r} has mean {x.mean():.4f} over {n} kernel episodes and "
                                 f"{y.mean():.4f} over {m} engine episodes, more than {sigmas} standard errors "
                                 f"({se:.4f}) apart")


# --- PettingZoo's module-level tests, and truncation ------------------------------------
class _MaskedSampling(gymnasium.spaces.Discrete):
    """A ``Discrete`` action space whose ``sample()`` without a mask draws from the agent's
    current action mask: PettingZoo's ``max_cycles_test`` and ``parallel_seed_test`` sample
    unmasked actions, which a game with rules would reject as illegal moves."""

    def __init__(self, space: gymnasium.spaces.Discrete, current_mask: Callable[[], np.ndarray]) -> None:
        super().__init__(int(space.n), start=int(space.start))
        self._current_mask = current_mask

    def sample(self, mask: Any = None, probability: Any = None) -> np.int64:
        if mask is None and probability is None:
            mask = np.asarray(self._current_mask(), dtype=np.int8)
        return super().sample(mask, probability)


class _MaskedSamplingAEC(BaseWrapper):
    """An AEC env whose action spaces sample legal moves and whose unseeded resets use ``seed``."""

    def __init__(self, env: AECEnv, seed: int) -> None:
        super().__init__(env)
        self._seed = seed
        self._spaces = {a: _MaskedSampling(env.action_space(a), lambda a=a: self.env.observe(a)["action_mask"])
                        for a in env.possible_agents}
        for i, space in enumerate(self._spaces.values()):
            space.seed(seed + i)

    def action_space(self, agent: str) -> gymnasium.spaces.Discrete:
        return self._spaces[agent]

    def reset(self, seed: int | None = None, options: dict | None = None) -> None:
        super().reset(seed=self._seed if seed is None else seed, options=options)


class _MaskedSamplingParallel(BaseParallelWrapper):
    """The Parallel counterpart of :class:`_MaskedSamplingAEC` (masks from the last observations)."""

    def __init__(self, env: ParallelEnv, seed: int) -> None:
        super().__init__(env)
        self._seed = seed
        self._obs: dict[str, Any] = {}
        self._spaces = {a: _MaskedSampling(env.action_space(a), lambda a=a: self._obs[a]["action_mask"])
                        for a in env.possible_agents}
        for i, space in enumerate(self._spaces.values()):
            space.seed(seed + i)

    def action_space(self, agent: str) -> gymnasium.spaces.Discrete:
        return self._spaces[agent]

    def reset(self, seed: int | None = None, options: dict | None = None) -> Any:
        self._obs, infos = self.env.reset(seed=self._seed if seed is None else seed, options=options)
        return self._obs, infos

    def step(self, actions: dict[str, Any]) -> Any:
        out = self.env.step(actions)
        self._obs = out[0]
        return out


def pettingzoo_module(env_id: str, seed: int = 0, **kwargs: Any) -> types.SimpleNamespace:
    """A registered game as the module-like object PettingZoo's own tests take: ``env(**kw)``
    and ``parallel_env(**kw)`` (``kw``: ``render_mode``, ``max_cycles``) build its AEC and
    Parallel views configured with ``kwargs``.

    Two changes make PettingZoo's tests play the game by its rules and reproducibly: an
    action space's ``sample()`` without a mask draws from the agent's current action mask
    (``max_cycles_test`` and ``parallel_seed_test`` sample unmasked actions, which a game
    with rules rejects), and a ``reset()`` without a seed uses ``seed``; the spaces are
    seeded from it too.

    >>> from pettingzoo.test import max_cycles_test
    >>> from oversight_gym.testing import pettingzoo_module
    >>> max_cycles_test(pettingzoo_module("collusion/pricing-v0", horizon=12))
    """
    spec(env_id)  # KeyError naming the registered ids

    def env(**view: Any) -> AECEnv:
        return _MaskedSamplingAEC(make(env_id, **view, **kwargs), seed)

    def parallel_env(**view: Any) -> ParallelEnv:
        return _MaskedSamplingParallel(make_parallel(env_id, **view, **kwargs), seed)

    return types.SimpleNamespace(__name__=env_id, env=env, raw_env=env, parallel_env=parallel_env)


def _aec_turns(env: AECEnv, limit: int, on_truncated: Callable[[int], None] | None = None,
               ) -> tuple[list[str], bool, bool]:
    """Play ``env`` from ``reset()`` with its own (masked) action sampling; the agents who
    acted, in order, and whether the episode ended in termination and in truncation.
    ``on_truncated(turns so far)`` is called at each truncated agent's last step."""
    env.reset()
    turns: list[str] = []
    terminated = truncated = False
    for agent in env.agent_iter(limit):
        _, _, term, trunc, _ = env.last()
        if term or trunc:
            terminated, truncated = terminated or term, truncated or trunc
            if trunc and on_truncated is not None:
                on_truncated(len(turns))
            env.step(None)
            continue
        turns.append(agent)
        env.step(env.action_space(agent).sample())
    return turns, terminated, truncated


def _expected_turns(turns: list[str], max_cycles: int) -> tuple[list[str], bool]:
    """The prefix of an untruncated episode's turns that ``max_cycles`` allows, and whether
    it cuts the episode short: it stops before any agent's ``max_cycles + 1``-th turn."""
    counts: dict[str, int] = {}
    for t, agent in enumerate(turns):
        if counts.get(agent, 0) == max_cycles:
            return turns[:t], True
        counts[agent] = counts.get(agent, 0) + 1
    return turns, False


def check_max_cycles(module: Any, cycles: Sequence[int] = (1, 2, 3), limit: int = 10_000) -> None:
    """``max_cycles`` truncates as PettingZoo's convention says, in both views.

    ``module`` has ``env(max_cycles=...)`` and ``parallel_env(max_cycles=...)`` whose action
    spaces sample legal moves reproducibly (:func:`pettingzoo_module`). For each value in
    ``cycles``, against the same game played without a bound:

    * AEC: the turns are the untruncated episode's, cut just before any agent would act for
      the ``max_cycles + 1``-th time, so no agent acts more often; the episode is truncated
      (every agent, none terminated) exactly when it is cut short, and then every agent's
      action mask is empty;
    * Parallel: the episode lasts ``min(max_cycles, its untruncated length)`` calls of
      ``step()``, truncated (every agent) exactly when cut short, with empty action masks.

    >>> from oversight_gym.testing import check_max_cycles, pettingzoo_module
    >>> check_max_cycles(pettingzoo_module("debate/pixels-v0", pixels=4, judge_steps=300))
    """
    label = getattr(module, "__name__", "env")
    with _quiet():
        full, _, _ = _aec_turns(module.env(), limit)
        par_len = _parallel_length(module.parallel_env(), limit)[0]
    for k in cycles:
        where = f"{label}, max_cycles={k}"
        expected, cut = _expected_turns(full, k)
        env = module.env(max_cycles=k)
        with _quiet():
            turns, _, _ = _aec_turns(env, limit, lambda n, env=env, where=where: _check_truncated_aec(env, where, n))
        if turns != expected:
            raise AssertionError(f"{where}: the agents acted in the order {turns}; without a bound they act "
                                 f"{full}, so max_cycles={k} allows {expected} (no agent acts more than {k} times)")
        state = _kernel_state(env)
        if state is not None and cut == state.is_terminal():
            raise AssertionError(f"{where}: after {len(turns)} turns the game should "
                                 + ("be cut short by truncation" if cut else "end by its own rules"))
        with _quiet():
            steps, term, trunc, masks = _parallel_length(module.parallel_env(max_cycles=k), limit)
        if steps != min(k, par_len):
            raise AssertionError(f"{where}: the Parallel view lasted {steps} steps; it lasts {par_len} without "
                                 f"a bound, so it must last {min(k, par_len)}")
        if trunc != (k < par_len) or term != (k >= par_len):
            raise AssertionError(f"{where}: the Parallel view ended with terminations {term}, truncations {trunc} "
                                 f"after {steps} of its {par_len} steps")
        if trunc and any(np.any(m) for m in masks):
            raise AssertionError(f"{where}: the Parallel view truncated the episode but left legal actions in "
                                 "the final action masks")


def _check_truncated_aec(env: AECEnv, where: str, turns: int) -> None:
    if not all(env.truncations.values()) or any(env.terminations.values()):
        raise AssertionError(f"{where}: after {turns} turns, truncation must end the episode for every agent and "
                             f"terminate none: truncations {env.truncations}, terminations {env.terminations}")
    for a in env.agents:
        mask = _mask_of(env.observe(a), env.infos.get(a, {}))
        if mask is not None and np.any(mask):
            raise AssertionError(f"{where}: {a!r} is truncated but its action mask still offers "
                                 f"{np.flatnonzero(mask).tolist()}")


def _parallel_length(env: ParallelEnv, limit: int) -> tuple[int, bool, bool, list[np.ndarray]]:
    """Steps of one episode of ``env`` (actions from its own sampling), whether every agent
    ended terminated / truncated, and the final action masks."""
    env.reset()
    steps, terms, truncs, obs = 0, {}, {}, {}
    while env.agents and steps < limit:
        obs, _, terms, truncs, _ = env.step({a: env.action_space(a).sample() for a in env.agents})
        steps += 1
    masks = [m for m in (_mask_of(o, {}) for o in obs.values()) if m is not None]
    return steps, bool(terms) and all(terms.values()), bool(truncs) and all(truncs.values()), masks


def check_text_view(game: Any, seed: int = 0, max_decisions: int = 40, **options: Any) -> int:
    """Play ``game`` (a kernel :class:`~oversight_gym.core.game.Game`) at random from ``seed``
    for at most ``max_decisions`` decisions and, at each, check its text view
    (:mod:`oversight_gym.core.text`) for every player who moves: the prompt lists every legal
    action under a name no other legal action has; each action is read back from its name,
    from an ``ACTION:`` line after prose, from its name inside a sentence and from its number
    (where no name is that number); and a reply that names no action is refused with a
    message that tells the seat how to answer. Returns the number of decisions checked."""
    from oversight_gym.core.episode import apply_decision, movers
    from oversight_gym.core.text import MARKER, ReplyError, observe_text

    rng = np.random.default_rng(seed)
    state = game.new_initial_state(np.random.default_rng(seed), **options)
    checked = 0
    while not state.is_terminal() and checked < max_decisions:
        for player in movers(state):
            where = f"{game.name}, seed {seed}, decision {checked}, seat {game.player_names[player]!r}"
            view = observe_text(state, player)
            assert sorted(view.actions) == state.legal_actions(player), f"{where}: the view lists other actions"
            lowered = [name.lower() for name in view.actions.values()]
            assert len(set(lowered)) == len(lowered), f"{where}: two legal actions share a name: {lowered}"
            for action, name in view.actions.items():
                assert f"{action}: {name}" in view.prompt, f"{where}: action {action} ({name!r}) is not in the prompt"
                replies = [name, f"{MARKER} {name}", f"I have weighed it.\n{MARKER} {action}\nThat is all.",
                           f"Given what I know, {name} is best."]
                if str(action) not in lowered:
                    replies.append(str(action))
                value = view.value_aliases()
                replies += [f"{MARKER} {v}" for v, a in value.items() if a == action]
                for reply in replies:
                    got = view.parse(reply)
                    assert got == action, f"{where}: reply {reply!r} read as {got}, expected {action} ({name!r})"
            try:
                view.parse("I am not sure what to do here.")
            except ReplyError as e:
                assert MARKER in str(e), f"{where}: the refusal does not say how to answer: {e}"
            else:
                raise AssertionError(f"{where}: a reply naming no action was read as an action")
        apply_decision(state, lambda p: int(rng.choice(state.legal_actions(p))))
        checked += 1
    return checked
