"""The pixel debate of Irving, Christiano and Amodei (2018, section 3.1): properties of the
kernel over random configurations and random play, its errors, views and judge cache."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings

import oversight_gym
from oversight_gym import IllegalActionError
from oversight_gym.core.disk_cache import CacheWarning
from oversight_gym.envs.debate import judge as judge_module
from oversight_gym.envs.debate.data import load_dataset
from oversight_gym.envs.debate.judge import JudgeConfig, get_judge
from oversight_gym.envs.debate.pixels import HONEST, LIAR, PixelDebateGame
from oversight_gym.testing import rollout
from oversight_gym.testing.strategies import ChoicePolicy, game_kwargs, policies, seeds

ID = "debate/pixels-v0"
SMALL = {"judge_steps": 300, "judge_hidden": 32}
PROPERTY = settings(max_examples=40, deadline=None)


def small_game(**kwargs: Any) -> PixelDebateGame:
    return PixelDebateGame(**{**SMALL, **kwargs})


def play(game: PixelDebateGame, seed: int = 0, image_index: int | None = None) -> Any:
    """A kernel state played to the end by always taking the first legal action."""
    state = game.new_initial_state(np.random.default_rng(seed), image_index=image_index)
    while not state.is_terminal():
        state.apply_action(state.legal_actions()[0])
    return state


# --- properties over random configurations and random play ---------------------------------
@PROPERTY
@given(kwargs=game_kwargs(ID, payoff=None), policy=policies(), seed=seeds())
def test_returns_sum_to_zero(kwargs: dict[str, Any], policy: ChoicePolicy, seed: int) -> None:
    env = oversight_gym.make(ID, **kwargs)
    episode = rollout(env, policy, seed=seed)
    state = env.unwrapped.game_state
    assert state.is_terminal()
    assert sorted(state.returns().tolist()) == [-1.0, 1.0]
    assert sum(episode.returns.values()) == 0.0
    assert episode.returns == {"honest": state.returns()[HONEST], "liar": state.returns()[LIAR]}


@PROPERTY
@given(kwargs=game_kwargs(ID), policy=policies(), seed=seeds())
def test_no_revealed_value_differs_from_the_image(kwargs: dict[str, Any], policy: ChoicePolicy, seed: int) -> None:
    env = oversight_gym.make(ID, **kwargs)
    rollout(env, policy, seed=seed)
    state = env.unwrapped.game_state
    train, test = load_dataset("digits")
    data = test if kwargs.get("split", "test") == "test" else train
    image = data.images[state.image_index]
    reveals = [e.data for e in state.transcript if e.kind == "reveal"]
    assert len(reveals) == state.game.pixels
    assert len({r["pixel"] for r in reveals}) == len(reveals)  # no pixel twice
    for r in reveals:
        assert r["value"] == float(image[r["row"], r["col"]])
        assert r["pixel"] == r["row"] * image.shape[1] + r["col"]
    if kwargs.get("forbid_black") and np.count_nonzero(image) >= state.game.pixels:
        assert all(r["value"] > 0 for r in reveals)
    outcome = state.outcome()
    assert outcome["revealed_all_true"] and outcome["true_label"] == data.labels[state.image_index]
    assert outcome["liar_label"] != outcome["true_label"]


@PROPERTY
@given(kwargs=game_kwargs(ID), policy=policies(), seed=seeds())
def test_same_seed_same_transcript(kwargs: dict[str, Any], policy: ChoicePolicy, seed: int) -> None:
    transcripts = []
    for _ in range(2):
        env = oversight_gym.make(ID, **kwargs)
        rollout(env, policy, seed=seed)  # rollout rewinds the policy
        transcripts.append(env.unwrapped.game_state.transcript_json())
    assert transcripts[0] == transcripts[1]
    assert '"kind":"verdict"' in transcripts[0]


# --- bad configurations --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"pixels": 0}, r"pixels must be in \[1, .*\], got 0"),
        ({"pixels": 65}, r"pixels must be in \[1, 64\], got 65: the images of dataset='digits' have 64 pixels"),
        ({"pixels": 2.5}, "pixels must be an integer"),
        ({"liar_label": "sometimes"}, "liar_label must be one of .*'random'.*got 'sometimes'"),
        ({"liar_label": 10}, r"liar_label must be one of .*, 9\], got 10"),
        ({"split": "validation"}, r"split must be one of \['test', 'train'\], got 'validation'"),
        ({"first": "judge"}, r"first must be one of \['honest', 'liar'\], got 'judge'"),
        ({"precommit": False, "liar_label": "judge"}, "liar_label must be 'random' without precommit.*"
                                                      "got liar_label='judge', precommit=False"),
        ({"precommit": False, "liar_label": 3}, "liar_label must be 'random' without precommit.*got liar_label=3"),
        ({"precommit": "yes"}, "precommit must be True or False"),
        ({"forbid_black": 1}, "forbid_black must be True or False"),
        ({"dataset": "cifar"}, "dataset must be 'digits' or 'mnist:/path/to/idx/folder', got 'cifar'"),
        ({"judge_steps": 0}, r"judge_steps must be in \[1, 1000000\], got 0"),
    ],
)
def test_bad_options_raise_value_error_naming_the_parameter(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        small_game(**kwargs)


def test_bad_reset_options_raise_value_error() -> None:
    game = small_game(pixels=2, liar_label=3)
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"image_index must be in \[0, 359\], got 360"):
        game.new_initial_state(rng, image_index=360)
    threes = np.flatnonzero(game.data.labels == 3)
    with pytest.raises(ValueError, match="liar_label=3 is the true label of image"):
        game.new_initial_state(rng, image_index=int(threes[0]))
    env = oversight_gym.make(ID, pixels=2, **SMALL)
    with pytest.raises(ValueError, match="image_index must be an integer"):
        env.reset(seed=0, options={"image_index": "first"})


# --- illegal actions -----------------------------------------------------------------------
def test_revealing_a_revealed_pixel_is_illegal() -> None:
    env = oversight_gym.make(ID, pixels=4, **SMALL)
    env.reset(seed=0, options={"image_index": 0})
    env.step(10)
    before = env.unwrapped.game_state.transcript_json()
    with pytest.raises(IllegalActionError, match=r"action 10 \(reveal \(1,2\)\) is not legal for liar now: "
                                                 "pixel 10 is already revealed"):
        env.step(10)
    assert env.unwrapped.game_state.transcript_json() == before and env.agent_selection == "liar"
    env.step(11)  # the game goes on


def test_claiming_during_the_reveals_is_illegal() -> None:
    game = small_game(pixels=4)
    state = game.new_initial_state(np.random.default_rng(0))
    with pytest.raises(IllegalActionError, match="labels are claimed before or after the reveals, not during them"):
        state.apply_action(game.label_action(1))


def test_claiming_the_true_label_is_illegal() -> None:
    for kwargs in ({"liar_label": "choose"}, {"precommit": False}):
        game = small_game(pixels=2, **kwargs)
        state = game.new_initial_state(np.random.default_rng(0), image_index=7)
        if not game.precommit:  # the claim comes after the reveals
            state.apply_action(0)
            state.apply_action(1)
        assert state.current_player() == LIAR
        with pytest.raises(IllegalActionError, match=f"label {state.true_label} is the true label; "
                                                     "the liar must claim a wrong one"):
            state.apply_action(game.label_action(state.true_label))
        with pytest.raises(IllegalActionError, match="the liar must claim a label now"):
            state.apply_action(5)
        lie = (state.true_label + 1) % 10
        state.apply_action(game.label_action(lie))
        assert state.claims == [state.true_label, lie]


def test_revealing_a_black_pixel_is_illegal_with_forbid_black() -> None:
    game = small_game(pixels=2, forbid_black=True)
    state = game.new_initial_state(np.random.default_rng(0), image_index=0)
    black = int(np.flatnonzero(state.image == 0)[0])
    with pytest.raises(IllegalActionError, match="black pixels are forbidden"):
        state.apply_action(black)


def test_actions_after_the_end_are_illegal() -> None:
    state = play(small_game(pixels=2))
    with pytest.raises(IllegalActionError, match="the game is over"):
        state.apply_action(0)


# --- information -----------------------------------------------------------------------------
def liar_claim_seen_by(state: Any, player: int) -> np.ndarray:
    g = state.game
    obs = state.observation(player)
    start = 4 * g.data.num_pixels + g.num_classes
    return obs[start:start + g.num_classes]


def test_without_precommit_the_honest_player_sees_the_lie_only_at_the_end() -> None:
    game = small_game(pixels=4, precommit=False)
    state = game.new_initial_state(np.random.default_rng(1))
    while not state.is_terminal():
        assert not liar_claim_seen_by(state, HONEST).any()
        if state.current_player() == LIAR and state.legal_actions()[0] >= game.data.num_pixels:
            lie = (state.true_label + 3) % 10
            state.apply_action(game.label_action(lie))
        else:
            state.apply_action(state.legal_actions()[-1])
    assert np.flatnonzero(liar_claim_seen_by(state, HONEST)).tolist() == [lie]
    assert np.flatnonzero(liar_claim_seen_by(state, LIAR)).tolist() == [lie]
    claims = [e for e in state.transcript if e.kind == "claim"]
    assert [e.player for e in claims] == [HONEST, LIAR] and claims[-1].data == {"label": lie}

    precommitted = small_game(pixels=4).new_initial_state(np.random.default_rng(1))
    assert liar_claim_seen_by(precommitted, HONEST).sum() == 1.0  # with precommit it is public from the start


# --- rendering ---------------------------------------------------------------------------------
def test_render_ansi_and_rgb_array() -> None:
    for mode in ("ansi", "rgb_array"):
        env = oversight_gym.make(ID, pixels=2, render_mode=mode, **SMALL)
        env.reset(seed=0, options={"image_index": 3})
        env.step(9)  # honest reveals (1, 1)
        env.step(20)  # liar reveals (2, 4)
        out = env.render()
        if mode == "ansi":
            assert isinstance(out, str)
            assert "honest claims" in out and "revealed 2/2" in out and "judge says" in out
            rows = out.splitlines()
            assert "H" in rows[3] and "L" in rows[4]  # header, column numbers, then rows 0, 1, 2
        else:
            scale = 16
            assert out.shape == (8 * scale, 8 * scale, 3) and out.dtype == np.uint8
            assert out[1 * scale, 1 * scale + scale // 2].tolist() == [40, 200, 60]  # honest: green border
            assert out[2 * scale, 4 * scale + scale // 2].tolist() == [220, 40, 40]  # liar: red border
            plain = out[0, 0]
            assert plain[0] == plain[1] == plain[2]  # unrevealed pixels stay grey


# --- the judge -----------------------------------------------------------------------------------
def test_judge_is_cached_on_disk(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OVERSIGHT_GYM_CACHE", str(tmp_path))
    first = small_game(pixels=3)
    files = list((tmp_path / "judges").glob("judge-*.npz"))
    assert len(files) == 1

    def no_training(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the judge should have been loaded from the cache")

    monkeypatch.setattr(judge_module, "train_judge", no_training)
    second = small_game(pixels=3)
    for name in ("w1", "b1", "w2", "b2"):
        assert np.array_equal(getattr(first.judge, name), getattr(second.judge, name))
    assert second.judge.config == first.judge.config == JudgeConfig(pixels=3, hidden=32, steps=300)

    train, _ = load_dataset("digits")
    loaded = get_judge(train, first.judge.config)
    assert np.array_equal(loaded.w1, first.judge.w1)
    monkeypatch.undo()  # training allowed again; the cache folder is gone with the patch
    monkeypatch.setenv("OVERSIGHT_GYM_CACHE", str(tmp_path))
    files[0].write_bytes(b"not a judge")
    with pytest.warns(CacheWarning, match="unreadable"):  # a damaged file is retrained and overwritten
        retrained = get_judge(train, first.judge.config)
    assert np.array_equal(retrained.w1, first.judge.w1)  # training is seeded
    assert judge_module.SparseJudge.load(files[0]).w1.shape == first.judge.w1.shape


def test_default_judge_alone_is_well_above_chance_on_the_test_split() -> None:
    game = PixelDebateGame()  # the registered default: 6 pixels, the default judge
    assert game.split == "test" and game.data.name == "digits-test"
    correct, total = game.judge.evaluate_alone(game.data)
    assert total == 10 * len(game.data)
    assert correct / total > 0.35, f"judge alone: {correct}/{total}"  # chance is 10%


def test_a_fixed_lie_never_meets_a_drawn_image_of_its_own_label() -> None:
    """A fixed ``liar_label`` is a valid configuration: every reset without an image plays an
    image of another label (before, one seed in ten raised)."""
    game = small_game(pixels=2, liar_label=3)
    for seed in range(60):
        state = game.new_initial_state(np.random.default_rng(seed))
        assert int(game.data.labels[state.image_index]) != 3
