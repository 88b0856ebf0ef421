"""The core: payoff schemes, the PettingZoo and Gymnasium views, the registry, and the
checks of :mod:`oversight_gym.testing` (which must catch broken environments)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pettingzoo
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from pettingzoo.test import parallel_api_test

import oversight_gym
from oversight_gym import IllegalActionError
from oversight_gym.agents import RandomAgent
from oversight_gym.core import (
    SIMULTANEOUS,
    TERMINAL,
    Compose,
    Game,
    KernelAECEnv,
    KernelParallelEnv,
    MixedSum,
    SidePayment,
    SingleAgentEnv,
    State,
    ZeroSum,
)
from oversight_gym.core import registry as registry_module
from oversight_gym.testing import (
    check_determinism,
    check_env_contract,
    check_single_agent_view,
    check_zero_sum,
    rollout,
)
from oversight_gym.testing.strategies import ChoicePolicy, agents, game_kwargs, policies, seeds

PIXELS = "debate/pixels-v0"
SMALL = {"judge_steps": 300, "judge_hidden": 32}


# --- a tiny simultaneous-move game: repeated matching pennies ------------------------------
class PenniesGame(Game):
    """Matching pennies over ``rounds`` rounds: "even" scores when the coins match, "odd"
    when they differ. An optional random bonus round (drawn from the rng) counts double."""

    name = "test/pennies-v0"
    player_names = ("even", "odd")
    simultaneous = True

    def __init__(self, rounds: int = 3, payoff: Any = None) -> None:
        super().__init__(payoff)
        if rounds < 1:
            raise ValueError(f"rounds must be >= 1, got {rounds}")
        self.rounds = rounds

    def new_initial_state(self, rng: np.random.Generator, **options: Any) -> PenniesState:
        return PenniesState(self, bonus=int(rng.integers(self.rounds)))

    def num_distinct_actions(self) -> int:
        return 2

    def observation_shape(self, player: int) -> tuple[int, ...]:
        return (6,)

    def observation_bounds(self, player: int) -> tuple[float, float]:
        return (0.0, 1.0)

    def max_game_length(self) -> int:
        return self.rounds


class PenniesState(State):
    game: PenniesGame

    def __init__(self, game: PenniesGame, bonus: int) -> None:
        super().__init__(game)
        self.bonus = bonus
        self.round = 0
        self.scores = np.zeros(2)
        self.last: list[int] | None = None
        self.log(-1, "start", bonus=bonus)

    def current_player(self) -> int:
        return TERMINAL if self.round >= self.game.rounds else SIMULTANEOUS

    def legal_actions_mask(self, player: int) -> np.ndarray:
        return np.full(2, 0 if self.is_terminal() else 1, dtype=np.int8)

    def _apply_joint(self, actions: list[int]) -> None:
        points = 2.0 if self.round == self.bonus else 1.0
        self.scores[0 if actions[0] == actions[1] else 1] += points
        self.last = actions
        self.log(-1, "round", actions=actions, points=points)
        self.round += 1

    def _apply(self, player: int, action: int) -> None:  # never called: every state is simultaneous
        raise AssertionError("unreachable")

    def raw_returns(self) -> np.ndarray:
        return self.scores.copy()

    def outcome(self) -> dict[str, Any]:
        return {"even_wins": bool(self.scores[0] > self.scores[1])} if self.is_terminal() else {}

    def observation(self, player: int) -> np.ndarray:
        obs = np.zeros(6, np.float32)
        if self.last is not None:
            obs[self.last[0]] = 1.0
            obs[2 + self.last[1]] = 1.0
        obs[4] = self.round / self.game.rounds
        obs[5] = float(player)
        return obs

    def clone(self) -> PenniesState:
        new = PenniesState.__new__(PenniesState)
        new.__dict__.update(self.__dict__)
        new.scores = self.scores.copy()
        new.transcript = list(self.transcript)
        return new


def pennies_env(**kwargs: Any) -> KernelAECEnv:
    return KernelAECEnv(PenniesGame(**kwargs))


def pixel_env(**kwargs: Any) -> KernelAECEnv:
    return oversight_gym.make(PIXELS, **{**SMALL, **kwargs})


# --- payoff schemes ------------------------------------------------------------------------
def terminal_stub(**outcome: Any) -> Any:
    return SimpleNamespace(is_terminal=lambda: True, outcome=lambda: outcome, game=SimpleNamespace(name="stub"))


utilities = arrays(np.float64, st.integers(1, 6), elements=st.floats(-1e6, 1e6))


@given(raw=utilities)
def test_zero_sum_payoffs_sum_to_zero(raw: np.ndarray) -> None:
    out = ZeroSum().apply(raw, terminal_stub())
    assert abs(out.sum()) <= 1e-9 * max(1.0, np.abs(raw).sum())
    assert np.allclose(np.diff(out), np.diff(raw))  # differences between players are kept
    assert ZeroSum.zero_sum


@given(raw=utilities)
def test_mixed_sum_weight_zero_keeps_and_weight_one_shares(raw: np.ndarray) -> None:
    assert np.array_equal(MixedSum(0.0).apply(raw, terminal_stub()), raw)
    shared = MixedSum(1.0).apply(raw, terminal_stub())
    assert np.allclose(shared, raw.mean())
    half = MixedSum(0.5).apply(raw, terminal_stub())
    assert np.allclose(half, 0.5 * raw + 0.5 * raw.mean())


@pytest.mark.parametrize("weight", [-0.1, 1.5, float("nan"), "much"])
def test_mixed_sum_rejects_bad_weight(weight: Any) -> None:
    with pytest.raises(ValueError, match="weight"):
        MixedSum(weight)


def test_side_payment_pays_on_the_outcome_flag() -> None:
    raw = np.array([1.0, -1.0])
    pay = SidePayment(0.5, "judge_wrong")
    assert np.array_equal(pay.apply(raw, terminal_stub(judge_wrong=True)), [1.5, -0.5])
    assert np.array_equal(pay.apply(raw, terminal_stub(judge_wrong=False)), raw)
    only_second = SidePayment(2.0, "judge_wrong", recipients=(1,))
    assert np.array_equal(only_second.apply(raw, terminal_stub(judge_wrong=True)), [1.0, 1.0])
    running = SimpleNamespace(is_terminal=lambda: False, outcome=lambda: {})
    assert np.array_equal(pay.apply(raw, running), raw)  # nothing is paid before the end
    assert not pay.zero_sum


def test_side_payment_errors_on_an_unknown_flag() -> None:
    with pytest.raises(ValueError, match=r"condition 'collusion' is not an outcome of stub; outcomes are \['a'\]"):
        SidePayment(1.0, "collusion").apply(np.zeros(2), terminal_stub(a=True))
    with pytest.raises(ValueError, match="amount"):
        SidePayment("lots", "a")  # type: ignore[arg-type]


def test_compose_applies_in_order() -> None:
    raw = np.array([3.0, 1.0])
    state = terminal_stub(judge_wrong=True)
    collude = ZeroSum() + SidePayment(0.5, "judge_wrong")
    assert isinstance(collude, Compose)
    assert np.array_equal(collude.apply(raw, state), [1.5, -0.5])
    assert not collude.zero_sum
    rezeroed = SidePayment(0.5, "judge_wrong", recipients=(0,)) + ZeroSum()
    assert rezeroed.zero_sum and abs(rezeroed.apply(raw, state).sum()) < 1e-12
    nested = collude + MixedSum(1.0)
    assert np.allclose(nested.apply(raw, state), 0.5)
    assert nested.config()["schemes"][0]["scheme"] == "Compose"
    assert not Compose(()).zero_sum and np.array_equal(Compose(()).apply(raw, state), raw)


def test_pixel_debate_with_side_payment_is_not_zero_sum() -> None:
    env_fn = lambda: pixel_env(pixels=2, payoff=ZeroSum() + SidePayment(0.5, "judge_wrong"))  # noqa: E731
    with pytest.raises(AssertionError, match="sum to"):
        check_zero_sum(env_fn, episodes=30)


# --- the AEC view --------------------------------------------------------------------------
def test_aec_view_of_a_simultaneous_game() -> None:
    check_env_contract(pennies_env)  # PettingZoo's api_test, then our own checks
    check_determinism(pennies_env, seeds=(0, 1), episodes=3)
    check_zero_sum(pennies_env, episodes=5)


def test_aec_simultaneous_moves_wait_for_every_player() -> None:
    env = pennies_env(rounds=2)
    env.reset(seed=3)
    assert env.agent_selection == "even"
    assert env.observe("even")["action_mask"].tolist() == [1, 1]
    assert env.observe("odd")["action_mask"].tolist() == [1, 1]  # both may move in a simultaneous state
    env.step(0)
    assert env.agent_selection == "odd" and env.unwrapped.game_state.round == 0  # not applied yet
    with pytest.raises(IllegalActionError, match="action must be an integer in"):
        env.step(2)
    assert env.agent_selection == "odd" and env.unwrapped.game_state.round == 0
    env.step(0)  # coins match: even scores
    assert env.unwrapped.game_state.round == 1 and env.agent_selection == "even"
    points = 2.0 if env.unwrapped.game_state.bonus == 0 else 1.0
    assert env.rewards == {"even": points / 2, "odd": -points / 2}
    env.step(1)
    env.step(0)
    assert all(env.terminations.values())
    scores = env.unwrapped.game_state.scores
    assert env.infos["even"]["outcome"] == {"even_wins": scores[0] > scores[1]}


def test_aec_view_of_the_pixel_debate() -> None:
    check_env_contract(lambda: pixel_env(pixels=4), num_cycles=20)
    env = pixel_env(pixels=4)
    env.reset(seed=0)
    order = []
    for agent in env.agent_iter():
        obs, reward, term, trunc, info = env.last()
        if term or trunc:
            order.append((agent, "done", reward))
            env.step(None)
            continue
        order.append(agent)
        assert reward == 0.0  # the whole payoff comes at the end
        env.step(int(np.flatnonzero(obs["action_mask"])[0]))
    assert order[:4] == ["honest", "liar", "honest", "liar"]
    (a1, _, r1), (a2, _, r2) = order[4:]
    assert {a1, a2} == {"honest", "liar"} and {r1, r2} == {1.0, -1.0}
    assert env.agents == []


def test_aec_metadata_and_render_mode_are_checked() -> None:
    env = pixel_env(pixels=2)
    assert env.metadata["name"] == PIXELS and "rgb_array" in env.metadata["render_modes"]
    with pytest.raises(ValueError, match="render_mode"):
        pixel_env(pixels=2, render_mode="video")
    env.reset(seed=0)
    with pytest.warns(UserWarning, match="render_mode"):
        assert env.render() is None


def test_unknown_reset_option_warns_and_is_ignored() -> None:
    env = pixel_env(pixels=2)
    with pytest.warns(UserWarning, match="'colour' is not used by debate/pixels-v0; it takes .*'image_index'"):
        env.reset(seed=0, options={"colour": "red", "image_index": 5})
    assert env.unwrapped.game_state.image_index == 5


def test_aec_truncation_with_max_cycles() -> None:
    env = oversight_gym.make(PIXELS, max_cycles=1, pixels=6, **SMALL)
    env.reset(seed=0)
    episode = rollout(env, RandomAgent(seed=0), seed=0)
    assert episode.steps == 2 and env.agents == []
    assert episode.returns == {"honest": 0.0, "liar": 0.0}


# --- the Parallel view ---------------------------------------------------------------------
def test_parallel_view_passes_parallel_api_test() -> None:
    parallel_api_test(KernelParallelEnv(PenniesGame()), num_cycles=50)
    parallel_api_test(oversight_gym.make_parallel(PIXELS, pixels=4, **SMALL), num_cycles=50)


def test_parallel_view_of_a_simultaneous_game() -> None:
    env = KernelParallelEnv(PenniesGame(rounds=2))
    obs, infos = env.reset(seed=1)
    assert set(obs) == {"even", "odd"} and infos == {"even": {}, "odd": {}}
    with pytest.raises(ValueError, match=r"missing \['odd'\]"):
        env.step({"even": 0})
    totals = {"even": 0.0, "odd": 0.0}
    for _ in range(2):
        obs, rewards, terms, truncs, infos = env.step({"even": 1, "odd": 0})
        for a, r in rewards.items():
            totals[a] += r
    assert all(terms.values()) and not any(truncs.values()) and env.agents == []
    assert totals["even"] == -totals["odd"] < 0  # odd won both rounds
    assert infos["odd"]["outcome"] == {"even_wins": False}


def test_parallel_view_of_a_turn_based_game() -> None:
    env = oversight_gym.make_parallel(PIXELS, pixels=2, **SMALL)
    obs, _ = env.reset(seed=0)
    assert obs["honest"]["action_mask"].any() and not obs["liar"]["action_mask"].any()
    with pytest.raises(ValueError, match="it is honest's turn"):
        env.step({"liar": 0})
    pixel = int(np.flatnonzero(obs["honest"]["action_mask"])[0])
    obs, rewards, terms, _, _ = env.step({"honest": pixel, "liar": 12345})  # the liar's entry is ignored
    assert not obs["honest"]["action_mask"].any() and obs["liar"]["action_mask"].any()
    assert not obs["liar"]["action_mask"][pixel]
    with pytest.raises(IllegalActionError, match="already revealed"):
        env.step({"liar": pixel})
    obs, rewards, terms, _, infos = env.step({"liar": int(np.flatnonzero(obs["liar"]["action_mask"])[0])})
    assert all(terms.values()) and sum(rewards.values()) == 0.0 and env.agents == []
    assert set(infos["honest"]["outcome"]) >= {"verdict", "judge_correct", "judge_wrong"}


# --- the single-agent view -----------------------------------------------------------------
def test_single_agent_view_passes_gymnasium_check_env() -> None:
    env = oversight_gym.make_single_agent(PIXELS, "honest", RandomAgent(seed=0), **SMALL)
    check_single_agent_view(env)
    liar = oversight_gym.make_single_agent(PIXELS, "liar", RandomAgent(seed=0), liar_label="choose",
                                           illegal_action="raise", **SMALL)
    check_single_agent_view(liar)
    assert liar.illegal_action == "raise"  # restored after check_env
    check_single_agent_view(SingleAgentEnv(PenniesGame(), "odd", RandomAgent(seed=1)))


def test_single_agent_view_plays_opponents_until_the_learner_moves() -> None:
    env = oversight_gym.make_single_agent(PIXELS, "liar", RandomAgent(seed=0), pixels=4, **SMALL)
    obs, info = env.reset(seed=0)
    assert info == {} and len(env.game_state.reveals) == 1  # the honest opponent has revealed first
    total, done = 0.0, False
    while not done:
        action = int(np.flatnonzero(obs["action_mask"])[0])
        obs, reward, done, truncated, info = env.step(action)
        total += reward
        assert not truncated
    assert total in (1.0, -1.0) and info["outcome"]["liar_label"] == env.game_state.claims[1]
    assert not obs["action_mask"].any()


def test_single_agent_illegal_action_modes() -> None:
    penalty = oversight_gym.make_single_agent(PIXELS, "honest", RandomAgent(seed=0), illegal_penalty=-3.0, **SMALL)
    obs, _ = penalty.reset(seed=0)
    claim = penalty.game.label_action(0)  # claiming a label during the reveals
    before = penalty.game_state.transcript_json()
    obs, reward, terminated, truncated, info = penalty.step(claim)
    assert (reward, terminated, truncated, info) == (-3.0, True, False, {"illegal_action": True})
    assert penalty.game_state.transcript_json() == before
    penalty.reset(seed=0)  # the penalty ended the episode (Gymnasium: no step after it)
    obs, reward, terminated, _, _ = penalty.step(10_000)  # out of range is illegal too
    assert terminated and reward == -3.0

    strict = oversight_gym.make_single_agent(PIXELS, "honest", RandomAgent(seed=0), illegal_action="raise", **SMALL)
    strict.reset(seed=0)
    with pytest.raises(IllegalActionError, match="not during them"):
        strict.step(claim)

    with pytest.raises(ValueError, match="illegal_action must be one of"):
        oversight_gym.make_single_agent(PIXELS, "honest", RandomAgent(), illegal_action="ignore", **SMALL)
    with pytest.raises(ValueError, match="seat 'judge' is not a seat"):
        oversight_gym.make_single_agent(PIXELS, "judge", RandomAgent(), **SMALL)
    game = PenniesGame()
    with pytest.raises(ValueError, match=r"missing \['odd'\]"):
        SingleAgentEnv(game, "even", {"even": RandomAgent()})
    with pytest.raises(RuntimeError, match="reset"):
        SingleAgentEnv(game, "even", RandomAgent()).step(0)


# --- the registry --------------------------------------------------------------------------
@pytest.fixture
def scratch_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Register test games without leaking them into other tests."""
    monkeypatch.setattr(registry_module, "_REGISTRY", dict(registry_module._REGISTRY))
    monkeypatch.setattr(pettingzoo.env_registry.registration, "aec_registry", dict(pettingzoo.aec_registry))
    monkeypatch.setattr(pettingzoo.env_registry.registration, "parallel_registry", dict(pettingzoo.parallel_registry))


