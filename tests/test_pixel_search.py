"""Search in the pixel debate: its value rule, its compiled MCTS and minimax fast paths against
the generic engines, and searching with a target lie (Irving et al. 2018, section 3.1;
Silver et al. 2017 for PUCT).

The judge is trained here, small and fast, and never touches the user's judge cache.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oversight_gym.agents import RandomAgent
from oversight_gym.agents.search import GreedyAgent, MCTSAgent, MinimaxAgent
from oversight_gym.core.game import State
from oversight_gym.envs.debate.data import load_dataset
from oversight_gym.envs.debate.judge import JudgeConfig, SparseJudge, train_judge
from oversight_gym.envs.debate.pixel_runs import TargetedLiar
from oversight_gym.envs.debate.pixel_search import rule_nb
from oversight_gym.envs.debate.pixels import (
    CLAIM_LAST,
    HONEST,
    LIAR,
    PixelDebateGame,
    PixelDebateState,
    honest_value,
)


@pytest.fixture(scope="module")
def judge() -> SparseJudge:
    from threadpoolctl import threadpool_limits

    train, _ = load_dataset("digits")
    with threadpool_limits(1):  # small matrices: one BLAS thread is fastest, and fair to parallel workers
        return train_judge(train, JudgeConfig(pixels=6, hidden=64, steps=2000, seed=0))


def pixel_game(judge: SparseJudge, **kwargs: Any) -> PixelDebateGame:
    return PixelDebateGame(judge=judge, **{"pixels": 6, **kwargs})


def start(game: PixelDebateGame, image: int, reveals: tuple[int, ...] = (), **options: Any) -> PixelDebateState:
    state = game.new_initial_state(np.random.default_rng(image), image_index=image, **options)
    for a in reveals:
        state.apply_action(a)
    return state


def brute_force(state: State, target: int | None = None) -> float:
    """Player 0's minimax value by full enumeration of the game tree (no pruning, no rule);
    with ``target`` the pixel debate's liar must make that its last claim."""
    if state.is_terminal():
        return float(state.returns()[0])
    player = state.current_player()
    actions = state.legal_actions(player)
    if target is not None and getattr(state, "phase", None) == CLAIM_LAST:
        actions = [state.game.label_action(target)]
    values = []
    for a in actions:
        child = state.clone()
        child.apply_action(a)
        values.append(brute_force(child, target))
    return max(values) if player == 0 else min(values)


# --- the value rule ----------------------------------------------------------------------------
logit_lists = st.lists(st.integers(-4, 4).map(float) | st.floats(-30, 30), min_size=10, max_size=10)


@settings(max_examples=150, deadline=None)
@given(z=logit_lists, true=st.integers(0, 9), lie=st.integers(0, 9), final=st.booleans())
def test_value_rule(z: list[float], true: int, lie: int, final: bool) -> None:
    arr = np.array(z)
    lies = [c for c in range(10) if c != true]
    known = [honest_value(z, true, c, final) for c in lies]
    assert all(-1.0 <= v <= 1.0 for v in known)
    # an unknown liar is the judge's favourite lie: the worst case for the honest side
    assert honest_value(z, true, -1, final) == min(known)
    if final:
        assert set(known) <= {-1.0, 1.0}
    if lie != true and not final:
        assert honest_value(z, lie, true, False) == pytest.approx(-honest_value(z, true, lie, False))
    # the numba fast paths compile this very function: the same numbers
    for c in (-1, *lies):
        assert rule_nb(arr, true, c, final) == honest_value(z, true, c, final)


def test_evaluate_is_the_verdict_at_the_end_and_batches(judge: SparseJudge) -> None:
    rng = np.random.default_rng(0)
    for precommit in (True, False):
        game = pixel_game(judge, pixels=3, precommit=precommit)
        states = []
        for image in range(12):
            s = start(game, image)
            while not s.is_terminal():
                if s.phase == CLAIM_LAST:
                    # exact: the unknown liar's value is that of its best claim
                    ends = []
                    for a in s.legal_actions():
                        end = s.clone()
                        end.apply_action(a)
                        ends.append(end.returns()[HONEST])
                    assert s.evaluation_is_exact()
                    assert s.evaluate()[HONEST] == min(ends)
                states.append(s.clone())
                s.apply_action(int(rng.choice(s.legal_actions())))
            assert np.array_equal(s.evaluate(), s.raw_returns())
            states.append(s)
        batch = game.evaluate_batch(states)
        assert np.allclose(batch, np.array([s.evaluate() for s in states]), rtol=0, atol=1e-12)
        assert np.array_equal(batch[:, 0], -batch[:, 1])


