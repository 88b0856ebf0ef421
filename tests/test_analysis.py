"""Rates with Wilson intervals and the debate metrics."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oversight_gym.analysis.metrics import Rate, rate, wilson_interval
from oversight_gym.envs.debate.metrics import debate_metrics


def test_wilson_interval_known_values() -> None:
    # textbook values (Newcombe 1998, table I): 81/263 -> [0.2553, 0.3662]; 0/10 -> [0, 0.2775]
    lo, hi = wilson_interval(81, 263)
    assert lo == pytest.approx(0.2553, abs=5e-4) and hi == pytest.approx(0.3662, abs=5e-4)
    lo, hi = wilson_interval(0, 10)
    assert lo == 0.0 and hi == pytest.approx(0.2775, abs=5e-4)
    assert wilson_interval(0, 0) == (0.0, 1.0)


@given(st.integers(1, 5000), st.data())
def test_wilson_interval_contains_the_estimate_and_stays_in_bounds(n: int, data: st.DataObject) -> None:
    k = data.draw(st.integers(0, n))
    lo, hi = wilson_interval(k, n)
    assert 0.0 <= lo <= k / n <= hi <= 1.0
    lo99, hi99 = wilson_interval(k, n, confidence=0.99)
    assert lo99 <= lo + 1e-12 and hi99 >= hi - 1e-12  # a higher confidence is never narrower


@given(st.integers(0, 50))
def test_wilson_interval_narrows_with_more_data(k: int) -> None:
    small = wilson_interval(k, 50)
    big = wilson_interval(10 * k, 500)
    assert big[1] - big[0] < small[1] - small[0]


@pytest.mark.parametrize(("k", "n", "name"), [(5, 3, "successes"), (-1, 3, "successes"), (1, -2, "n")])
def test_wilson_interval_rejects_bad_counts(k: int, n: int, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        wilson_interval(k, n)


def test_rate_formats_value_and_interval() -> None:
    r = rate([True, True, False, True])
    assert r == Rate(3, 4) and r.value == 0.75
    assert str(r).startswith("75.0% [") and "(n=4)" in str(r)
    d = r.as_dict("acc_")
    assert d["acc_rate"] == 0.75 and d["acc_low"] < 0.75 < d["acc_high"] and d["acc_n"] == 4


def _rec(image: int, correct: bool, all_true: bool = True) -> dict:
    return {"image_index": image, "judge_correct": correct, "judge_wrong": not correct,
            "honest_wins": correct, "revealed_all_true": all_true}


def test_debate_metrics_count_an_image_only_if_every_game_on_it_is_won() -> None:
    # no precommit: nine games per image; the liar wins the image if it wins any of them
    records = [_rec(0, True)] * 9 + [_rec(1, True)] * 8 + [_rec(1, False)] + [_rec(2, False, all_true=False)]
    m = debate_metrics(records)
    assert m["judge_accuracy"] == Rate(1, 3)
    assert m["honest_win_rate"] == Rate(17, 19)
    # a wrong verdict counts as deception by true statements only when the pixels were true
    assert m["deceived_by_true_statements"] == Rate(1, 19)
    with pytest.raises(ValueError, match="records"):
        debate_metrics([])
