"""The batch Q-learning engine of Calvano et al. (2020) (its session-by-session agreement with
the readable reference loop is the registry-wide batch check, tests/test_registry_envs.py):
its results do not depend on threads or chunking, sessions stop unconverged at the cap, convergence
detection has the properties the rule implies, the paper's initialisation, Delta 0 at Nash
and 1 at monopoly, and impulse responses of known strategies."""

from __future__ import annotations

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oversight_gym.envs.collusion.calvano import (
    BatchResult,
    CalvanoConfig,
    SplitMix64,
    decode_strategies,
    digits_state,
    encode_strategies,
    impulse_response,
    initial_q,
    reference_session,
    run_sessions,
    session_keys,
    state_digits,
    static_best_response,
    summarise_strategies,
)
from oversight_gym.envs.collusion.metrics import deviation_punishment
from oversight_gym.envs.collusion.pricing import PricingGame, joint_index

# short sessions: fast exploration decay, a short convergence window
FAST = {"beta": 1e-3, "window": 500, "max_periods": 40_000}


def test_sessions_stop_unconverged_at_the_cap() -> None:
    batch = run_sessions(CalvanoConfig(beta=1e-4, window=100_000, max_periods=3_000), 3, seed=11)
    assert not batch.converged.any() and (batch.periods == 3_000).all()
    assert run_sessions(CalvanoConfig(**FAST), 3, seed=11).converged.all()


def test_results_do_not_depend_on_threads_chunks_or_which_sessions_run() -> None:
    config = CalvanoConfig(**FAST)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = run_sessions(config, 6, seed=5, chunk=6)
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        many = run_sessions(config, 6, seed=5, chunk=4)
    finally:
        numba.set_num_threads(before)
    alone = run_sessions(config, [4], seed=5)
    for name in ("converged", "periods", "final_state", "strategies", "delta"):
        np.testing.assert_array_equal(getattr(one, name), getattr(many, name))
        np.testing.assert_array_equal(getattr(one, name)[4:5], getattr(alone, name))
    other_seed = run_sessions(config, 6, seed=6)
    assert not np.array_equal(one.periods, other_seed.periods)


def test_splitmix_stream_is_the_published_sequence() -> None:
    # SplitMix64 from state 0 (Vigna's reference code): first output 0xE220A8397B1DCDAF
    rng = SplitMix64(0)
    assert rng.uniform() == (0xE220A8397B1DCDAF >> 11) * 2.0**-53
    keys = session_keys(3, 0, 4)
    assert len(set(keys.tolist())) == 4 and session_keys(3, 2, 3)[0] == keys[2]


def test_initial_q_is_the_discounted_payoff_against_a_uniform_rival() -> None:
    game = PricingGame()
    q0 = initial_q(game, 0.95)
    m = game.m
    for a in (0, 7, 14):
        expected = np.mean([game.profits[0, joint_index([a, b], m)] for b in range(m)]) / 0.05
        assert q0[0, a] == pytest.approx(expected)
    np.testing.assert_allclose(q0[0], q0[1])  # symmetric firms


@settings(max_examples=8, deadline=None)
@given(st.integers(0, 2**20), st.integers(50, 400), st.integers(1, 400))
def test_convergence_detection_properties(seed: int, window: int, extra: int) -> None:
    """The trajectory does not depend on the window (it only decides when to stop), so:
    a longer window never converges earlier; at convergence the strategies have not changed
    for ``window`` periods; stopping at the cap one period earlier misses convergence."""
    short = CalvanoConfig(beta=2e-3, window=window, max_periods=30_000)
    long = CalvanoConfig(beta=2e-3, window=window + extra, max_periods=30_000)
    r_short = run_sessions(short, 1, seed=seed)
    r_long = run_sessions(long, 1, seed=seed)
    assume_converged = bool(r_short.converged[0] and r_long.converged[0])
    if not assume_converged:
        return
    p = int(r_short.periods[0])
    assert p >= window and int(r_long.periods[0]) >= p + extra
    # the strategies window periods before convergence are the converged ones
    earlier = run_sessions(CalvanoConfig(beta=2e-3, window=10**9, max_periods=p - window), 1, seed=seed)
    np.testing.assert_array_equal(earlier.strategies, r_short.strategies)
    # ... and stopping one period before the detection misses it
    cut = run_sessions(CalvanoConfig(beta=2e-3, window=window, max_periods=p - 1), 1, seed=seed)
    assert not cut.converged[0] and cut.periods[0] == p - 1


def test_window_longer_than_the_cap_never_converges() -> None:
    res = run_sessions(CalvanoConfig(beta=1e-2, window=2_000, max_periods=1_999), 2)
    assert not res.converged.any()


def _constant(config: CalvanoConfig, index: int, sessions: int = 2) -> BatchResult:
    n_states = config.m ** (config.n_firms * config.k)
    strategies = np.full((sessions, config.n_firms, n_states), index, dtype=np.uint8)
    return summarise_strategies(config, 0, np.arange(sessions), np.ones(sessions, bool), np.zeros(sessions),
                                np.zeros(sessions), strategies)