# --- MCTS: the numba and python engines --------------------------------------------------------
def engine_cases(judge: SparseJudge) -> list[tuple[str, PixelDebateState, int | None]]:
    pre = pixel_game(judge, pixels=3)
    nopre = pixel_game(judge, pixels=3, precommit=False)
    choose = pixel_game(judge, pixels=2, liar_label="choose")
    dark = pixel_game(judge, pixels=4, forbid_black=True, first="liar")
    six = pixel_game(judge)
    cases: list[tuple[str, PixelDebateState, int | None]] = [
        ("precommit root", start(pre, 0), None),
        ("precommit, liar to move", start(pre, 1, (27,)), None),
        ("precommit, last reveal", start(pre, 2, (27, 36)), None),
        ("no precommit, honest", start(nopre, 3), None),
        ("no precommit, liar with target", start(nopre, 4, (35,)), None),
        ("first claim", start(choose, 5), None),
        ("forbid black, liar first", start(dark, 6, (20,)), None),
        ("six pixels", start(six, 7), None),
    ]
    liar_state = cases[4][1]
    target = (liar_state.true_label + 3) % 10
    cases[4] = (cases[4][0], liar_state, target)
    return cases


def assuming(state: PixelDebateState, target: int | None) -> PixelDebateState:
    """A clone of ``state`` searched as the liar who will claim ``target`` (None: no target)."""
    s = state.clone()
    if target is not None:
        s.assume_lie(target)
    return s


def test_engines_agree(judge: SparseJudge) -> None:
    for label, root, target in engine_cases(judge):
        state = assuming(root, target)
        fast = MCTSAgent(rollouts=600, engine="numba").search(state)
        slow = MCTSAgent(rollouts=600, engine="python").search(state)
        assert fast.engine == "numba" and slow.engine == "python"
        assert np.array_equal(fast.actions, slow.actions), label
        assert np.array_equal(fast.visits, slow.visits), label
        assert fast.visits.sum() == 600
        assert np.allclose(fast.values, slow.values, rtol=0, atol=1e-12), label
        assert fast.best_action() == slow.best_action()
        assert MCTSAgent(rollouts=600).search(state).engine == "numba"  # auto


def test_batched_python_engine(judge: SparseJudge) -> None:
    state = start(pixel_game(judge, pixels=3), 0)
    result = MCTSAgent(rollouts=500, engine="python", batch_size=16).search(state)
    assert result.visits.sum() == 500
    assert state.legal_actions_mask(HONEST)[result.best_action()]
    assert len(state.reveals) == 0  # the root state is not touched


def test_mcts_claims(judge: SparseJudge) -> None:
    nopre = pixel_game(judge, pixels=2, precommit=False)
    s = start(nopre, 8, (10, 20))
    assert s.phase == CLAIM_LAST
    z = judge.logits(s.mask, s.image)
    lies = [c for c in range(10) if c != s.true_label]
    best = max(lies, key=lambda c: (z[c], -c))
    assert s.best_final_claim() == best
    assert MCTSAgent(rollouts=10).act(None, s.legal_actions_mask(LIAR), s) == nopre.label_action(best)
    target = lies[0]
    assert TargetedLiar(MCTSAgent(rollouts=10), target).act(None, None, s.clone()) == nopre.label_action(target)
    with pytest.raises(ValueError, match="label"):
        TargetedLiar(MCTSAgent(rollouts=10), s.true_label).act(None, None, s.clone())
    with pytest.raises(ValueError, match="honest debater never knows"):  # the honest side never knows the lie
        TargetedLiar(MCTSAgent(rollouts=10), target).act(None, None, start(nopre, 8))
    choose = pixel_game(judge, pixels=2, liar_label="choose")
    c0 = start(choose, 9)
    move = MCTSAgent(rollouts=200).act(None, c0.legal_actions_mask(LIAR), c0)
    assert c0.legal_actions_mask(LIAR)[move] and move >= 64


def play(game: PixelDebateGame, agents: list[Any], image: int, seed: int) -> PixelDebateState:
    state = start(game, image)
    for i, agent in enumerate(agents):
        agent.reset(seed + i)
    while not state.is_terminal():
        p = state.current_player()
        state.apply_action(agents[p].act(state.observation(p), state.legal_actions_mask(p), state.clone()))
    return state


def test_honest_mcts_beats_random_play(judge: SparseJudge) -> None:
    game = pixel_game(judge, liar_label="judge")
    images = range(0, 360, 12)  # 30 fixed test images
    mcts = sum(play(game, [MCTSAgent(rollouts=64), RandomAgent()], i, i).returns()[HONEST] > 0 for i in images)
    rand = sum(play(game, [RandomAgent(), RandomAgent()], i, i).returns()[HONEST] > 0 for i in images)
    assert mcts > rand


class DelegatingJudge:
    """A judge of the duck-typed interface that is not a SparseJudge (the numba paths need one)."""

    def __init__(self, inner: SparseJudge) -> None:
        self.inner = inner
        self.num_pixels = inner.num_pixels
        self.num_classes = inner.num_classes
        self.config = None

    def logits(self, mask: np.ndarray, values: np.ndarray) -> np.ndarray:
        return self.inner.logits(mask, values)

    def probs(self, mask: np.ndarray, values: np.ndarray) -> np.ndarray:
        return self.inner.probs(mask, values)

    def decide(self, mask: np.ndarray, values: np.ndarray, labels: tuple[int, int]) -> int:
        return self.inner.decide(mask, values, labels)