@pytest.mark.parametrize("bad", ["pennies", "test/pennies", "Test/pennies-v0", "test/pennies-v", "a/b/c-v1", ""])
def test_register_rejects_unversioned_ids(bad: str) -> None:
    with pytest.raises(ValueError, match="family/name-vN"):
        oversight_gym.register(bad, PenniesGame, "matching pennies")


def test_unknown_id_is_a_key_error_listing_the_registered_ids() -> None:
    for fn in (oversight_gym.make, oversight_gym.make_parallel, oversight_gym.make_game, registry_module.spec):
        with pytest.raises(KeyError, match="no environment 'debate/pixel-v0'; registered: .*debate/pixels-v0"):
            fn("debate/pixel-v0")


@pytest.mark.parametrize(
    ("space", "message"),
    [
        ({"rounds": []}, "list of values is empty"),
        ({"rounds": (3, 1)}, "low <= high"),
        ({"rounds": (1, 2, 3)}, r"int range \(low, high\)"),
        ({"rounds": (1.0, 2.0)}, r"int range \(low, high\)"),
        ({"rounds": 3}, "must be a list of values"),
        ([], "non-empty list of dicts"),
        (["rounds"], "branch 0 must be a dict"),
    ],
)
def test_register_rejects_a_malformed_space(space: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        oversight_gym.register("test/pennies-v0", PenniesGame, "matching pennies", space=space)


@pytest.mark.usefixtures("scratch_registry")
def test_registered_game_gets_every_view() -> None:
    oversight_gym.register("test/pennies-v0", PenniesGame, "matching pennies", kwargs={"rounds": 2},
                           space={"rounds": (1, 4)})
    assert "test/pennies-v0" in oversight_gym.registered_ids()
    s = registry_module.spec("test/pennies-v0")
    assert s.space == ({"rounds": (1, 4)},) and s.kwargs == {"rounds": 2}
    assert oversight_gym.make_game("test/pennies-v0").rounds == 2
    assert oversight_gym.make_game("test/pennies-v0", rounds=5).rounds == 5
    assert isinstance(oversight_gym.make("test/pennies-v0"), KernelAECEnv)
    assert isinstance(oversight_gym.make_parallel("test/pennies-v0"), KernelParallelEnv)
    aec = pettingzoo.make("aec", "test/pennies-v0", rounds=3)
    assert isinstance(aec, KernelAECEnv) and aec.game.rounds == 3
    assert isinstance(pettingzoo.make("parallel", "test/pennies-v0"), KernelParallelEnv)
    assert isinstance(oversight_gym.make_single_agent("test/pennies-v0", "even", RandomAgent()), SingleAgentEnv)
    with pytest.raises(TypeError):
        oversight_gym.make("test/pennies-v0", colour="red")


# --- the checks of oversight_gym.testing catch broken environments -------------------------
class UnseededPenniesGame(PenniesGame):
    """Takes its bonus round from state that outlives a reset, not from the generator it is given.

    A counter shared by every instance stands in for numpy's global generator: it never repeats
    from one episode to the next, so the check must fail at the first event (a global random draw
    would repeat by chance one time in ``rounds`` and let the test flake).
    """

    name = "test/unseeded-pennies-v0"
    episodes_started = 0

    def new_initial_state(self, rng: np.random.Generator, **options: Any) -> PenniesState:
        UnseededPenniesGame.episodes_started += 1
        return PenniesState(self, bonus=UnseededPenniesGame.episodes_started % self.rounds)


class ForgetfulAECEnv(KernelAECEnv):
    """Masks out the last legal action although the kernel allows it."""

    def observe(self, agent: str) -> dict[str, np.ndarray]:
        obs = super().observe(agent)
        legal = np.flatnonzero(obs["action_mask"])
        if len(legal) > 1:
            obs["action_mask"][legal[-1]] = 0
        return obs


class LenientAECEnv(KernelAECEnv):
    """Replaces illegal actions by the first legal one instead of refusing them."""

    def step(self, action: Any) -> None:
        if action is not None and self.game_state is not None and not self.game_state.is_terminal():
            mask = self.observe(self.agent_selection)["action_mask"]
            if not (isinstance(action, int | np.integer) and 0 <= action < len(mask) and mask[action]):
                action = int(np.flatnonzero(mask)[0])
        super().step(action)


class UncachedSpacesAECEnv(KernelAECEnv):
    def observation_space(self, agent: str) -> Any:
        return self.game.observation_space(self.possible_agents.index(agent))


def test_check_determinism_catches_unseeded_randomness() -> None:
    with pytest.raises(AssertionError, match="seed 0, episode 0, agent-step 0.*transcript event 0 differs"):
        check_determinism(lambda: KernelAECEnv(UnseededPenniesGame(rounds=50)), seeds=(0,))


def test_check_zero_sum_catches_a_general_sum_game() -> None:
    with pytest.raises(AssertionError, match=r"test/pennies-v0: seed 0, episode 0, agent-step 1, .*sum to 1"):
        check_zero_sum(lambda: pennies_env(payoff=MixedSum(0.0)))


def test_check_env_contract_catches_broken_views() -> None:
    with pytest.raises(AssertionError, match="legal but masked out"):
        check_env_contract(lambda: ForgetfulAECEnv(oversight_gym.make_game(PIXELS, pixels=2, **SMALL)))
    with pytest.raises(AssertionError, match="illegal action .* was accepted"):
        check_env_contract(lambda: LenientAECEnv(oversight_gym.make_game(PIXELS, pixels=2, **SMALL)))
    with pytest.raises(AssertionError, match="observation_space.* returns a new object"):
        check_env_contract(lambda: UncachedSpacesAECEnv(PenniesGame()))
    unnamed = type("UnnamedPennies", (PenniesGame,), {"name": "pennies"})
    with pytest.raises(AssertionError, match="versioned id 'family/name-vN', got 'pennies'"):
        check_env_contract(lambda: KernelAECEnv(unnamed()))


def test_checks_reject_an_env_instead_of_a_factory() -> None:
    with pytest.raises(TypeError, match="zero-argument callable"):
        check_determinism(pennies_env())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="AECEnv"):
        check_zero_sum(lambda: KernelParallelEnv(PenniesGame()))  # type: ignore[arg-type, return-value]


