"""Generic search agents (MCTS, greedy, minimax) on a game they know nothing about: Nim, whose
optimal moves are known; their parameters and registration. Search on the pixel debate, with
its compiled fast paths, is tested in test_pixel_search.py."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from oversight_gym.agents import filter_agents, make_agent
from oversight_gym.agents.search import GreedyAgent, MCTSAgent, MinimaxAgent
from oversight_gym.core.game import Game, State


# --- a generic kernel: Nim (take 1-3; who takes the last object wins) --------------------------
class NimGame(Game):
    name = "test/nim-v0"
    player_names = ("first", "second")

    def __init__(self, objects: int = 7) -> None:
        super().__init__()
        self.objects = objects

    def new_initial_state(self, rng: np.random.Generator, **options: Any) -> NimState:
        return NimState(self, self.objects)

    def num_distinct_actions(self) -> int:
        return 3

    def observation_shape(self, player: int) -> tuple[int, ...]:
        return (1,)


class NimState(State):
    def __init__(self, game: NimGame, left: int) -> None:
        super().__init__(game)
        self.left = left
        self.mover = 0

    def current_player(self) -> int:
        return self.mover if self.left > 0 else -4

    def legal_actions_mask(self, player: int) -> np.ndarray:
        return np.array([int(self.left >= t and player == self.mover) for t in (1, 2, 3)], dtype=np.int8)

    def _apply(self, player: int, action: int) -> None:
        self.left -= action + 1
        self.mover = 1 - self.mover

    def raw_returns(self) -> np.ndarray:
        if self.left > 0:
            return np.zeros(2)
        winner = 1 - self.mover  # the player who took the last object
        return np.array([1.0, -1.0]) if winner == 0 else np.array([-1.0, 1.0])

    def observation(self, player: int) -> np.ndarray:
        return np.array([self.left], np.float32)

    def clone(self) -> NimState:
        new = NimState(self.game, self.left)  # type: ignore[arg-type]
        new.mover = self.mover
        return new


@pytest.mark.parametrize("objects", [5, 6, 7, 9, 10, 11])
def test_generic_search_on_nim(objects: int) -> None:
    state = NimGame(objects).new_initial_state(np.random.default_rng(0))
    winning = objects % 4 - 1  # take objects % 4 and leave a multiple of four
    _, values, _ = MinimaxAgent().action_values(state)
    assert values.tolist() == [1.0 if a == winning else -1.0 for a in range(3)]
    assert MinimaxAgent().act(None, None, state) == winning
    assert MCTSAgent(rollouts=3000, seed=1).act(None, None, state) == winning
    with pytest.raises(ValueError, match="engine"):
        MCTSAgent(engine="numba").act(None, None, state)


# --- parameters and registry -------------------------------------------------------------------
@pytest.mark.parametrize("cls, kwargs, name", [
    (MCTSAgent, {"rollouts": 0}, "rollouts"),
    (MCTSAgent, {"rollouts": 2.5}, "rollouts"),
    (MCTSAgent, {"c_puct": -1.0}, "c_puct"),
    (MCTSAgent, {"c_puct": "big"}, "c_puct"),
    (MCTSAgent, {"batch_size": 0}, "batch_size"),
    (MCTSAgent, {"engine": "cuda"}, "engine"),
    (MCTSAgent, {"seed": "x"}, "seed"),
    (MinimaxAgent, {"depth": 0}, "depth"),
    (MinimaxAgent, {"engine": "gpu"}, "engine"),
    (GreedyAgent, {"seed": 1.5}, "seed"),
])
def test_bad_parameters_name_the_parameter(cls: type, kwargs: dict[str, Any], name: str) -> None:
    with pytest.raises(ValueError, match=name):
        cls(**kwargs)


def test_registered() -> None:
    assert isinstance(make_agent("mcts", rollouts=5), MCTSAgent)
    assert isinstance(make_agent("greedy"), GreedyAgent)
    assert isinstance(make_agent("minimax"), MinimaxAgent)
    names = {c.name for c in filter_agents(uses_search=True, requires_state=True)}
    assert {"mcts", "greedy", "minimax"} <= names
    with pytest.raises(ValueError, match="state"):
        MCTSAgent().act(np.zeros(3), np.ones(3, np.int8))
