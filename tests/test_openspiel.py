"""The OpenSpiel view: OpenSpiel's solvers on our kernel games agree with ours."""

from __future__ import annotations

import numpy as np
import pytest

from oversight_gym.agents.search.minimax import MinimaxAgent
from oversight_gym.core.registry import make_game

pyspiel = pytest.importorskip("pyspiel")
from open_spiel.python import policy as os_policy  # noqa: E402
from open_spiel.python.algorithms import cfr, expected_game_score, exploitability, minimax  # noqa: E402

from oversight_gym.core.openspiel import to_openspiel  # noqa: E402

POSITIONS = [{"image_index": 0, "liar_label": 3}, {"image_index": 5, "liar_label": 1},
             {"image_index": 11, "liar_label": "judge"}]


@pytest.fixture(scope="module")
def game():
    # two pixels from non-black squares: a few hundred leaves per position
    return make_game("debate/pixels-v0", pixels=2, judge_steps=300, forbid_black=True)


def our_value(game, options) -> float:
    state = game.new_initial_state(np.random.default_rng(0), **options)
    _, values, _ = MinimaxAgent().action_values(state)
    return float(values.max())


def test_openspiel_alpha_beta_agrees_with_our_exact_solver(game) -> None:
    for options in POSITIONS:
        exported = to_openspiel(game, [(1.0, options)], perfect_information=True)
        value, action = minimax.alpha_beta_search(exported, maximizing_player_id=0)
        assert value == pytest.approx(our_value(game, options))
        # OpenSpiel's chosen first move is one of the moves our solver values at the optimum
        state = game.new_initial_state(np.random.default_rng(0), **options)
        actions, values, _ = MinimaxAgent().action_values(state)
        assert values[list(actions).index(action)] == pytest.approx(value)


def test_cfr_on_the_exported_game_approaches_the_minimax_value(game) -> None:
    positions = [(0.5, POSITIONS[0]), (0.5, POSITIONS[1])]
    exported = to_openspiel(game, positions)
    assert exported.get_type().chance_mode == pyspiel.GameType.ChanceMode.EXPLICIT_STOCHASTIC
    uniform = exploitability.exploitability(exported, os_policy.UniformRandomPolicy(exported))
    solver = cfr.CFRSolver(exported)
    for _ in range(30):
        solver.evaluate_and_update_policy()
    avg = solver.average_policy()
    expl = exploitability.exploitability(exported, avg)
    assert 0 <= expl < uniform
    # in a zero-sum game a profile's value is within its NashConv of the game's value
    value = expected_game_score.policy_value(exported.new_initial_state(), [avg, avg])[0]
    exact = float(np.mean([our_value(game, o) for _, o in positions]))
    assert abs(value - exact) <= 2 * expl + 1e-9


def test_exported_states_follow_the_kernel(game) -> None:
    exported = to_openspiel(game, [(0.25, POSITIONS[0]), (0.75, POSITIONS[1])])
    root = exported.new_initial_state()
    assert root.is_chance_node() and root.chance_outcomes() == [(0, 0.25), (1, 0.75)]
    root.apply_action(1)
    kernel = game.new_initial_state(np.random.default_rng(0), **POSITIONS[1])
    rng = np.random.default_rng(3)
    while not kernel.is_terminal():
        p = kernel.current_player()
        assert root.current_player() == p and root.legal_actions() == kernel.legal_actions(p)
        a = int(rng.choice(kernel.legal_actions(p)))
        before = root.clone()
        root.apply_action(a)
        kernel.apply_action(a)
        assert before.history() == root.history()[:-1]  # clones are independent
    assert root.is_terminal() and root.returns() == pytest.approx(kernel.returns().tolist())
    # perfect recall: each player's information state grows with every move
    assert root.information_state_string(0).count(",") >= 2
    assert len(root.observation_tensor(0)) == int(np.prod(game.observation_shape(0)))


def test_bad_exports_are_refused(game) -> None:
    with pytest.raises(ValueError, match="probabilities must be positive and sum to 1"):
        to_openspiel(game, [(0.5, POSITIONS[0])])
    with pytest.raises(ValueError, match="max_nodes"):
        to_openspiel(make_game("debate/pixels-v0", pixels=6, judge_steps=300), [(1.0, POSITIONS[0])], max_nodes=1000)
