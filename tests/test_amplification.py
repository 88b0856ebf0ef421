"""Tasks, scripted overseer and the amplify game of iterated amplification (Christiano,
Shlegeris, Amodei 2018): H's decomposition with correct subanswers equals the direct answer;
amplifying a perfect model is perfect; the same seed gives the same instances and transcripts."""

from __future__ import annotations

import json

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import oversight_gym
from oversight_gym.analysis.measures import find as find_measure
from oversight_gym.analysis.measures import measures_json
from oversight_gym.core.errors import IllegalActionError
from oversight_gym.envs.amplification.amplify import MODEL, OVERSEER, scripted_overseer_action
from oversight_gym.envs.amplification.scripted import OracleModel, ScriptedOverseer
from oversight_gym.envs.amplification.tasks import (
    SIZES,
    TASKS,
    answer_with_truth,
    get_task,
    hch,
    name,
    overseer_answer,
    tree_graph,
)
from oversight_gym.testing import rollout

ENV = "amplification/amplify-v0"
FEW = settings(max_examples=25, deadline=None)
task_names = st.sampled_from(sorted(TASKS))
sizes = st.sampled_from(SIZES)
seeds = st.integers(0, 2**32 - 1)


def test_names_are_pairs_of_letters_over_eight_letters() -> None:
    names = [name(i) for i in range(64)]
    assert len(set(names)) == 64 and names[0] == "aa" and names[-1] == "hh"


@FEW
@given(task=task_names, size=sizes, seed=seeds, root=st.booleans())
def test_decomposition_with_correct_subanswers_equals_the_direct_answer(task, size, seed, root) -> None:
    t = get_task(task)
    rng = np.random.default_rng(seed)
    inst = t.generate(rng, size)
    for _ in range(20):
        q = t.sample_question(inst, rng, root=root)
        assert t.valid_question(size, q)
        asked: list = []

        def respond(sub, asked=asked):
            assert t.valid_question(size, sub), f"H asked an invalid question {sub}"
            asked.append(sub)
            return t.answer(inst, sub)

        a = overseer_answer(t, inst, q, respond)
        assert a == t.answer(inst, q) == answer_with_truth(t, inst, q)
        assert 0 <= a < t.answer_size(size)
        assert len(asked) <= t.cap(size)
        assert (len(asked) == 0) == t.is_simple(inst, q)


@FEW
@given(task=task_names, seed=seeds, depth=st.integers(1, 4))
def test_amplifying_a_perfect_model_gives_perfect_answers(task, seed, depth) -> None:
    t = get_task(task)
    rng = np.random.default_rng(seed)
    inst = t.generate(rng, 16)
    for _ in range(5):
        q = t.sample_question(inst, rng, root=True)
        root = hch(t, inst, q, None, depth)  # model None: the perfect M at the leaves
        assert root.answer == t.answer(inst, q)
        assert root.depth() <= depth + 1
        g = tree_graph(t, inst, root)
        assert nx.is_tree(g) and g.number_of_nodes() == root.size()
        assert all(d["correct"] for _, d in g.nodes(data=True))


@settings(max_examples=10, deadline=None)
@given(seed=seeds)
def test_full_hch_without_a_model_is_exact_where_the_recursion_is_well_founded(seed) -> None:
    # permutation powering halves k, wildcard search removes a wildcard, assignments follow
    # the order of definition: H alone, recursing to the bottom, needs no model at all
    rng = np.random.default_rng(seed)
    for task in ("permutation_powering", "wildcard_search", "sequential_assignments"):
        t = get_task(task)
        inst = t.generate(rng, 64)
        q = t.sample_question(inst, rng, root=True)
        root = hch(t, inst, q, lambda i, q: -1, depth=64)
        assert root.answer == t.answer(inst, q) and root.h_calls() == root.size()


@FEW
@given(task=task_names, size=sizes, seed=seeds)
def test_same_seed_same_instances_questions_and_transcripts(task, size, seed) -> None:
    t = get_task(task)
    runs = []
    for _ in range(2):
        rng = np.random.default_rng(seed)
        inst = t.generate(rng, size)
        qs = [t.sample_question(inst, rng) for _ in range(5)]
        trees = [hch(t, inst, q, None, 2, epsilon=0.3, rng=rng) for q in qs]
        runs.append((inst.facts, qs, [nx.to_dict_of_dicts(tree_graph(t, inst, r)) for r in trees],
                     [sorted(tree_graph(t, inst, r).nodes(data=True)) for r in trees]))
    assert runs[0] == runs[1]


