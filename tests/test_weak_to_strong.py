"""Weak-to-strong generalisation (Burns et al. 2023): the metric, the learners, the data,
the experiment and the game. Properties of the theory: PGR is 1 at the ceiling and 0 at
the supervisor; training on ground truth reproduces the ceiling; the same seed gives the
same numbers; hardening keeps the weak labels' class balance."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import oversight_gym
from oversight_gym.analysis.claims import check
from oversight_gym.analysis.measures import find as find_measure
from oversight_gym.analysis.measures import measures_json
from oversight_gym.core import IllegalActionError, ZeroSum
from oversight_gym.envs.weak_to_strong.data import load_task, make_split, make_synthetic, parse_synthetic
from oversight_gym.envs.weak_to_strong.experiment import Settings, accuracy, run_cell, student_labels, train
from oversight_gym.envs.weak_to_strong.metrics import (
    median_pgr,
    paired_pgr_difference,
    pgr,
    pgr_bootstrap,
    pgr_by_group,
)
from oversight_gym.envs.weak_to_strong.models import (
    SoftMLP,
    class_quotas,
    confidence_weight,
    derive_seed,
    harden,
    make_learner,
    one_hot,
)
from oversight_gym.envs.weak_to_strong.supervise import PROVIDE, STUDENT, SUPERVISOR, WITHHOLD, SuperviseGame

FAST = Settings(steps=25)
accs = st.floats(0.0, 1.0, allow_nan=False)


# --- the metric ---------------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(w=accs, c=accs)
def test_pgr_is_one_at_the_ceiling_and_zero_at_the_supervisor(w: float, c: float) -> None:
    if c > w:
        assert pgr(w, c, c) == 1.0
        assert pgr(w, w, c) == 0.0
    else:
        assert math.isnan(pgr(w, c, c)) and math.isnan(pgr(w, w, c))


@settings(max_examples=30, deadline=None)
@given(data=st.data(), n=st.integers(2, 8))
def test_bootstrap_pgr_at_ceiling_and_supervisor(data: st.DataObject, n: int) -> None:
    w = np.array(data.draw(st.lists(st.floats(0.0, 0.5), min_size=n, max_size=n)))
    c = w + np.array(data.draw(st.lists(st.floats(0.05, 0.5), min_size=n, max_size=n)))
    top = pgr_bootstrap(w, c, c, n_boot=200)
    bottom = pgr_bootstrap(w, w, c, n_boot=200)
    assert top.value == pytest.approx(1.0) and top.low == pytest.approx(1.0) and top.high == pytest.approx(1.0)
    assert bottom.value == pytest.approx(0.0) and abs(bottom.low) < 1e-12 and abs(bottom.high) < 1e-12
    # a student halfway: PGR one half, and the interval holds the estimate
    mid = pgr_bootstrap(w, (w + c) / 2, c, n_boot=200)
    assert mid.value == pytest.approx(0.5) and mid.low <= mid.value + 1e-12 <= mid.high + 2e-12


def test_pairs_where_weak_is_not_weaker_are_excluded() -> None:
    e = pgr_bootstrap([0.8, 0.82], [0.9, 0.9], [0.8, 0.81], min_gap=0.01)
    assert e.excluded and e.undefined and math.isnan(e.value) and "undefined" in str(e)
    small = pgr_bootstrap([0.8, 0.8], [0.9, 0.9], [0.805, 0.805], min_gap=0.01)  # a gap, below min_gap
    assert small.excluded and not small.undefined and "excluded" in str(small)
    kept = pgr_bootstrap([0.7, 0.72], [0.8, 0.8], [0.9, 0.9], min_gap=0.01)
    assert not kept.excluded and 0 < kept.value < 1
    assert median_pgr([e, kept]) == kept.value
    with pytest.raises(ValueError, match="equal-length"):
        pgr_bootstrap([0.1], [0.2, 0.3], [0.4])


def test_bootstrap_interval_is_seeded_and_covers_the_estimate() -> None:
    rng = np.random.default_rng(3)
    w = 0.6 + 0.05 * rng.random(10)
    s = w + 0.1 * rng.random(10)
    c = w + 0.2
    a, b = pgr_bootstrap(w, s, c, seed=1), pgr_bootstrap(w, s, c, seed=1)
    assert a == b and a.low < a.value < a.high


def test_paired_difference_sees_a_shift_and_not_a_copy() -> None:
    recs = []
    for seed in range(6):
        for method, bump in (("naive", 0.0), ("same", 0.0), ("better", 0.1)):
            recs.append({"task": "t", "weak": "w", "strong": "s", "method": method, "seed": seed,
                         "weak_acc": 0.5, "ceiling_acc": 0.9, "student_acc": 0.6 + 0.01 * seed + bump})
    same = paired_pgr_difference(recs, "naive", "same", n_boot=200)
    better = paired_pgr_difference(recs, "naive", "better", n_boot=200)
    assert same.value == 0.0 and not same.measurable
    assert better.value == pytest.approx(0.25) and better.measurable and better.n_pairs == 1
    by = pgr_by_group(recs, n_boot=100)
    assert by[("t", "w", "s", "naive")].value == pytest.approx((0.625 - 0.5) / 0.4)


# --- learners -------------------------------------------------------------------------------
def test_mlp_gradients_match_finite_differences() -> None:
    rng = np.random.default_rng(0)
    Z = rng.standard_normal((7, 4))
    T = rng.dirichlet(np.ones(3), size=7)
    m = SoftMLP(3, hidden=(5,), weight_decay=0.01, seed=1)
    m.init(4)
    _, grads = m.loss_and_grads(Z, T)
    eps = 1e-6
    for layer, (W, b) in enumerate(m.params):
        for arr, g in ((W, grads[layer][0]), (b, grads[layer][1])):
            for idx in [(0,) * arr.ndim, tuple(s - 1 for s in arr.shape)]:
                old = arr[idx]
                arr[idx] = old + eps
                up, _ = m.loss_and_grads(Z, T)
                arr[idx] = old - eps
                down, _ = m.loss_and_grads(Z, T)
                arr[idx] = old
                assert (up - down) / (2 * eps) == pytest.approx(g[idx], rel=1e-4, abs=1e-7)


def test_mlp_training_lowers_the_loss_and_is_deterministic() -> None:
    task = load_task("iris")
    T = one_hot(task.y, 3)
    a = SoftMLP(3, (8,), steps=200, seed=4).fit(task.X, T)
    b = SoftMLP(3, (8,), steps=200, seed=4).fit(task.X, T)
    assert a.history["loss"][-1] < 0.5 * a.history["loss"][0]
    assert np.array_equal(a.predict_proba(task.X), b.predict_proba(task.X))
    assert accuracy(a.predict_proba(task.X), task.y) > 0.9


def test_confidence_loss_with_zero_weight_is_the_naive_loss() -> None:
    task = load_task("wine")
    T = np.random.default_rng(0).dirichlet(np.ones(3), size=len(task))
    naive = SoftMLP(3, (8,), steps=30, seed=2).fit(task.X, T)
    zero = SoftMLP(3, (8,), steps=30, seed=2).fit(task.X, T, aux_weight=0.0)
    conf = SoftMLP(3, (8,), steps=30, seed=2).fit(task.X, T, aux_weight=0.5)
    assert np.array_equal(naive.predict_proba(task.X), zero.predict_proba(task.X))
    assert not np.array_equal(naive.predict_proba(task.X), conf.predict_proba(task.X))


def test_confidence_weight_warms_up_to_its_maximum() -> None:
    ws = [confidence_weight(t, 100, 0.5, 0.2) for t in range(100)]
    assert ws[0] == pytest.approx(0.5 / 20) and ws[19] == 0.5 and ws[-1] == 0.5
    assert all(a <= b for a, b in zip(ws, ws[1:], strict=False))
    assert confidence_weight(0, 100, 0.5, 0.0) == 0.5


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 40), k=st.integers(2, 5), seed=st.integers(0, 2**16))
def test_hardening_keeps_the_class_balance(n: int, k: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet(np.ones(k), size=n)
    balance = rng.dirichlet(np.ones(k))
    hard = harden(probs, balance)
    q = class_quotas(balance, n)
    assert q.sum() == n and np.all(np.abs(q - balance * n) < 1)
    assert np.array_equal(np.bincount(hard, minlength=k), q)
    # when the argmax already has the target balance, hardening is the argmax
    arg = probs.argmax(axis=1)
    assert np.array_equal(harden(probs, np.bincount(arg, minlength=k).astype(float)), arg)
    if k == 2:  # two classes: a threshold on the class-1 probability
        ones = probs[hard == 1, 1]
        zeros = probs[hard == 0, 1]
        assert len(ones) == 0 or len(zeros) == 0 or ones.min() >= zeros.max()


def test_soft_targets_reach_scikit_learn_learners() -> None:
    task = load_task("cancer")
    half = np.full((len(task), 2), 0.5)
    for name in ("lr", "tree-d2", "gb-5"):
        p = make_learner(name, task.n_features, 2, seed=0).fit(task.X, half).predict_proba(task.X)
        assert np.allclose(p, 0.5, atol=0.02), name  # uniform soft targets: no class is preferred
    hard = make_learner("lr", task.n_features, 2, seed=0).fit(task.X, one_hot(task.y, 2))
    from sklearn.linear_model import LogisticRegression

    Z = (task.X - task.X.mean(0)) / task.X.std(0)
    ref = LogisticRegression(C=1.0, max_iter=2000).fit(Z, task.y)
    assert np.allclose(hard.predict_proba(task.X), ref.predict_proba(Z), atol=1e-4)


def test_learner_names_are_checked() -> None:
    for bad in ("svm", "mlp-", "lr-fx", "tree-d0", "mlp-8-0"):
        with pytest.raises(ValueError, match="learner"):
            make_learner(bad, 4, 2, seed=0)
    assert make_learner("lr-f99", 4, 2, seed=0).features.tolist() == [0, 1, 2, 3]  # clipped
    assert make_learner("lr-f2", 30, 2, seed=5).features.tolist() == make_learner("lr-f2", 30, 2, 5).features.tolist()
    assert derive_seed(1, "a") != derive_seed(1, "b") and derive_seed(1, "a") == derive_seed(1, "a")


# --- data -------------------------------------------------------------------------------------
def test_synthetic_label_noise_and_salience() -> None:
    clean = make_synthetic(n=4000, d=6, noise=0.0, nonlinear=0.0, salience=0.3, seed=1)
    noisy = make_synthetic(n=4000, d=6, noise=0.2, nonlinear=0.0, salience=0.3, seed=1)
    assert np.array_equal(clean.X, noisy.X)
    flipped = np.mean(clean.y != noisy.y)
    assert 0.17 < flipped < 0.23  # binomial(4000, 0.2): 0.2 +- 7 standard deviations
    # salience: the first feature carries more of the signal than the last
    sep = [abs(clean.X[clean.y == 1, j].mean() - clean.X[clean.y == 0, j].mean()) for j in range(6)]
    assert sep[0] > sep[-1]
    again = make_synthetic(n=4000, d=6, noise=0.2, nonlinear=0.0, salience=0.3, seed=1)
    assert np.array_equal(again.y, noisy.y)
    assert load_task("synthetic:k=3,noise=0.1").n_classes == 3
    assert parse_synthetic("synthetic:n=50,salience=0.5") == {"n": 50, "salience": 0.5}
    with pytest.raises(ValueError, match="synthetic options"):
        load_task("synthetic:color=3")
    with pytest.raises(ValueError, match="salience"):
        make_synthetic(salience=0.0)
    with pytest.raises(ValueError, match="task must be one of"):
        load_task("mnist")


def test_split_is_disjoint_stratified_and_seeded() -> None:
    task = load_task("digits")
    sp = make_split(task, seed=3)
    parts = [sp.weak, sp.transfer, sp.test]
    assert sum(len(p) for p in parts) == len(task)
    assert len(np.unique(np.concatenate(parts))) == len(task)
    for p in parts:
        frac = np.bincount(task.y[p], minlength=10) / len(p)
        assert np.all(np.abs(frac - np.bincount(task.y) / len(task)) < 0.02)
    assert abs(len(sp.weak) - len(sp.transfer)) <= 10
    assert np.array_equal(make_split(task, 3).test, sp.test)
    assert not np.array_equal(make_split(task, 4).test, sp.test)


# --- the experiment ---------------------------------------------------------------------------
@pytest.mark.parametrize("strong", ["mlp-8", "lr", "tree-d3", "gb-5"])
def test_training_on_ground_truth_reproduces_the_ceiling(strong: str) -> None:
    recs = run_cell("wine", 0, "lr-f1", [strong], methods=("naive",), settings=FAST, labels="truth")
    (r,) = recs
    assert r["student_acc"] == r["ceiling_acc"] and r["agreement"] >= 0
    if r["ceiling_acc"] > r["weak_acc"]:
        assert pgr(r["weak_acc"], r["student_acc"], r["ceiling_acc"]) == 1.0


def test_same_seed_same_numbers() -> None:
    kw = dict(weak="tree-d2", strongs=["mlp-0", "mlp-8"], chains={"mlp-8": ("mlp-0",)}, settings=FAST)
    a = run_cell("synthetic:n=300,d=6", 7, **kw)
    b = run_cell("synthetic:n=300,d=6", 7, **kw)
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    assert {r["method"] for r in a} == {"naive", "confidence", "bootstrap"}
    assert not any(r["method"] == "bootstrap" and r["strong"] == "mlp-0" for r in a)  # no intermediate
    c = run_cell("synthetic:n=300,d=6", 8, **kw)
    assert json.dumps(a, sort_keys=True) != json.dumps(c, sort_keys=True)


@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 50))
def test_hard_weak_labels_are_the_supervisors_classes_and_change_nothing_when_labels_are_already_hard(seed) -> None:
    # ground-truth labels are one-hot already: hardening them is the identity, so the records agree exactly
    soft = run_cell("iris", seed, "lr-f1", ["mlp-4"], methods=("naive",), settings=FAST, labels="truth")
    hard = run_cell("iris", seed, "lr-f1", ["mlp-4"], methods=("naive",), labels="truth",
                    settings=Settings(steps=25, weak_labels="hard"))
    assert soft == hard
    # a supervisor's hardened labels are its predicted classes: its label accuracy is unchanged
    soft = run_cell("iris", seed, "lr-f1", ["mlp-4"], methods=("naive",), settings=FAST)
    hard = run_cell("iris", seed, "lr-f1", ["mlp-4"], methods=("naive",),
                    settings=Settings(steps=25, weak_labels="hard"))
    assert soft[0]["weak_label_acc"] == hard[0]["weak_label_acc"]
    with pytest.raises(ValueError, match="weak_labels"):
        Settings(weak_labels="sharp")


def test_confidence_loss_needs_a_controlled_student_and_bad_input_is_named() -> None:
    recs = run_cell("iris", 0, "lr-f1", ["tree-d2"], settings=FAST)
    assert {r["method"] for r in recs} == {"naive"}  # no confidence loss for a tree; no chain
    with pytest.raises(ValueError, match="method"):
        run_cell("iris", 0, "lr-f1", ["mlp-0"], methods=("magic",), settings=FAST)
    with pytest.raises(ValueError, match="steps"):
        Settings(steps=0)
    with pytest.raises(ValueError, match="labels"):
        run_cell("iris", 0, "lr-f1", ["mlp-0"], settings=FAST, labels="oracle")
    tree = make_learner("tree-d2", 4, 3, seed=0)
    with pytest.raises(ValueError, match="confidence loss"):
        tree.fit(np.zeros((4, 4)), one_hot(np.array([0, 1, 2, 0]), 3), aux_weight=0.5)


def test_bootstrap_labels_are_cross_fitted() -> None:
    task = load_task("iris")
    split = make_split(task, 0)
    Xt, yt = split.part("transfer")
    labels = student_labels(split, one_hot(yt, 3), "bootstrap", ("mlp-0",), 0, FAST)
    assert labels.shape == (len(yt), 3) and np.allclose(labels.sum(axis=1), 1.0)
    assert not np.array_equal(labels, one_hot(yt, 3))  # relabelled by models that did not see these rows
    assert np.array_equal(student_labels(split, one_hot(yt, 3), "naive", ("mlp-0",), 0, FAST), one_hot(yt, 3))


# --- the game -----------------------------------------------------------------------------------
GAME_KW = dict(task="synthetic:n=240,d=6", weak="tree-d2", strong="mlp-8", bins=3, trust_levels=3, steps=20)


def _play(game: SuperviseGame, seed: int, decisions: list[int], trust: int):
    state = game.new_initial_state(np.random.default_rng(seed))
    for d in decisions:
        assert state.current_player() == SUPERVISOR
        state.apply_action(d)
    assert state.current_player() == STUDENT
    state.apply_action(trust)
    assert state.is_terminal()
    return state


def test_game_with_every_label_and_full_trust_is_the_naive_experiment() -> None:
    game = SuperviseGame(**GAME_KW)
    state = _play(game, 5, [PROVIDE] * 3, 2)
    out = state.outcome()
    assert out["provided_fraction"] == 1.0 and out["a_max"] == 0.0
    split = state.split
    Xt, yt = split.part("transfer")
    Xs, ys = split.part("test")
    student = train("mlp-8", split, Xt, state.weak_probs, derive_seed(state.seed, "student"), game.settings)
    assert out["student_acc"] == accuracy(student.predict_proba(Xs), ys)
    if out["ceiling_acc"] > out["weak_acc"]:
        assert out["pgr"] == pytest.approx(pgr(out["weak_acc"], out["student_acc"], out["ceiling_acc"]))
    else:
        assert out["pgr"] is None  # weak not weaker: PGR undefined
    assert np.allclose(state.returns(), [out["student_acc"], out["student_acc"]])


def test_game_payoffs_costs_and_goals() -> None:
    help_ = _play(SuperviseGame(**GAME_KW, label_cost=0.3), 1, [WITHHOLD, PROVIDE, WITHHOLD], 1)
    frac = help_.outcome()["provided_fraction"]
    acc = help_.outcome()["student_acc"]
    assert 0.3 < frac < 0.36 and help_.outcome()["a_max"] == 0.5
    assert np.allclose(help_.raw_returns(), [acc - 0.3 * frac, acc])
    mislead = _play(SuperviseGame(**GAME_KW, supervisor_goal="mislead"), 1, [WITHHOLD, PROVIDE, WITHHOLD], 1)
    assert np.allclose(mislead.raw_returns(), [-acc, acc])
    zs = _play(SuperviseGame(**GAME_KW, supervisor_goal="mislead", payoff=ZeroSum()), 1, [WITHHOLD] * 3, 0)
    assert abs(zs.returns().sum()) < 1e-12
    assert zs.outcome()["provided_fraction"] == 0.0 and zs.outcome()["provided_label_acc"] is None


def test_game_bins_are_sorted_by_confidence_and_illegal_moves_raise() -> None:
    game = SuperviseGame(**GAME_KW)
    state = game.new_initial_state(np.random.default_rng(0))
    assert np.all(np.diff(state.bin_conf) >= 0)
    assert sorted(np.concatenate(state.bin_rows).tolist()) == list(range(len(state.split.transfer)))
    with pytest.raises(IllegalActionError, match="provides"):
        state.apply_action(2)
    copy = state.clone()
    state.apply_action(PROVIDE)
    assert copy.decisions == [] and state.decisions == [PROVIDE]
    with pytest.raises(ValueError, match="strong must be an mlp"):
        SuperviseGame(strong="tree-d2")
    with pytest.raises(ValueError, match="bins"):
        SuperviseGame(bins=0)
    with pytest.raises(ValueError, match="supervisor_goal"):
        SuperviseGame(supervisor_goal="sabotage")


def test_game_is_registered_and_plays_through_pettingzoo() -> None:
    env = oversight_gym.make("weak_to_strong/supervise-v0", **GAME_KW)
    env.reset(seed=0)
    for _agent in env.agent_iter():
        obs, _, term, trunc, _ = env.last()
        env.step(None if term or trunc else int(np.flatnonzero(obs["action_mask"])[-1]))
    assert env.game_state.outcome()["provided_fraction"] == 1.0
    kinds = [e.kind for e in env.game_state.transcript]
    assert kinds[0] == "setup" and kinds[-1] == "result" and kinds.count("provide") == 3


# --- the scenario -----------------------------------------------------------------------------
def test_every_claim_names_a_measure_the_scenario_produces(tmp_path) -> None:
    from oversight_gym.runner.scenario import get_scenario

    sc = get_scenario("weak-to-strong")
    given = {"tasks": "latent:n=300,pool=300,aux=8,m=4,d=8;wine", "weak": "probe-p1,lr-f1",
             "strong": "mlp-8,probe-p0,probe-p300,probe-p1000,probe-p3000", "methods": "naive,confidence",
             "seeds": 2, "steps": 30, "n_boot": 50, "game_episodes": 0}
    res = sc.execute(given, quick=True, out=tmp_path, workers=1, progress=False)
    assert res.verdicts == []  # no claim is decided by a quick run
    for claim in sc.claims:
        assert claim.applies(sc.resolve(given, quick=True)), claim.id
        detail = check(claim, res.measures).detail
        # every measure a claim names is produced; on data this small a rung may have every pair excluded (nan)
        assert not detail.startswith("not measured") or "holds nan" in detail, (claim.id, detail)


def test_scenario_runs_small_and_resumes(tmp_path) -> None:
    from oversight_gym.runner.scenario import get_scenario

    sc = get_scenario("weak-to-strong")
    given = {"tasks": "iris;synthetic:n=200,d=5", "weak": "lr-f1", "strong": "mlp-0,mlp-4", "seeds": 2,
             "steps": 15, "n_boot": 50, "game_episodes": 2, "game_task": "iris", "game_weak": "lr-f1",
             "game_strong": "mlp-0"}
    res = sc.execute(given, quick=True, out=tmp_path, workers=1, progress=False)
    text = res.table()
    assert "PGR naive" in text and any("not the paper's tasks" in note for note in res.notes)
    naive = find_measure(res.measures, "median PGR", method="naive")
    assert naive.published is not None and "Burns et al. 2023" in naive.published.source
    assert "published" in text and "Burns et al. 2023, Weak-to-strong generalization" in text
    assert (tmp_path / "weak_to_strong.png").exists() and (tmp_path / "summary.json").exists()
    game_pgr = [m for m in res.measures if m.group.startswith("game view") and m.name == "PGR"]
    assert len(game_pgr) == 9 and all(m.n == 2 for m in game_pgr)
    assert len((tmp_path / "game.jsonl").read_text().splitlines()) == 9 * 2
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert {"naive", "confidence"} <= {m["setting"]["method"] for m in summary["measures"] if m["name"] == "median PGR"}
    assert summary["params"]["tasks"] == ["iris", "synthetic:n=200,d=5"]
    lines = (tmp_path / "records.jsonl").read_text()
    again = sc.execute(given, quick=True, out=tmp_path, workers=1, progress=False)
    assert (tmp_path / "records.jsonl").read_text() == lines  # nothing recomputed
    assert measures_json(again.measures) == measures_json(res.measures)
    with pytest.raises(ValueError, match="--weak"):
        sc.execute({**given, "weak": "svm"}, quick=True, out=tmp_path / "x", workers=1, progress=False)
    with pytest.raises(ValueError, match="--tasks"):
        sc.execute({**given, "tasks": "mnist"}, quick=True, out=tmp_path / "y", workers=1, progress=False)


# --- pretrained students (latent tasks, probes on encoders pretrained without labels) ---------
TINY_LATENT = "latent:n=300,pool=300,aux=8,m=4,d=8"


def test_latent_task_is_seeded_and_its_concept_is_linear_in_the_factors() -> None:
    from oversight_gym.envs.weak_to_strong.data import make_latent

    a, b = make_latent(n=400, pool=200, seed=3), make_latent(n=400, pool=200, seed=3)
    assert np.array_equal(a.X, b.X) and np.array_equal(a.auxiliary, b.auxiliary)
    assert a.unlabelled.shape == (200, 32) and a.auxiliary.shape == (200, 64)
    assert a.name == "latent:n=400,pool=200,seed=3"
    assert not np.array_equal(make_latent(n=400, pool=200, seed=4).X, a.X)
    assert load_task("latent:n=400,pool=200,seed=3").name == a.name
    with pytest.raises(ValueError, match="mixing"):
        make_latent(mixing=-1.0)
    with pytest.raises(ValueError, match="KEY in"):
        load_task("latent:factors=3")


def test_pretraining_never_sees_the_labels_and_improves_its_objective(tmp_path, monkeypatch) -> None:
    from oversight_gym.envs.weak_to_strong import pretrain

    monkeypatch.setenv("OVERSIGHT_GYM_CACHE", str(tmp_path))
    task = load_task(TINY_LATENT)
    assert pretrain.objective(task) == "auxiliary" and pretrain.objective(load_task("wine")) == "reconstruction"
    # the encoder is a function of the unlabelled pool and auxiliary targets only
    enc = pretrain.train_encoder(task.unlabelled, task.auxiliary, (16, 8), 200, seed=0)
    again = pretrain.train_encoder(task.unlabelled, task.auxiliary, (16, 8), 200, seed=0)
    assert all(np.array_equal(x, y) for x, y in zip(enc.weights, again.weights, strict=True))
    from sklearn.linear_model import LinearRegression

    def fit(e: pretrain.Encoder) -> float:  # how well the representation predicts the auxiliary targets
        R = e.transform(task.unlabelled)
        return LinearRegression().fit(R, task.auxiliary).score(R, task.auxiliary)

    assert fit(enc) > fit(pretrain.train_encoder(task.unlabelled, task.auxiliary, (16, 8), 0, seed=0))
    # cached on disk: the second call of another process's kind loads the same arrays
    pretrain.pretrained_encoder.cache_clear()
    e1 = pretrain.pretrained_encoder(TINY_LATENT, 30)
    assert len(list((tmp_path / "weak_to_strong").glob("encoder-*.npz"))) == 1
    pretrain.pretrained_encoder.cache_clear()
    e2 = pretrain.pretrained_encoder(TINY_LATENT, 30)
    assert all(np.array_equal(x, y) for x, y in zip(e1.weights, e2.weights, strict=True))
    pretrain.pretrained_encoder.cache_clear()


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000), strong=st.sampled_from(["probe-p0", "probe-p40", "mlp-8-4"]),
       weak=st.sampled_from(["lr-f1", "tree-d2"]))
def test_a_student_trained_on_ground_truth_has_pgr_one(seed: int, strong: str, weak: str) -> None:
    """PGR is 1 by definition for the student trained on the ground truth: it is the ceiling."""
    (r,) = run_cell(TINY_LATENT, seed, weak, [strong], methods=("naive",), settings=FAST, labels="truth")
    assert r["student_acc"] == r["ceiling_acc"]
    e = pgr_bootstrap([r["weak_acc"]], [r["student_acc"]], [r["ceiling_acc"]], n_boot=20, min_gap=0.0)
    assert e.undefined or e.value == 1.0


@settings(max_examples=40, deadline=None)
@given(w=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=6), data=st.data())
def test_a_supervisor_at_the_ceiling_leaves_pgr_undefined(w: list[float], data: st.DataObject) -> None:
    """No gap to recover: PGR is undefined (reported as such), never a number."""
    s = data.draw(st.lists(st.floats(0.0, 1.0), min_size=len(w), max_size=len(w)))
    e = pgr_bootstrap(w, s, w, n_boot=20, min_gap=0.0)
    assert e.undefined and e.excluded and math.isnan(e.value) and str(e).startswith("undefined")
    assert math.isnan(pgr(w[0], s[0], w[0]))
    from oversight_gym.scenarios.weak_to_strong import _pgr

    assert isinstance(_pgr("PGR naive", e).value, str)


def test_probe_students_take_the_confidence_loss_and_need_a_task() -> None:
    from oversight_gym.envs.weak_to_strong.experiment import bootstrap_chains
    from oversight_gym.envs.weak_to_strong.models import controls_loss, is_pretrained

    assert controls_loss("probe-p300") and is_pretrained("probe-p300") and not is_pretrained("mlp-8")
    with pytest.raises(ValueError, match="pretrained student needs the task"):
        make_learner("probe-p3", 4, 2, 0)
    with pytest.raises(ValueError, match="probe-p300"):
        make_learner("probe-x", 4, 2, 0)
    recs = run_cell(TINY_LATENT, 1, "lr-f1", ["probe-p0", "probe-p20"], settings=FAST,
                    chains=bootstrap_chains(["mlp-4", "probe-p0", "probe-p20"]))
    assert {(r["strong"], r["method"]) for r in recs} == {
        ("probe-p0", "naive"), ("probe-p0", "confidence"), ("probe-p20", "naive"), ("probe-p20", "confidence"),
        ("probe-p20", "bootstrap")}
    assert next(r for r in recs if r["method"] == "bootstrap")["chain"] == ["probe-p0"]  # not the scratch mlp-4


def test_same_seed_same_table_with_pretrained_students(tmp_path) -> None:
    from oversight_gym.runner.scenario import get_scenario

    sc = get_scenario("weak-to-strong")
    given = {"tasks": f"{TINY_LATENT};wine", "weak": "probe-p1,lr-f1", "strong": "mlp-4,probe-p0,probe-p20",
             "methods": "naive,confidence", "seeds": 2, "steps": 20, "n_boot": 30, "game_episodes": 0}
    a = sc.execute(given, quick=True, out=tmp_path / "a", workers=1, progress=False, seed=5)
    b = sc.execute(given, quick=True, out=tmp_path / "b", workers=1, progress=False, seed=5)
    assert measures_json(a.measures) == measures_json(b.measures)
    assert a.table().replace(str(tmp_path / "a"), "OUT") == b.table().replace(str(tmp_path / "b"), "OUT")
    assert "latent tasks, pretrained supervisors: pretrained against scratch-trained students" in a.table()
    assert find_measure(a.measures, "median PGR, pretrained students", tasks="latent", supervisors="scratch").n > 0
    assert (tmp_path / "a" / "weak_to_strong_pretrained.png").exists()


def test_fine_tuned_student_starts_from_the_pretrained_encoder() -> None:
    from oversight_gym.envs.weak_to_strong.pretrain import TunedLearner, pretrained_encoder

    task = load_task(TINY_LATENT)
    enc = pretrained_encoder(TINY_LATENT, 20)
    untrained = make_learner("tune-p20", task.n_features, 2, 0, steps=0, task=TINY_LATENT)
    assert isinstance(untrained, TunedLearner)
    untrained.fit(task.X, one_hot(task.y, 2))  # zero steps: the encoder's layers as they were pretrained
    assert all(np.array_equal(W, E) for (W, _), E in zip(untrained.params[:-1], enc.weights, strict=True))
    hidden = untrained._logits(untrained.scaler.transform(task.X))[1][-1]
    assert np.allclose(hidden, enc.transform(task.X))
    tuned = make_learner("tune-p20", task.n_features, 2, 0, steps=30, task=TINY_LATENT).fit(task.X, one_hot(task.y, 2))
    assert not np.array_equal(tuned.params[0][0], enc.weights[0])  # fine-tuned: the encoder moves
    (r,) = run_cell(TINY_LATENT, 2, "lr-f1", ["tune-p20"], methods=("naive",), settings=FAST, labels="truth")
    assert r["student_acc"] == r["ceiling_acc"]