@settings(max_examples=10, deadline=None)
@given(rounds=st.integers(1, 6), seed=st.integers(0, 2**32 - 1))
def test_pennies_returns_match_the_scores(rounds: int, seed: int) -> None:
    env = pennies_env(rounds=rounds)
    episode = rollout(env, RandomAgent(), seed=seed)
    scores = env.unwrapped.game_state.scores
    assert episode.steps == 2 * rounds
    assert episode.returns["even"] == pytest.approx((scores[0] - scores[1]) / 2)
    assert scores.sum() == rounds + 1  # the bonus round counts double


# --- the strategies of oversight_gym.testing ---------------------------------------------------
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_game_kwargs_draws_within_one_branch_of_the_space(data: st.DataObject) -> None:
    no_precommit = data.draw(game_kwargs(PIXELS, precommit=False))
    assert no_precommit["precommit"] is False and no_precommit["liar_label"] == "random"
    chosen = data.draw(game_kwargs(PIXELS, liar_label="choose", pixels=st.sampled_from([1, 6])))
    assert chosen["precommit"] is True and chosen["pixels"] in (1, 6)
    override = data.draw(game_kwargs(PIXELS, pixels=5))  # outside the space: taken as given
    assert override["pixels"] == 5
    assert oversight_gym.make_game(PIXELS, **data.draw(game_kwargs(PIXELS))).judge.config.steps == 300


