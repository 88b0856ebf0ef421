"""The learned parts of iterated amplification (Christiano, Shlegeris, Amodei 2018): batched
Amplify^H(M), the learned overseer H', and short deterministic training runs of M."""

from __future__ import annotations

import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from oversight_gym.analysis.measures import find as find_measure  # noqa: E402
from oversight_gym.envs.amplification.learned import (  # noqa: E402
    AttentionModel,
    LearnedModelAgent,
    LearnedOverseer,
    amplify_batch,
    amplify_with_overseer,
    h_move,
    sample_batch,
    train_model,
)
from oversight_gym.envs.amplification.tasks import TASKS, get_task  # noqa: E402

torch.set_num_threads(1)


class Oracle:
    def __init__(self, task):
        self.task = task

    def predict(self, insts, qs):
        return np.array([self.task.answer(i, q) for i, q in zip(insts, qs, strict=True)])


class Constant:
    def predict(self, insts, qs):
        return np.zeros(len(qs), dtype=np.int64)


@pytest.mark.parametrize("task", sorted(TASKS))
def test_batched_amplification_of_a_perfect_model_is_perfect(task) -> None:
    t = get_task(task)
    insts, qs = sample_batch(t, 16, 60, np.random.default_rng(0), root=True)
    truth = Oracle(t).predict(insts, qs)
    out, asked = amplify_batch(t, insts, qs, Oracle(t))
    assert (out == truth).all() and asked > 0
    res = amplify_with_overseer(t, insts, qs, Oracle(t), None)
    assert (res["answers"] == truth).all() and res["h_calls"] == asked + len(qs) and res["moves_learned"] == 0


def test_amplification_uses_the_model_not_the_ground_truth() -> None:
    t = get_task("permutation_powering")
    insts, qs = sample_batch(t, 64, 100, np.random.default_rng(1), root=True)
    out, _ = amplify_batch(t, insts, qs, Constant())
    truth = Oracle(t).predict(insts, qs)
    hard = np.array([q[2] > 1 for q in qs])
    assert (out[hard] == 0).all() and (truth[hard] != 0).any()  # H passes on what M says


def test_learned_overseer_encoding_masks_and_training() -> None:
    t = get_task("wildcard_search")
    hp = LearnedOverseer(t, d_model=16, layers=1, seed=0)
    for move in [("ask", (0, 5, 2)), ("answer", 7)]:
        assert hp.decode_move(hp.encode_move(move)) == move
    mask = hp.valid_mask(8).numpy()
    assert mask[hp.encode_move(("ask", (0, 3, 4)))] and not mask[hp.encode_move(("ask", (0, 3, 1)))]
    assert not mask[hp.num_questions + 2 * 8 + 1]  # beyond the answer range at 8 names
    insts, qs = sample_batch(t, 8, 20, np.random.default_rng(0))
    for i, q in zip(insts, qs, strict=True):
        hp.record(i, q, (), h_move(t, i, q, ()))
    assert np.isfinite(hp.train_step(8))
    m = AttentionModel(t, d_model=16, layers=1)
    alone = amplify_with_overseer(t, insts, qs, m, hp, confidence=None, learn=False)
    assert alone["moves_h"] == 0 and alone["moves_learned"] > 0
    assert ((alone["answers"] >= 0) & (alone["answers"] < t.answer_size(8) + 1)).all()


def test_training_is_deterministic_and_counts_calls_to_h() -> None:
    kw = {"steps": 6, "batch": 8, "eval_every": 3, "eval_questions": 20, "model_kwargs": {"d_model": 16, "layers": 1}}
    a = train_model("wildcard_search", "ida", seed=3, **kw)
    b = train_model("wildcard_search", "ida", seed=3, **kw)
    strip = [{k: v for k, v in r.items() if k != "seconds"} for r in a["curve"]]
    assert strip == [{k: v for k, v in r.items() if k != "seconds"} for r in b["curve"]]
    assert a["h_decompositions"] >= 6 * 8 and a["curve"][-1]["step"] == 6
    s = train_model("wildcard_search", "supervised", seed=3, **kw)
    assert s["h_decompositions"] == 0 and s["h_moves"] == 0
    h = train_model("wildcard_search", "ida", seed=3, learned_overseer=True, **kw)
    assert "learned_share" in h["curve"][-1] and "hprime_amplified_acc_current" in h["curve"][-1]
    with pytest.raises(ValueError, match="mode must be one of"):
        train_model("wildcard_search", "rl", steps=1)


