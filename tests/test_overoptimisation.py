"""Overoptimisation measurements (Gao, Schulman, Hilton 2022): the theory as properties.

* with the judge equal to the gold utility nothing is overoptimised: gold is non-decreasing in
  n for best-of-n and along the policy-gradient path (exact expectations, no sampling error);
* best-of-1 is the initial policy;
* the KL of best-of-n matches ``log n - (n - 1) / n`` for continuous scores, and the exact
  finite-set distribution (with ties) matches brute-force enumeration;
* the fitted forms recover their own coefficients; same seed, same curves.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oversight_gym.envs.feedback.best_of_n import (
    best_of_n_distribution,
    best_of_n_kl_closed_form,
    best_of_n_sample,
)
from oversight_gym.envs.feedback.critique_revise import critique_and_revise, neighbour_table, revision_map
from oversight_gym.envs.feedback.kl_policy_gradient import KLPolicyGradient, kl_to, tilted_policy
from oversight_gym.envs.feedback.model import GOLD, ConstitutionJudge, ResponseUniverse, make_judge
from oversight_gym.envs.feedback.overoptimisation import (
    Fit,
    best_of_n_curve,
    critique_curve,
    fit_form,
    overoptimisation_summary,
    rl_curve,
    simulated_best_of_n_kl,
)

FAST = settings(max_examples=10, deadline=None)
_UNIVERSES: dict[tuple[int, int], ResponseUniverse] = {}


def universe(seed: int, size: int = 2048) -> ResponseUniverse:
    key = (seed, size)
    if key not in _UNIVERSES:
        _UNIVERSES[key] = ResponseUniverse.sample(size, np.random.default_rng(seed))
    return _UNIVERSES[key]


# --- judge == gold: no overoptimisation -------------------------------------------------
@FAST
@given(seed=st.integers(0, 5), n_max=st.integers(2, 256))
def test_perfect_judge_best_of_n_gold_never_decreases(seed: int, n_max: int) -> None:
    u = universe(seed)
    gold = GOLD.score(u.features)
    proxy = make_judge("gold").scores(u.features)
    ns = sorted(set(np.round(np.geomspace(1, n_max, 12)).astype(int).tolist()))
    c = best_of_n_curve(u.initial, gold, proxy, ns)
    assert np.all(np.diff(c.gold) >= -1e-12), c.gold
    assert not overoptimisation_summary(c)["turns_over"]


@FAST
@given(seed=st.integers(0, 5), lr=st.floats(0.01, 0.2), mode=st.sampled_from(["natural", "vanilla"]))
def test_perfect_judge_policy_gradient_gold_never_decreases(seed: int, lr: float, mode: str) -> None:
    u = universe(seed, 1024)
    gold = GOLD.score(u.features)
    step = lr if mode == "natural" else lr / 20  # vanilla steps are larger where the policy concentrates
    c = rl_curve(u.initial, gold, gold.copy(), steps=120, record=30, lr=step, geometry=mode)
    assert np.all(np.diff(c.gold) >= -1e-9), c.gold
    assert np.all(np.diff(c.kl) >= -1e-9)  # no KL penalty: the policy keeps moving away


@FAST
@given(seed=st.integers(0, 5), lams=st.lists(st.floats(0, 30), min_size=2, max_size=6))
def test_kl_regularised_optimum_of_the_gold_judge_improves_with_strength(seed: int, lams: list[float]) -> None:
    """pi0 exp(lambda G)/Z maximises E[G] - KL/lambda; dE[G]/dlambda = Var(G) >= 0."""
    u = universe(seed, 1024)
    gold = GOLD.score(u.features)
    values = [tilted_policy(u.initial, gold, lam) @ gold for lam in sorted(lams)]
    assert np.all(np.diff(values) >= -1e-9)


def test_an_imperfect_judge_is_overoptimised_and_a_perfect_one_is_not() -> None:
    u = universe(0, 8192)
    gold = GOLD.score(u.features)
    ns = np.unique(np.round(np.geomspace(1, 1024, 20)).astype(int)).tolist()
    flawed = make_judge("constitution", "default", noise=0.5).scores(u.features)
    c_bad = best_of_n_curve(u.initial, gold, flawed, ns)
    c_good = best_of_n_curve(u.initial, gold, gold, ns)
    s_bad, s_good = overoptimisation_summary(c_bad), overoptimisation_summary(c_good)
    assert s_bad["turns_over"] and not s_good["turns_over"]
    assert np.all(np.diff(c_bad.proxy) > 0)  # the proxy keeps rising while gold falls
    # heavy-tailed judge errors (regressional Goodhart): the turnover comes early
    heavy = ConstitutionJudge(GOLD, 0.7, 1.5, 0).scores(u.features)
    assert overoptimisation_summary(best_of_n_curve(u.initial, gold, heavy, ns))["turns_over"]
    # the best-of-n form describes the simulated curve
    assert fit_form(c_bad.d, c_bad.gold, "bon").r2 > 0.9


# --- best-of-1 and the KL of best-of-n ---------------------------------------------------
@FAST
@given(size=st.integers(2, 50), seed=st.integers(0, 1000), ties=st.booleans())
def test_best_of_one_is_the_initial_policy(size: int, seed: int, ties: bool) -> None:
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.ones(size))
    s = rng.integers(0, 3, size).astype(float) if ties else rng.standard_normal(size)
    np.testing.assert_allclose(best_of_n_distribution(p, s, 1), p, atol=1e-15)
    assert kl_to(best_of_n_distribution(p, s, 1), p) < 1e-12
    # sampling: best-of-1 keeps the single draw, which is a draw of the initial policy
    kept = best_of_n_sample(np.random.default_rng(seed), p, s, 1, 50)
    draws = np.random.default_rng(seed).choice(size, size=(50, 1), p=p)[:, 0]
    np.testing.assert_array_equal(kept, draws)


@FAST
@given(seed=st.integers(0, 5), n=st.integers(1, 64))
def test_exact_best_of_n_kl_matches_the_closed_form(seed: int, n: int) -> None:
    u = universe(seed, 4096)
    scores = make_judge("constitution", "default", noise=0.5, seed=seed).scores(u.features)  # continuous: no ties
    assert len(np.unique(scores)) == len(scores)
    kl = kl_to(best_of_n_distribution(u.initial, scores, n), u.initial)
    assert abs(kl - best_of_n_kl_closed_form(n)) < 0.01, (kl, best_of_n_kl_closed_form(n))


@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 100), n=st.sampled_from([2, 8, 32]))
def test_simulated_best_of_n_kl_matches_the_closed_form(seed: int, n: int) -> None:
    u = universe(0, 4096)
    scores = make_judge("constitution", "default", noise=0.5).scores(u.features)
    est, se = simulated_best_of_n_kl(np.random.default_rng(seed), u.initial, scores, n, 4000)
    assert abs(est - best_of_n_kl_closed_form(n)) < 5 * se + 0.01


@FAST
@given(seed=st.integers(0, 1000), n=st.integers(1, 4))
def test_best_of_n_distribution_with_ties_matches_enumeration(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    size = 4
    p = rng.dirichlet(np.ones(size))
    s = rng.integers(0, 2, size).astype(float)  # many ties
    want = np.zeros(size)
    for draws in itertools.product(range(size), repeat=n):
        prob = np.prod(p[list(draws)])
        best = max(s[list(draws)])
        slots = [d for d in draws if s[d] == best]  # the tie is broken uniformly among the tied draws
        for d in slots:
            want[d] += prob / len(slots)
    np.testing.assert_allclose(best_of_n_distribution(p, s, n), want, atol=1e-12)
    # and all-equal scores: best-of-n is the initial policy
    np.testing.assert_allclose(best_of_n_distribution(p, np.zeros(size), n), p, atol=1e-15)


def test_best_of_n_sampler_follows_the_exact_distribution() -> None:
    rng = np.random.default_rng(3)
    p = np.array([0.1, 0.2, 0.3, 0.4])
    s = np.array([1.0, 0.0, 1.0, 0.5])
    kept = best_of_n_sample(rng, p, s, 3, 40_000)
    freq = np.bincount(kept, minlength=4) / 40_000
    q = best_of_n_distribution(p, s, 3)
    assert np.all(np.abs(freq - q) < 4 * np.sqrt(q * (1 - q) / 40_000) + 1e-9)


def test_closed_form_values() -> None:
    assert best_of_n_kl_closed_form(1) == 0.0
    assert best_of_n_kl_closed_form(2) == pytest.approx(np.log(2) - 0.5)
    with pytest.raises(ValueError, match="n must be >= 1"):
        best_of_n_kl_closed_form(0)
    with pytest.raises(ValueError, match="n must be"):
        best_of_n_distribution(np.array([0.5, 0.5]), np.array([0.0, 1.0]), 0)


# --- fits ---------------------------------------------------------------------------------
@FAST
@given(alpha=st.floats(0.1, 3), beta=st.floats(0.01, 1), form=st.sampled_from(["bon", "rl"]))
def test_fits_recover_their_own_coefficients(alpha: float, beta: float, form: str) -> None:
    d = np.linspace(0, 4, 30)
    r = Fit(form, alpha, beta, 1.0, len(d)).predict(d)
    f = fit_form(d, r, form)
    assert f.alpha == pytest.approx(alpha, rel=1e-6, abs=1e-9)
    assert f.beta == pytest.approx(beta, rel=1e-6, abs=1e-9)
    assert f.r2 == pytest.approx(1.0)
    # the fitted optimum is a stationary point of the fitted curve
    h = 1e-5
    ds = f.d_star
    if ds < 1e6:
        slope = (f.predict(ds + h)[0] - f.predict(ds - h)[0]) / (2 * h)
        assert abs(slope) < 1e-4


def test_fit_errors_name_the_problem() -> None:
    with pytest.raises(ValueError, match="form must be one of"):
        fit_form([0, 1, 2], [0, 1, 2], "ppo")
    with pytest.raises(ValueError, match="at least two points"):
        fit_form([0, 1], [0, 1], "bon")
    with pytest.raises(ValueError, match="d and r"):
        fit_form([0, 1, 2], [0, 1], "bon")


# --- policy gradient, critique ---------------------------------------------------------------
def test_natural_gradient_without_penalty_follows_the_exponential_tilts() -> None:
    u = universe(1, 512)
    r = GOLD.score(u.features)
    pg = KLPolicyGradient(u.initial, r, lr=0.1, geometry="natural")
    for _ in range(7):
        pg.step()
    np.testing.assert_allclose(pg.policy, tilted_policy(u.initial, r, 0.7), atol=1e-12)


def test_kl_penalty_converges_to_the_tilted_optimum() -> None:
    u = universe(2, 256)
    r = GOLD.score(u.features)
    pg = KLPolicyGradient(u.initial, r, kl_coef=0.5, lr=0.2, geometry="natural")
    pg.run(400)
    np.testing.assert_allclose(pg.policy, tilted_policy(u.initial, r, 2.0), atol=1e-6)


def test_sampled_gradients_are_seeded_and_move_uphill() -> None:
    u = universe(3, 256)
    r = GOLD.score(u.features)
    runs = [rl_curve(u.initial, r, r, 60, 10, lr=0.05, mode="sampled", geometry="vanilla", seed=5)
            for _ in range(2)]
    np.testing.assert_array_equal(runs[0].gold, runs[1].gold)
    assert runs[0].gold[-1] > 0.2


def test_critic_revisions_never_lower_the_principle_at_hand() -> None:
    u = universe(0, 1024)
    judge = make_judge("constitution", "default", noise=0.3)
    ps = judge.principle_scores(u.features)
    table = neighbour_table(u.features, 8)
    assert np.all(table[:, 0] == np.arange(u.size))
    for k in range(ps.shape[1]):
        m = revision_map(ps, table, k)
        assert np.all(ps[m, k] >= ps[:, k])
        assert np.all((table == m[:, None]).any(axis=1))  # a revision is a small edit: a neighbour
    hist = critique_and_revise(u.initial, ps, table, 8)
    assert [h.principle for h in hist] == [-1, 0, 1, 2, 3, 0, 1, 2, 3]
    assert all(abs(h.policy.sum() - 1) < 1e-12 for h in hist)
    c = critique_curve(u.initial, GOLD.score(u.features), judge.scores(u.features), ps, u.features, 8)
    assert c.kl[0] == 0 and c.kl[-1] > 0


# --- determinism --------------------------------------------------------------------------
@settings(max_examples=3, deadline=None)
@given(seed=st.integers(0, 2**16))
def test_same_seed_same_curves(seed: int) -> None:
    def curves() -> list[bytes]:
        u = ResponseUniverse.sample(512, np.random.default_rng(seed))
        gold = GOLD.score(u.features)
        rm = make_judge("reward_model", comparisons=80, capacity=2, seed=seed, universe=u).scores(u.features)
        heavy = ConstitutionJudge(GOLD, 0.5, 2.0, seed).scores(u.features)
        out = [best_of_n_curve(u.initial, gold, rm, [1, 4, 16]),
               rl_curve(u.initial, gold, heavy, 20, 5, mode="sampled", seed=seed)]
        est, _ = simulated_best_of_n_kl(np.random.default_rng(seed), u.initial, heavy, 8, 100)
        return [np.concatenate([c.kl, c.gold, c.proxy]).tobytes() for c in out] + [np.float64(est).tobytes()]

    assert curves() == curves()


def test_a_quick_run_reproduces_the_quick_claims(tmp_path) -> None:
    from oversight_gym.analysis.claims import REPRODUCED
    from oversight_gym.scenarios.overoptimisation import SCENARIO

    given = {"universe": 1024, "n_max": 128, "rl_steps": 60, "rm_sizes": "100", "kl_samples": 500}
    res = SCENARIO.execute(given, quick=True, out=tmp_path, workers=1, progress=False)
    assert {v.claim.id for v in res.verdicts} == {c.id for c in SCENARIO.claims if c.quick}
    assert all(v.verdict == REPRODUCED for v in res.verdicts), [(v.claim.id, v.detail) for v in res.verdicts]