def test_game_kwargs_rejects_unknown_parameters_and_ids() -> None:
    with pytest.raises(ValueError, match=r"\['colour'\] are not parameters of its game"):
        game_kwargs(PIXELS, colour="red")
    with pytest.raises(KeyError, match="no environment"):
        game_kwargs("debate/nothing-v0")


@pytest.mark.usefixtures("scratch_registry")
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_game_kwargs_of_an_int_range_and_of_a_game_without_space(data: st.DataObject) -> None:
    oversight_gym.register("test/pennies-v0", PenniesGame, "matching pennies", space={"rounds": (2, 4)})
    assert 2 <= data.draw(game_kwargs("test/pennies-v0"))["rounds"] <= 4
    oversight_gym.register("test/pennies-v1", PenniesGame, "matching pennies, no space")
    assert data.draw(game_kwargs("test/pennies-v1")) == {}
    assert data.draw(game_kwargs("test/pennies-v1", rounds=st.just(7))) == {"rounds": 7}


@settings(max_examples=10, deadline=None)
@given(agent=agents(), seed=seeds())
def test_agents_are_seeded_and_play_from_observations(agent: Any, seed: int) -> None:
    assert not agent.requires_state and not agent.classifier.learns
    mask = np.array([0, 1, 0, 1], dtype=np.int8)
    assert agent.act(np.zeros(3, np.float32), mask) in (1, 3)