def test_a_learned_model_plays_the_model_seat() -> None:
    import oversight_gym
    from oversight_gym.envs.amplification.learned import LearnedOverseerAgent
    from oversight_gym.envs.amplification.scripted import OracleModel, ScriptedOverseer
    from oversight_gym.testing import rollout

    env = oversight_gym.make("amplification/amplify-v0", task="wildcard_search", size=8)
    m = AttentionModel("wildcard_search", d_model=16, layers=1)
    ep = rollout(env, {"overseer": ScriptedOverseer(), "model": LearnedModelAgent(m)}, seed=0)
    assert ep.steps > 1 and "correct" in env.game_state.outcome()
    hp = LearnedOverseer("wildcard_search", d_model=16, layers=1)
    env = oversight_gym.make("amplification/amplify-v0", task="wildcard_search", size=8, budget=1)
    for agent in (LearnedOverseerAgent(hp), LearnedOverseerAgent()):  # a (random) H', and H by default
        rollout(env, {"overseer": agent, "model": OracleModel()}, seed=1)
        assert env.game_state.is_terminal()


def test_the_scenario_names_torch_when_it_is_missing(monkeypatch) -> None:
    from oversight_gym.scenarios import amplification as mod

    monkeypatch.setitem(sys.modules, "torch", None)
    params = mod.SCENARIO.defaults(quick=True)
    with pytest.raises(ImportError, match="torch"):
        mod.train_run("wildcard_search", "ida", params, 0, progress=False)


def test_the_amplification_scenario_runs_on_a_tiny_budget(tmp_path) -> None:
    from oversight_gym.scenarios.amplification import SCENARIO as scenario

    given = {"tasks": "wildcard_search", "steps": 4, "batch": 8, "eval_every": 2, "eval_questions": 20,
             "width": 16, "layers": 1}
    # two workers: the three runs (supervised, IDA, IDA with H') train in separate processes
    res = scenario.execute(given, quick=True, out=tmp_path, progress=False, workers=2)
    assert {m.setting["task"] for m in res.measures} == {"wildcard_search"}
    assert find_measure(res.measures, "calls to H (questions H decomposed)", run="IDA").value > 0
    share = find_measure(res.measures, "H' share of moves, last evaluation", run="IDA+H'")
    assert 0.0 <= share.value <= 1.0
    assert (tmp_path / "curve_wildcard_search.png").exists() and (tmp_path / "overseer_wildcard_search.png").exists()
    assert (tmp_path / "summary.json").exists() and (tmp_path / "measures.png").exists()
    again = scenario.execute(given, quick=True, out=tmp_path, progress=False, workers=1)  # every run finished: reused
    ida = find_measure(res.measures, "M accuracy", run="IDA")
    assert find_measure(again.measures, "M accuracy", run="IDA").value == ida.value and ida.n == 20
    with pytest.raises(ValueError, match="sizes"):
        scenario.execute({"sizes": "16,8"}, quick=True, out=tmp_path / "x", progress=False)
    with pytest.raises(ValueError, match="lr"):
        scenario.execute({"lr": -1.0}, quick=True, out=tmp_path / "y", progress=False)