def test_permutation_powering_facts_and_size() -> None:
    t = get_task("permutation_powering")
    inst = t.generate(np.random.default_rng(0), 64)
    sigma = {f[1]: f[2] for f in inst.facts}
    assert sorted(sigma) == sorted(sigma.values()) == list(range(64))
    x = 5
    for k in range(1, 64):
        x2 = 5
        for _ in range(k):
            x2 = sigma[x2]
        assert t.answer(inst, (0, x, k)) == x2


def test_graph_tasks_respect_their_sizes() -> None:
    rng = np.random.default_rng(1)
    sp = get_task("shortest_path").generate(rng, 64)
    assert len(sp.facts) == 128 and len({f[1:3] for f in sp.facts}) == 128
    uf = get_task("union_find").generate(rng, 64)
    roots = [f for f in uf.facts if f[0] == 1]
    edges = [f for f in uf.facts if f[0] == 0]
    assert len(roots) + len(edges) == 64  # a spanning forest: one root per non-empty class
    ws = get_task("wildcard_search").generate(rng, 64)
    assert len(ws.facts) == 64 and get_task("wildcard_search").answer(ws, (0, 63, 0)) - 64 == sum(
        2 * f[2] - 1 for f in ws.facts)


def test_overseer_errors_are_seeded_and_epsilon_one_always_errs() -> None:
    t = get_task("permutation_powering")
    inst = t.generate(np.random.default_rng(0), 64)
    q = (0, 3, 63)
    a = [hch(t, inst, q, None, 1, epsilon=0.5, rng=np.random.default_rng(7)).answer for _ in range(2)]
    assert a[0] == a[1]
    root = hch(t, inst, q, None, 1, epsilon=1.0, rng=np.random.default_rng(0))
    assert root.errors == root.steps and root.answer != t.answer(inst, q)  # the combination always errs


def test_bad_parameters_are_named() -> None:
    with pytest.raises(ValueError, match="task must be one of"):
        get_task("sorting")
    with pytest.raises(ValueError, match="size must be one of"):
        get_task("union_find").generate(np.random.default_rng(0), 10)
    with pytest.raises(ValueError, match="depth must be in"):
        oversight_gym.make_game(ENV, depth=0)


# --- the game -----------------------------------------------------------------------
def play(game, seed, overseer=None, model=None):
    s = game.new_initial_state(np.random.default_rng(seed))
    overseer = overseer or ScriptedOverseer()
    model = model or OracleModel()
    while not s.is_terminal():
        agent = overseer if s.current_player() == OVERSEER else model
        s.apply_action(agent.act(s.observation(s.current_player()), s.legal_actions_mask(s.current_player()), s))
    return s


@FEW
@given(task=task_names, seed=seeds, depth=st.integers(1, 3))
def test_game_scripted_overseer_with_a_perfect_model_is_always_right(task, seed, depth) -> None:
    game = oversight_gym.make_game(ENV, task=task, size=8, depth=depth)
    s = play(game, seed)
    out = s.outcome()
    assert out["correct"] and s.returns().tolist() == [1.0, 1.0]
    tree = hch(game.task, s.instance, s.root_question, None, depth)
    assert (out["h_calls"], out["tree_size"], out["tree_depth"]) == (tree.h_calls(), tree.size(), tree.depth())
    g = s.decomposition_graph()
    assert g.number_of_nodes() == out["tree_size"] and nx.is_tree(g)


def test_game_transcripts_are_reproducible_and_rollout_works() -> None:
    env = oversight_gym.make(ENV, task="shortest_path", size=16, depth=2)
    agents = {"overseer": ScriptedOverseer(epsilon=0.2), "model": OracleModel()}
    a = rollout(env, agents, seed=3)
    t1 = env.game_state.transcript_json()
    b = rollout(env, agents, seed=3)
    assert env.game_state.transcript_json() == t1 and a.returns == b.returns