def test_agents_rejects_unknown_and_stateful_agents(monkeypatch: pytest.MonkeyPatch) -> None:
    from oversight_gym.agents import BaseAgent
    from oversight_gym.agents import base as agents_base

    monkeypatch.setattr(agents_base, "_AGENTS", dict(agents_base._AGENTS))

    class PeekingAgent(BaseAgent):  # registered in the patched copy only
        name = "test-peeking"
        requires_state = True

    with pytest.raises(ValueError, match="'nobody' is not a registered agent"):
        agents(["nobody"])
    with pytest.raises(ValueError, match="'test-peeking' is not drawn: it needs the kernel state"):
        agents(["test-peeking"])
    assert "test-peeking" in agents_base.registered_agents()


@given(policy=policies(), mask=st.lists(st.integers(0, 1), min_size=1, max_size=8).filter(any))
def test_choice_policies_play_legal_actions(policy: ChoicePolicy, mask: list[int]) -> None:
    for _ in range(3):
        assert mask[policy.act(None, mask)] == 1
    policy.reset()
    assert ChoicePolicy().act(None, mask) == mask.index(1)  # no choices: the first legal action
    with pytest.raises(ValueError, match="no legal action"):
        policy.act(None, [0] * len(mask))


def test_numba_caches_are_flushed_when_an_inlined_rule_changes() -> None:
    """A kernel compiled with cache=True is keyed to its own file; drop_stale_caches keys it
    to the rules it inlines as well."""
    from pathlib import Path

    from oversight_gym.core.numba_cache import drop_stale_caches, source_digest
    from oversight_gym.envs.debate import argument_trees
    from oversight_gym.envs.debate.recursive_batch import _simulate

    assert source_digest([argument_trees]) == source_digest([argument_trees])
    assert source_digest([argument_trees]) != source_digest([source_digest])
    stamp = Path(_simulate._cache.cache_path) / "recursive_batch.rule-digest"
    stamp.write_text("an older rule")
    flushed = []
    original = _simulate._cache.flush
    _simulate._cache.flush = lambda: flushed.append(True)
    try:
        drop_stale_caches("recursive_batch", [_simulate], [argument_trees])
        assert flushed and stamp.read_text() == source_digest([argument_trees])
        drop_stale_caches("recursive_batch", [_simulate], [argument_trees])
        assert len(flushed) == 1  # unchanged rules: the cache is kept
    finally:
        _simulate._cache.flush = original


