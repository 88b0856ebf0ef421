"""The text view (:mod:`oversight_gym.core.text`) of every registered game, over configurations
and reachable states drawn by hypothesis: every legal action is listed under its own name and
read back from its name, its number and prose around it; a reply that names no action is
refused with a message that says how to answer. A game registered later is covered without a
line of test code."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import oversight_gym
from oversight_gym.core.text import ReplyError, TextObservation, observe_text
from oversight_gym.testing import check_text_view
from oversight_gym.testing.strategies import game_kwargs, seeds

IDS = oversight_gym.registered_ids()


@pytest.mark.parametrize("env_id", IDS)
@settings(max_examples=6, deadline=None)
@given(data=st.data(), seed=seeds())
def test_every_game_renders_and_parses_all_legal_actions(env_id: str, data: st.DataObject, seed: int) -> None:
    kwargs = data.draw(game_kwargs(env_id), label="kwargs")
    game = oversight_gym.make_game(env_id, **kwargs)
    assert check_text_view(game, seed=seed, max_decisions=25) > 0


@pytest.mark.parametrize("env_id", IDS)
def test_every_seat_has_rules_a_goal_and_a_prompt(env_id: str) -> None:
    game = oversight_gym.make_game(env_id)
    state = game.new_initial_state(np.random.default_rng(0))
    for player in range(game.num_players):
        assert game.player_names[player] in game.rules_text(player)
        assert state.observation_text(player).strip()
    from oversight_gym.core.episode import movers

    player = movers(state)[0]
    view = observe_text(state, player)
    assert game.name in view.system and "ACTION:" in view.prompt


VIEW = TextObservation(seat="s", system="", prompt="", actions={0: "honest", 1: "attack", 2: "attack+signal",
                                                                 3: "p=1.4277", 10: "verify leaf 1"})


@pytest.mark.parametrize(("reply", "action"), [
    ("ACTION: attack", 1), ("action:attack+signal", 2), ("I choose attack+signal.", 2), ("**ACTION:** 10", 10),
    ("Honest is safer. Attack is risky.\nACTION: honest", 0), ("Set p=1.4277 this round.", 3),
    ("verify leaf 1", 10), ("3", 3), ("I will charge 1.4277 this period", 3),
    ("ACTION: 1.42770", 3), ("ACTION: 2 (attack+signal)", 2), ("Thinking: 1, 2, 3...\nAction: 0", 0),
])
def test_replies_read_as_intended(reply: str, action: int) -> None:
    assert VIEW.parse(reply) == action


@pytest.mark.parametrize(("reply", "says"), [
    ("no idea", "names no legal action"), ("honest or attack", "several legal actions"),
    ("ACTION: defect", "names no legal action"), ("pick 7", "names no legal action"),
    ("p=1.42", "names no legal action"),
])
def test_replies_naming_no_single_action_are_refused_with_a_way_to_answer(reply: str, says: str) -> None:
    with pytest.raises(ReplyError, match=says) as info:
        VIEW.parse(reply)
    assert "ACTION: <name or number>" in str(info.value)


def test_two_legal_actions_with_one_name_are_told_apart_by_number() -> None:
    from oversight_gym.core.text import action_names

    class Twins:
        def legal_actions(self, player: int) -> list[int]:
            return [0, 1, 2]

        def action_to_string(self, player: int, action: int) -> str:
            return "wait" if action < 2 else "go"

    names = action_names(Twins(), 0)  # type: ignore[arg-type]
    assert names == {0: "wait [0]", 1: "wait [1]", 2: "go"}
