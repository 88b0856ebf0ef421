"""Equilibria of normal-form games and tournaments of agent populations."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from oversight_gym.analysis.equilibria import (
    nash_conv,
    nash_equilibria,
    regret,
    symmetric_zero_sum_equilibrium,
    zero_sum_equilibrium,
)
from oversight_gym.analysis.measures import find
from oversight_gym.runner.scenario import get_scenario
from oversight_gym.runner.tournament import Entrant, population, run_tournament

payoffs = st.integers(2, 5).flatmap(lambda m: st.integers(2, 5).flatmap(
    lambda n: arrays(np.float64, (m, n), elements=st.integers(-5, 5).map(float))))


@settings(max_examples=60, deadline=None)
@given(payoffs)
def test_zero_sum_lp_solution_is_an_equilibrium_with_the_minimax_value(A: np.ndarray) -> None:
    eq = zero_sum_equilibrium(A)
    assert eq.row_regret <= 1e-7 and eq.col_regret <= 1e-7
    # the value is what the row player guarantees and what the column player concedes
    assert (eq.row @ A).min() == pytest.approx(eq.row_value, abs=1e-7)
    assert (A @ eq.col).max() == pytest.approx(eq.row_value, abs=1e-7)
    assert eq.row_value + eq.col_value == pytest.approx(0.0, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(payoffs, st.data())
def test_every_general_sum_equilibrium_found_has_no_profitable_deviation(A: np.ndarray, data) -> None:
    B = data.draw(arrays(np.float64, A.shape, elements=st.integers(-5, 5).map(float)), label="B")
    found = nash_equilibria(A, B, method="lemke-howson")
    for eq in found:
        assert nash_conv(A, B, eq.row, eq.col) <= 1e-6
    # every finite game has an equilibrium; support enumeration finds one when Lemke-Howson degenerates
    if not found:
        assert nash_equilibria(A, B, method="vertex") or nash_equilibria(A, B, method="support")


def test_known_games() -> None:
    rps = np.array([[0, -1, 1], [1, 0, -1], [-1, 1, 0]], dtype=float)
    eq = symmetric_zero_sum_equilibrium(rps)
    assert np.allclose(eq.row, 1 / 3) and abs(eq.row_value) < 1e-9
    # prisoner's dilemma: the only equilibrium is mutual defection
    A = np.array([[3, 0], [5, 1]], dtype=float)
    (pd,) = nash_equilibria(A, A.T, method="support")
    assert np.allclose(pd.row, [0, 1]) and np.allclose(pd.col, [0, 1])
    # battle of the sexes: two pure equilibria and one mixed
    A, B = np.array([[2, 0], [0, 1]], float), np.array([[1, 0], [0, 2]], float)
    mixed = [e for e in nash_equilibria(A, B, method="vertex") if 0 < e.row[0] < 1]
    assert len(nash_equilibria(A, B, method="vertex")) == 3 and np.allclose(mixed[0].row, [2 / 3, 1 / 3])
    assert regret(A, B, [1, 0], [0, 1]) == (1.0, 1.0)  # each gains 1 by matching the other


def test_bad_input_is_named() -> None:
    with pytest.raises(ValueError, match="A must be a non-empty 2-D"):
        zero_sum_equilibrium([1, 2])
    with pytest.raises(ValueError, match="same shape"):
        regret([[1]], [[1, 2]], [1], [1])
    with pytest.raises(ValueError, match="x must be a probability vector"):
        regret([[1, 0]], [[0, 1]], [0.5], [0.5, 0.5])
    with pytest.raises(ValueError, match="method must be one of"):
        nash_equilibria([[1]], [[2]], method="magic")
    with pytest.raises(ValueError, match="antisymmetric"):
        symmetric_zero_sum_equilibrium([[1, 0], [0, 1]])


# --- tournaments ------------------------------------------------------------------------------
SMALL = {"judge_steps": 300, "pixels": 4}


def test_tournament_plays_every_assignment_with_common_seeds_and_resumes(tmp_path: Path) -> None:
    ents = [Entrant("random"), Entrant("greedy"), Entrant("mcts", {"rollouts": 20})]
    path = tmp_path / "t.jsonl"
    res = run_tournament("debate/pixels-v0", ents, repetitions=4, game_kwargs=SMALL, results=path, progress=False)
    assert len(res.records) == 9 * 4
    by_rep: dict[int, set[int]] = {}
    for r in res.records:
        by_rep.setdefault(r["repetition"], set()).add(r["seed"])
        assert r["seats"] == [ents[i].label for i in r["assignment"]]
        assert sum(r["returns"]) == pytest.approx(0.0)
    assert all(len(s) == 1 for s in by_rep.values())  # common random numbers across pairs
    A, B = res.meta_game()
    assert A.shape == (3, 3) and np.allclose(A, -B)
    again = run_tournament("debate/pixels-v0", ents, repetitions=4, game_kwargs=SMALL, results=path, progress=False)
    assert again.meta_game()[0].tolist() == A.tolist()  # read back, not replayed
    same = run_tournament("debate/pixels-v0", ents, repetitions=4, game_kwargs=SMALL, workers=2, progress=False)
    assert np.array_equal(same.meta_game()[0], A)  # same seed, same table, in parallel too
    rows = res.seat_scores()
    assert {r["seat"] for r in rows} == {"honest", "liar"} and len(rows) == 6
    assert res.plot(tmp_path / "m.png").stat().st_size > 0


def test_population_filters_by_classifier_and_bad_entrants_fail_early() -> None:
    searchers = {e.agent for e in population("debate/pixels-v0", uses_search=True)}
    assert {"mcts", "minimax", "greedy"} <= searchers and "random" not in searchers
    with pytest.raises(ValueError, match="labels must be distinct"):
        run_tournament("debate/pixels-v0", [Entrant("random"), Entrant("random")], 1, game_kwargs=SMALL)
    with pytest.raises(ValueError, match="agent must be one of"):
        run_tournament("debate/pixels-v0", [Entrant("nobody")], 1, game_kwargs=SMALL)
    with pytest.raises(ValueError, match="repetitions"):
        run_tournament("debate/pixels-v0", [Entrant("random")], 0, game_kwargs=SMALL)


def test_debate_tournament_scenario(tmp_path: Path) -> None:
    sc = get_scenario("debate-tournament")
    res = sc.execute({"repetitions": 3, "judge_steps": 300, "pixels": 4,
                      "agents": "random,greedy,mcts:rollouts=10,filter:deterministic=true"},
                     quick=True, out=tmp_path, progress=False, workers=1)
    text = res.table()
    assert "zero-sum equilibrium" in text and "weight at the equilibrium" in text
    labels = [m.setting["agent"] for m in res.measures if m.name == "weight at the equilibrium"
              and m.setting["seat"] == "liar"]
    assert len(labels) >= 4 and labels[:3] == ["random", "greedy", "mcts(rollouts=10)"]
    payoffs = [m for m in res.measures if m.name == "payoff to the honest seat"]
    assert len(payoffs) == len(labels) ** 2 and all(m.n == 3 and -1 <= m.value <= 1 for m in payoffs)
    for seat in ("honest", "liar"):  # each seat's equilibrium weights form a distribution
        weights = [m.value for m in res.measures if m.name == "weight at the equilibrium" and m.setting["seat"] == seat]
        assert abs(sum(weights) - 1) < 1e-9 and min(weights) >= 0
    value = find(res.measures, "value to the honest seat").value
    assert -1 <= value <= 1 and find(res.measures, "honest win rate at the equilibrium").value == (value + 1) / 2
    assert find(res.measures, "regret of the honest mixture").value < 1e-6
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["params"]["agents"][0] == "random" and len(summary["measures"]) == len(res.measures)
    assert (tmp_path / "meta_game.png").exists() and (tmp_path / "equilibrium.png").exists()
    with pytest.raises(ValueError, match="at least two entrants"):
        sc.execute({"agents": "random"}, quick=True, out=tmp_path, progress=False)


def test_lemke_howson_ends_on_a_degenerate_game_where_a_plain_loop_cycles() -> None:
    """Found by a random search: from label 0 the Lemke-Howson path of this 3x1 game never
    becomes fully labelled (nashpy's own loop, which has no bound, spins forever). The bounded
    path gives up, the search returns, and support enumeration finds the game's equilibrium."""
    from oversight_gym.analysis.equilibria import _lemke_howson

    A, B = np.array([[3.0], [3.0], [4.0]]), np.array([[-4.0], [-5.0], [4.0]])
    with pytest.raises(RuntimeError, match="did not end within"):
        _lemke_howson(A, B, 0)
    assert nash_equilibria(A, B, method="lemke-howson") == []  # every label degenerates here
    (eq,) = nash_equilibria(A, B, method="support")
    assert eq.row.tolist() == [0.0, 0.0, 1.0] and eq.nash_conv <= 1e-9
