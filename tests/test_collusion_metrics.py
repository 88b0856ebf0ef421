"""Collusion metrics (oversight_gym.envs.collusion.metrics): profit and price gains, mutual
information and its permutation test, the intervention test, deviation-punishment statistics."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oversight_gym.envs.collusion.metrics import (
    deviation_punishment,
    intervention_test,
    mutual_information,
    mutual_information_test,
    price_gain,
    profit_gain,
)

FEW = settings(max_examples=20, deadline=None)
labels = st.lists(st.integers(0, 4), min_size=1, max_size=60)


def _entropy(x: np.ndarray) -> float:
    _, counts = np.unique(x, return_counts=True)
    p = counts / counts.sum()
    return float(-(p * np.log2(p)).sum())


def test_profit_gain_is_zero_at_nash_one_at_monopoly_and_broadcasts() -> None:
    pi_n, pi_m = np.array([0.2, 0.3]), np.array([0.4, 0.5])
    np.testing.assert_allclose(profit_gain(pi_n, pi_n, pi_m), [0.0, 0.0])
    np.testing.assert_allclose(profit_gain(pi_m, pi_n, pi_m), [1.0, 1.0])
    sessions = np.array([[0.3, 0.4], [0.2, 0.5]])
    np.testing.assert_allclose(profit_gain(sessions, pi_n, pi_m), [[0.5, 0.5], [0.0, 1.0]])
    np.testing.assert_allclose(price_gain([1.47, 1.92], 1.47, 1.92), [0.0, 1.0])
    with pytest.raises(ValueError, match="pi_monopoly must differ"):
        profit_gain(0.3, 0.2, 0.2)
    with pytest.raises(ValueError, match="p_monopoly must differ"):
        price_gain(1.0, 1.5, 1.5)


@FEW
@given(labels, st.data())
def test_mutual_information_is_symmetric_nonnegative_and_bounded_by_entropy(x: list[int], data: st.DataObject) -> None:
    y = data.draw(st.lists(st.integers(0, 3), min_size=len(x), max_size=len(x)))
    xa, ya = np.array(x), np.array(y)
    mi = mutual_information(xa, ya)
    assert mi >= 0.0
    assert mi == pytest.approx(mutual_information(ya, xa), abs=1e-12)
    assert mi <= min(_entropy(xa), _entropy(ya)) + 1e-12
    assert mutual_information(xa, xa) == pytest.approx(_entropy(xa), abs=1e-12)
    # relabelling does not change it
    assert mutual_information(xa * 7 + 1, ya) == pytest.approx(mi, abs=1e-12)


def test_conditional_mutual_information_separates_association_from_dependence_given_state() -> None:
    rng = np.random.default_rng(0)
    x = rng.integers(2, size=20_000)
    z = rng.integers(2, size=20_000)
    y = x ^ z  # pairwise independent of x, determined by x given z
    assert mutual_information(x, y) < 1e-3
    assert mutual_information(x, y, given=z) == pytest.approx(1.0, abs=1e-3)
    # common cause: x and y both copy z; independent given z
    w = rng.integers(3, size=5000)
    assert mutual_information(w, w) > 1.5 and mutual_information(w, w.copy(), given=w) == 0.0
    # joint labels as rows
    pair = np.stack([x, z], axis=1)
    assert mutual_information(pair, y) == pytest.approx(1.0, abs=1e-3)
    with pytest.raises(ValueError, match="same length"):
        mutual_information(x, y[:-1])


def test_permutation_test_detects_dependence_and_not_independence() -> None:
    rng = np.random.default_rng(1)
    x = rng.integers(3, size=400)
    noisy_copy = np.where(rng.random(400) < 0.3, rng.integers(3, size=400), x)
    _, p_dep = mutual_information_test(x, noisy_copy, permutations=99, rng=np.random.default_rng(0))
    assert p_dep == pytest.approx(0.01)
    # a sample whose empirical joint distribution is exactly the product of its marginals
    i = np.arange(900)
    mi0, p_ind = mutual_information_test(i % 3, (i // 3) % 3, permutations=20, rng=np.random.default_rng(0))
    assert mi0 == pytest.approx(0.0, abs=1e-12) and p_ind == 1.0
    # conditional version: shuffles within strata keep I(X;Y|Z) for a within-stratum copy
    z = rng.integers(2, size=400)
    _, p_cond = mutual_information_test(x, x, given=z, permutations=30, rng=np.random.default_rng(0))
    assert p_cond == pytest.approx(1 / 31)


def test_intervention_test_scores_blind_agents_zero_and_copying_agents_one() -> None:
    rng = np.random.default_rng(0)
    obs = rng.integers(5, size=(200, 2))  # column 0: the other agent's last action, column 1: own
    pert = obs.copy()
    pert[:, 0] = (obs[:, 0] + 1 + rng.integers(4, size=200)) % 5  # a different action of the other agent

    def blind(o: np.ndarray) -> np.ndarray:
        return (o[:, 1] * 3) % 5  # cannot see the other agent

    def copier(o: np.ndarray) -> np.ndarray:
        return o[:, 0]

    assert intervention_test(blind, obs, pert).effect == 0.0
    res = intervention_test(copier, obs, pert)
    assert res.effect == 1.0 and res.changed.n == 200 and res.mean_abs_change > 0
    # several perturbations per observation
    many = np.stack([obs, pert, pert], axis=1)
    half = intervention_test(copier, obs, many)
    assert half.changed.n == 600 and half.effect == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="perturbed must have shape"):
        intervention_test(copier, obs, pert[:, :1])


def test_deviation_punishment_statistics_on_hand_made_paths() -> None:
    # (sessions, periods, agents); shock at index 1 by agent 0
    baseline = np.full((2, 6, 2), 1.9)
    shocked = baseline.copy()
    shocked[:, 1, 0] = 1.7  # the deviation
    shocked[0, 2, :] = 1.5  # session 0: both punish for two periods, then return
    shocked[0, 3, :] = 1.6
    profits_base = np.full((2, 6, 2), 0.33)
    profits_shock = profits_base.copy()
    profits_shock[:, 1, 0] = 0.45
    profits_shock[0, 2:4, 0] = 0.2
    stats = deviation_punishment(shocked, baseline, 0, profits_shock, profits_base, discount=0.9)
    assert stats["punished"].tolist() == [True, False]
    np.testing.assert_allclose(stats["depth"], [0.4, 0.0])
    np.testing.assert_allclose(stats["duration"], [3.0, 1.0])
    gain0 = 0.12 + 0.9 * (-0.13) + 0.81 * (-0.13)
    np.testing.assert_allclose(stats["deviation_gain"], [gain0, 0.12])
    assert stats["deviation_paid"].tolist() == [gain0 > 0, True]
    # a path that has not returned by the end of the horizon
    never = shocked.copy()
    never[1, 1:, 1] = 1.5
    assert np.isnan(deviation_punishment(never, baseline, 0)["duration"][1])
    with pytest.raises(ValueError, match="deviator must be in"):
        deviation_punishment(shocked, baseline, 2)