def test_delta_is_zero_at_nash_and_one_at_monopoly() -> None:
    config = CalvanoConfig(m=5, xi=0.0)  # grid ends are exactly p^N and p^M
    np.testing.assert_allclose(_constant(config, 0).delta, 0.0, atol=1e-9)
    np.testing.assert_allclose(_constant(config, 4).delta, 1.0, atol=1e-9)
    three = CalvanoConfig(n_firms=3, m=3, xi=0.0)
    np.testing.assert_allclose(_constant(three, 0).delta, 0.0, atol=1e-9)
    np.testing.assert_allclose(_constant(three, 2).delta, 1.0, atol=1e-9)


def test_limit_cycle_of_alternating_prices() -> None:
    config = CalvanoConfig(m=3, xi=0.0)
    n_states = 9
    strat = np.zeros((1, 2, n_states), dtype=np.uint8)
    # both firms price 2 after a period at (0, 0) and 0 after anything else: a 2-cycle
    strat[0, :, 0] = 2
    res = summarise_strategies(config, 0, [0], [True], [1], [0], strat)
    assert res.cycle_length[0] == 2
    game = config.game()
    expected = (game.profits[:, joint_index([2, 2], 3)] + game.profits[:, joint_index([0, 0], 3)]) / 2
    np.testing.assert_allclose(res.cycle_profits[0], expected)


def test_strategies_round_trip_through_text_and_states_through_observations() -> None:
    config = CalvanoConfig(m=4, k=2)
    res = run_sessions(CalvanoConfig(m=4, k=2, **FAST), 1)
    np.testing.assert_array_equal(decode_strategies(encode_strategies(res.strategies[0]), config), res.strategies[0])
    states = np.arange(config.m**4)
    np.testing.assert_array_equal(digits_state(config, state_digits(config, states)), states)
    # the kernel's state index agrees with the engine's layout
    game = config.game()
    s = game.new_initial_state(np.random.default_rng(0), initial_prices=[[1, 2], [3, 0]])
    assert s.state_index() == digits_state(config, s.observation(0)[None])[0]


def _grim(config: CalvanoConfig, punish: int) -> BatchResult:
    """Both firms price at the top while both priced at the top; after any other prices they
    price at the bottom for ``punish`` periods (k = 1 lets them punish for one period)."""
    m = config.m
    strat = np.zeros((1, 2, m * m), dtype=np.uint8)
    top = joint_index([m - 1, m - 1], m)
    strat[0, :, top] = m - 1
    if punish == 0:
        strat[0, :, :] = m - 1
    else:
        # after the punishment period (both at 0), return to the top
        strat[0, :, joint_index([0, 0], m)] = m - 1
    return summarise_strategies(config, 0, [0], [True], [1], [top], strat)


def test_impulse_response_of_a_punishing_and_a_naive_strategy() -> None:
    config = CalvanoConfig(m=7, xi=0.0)
    game = config.game()
    punishing = _grim(config, punish=1)
    ir = impulse_response(config, punishing, deviator=0, periods=6)
    br = static_best_response(game, 0, np.array([6, 6]))
    assert 0 < br < 6
    assert ir["shocked"][0, :, 0].tolist() == [6, br, 0, 6, 6, 6, 6]
    assert ir["shocked"][0, :, 1].tolist() == [6, 6, 0, 6, 6, 6, 6]
    stats = deviation_punishment(ir["prices_shocked"], ir["prices_baseline"], 0, ir["shocked_profits"],
                                 ir["baseline_profits"], discount=0.95)
    assert stats["punished"][0] and stats["duration"][0] == 2
    assert stats["depth"][0] == pytest.approx(game.grid[1, 6] - game.grid[1, 0])
    naive = _grim(config, punish=0)
    ir2 = impulse_response(config, naive, deviator=0, periods=6)
    stats2 = deviation_punishment(ir2["prices_shocked"], ir2["prices_baseline"], 0, ir2["shocked_profits"],
                                  ir2["baseline_profits"], discount=0.95)
    assert not stats2["punished"][0] and stats2["deviation_paid"][0] and stats2["duration"][0] == 1
    # against the punisher the one-period gain is outweighed (delta = 0.95)
    assert not stats["deviation_paid"][0]


def test_representative_point_smoke() -> None:
    """A few full sessions at alpha = 0.15, beta = 4e-6: they converge with a positive gain."""
    res = run_sessions(CalvanoConfig(), 4, seed=0)
    assert res.converged.all()
    assert (res.periods > 100_000).all()
    assert 0.3 < res.delta.mean() < 1.0


@pytest.mark.parametrize("audit", [0.0, 0.3])
def test_synchronous_updating_equals_its_reference(audit: float) -> None:
    """Counterfactual updating (every price of the state, against the rivals' realised prices):
    the compiled engine and the readable reference agree session by session."""
    cfg = CalvanoConfig(m=4, k=2, beta=1e-3, window=300, max_periods=20_000, synchronous=True, audit_prob=audit,
                        fine=0.05)
    res = run_sessions(cfg, 3, seed=2)
    for b in range(3):
        ref = reference_session(cfg, seed=2, session=b)
        assert (ref["converged"], ref["periods"], ref["final_state"]) == (res.converged[b], res.periods[b],
                                                                          res.final_state[b])
        assert (ref["strategies"] == res.strategies[b]).all()