def test_m_looks_facts_up_by_identity_and_answers_in_range() -> None:
    """Permutation powering's simple question sigma(x) is one lookup: with the identity bias
    M learns it in a few hundred small steps (plain attention sat at chance), eval-mode
    inference matches training mode (torch's fast path mishandles float masks), and the
    answers stay names of the instance."""
    t = get_task("permutation_powering")
    rng = np.random.default_rng(0)

    def lookups(n):
        insts = [t.generate(rng, 8) for _ in range(n // 8)]
        qs = [(0, int(rng.integers(8)), 1) for _ in range(n)]
        return [insts[j // 8] for j in range(n)], qs

    m = AttentionModel(t, d_model=32, layers=1, seed=0, loops=1)
    vi, vq = lookups(200)
    assert (m.predict(vi, vq) < 8).all()
    with torch.no_grad():
        train_mode = m.logits(vi[:16], vq[:16])
        m.net.eval()
        eval_mode = m.logits(vi[:16], vq[:16])
        m.net.train()
    assert torch.allclose(train_mode, eval_mode, atol=1e-5)
    for _ in range(200):
        i, q = lookups(32)
        m.train_step(i, q, [t.answer(a, b) for a, b in zip(i, q, strict=True)])
    truth = np.array([t.answer(a, b) for a, b in zip(vi, vq, strict=True)])
    assert np.mean(m.predict(vi, vq) == truth) >= 0.9
    mixed = [t.generate(rng, 8), t.generate(rng, 16)]
    out = m.logits(mixed, [(0, 3, 1), (0, 12, 1)])
    assert out.shape == (2, t.answer_size(64)) and (out[0, 8:] < -1e8).all() and (out[1, :16] > -1e8).all()
    # targets outside the answer range (an amplification's "none" fallback) are skipped
    assert np.isfinite(m.train_step(vi[:4], vq[:4], [8, 1, 2, 3])) and np.isnan(m.train_step(vi[:2], vq[:2], [8, 9]))


def test_m_runs_its_layers_as_often_as_the_instance_needs() -> None:
    """sigma^k(x) is k lookups: permutation powering's M runs its shared layers
    ceil(names / layers) times by default, the other tasks once; an explicit ``loops`` wins.
    Passes reuse the weights: the parameter count does not depend on them."""
    pp = AttentionModel("permutation_powering", d_model=16, layers=3, seed=0)
    assert [pp.passes(s) for s in (8, 16, 32, 64)] == [3, 6, 11, 22]
    assert AttentionModel("wildcard_search", d_model=16, layers=3).passes(64) == 1
    fixed = AttentionModel("permutation_powering", d_model=16, layers=3, seed=0, loops=1)
    assert fixed.passes(64) == 1
    count = [sum(p.numel() for p in m.net.parameters()) for m in (pp, fixed)]
    assert count[0] == count[1]
    t = get_task("permutation_powering")
    insts, qs = sample_batch(t, 8, 4, np.random.default_rng(0), root=True)
    with torch.no_grad():
        assert not torch.allclose(pp.logits(insts, qs), fixed.logits(insts, qs))
    with pytest.raises(ValueError, match="loops"):
        AttentionModel("permutation_powering", loops=0)


def test_the_claim_is_tested_at_the_largest_size_supervised_reaches() -> None:
    from oversight_gym.scenarios import amplification as mod

    sup = {"acc_by_size": {"8": 1.0, "16": 0.93}, "acc_largest": 0.93}
    ida = {"acc_by_size": {"8": 0.97, "16": 0.40}, "acc_largest": 0.40}
    c = mod.claim_size(sup, ida, (8, 16))
    assert c["size"] == 8 and abs(c["gap"] - 3.0) < 1e-9
    assert mod.claim_size({"acc_by_size": {"8": 0.9}}, ida, (8,))["size"] is None


def test_the_measures_put_the_gap_where_supervised_reaches_95_and_the_claims_read_it() -> None:
    from oversight_gym.analysis.claims import DIFFERS, REPRODUCED, check
    from oversight_gym.scenarios import amplification as mod

    def record(acc: dict[str, float], **extra: float) -> dict:
        return {"acc_by_size": acc, "acc_largest": acc[max(acc, key=int)], "final_size": 64, "step": 10,
                "seconds": 60.0, "h_decompositions": 7, "amplified_acc_current": 0.5, **extra}

    runs = {("wildcard_search", "supervised"): [record({"8": 1.0, "64": 0.9})],
            ("wildcard_search", "ida"): [record({"8": 0.97, "64": 0.4})]}
    params = {**mod.SCENARIO.defaults(quick=True), "tasks": "wildcard_search", "sizes": "8,64",
              "learned_overseer": False}
    ms = mod.measures(params, runs)
    assert abs(find_measure(ms, "gap there, supervised - IDA").value - 3.0) < 1e-9
    assert find_measure(ms, "largest size where supervised reaches 95%").value == 8
    assert find_measure(ms, "IDA within 5 points there").value == "yes"
    gap = find_measure(ms, "gap at the largest size, supervised - IDA")
    assert abs(gap.value - 50.0) < 1e-9 and gap.published is None  # published values come from the claims
    assert find_measure(ms, "M accuracy", run="IDA").n == params["eval_questions"]
    claims = {c.id: c for c in mod.CLAIMS}
    assert [c.id for c in mod.CLAIMS if c.applies(params)] == ["ida-matches-supervised-wildcard-search"]
    assert check(claims["ida-matches-supervised-wildcard-search"], ms).verdict == REPRODUCED
    runs[("wildcard_search", "ida")] = [record({"8": 0.80, "64": 0.4})]  # 20 points behind where supervised is 100%
    assert check(claims["ida-matches-supervised-wildcard-search"], mod.measures(params, runs)).verdict == DIFFERS
    runs[("wildcard_search", "supervised")] = [record({"8": 0.9, "64": 0.9})]  # never 95%: not measured, not passed
    v = check(claims["ida-matches-supervised-wildcard-search"], mod.measures(params, runs))
    assert v.verdict == DIFFERS and v.detail.startswith("not measured")


def test_training_settings_default_by_task() -> None:
    from oversight_gym.envs.amplification.learned import training_settings

    assert training_settings("permutation_powering") == {"lr": 5e-4, "target_every": 250}
    assert training_settings("wildcard_search") == {"lr": 1e-3, "target_every": 50}
    assert training_settings("permutation_powering", lr=0.01, target_every=0) == {"lr": 0.01, "target_every": 0}
    with pytest.raises(ValueError, match="target_every"):
        training_settings("wildcard_search", target_every=-2)