def test_a_seat_without_a_move_gets_one_pass_step() -> None:
    """With one pixel revealed by the liar and no precommit, the honest debater never moves:
    its single-agent view offers one pass, which ends the episode with its return."""
    kw = dict(pixels=1, first="liar", precommit=False, **SMALL)
    env = oversight_gym.make_single_agent(PIXELS, "honest", RandomAgent(seed=0), **kw)
    obs, _ = env.reset(seed=0)
    assert env.game_state.is_terminal() and np.flatnonzero(obs["action_mask"]).tolist() == [0]
    obs, reward, done, _, info = env.step(0)
    assert done and reward == env.game_state.returns()[0] and "outcome" in info
    assert not obs["action_mask"].any()
    strict = oversight_gym.make_single_agent(PIXELS, "honest", RandomAgent(seed=0), illegal_action="raise", **kw)
    strict.reset(seed=0)
    with pytest.raises(IllegalActionError, match="only action is the pass"):
        strict.step(5)


@pytest.mark.usefixtures("scratch_registry")
def test_a_registered_id_is_not_silently_replaced_by_another_game() -> None:
    class OtherPennies(PenniesGame):
        pass

    oversight_gym.register("test/shadow-v0", PenniesGame, "matching pennies")
    oversight_gym.register("test/shadow-v0", PenniesGame, "matching pennies")  # the same game again: fine
    with pytest.raises(ValueError, match="'test/shadow-v0' is already registered for .*override=True"):
        oversight_gym.register("test/shadow-v0", OtherPennies, "a plug-in's game under a built-in id")
    oversight_gym.register("test/shadow-v0", OtherPennies, "replaced on purpose", override=True)
    assert isinstance(oversight_gym.make_game("test/shadow-v0"), OtherPennies)