def test_another_judge_is_searched_by_the_generic_engine(judge: SparseJudge) -> None:
    state = start(pixel_game(DelegatingJudge(judge), pixels=2), 0)  # type: ignore[arg-type]
    same = start(pixel_game(judge, pixels=2), 0)
    result = MCTSAgent(rollouts=200).search(state)
    assert result.engine == "python"
    assert np.array_equal(result.visits, MCTSAgent(rollouts=200).search(same).visits)
    assert MinimaxAgent().action_values(state)[1].tolist() == MinimaxAgent().action_values(same)[1].tolist()
    for agent in (MCTSAgent(engine="numba"), MinimaxAgent(engine="numba")):
        with pytest.raises(ValueError, match="engine"):
            agent.act(None, None, state)


# --- minimax -----------------------------------------------------------------------------------
def test_minimax_matches_brute_force(judge: SparseJudge) -> None:
    cases = [
        start(pixel_game(judge, pixels=2), 0),
        start(pixel_game(judge, pixels=2, first="liar"), 1),
        start(pixel_game(judge, pixels=3), 2, (36,)),
        start(pixel_game(judge, pixels=1, precommit=False), 3),
        start(pixel_game(judge, pixels=2, precommit=False), 4, (28,)),
        start(pixel_game(judge, pixels=1, liar_label="choose"), 5),
    ]
    for state in cases:
        sign = 1.0 if state.current_player() == HONEST else -1.0
        actions = state.legal_actions()
        truth = []
        for a in actions:
            child = state.clone()
            child.apply_action(a)
            truth.append(sign * brute_force(child))
        for engine in ("numba", "python"):
            got, values, _ = MinimaxAgent(engine=engine).action_values(state)
            assert got.tolist() == actions
            assert values.tolist() == truth, engine
        move = MinimaxAgent().act(None, None, state)
        assert truth[actions.index(move)] == max(truth)


def test_search_with_a_target_lie(judge: SparseJudge) -> None:
    """Without precommit a liar told its lie plays for that lie (the paper's one game per lie)."""
    game = pixel_game(judge, pixels=2, precommit=False)
    for image in (4, 5, 6):
        state = start(game, image, (28,))
        assert state.current_player() == LIAR
        target = (state.true_label + 1 + image) % 10
        truth = []
        for a in state.legal_actions():
            child = state.clone()
            child.apply_action(a)
            truth.append(-brute_force(child, target))
        for engine in ("numba", "python"):
            _, values, _ = MinimaxAgent(engine=engine).action_values(assuming(state, target))
            assert values.tolist() == truth, engine
        actions, values = GreedyAgent().action_values(assuming(state, target))
        expected = []
        for a in actions:
            child = assuming(state, target)
            child.apply_action(int(a))
            expected.append(child.evaluate()[LIAR])
        assert values.tolist() == expected
        end = start(game, image, (28, 29))
        for agent in (GreedyAgent(), MinimaxAgent()):
            assert agent.act(None, None, assuming(end, target)) == game.label_action(target)
            assert TargetedLiar(agent, target).act(None, None, end.clone()) == game.label_action(target)


def test_minimax_depth_limit_uses_the_judge(judge: SparseJudge) -> None:
    state = start(pixel_game(judge, pixels=4), 0)
    a, v, g = MinimaxAgent(depth=1).action_values(state)
    a2, v2 = GreedyAgent().action_values(state)
    assert np.array_equal(a, a2) and np.allclose(v, v2, rtol=0, atol=1e-12) and np.allclose(g, v2, atol=1e-12)
    fast = MinimaxAgent(depth=2, engine="numba").action_values(state)[1]
    slow = MinimaxAgent(depth=2, engine="python").action_values(state)[1]
    assert np.allclose(fast, slow, rtol=0, atol=1e-12)


# --- greedy ------------------------------------------------------------------------------------
def test_greedy_picks_the_best_one_step_move(judge: SparseJudge) -> None:
    game = pixel_game(judge, pixels=4, precommit=False)
    for image, reveals in ((0, ()), (1, (12,)), (2, (12, 40, 41))):
        state = start(game, image, reveals)
        player = state.current_player()
        best, best_value = None, -math.inf
        for a in state.legal_actions():
            child = state.clone()
            child.apply_action(a)
            v = child.evaluate()[player]
            if v > best_value:
                best, best_value = a, v
        assert GreedyAgent().act(state.observation(player), state.legal_actions_mask(player), state) == best


def test_an_assumed_lie_must_be_a_lie_in_range(judge: SparseJudge) -> None:
    state = start(pixel_game(judge, pixels=2, precommit=False), 4, (28,))
    for bad in (-2, 10, state.true_label):
        with pytest.raises(ValueError, match="label"):
            state.clone().assume_lie(bad)