def test_game_rules_and_encoding() -> None:
    game = oversight_gym.make_game(ENV, task="permutation_powering", size=8, budget=1)
    s = game.new_initial_state(np.random.default_rng(0))
    assert s.current_player() == MODEL and not s.legal_actions_mask(OVERSEER).any()  # M's own answer first
    s.apply_action(game.answer_action(s.truth))
    assert s.observation(OVERSEER)[5] > 0
    assert game.decode_question(game.encode_question((0, 3, 5))) == (0, 3, 5)
    assert game.valid[game.encode_question((0, 3, 0))] == 0  # k = 0 is not a question of the task
    mask = s.legal_actions_mask(OVERSEER)
    assert mask[game.num_questions:].all() and not s.legal_actions_mask(MODEL).any()
    with pytest.raises(IllegalActionError, match="not a valid question"):
        s.apply_action(game.encode_question((0, 3, 0)))
    s.apply_action(game.encode_question((0, 3, 1)))
    assert s.current_player() == MODEL
    with pytest.raises(IllegalActionError, match="can only answer"):
        s.apply_action(0)
    c = s.clone()
    s.apply_action(game.answer_action(2))
    assert c.current_player() == MODEL and len(c.stack[-1].asked) == 0
    with pytest.raises(IllegalActionError, match="budget"):
        s.apply_action(game.encode_question((0, 3, 1)))
    assert "ask sigma^1(ad)" == s.action_to_string(OVERSEER, game.encode_question((0, 3, 1)))
    obs = s.observation(OVERSEER)
    assert obs.shape == game.observation_shape(0) and obs.min() >= 0 and obs.max() <= 1
    assert scripted_overseer_action(s) >= game.num_questions  # out of budget: H must answer
    s.apply_action(game.answer_action(0))
    assert s.is_terminal() and "answer" in s.render_text() and s.outcome()["model_correct"]


def test_decomposition_trees_can_be_drawn(tmp_path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from oversight_gym.envs.amplification.metrics import draw_tree, independent_error

    t = get_task("wildcard_search")
    rng = np.random.default_rng(0)
    inst = t.generate(rng, 16)
    root = hch(t, inst, (0, 15, 0), None, 2)
    ax = draw_tree(tree_graph(t, inst, root))
    ax.figure.savefig(tmp_path / "tree.png")
    plt.close(ax.figure)
    assert (tmp_path / "tree.png").stat().st_size > 0
    assert independent_error([0, 10], 0.1) == pytest.approx((1 - 0.9 ** 10) / 2)


def _scenario(name: str):
    import importlib

    return importlib.import_module(f"oversight_gym.scenarios.{name}")


def test_overseer_errors_scenario_runs_resumes_and_names_bad_options(tmp_path) -> None:
    mod = _scenario("overseer_errors")
    given = {"tasks": "permutation_powering,union_find", "size": 8, "depths": "1,2", "epsilons": "0,0.3",
             "questions": 30}
    res = mod.SCENARIO.execute(given, quick=True, out=tmp_path, progress=False)
    errors = [m for m in res.measures if m.name == "root error"]
    assert len(errors) == 8 and (tmp_path / "overseer_errors.png").exists()
    zero = [m for m in errors if m.setting["epsilon"] == 0]
    assert len(zero) == 4 and all(m.value == 0.0 for m in zero)  # a perfect overseer and model: no error
    table = res.table()
    assert "root error" in table and table.count("0.0% [0.0, ") == 4  # the four error-free cells, printed
    cell = find_measure(res.measures, "root error", task="union_find", depth=2, epsilon=0.3)
    assert cell.n == 30 and cell.interval[0] <= cell.value <= cell.interval[1]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["params"]["epsilons"] == [0.0, 0.3] and len(summary["measures"]) == len(res.measures)
    again = mod.SCENARIO.execute(given, quick=True, out=tmp_path, progress=False)  # resumed from the records
    assert measures_json(again.measures) == measures_json(res.measures)
    with pytest.raises(ValueError, match="epsilons"):
        mod.SCENARIO.execute({"epsilons": "0,2"}, quick=True, out=tmp_path, progress=False)
    cell = mod.experiment({**mod.SCENARIO.defaults(True), **given}, seed=0)
    assert cell["task"] == "permutation_powering" and cell["root_error"] == 0.0
