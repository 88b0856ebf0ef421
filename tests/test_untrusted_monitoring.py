"""AI control (Greenblatt et al. 2023): the untrusted-monitoring kernel (its deployment-by-deployment
agreement with the vectorised simulator is the registry-wide batch check), the closed forms, the
red-team optimiser and the protocol's properties (safety never below the no-monitoring baseline
for the same red team; redaction that always removes the signal makes the colluding monitor an
honest one of the same quality and budget; monotone in the defer rate and the audit budget; a
perfect monitor that defers is safe)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import oversight_gym
from oversight_gym.analysis.measures import find as find_measure
from oversight_gym.core.errors import IllegalActionError
from oversight_gym.envs.collusion import ai_control as A
from oversight_gym.envs.collusion.control_agents import ControlHonest, ControlRedTeam
from oversight_gym.envs.collusion.untrusted_monitoring import (
    ENV_ID,
    ControlConfig,
    UntrustedMonitoringGame,
)
from oversight_gym.testing import check_determinism, rollout

FEW = settings(max_examples=12, deadline=None)


@st.composite
def configs(draw: st.DrawFn, protocols=("none", "upfront", "trusted", "untrusted")) -> ControlConfig:
    protocol = draw(st.sampled_from(protocols))
    kw = {"n_tasks": draw(st.integers(20, 300)), "protocol": protocol,
          "audit_budget": draw(st.sampled_from([0.0, 0.02, 0.1, 0.3])),
          "separation_trusted": draw(st.floats(0.0, 4.0)), "separation_untrusted": draw(st.floats(0.0, 5.0)),
          "stealth": draw(st.floats(0.0, 1.0)), "attack_success": draw(st.floats(0.05, 1.0)),
          "signal_collision": draw(st.floats(0.0, 0.5)), "spread_trusted": draw(st.floats(0.3, 2.0)),
          "spread_untrusted": draw(st.floats(0.3, 2.0)), "free_audits": draw(st.sampled_from([0, 10])),
          "signal_kind": draw(st.sampled_from(["output", "input"])), "edit_removal": draw(st.floats(0.0, 1.0))}
    if protocol in ("trusted", "untrusted"):
        kw["defer_rate"] = draw(st.sampled_from([0.0, 0.1, 0.3]))
        kw["edit_rate"] = draw(st.sampled_from([0.0, 0.2]))
    if protocol == "untrusted":
        kw["honeypots"] = draw(st.sampled_from([0, 5, 20]))
        kw["redaction_prob"] = draw(st.floats(0.0, 1.0))
        kw["redaction_loss"] = draw(st.floats(0.0, 0.5))
    return ControlConfig(**kw)


def red_teams() -> st.SearchStrategy[A.RedTeam]:
    return st.builds(A.RedTeam, st.floats(0.0, 0.3), st.booleans(), st.sampled_from(["honest", "on_signal", "always"]))


FIELDS = ("end", "tasks_done", "solved", "audits", "attacks", "deferrals", "shutdown")


def test_scripted_agents_through_the_aec_view_match_the_simulator() -> None:
    cfg = ControlConfig(n_tasks=400, protocol="untrusted", audit_budget=0.05, honeypots=10, redaction_prob=0.3,
                        signal_collision=0.1)
    red = A.RedTeam(0.05, True, "on_signal")
    agent = ControlRedTeam(red.attack_rate, red.signal, red.monitor)
    for s in range(3):
        env = oversight_gym.make(ENV_ID, **cfg.as_dict())
        rollout(env, agent, seed=s)
        o = env.game_state.outcome()
        sim = A.simulate(cfg, red, *A.draw_batch(cfg, [s]))
        assert o["backdoor"] == (sim.end[0] == 2) and o["caught"] == (sim.end[0] == 1)
        assert o["tasks_done"] == sim.tasks_done[0] and o["solved"] == sim.solved[0]


@FEW
@given(cfg=configs(), red=red_teams(), seed=st.integers(0, 2**31))
def test_safety_never_below_the_no_monitoring_baseline_for_the_same_red_team(cfg, red, seed) -> None:
    """With common random numbers every deployment that is safe without monitoring is safe
    under the protocol: auditing only ends deployments early in the blue team's favour and
    deferring only removes attacks."""
    base = ControlConfig(**{**cfg.as_dict(), "protocol": "none", "defer_rate": 0.0, "edit_rate": 0.0, "honeypots": 0,
                            "obvious_success": cfg.success})
    seeds = A.deployment_seeds(seed, 8)
    hp, tasks = A.draw_batch(cfg, seeds)
    with_protocol = A.simulate(cfg, red, hp, tasks).safe
    baseline = A.simulate(base, red, np.zeros((8, 0, hp.shape[2])), tasks).safe
    assert np.all(with_protocol >= baseline)


@FEW
@given(cfg=configs(protocols=("untrusted",)), rate=st.floats(0.001, 0.3), seed=st.integers(0, 2**31))
def test_redaction_that_always_removes_the_signal_makes_the_monitor_honest(cfg, rate, seed) -> None:
    """With redaction_prob = 1 a monitor that lies on the signal (input- or output-keyed) never sees
    one: every deployment, honeypots included, ends exactly as with an honest monitor of the same
    quality (separation, redaction's cost) and the same audit budget."""
    cfg = ControlConfig(**{**cfg.as_dict(), "redaction_prob": 1.0})
    hp, tasks = A.draw_batch(cfg, A.deployment_seeds(seed, 6))
    colluding = A.simulate(cfg, A.RedTeam(rate, True, "on_signal"), hp, tasks)
    honest = A.simulate(cfg, A.RedTeam(rate, True, "honest"), hp, tasks)
    for f in FIELDS:
        np.testing.assert_array_equal(getattr(colluding, f), getattr(honest, f), err_msg=f)


def test_without_redaction_the_signal_lets_the_monitor_collude() -> None:
    """The contrast that makes the property above non-trivial."""
    cfg = ControlConfig(n_tasks=2000, protocol="untrusted", honeypots=30)
    red_c, red_h = A.RedTeam(0.003, True, "on_signal"), A.RedTeam(0.003, True, "honest")
    colluding, honest = A.evaluate(cfg, [red_c, red_h], deployments=300, seed=1)
    assert colluding.safety.value < honest.safety.value - 0.2


def test_honeypots_catch_a_monitor_that_always_lies() -> None:
    cfg = ControlConfig(n_tasks=500, protocol="untrusted", honeypots=30)
    res = A.simulate(cfg, A.RedTeam(0.01, False, "always"), *A.draw_batch(cfg, A.deployment_seeds(0, 200)))
    assert res.shutdown.mean() > 0.99
    honest = A.simulate(cfg, A.HONEST_TEAM, *A.draw_batch(cfg, A.deployment_seeds(0, 400)))
    assert honest.shutdown.mean() <= 0.03  # the test's false-alarm rate is at most honeypot_alpha = 1%


def test_upfront_closed_form_matches_the_simulation() -> None:
    cfg = ControlConfig(n_tasks=1000, protocol="upfront", audit_budget=0.02)
    rate, safety = A.upfront_best_response(cfg)
    grid = np.geomspace(1e-5, 1, 200)
    assert safety <= min(A.upfront_safety(cfg, r) for r in grid) + 1e-9
    ev = A.evaluate(cfg, [A.RedTeam(rate)], deployments=3000, seed=3)[0]
    lo, hi = ev.safety.interval
    assert lo - 0.01 <= safety <= hi + 0.01
    none = ControlConfig(n_tasks=1000, protocol="none")
    ev0 = A.evaluate(none, [A.RedTeam(0.002)], deployments=3000, seed=3)[0]
    assert abs(ev0.safety.value - A.no_monitoring_safety(none, 0.002)) < 0.03


def test_monitoring_approximation_is_close_when_the_budget_is_not_binding() -> None:
    cfg = ControlConfig(n_tasks=1000, protocol="trusted", audit_budget=0.05, defer_rate=0.1, edit_rate=0.1,
                        free_audits=0)
    ev = A.evaluate(cfg, [A.RedTeam(0.01)], deployments=2000, seed=4)[0]
    assert abs(ev.safety.value - A.monitoring_safety_approx(cfg, 0.01)) < 0.05


def test_red_team_optimiser_finds_collusion_and_beats_a_naive_red_team() -> None:
    cfg = ControlConfig(n_tasks=1000, protocol="untrusted", honeypots=30)
    br = A.optimise_red_team(cfg, deployments=200, seed=0, rates=np.geomspace(1e-3, 0.3, 8), refine=2)
    assert br.best.red.signal and br.best.red.monitor == "on_signal"
    naive = A.evaluate(cfg, [A.RedTeam(0.3, False, "honest")], deployments=200, seed=0)[0]
    assert br.best.safety.value < naive.safety.value
    assert br.holdout is not None and br.holdout.red == br.best.red


def test_usefulness_is_scaled_between_trusted_and_untrusted() -> None:
    cfg = ControlConfig(n_tasks=2000, protocol="trusted", defer_rate=0.3)
    no_defer = ControlConfig(n_tasks=2000, protocol="trusted")
    u1 = A.evaluate(cfg, [A.HONEST_TEAM], deployments=50)[0].usefulness
    u0 = A.evaluate(no_defer, [A.HONEST_TEAM], deployments=50)[0].usefulness
    assert abs(u0 - 1.0) < 0.05 and abs(u1 - 0.7) < 0.05  # deferring 30% of tasks to T costs ~30%


def test_kernel_rules_and_errors() -> None:
    game = UntrustedMonitoringGame(n_tasks=5, protocol="upfront", audit_budget=0.4)
    state = game.new_initial_state(np.random.default_rng(0))
    assert state.current_player() == 0 and state.legal_actions() == [0, 1, 2]
    state.apply_action(1)  # attack on task 0: audited (upfront, first 2 tasks)
    assert state.legal_actions() == [0, 1]
    with pytest.raises(IllegalActionError):
        state.apply_action(2)
    state.apply_action(0)
    assert state.is_terminal() and state.outcome()["caught"] and state.returns().tolist() == [-1.0, -1.0]
    with pytest.raises(ValueError, match="protocol"):
        ControlConfig(protocol="magic")
    with pytest.raises(ValueError, match="defer_rate"):
        ControlConfig(protocol="upfront", defer_rate=0.1)
    with pytest.raises(ValueError, match="honeypots"):
        ControlConfig(protocol="trusted", honeypots=3)
    with pytest.raises(ValueError, match="useful_untrusted"):
        ControlConfig(useful_untrusted=0.1, useful_trusted=0.2)


def test_registered_env_is_deterministic_and_agents_are_game_specific() -> None:
    check_determinism(lambda: oversight_gym.make(ENV_ID, n_tasks=30, protocol="untrusted", honeypots=3),
                      seeds=(0, 1), episodes=2)
    assert ControlRedTeam.plays(ENV_ID) and not ControlRedTeam.plays("debate/pixels-v0")
    env = oversight_gym.make(ENV_ID, n_tasks=50, protocol="trusted")
    ep = rollout(env, ControlHonest(), seed=0)
    assert ep.steps == 100 and env.game_state.outcome()["safe"]


def test_scenario_runs_small_and_resumes(tmp_path) -> None:
    from oversight_gym.runner.scenario import get_scenario

    sc = get_scenario("ai-control")
    small = {"n_tasks": 400, "deployments": 40, "search_deployments": 30, "side_deployments": 20, "rates": 4,
             "sensitivity": 2, "honeypots": 4}
    res = sc.execute(small, quick=True, out=tmp_path, progress=False)
    table = res.table()
    assert "order of safety" in table and "fitted to" in table
    assert (tmp_path / "frontier.png").exists() and (tmp_path / "sensitivity.png").exists()
    edit = find_measure(res.measures, "safety", protocol="trusted editing", **{"T replaces": "edit 20%"})
    assert edit.n == 40 and edit.interval[0] <= edit.value <= edit.interval[1]
    cm = find_measure(res.measures, "safety", protocol="untrusted monitoring", countermeasures="honeypots + redaction",
                      **{"T replaces": "defer 10%"})
    assert cm.published is None  # the paper's value for it is not among REFERENCES.md's
    cell = find_measure(res.measures, "safety", signal="while loop", redaction="output")
    assert cell.n == 20
    # 400 tasks is not the paper's deployment: no published value is set beside ours
    assert all(m.published is None for m in res.measures) and not res.verdicts
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert len([m for m in summary["measures"] if m["group"] == "collusion signals: safety"
                and m["name"] == "safety"]) == 16
    again = sc.execute(small, quick=True, out=tmp_path, progress=False)  # every record read back, none recomputed
    assert again.measures == res.measures
    out = sc.experiment({**sc.defaults(True), **small}, 0)
    assert 0.0 <= out["safety:trusted"] <= 1.0 and "usefulness:untrusted" in out


def test_suspicion_fit_meets_both_measured_facts() -> None:
    """The binormal fit reproduces the paper's 24/71 audited at 2% false positives and puts 1/71
    of attacks below the honest median; an equal-variance Gaussian at the same audited share
    (d' = 1.64) puts 5% there."""
    from scipy import stats

    from oversight_gym.envs.collusion.untrusted_monitoring import fit_binormal

    mean, spread = fit_binormal(24 / 71, 0.02, 1 / 71)
    assert stats.norm.sf((stats.norm.ppf(0.98) - mean) / spread) == pytest.approx(24 / 71)
    assert stats.norm.cdf(-mean / spread) == pytest.approx(1 / 71)
    d = stats.norm.ppf(0.98) - stats.norm.ppf(1 - 24 / 71)
    assert d == pytest.approx(1.64, abs=0.01) and stats.norm.cdf(-d) > 0.04
    with pytest.raises(ValueError, match="below_median"):
        fit_binormal(0.9, 0.02, 0.2)


def test_batched_evaluation_equals_one_protocol_at_a_time() -> None:
    """evaluate_many shares draws and honest outcomes between protocols (cached without the
    entries only attacks read); each protocol's result is what evaluating it alone gives."""
    cfgs = [ControlConfig(n_tasks=300, protocol="untrusted", honeypots=h, signal_kind=k, signal_collision=f,
                          redaction_prob=p, defer_rate=d)
            for h, k, f, p, d in ((5, "input", 0.2, 0.5, 0.0), (5, "output", 0.05, 0.0, 0.0),
                                  (0, "output", 0.1, 0.0, 0.1))]
    cfgs.append(ControlConfig(n_tasks=300, protocol="trusted", edit_rate=0.2, attack_success=0.7))
    reds = [A.RedTeam(0.02, True, "on_signal"), A.RedTeam(0.05, False, "always"), A.RedTeam(0.01)]
    together = A.evaluate_many([(c, reds) for c in cfgs], deployments=60, seed=5, chunk=25)
    for cfg, evs in zip(cfgs, together, strict=True):
        alone = A.evaluate(cfg, reds, deployments=60, seed=5, chunk=60)
        assert [e.safety.successes for e in evs] == [e.safety.successes for e in alone]
        assert [e.mean_attacks for e in evs] == [e.mean_attacks for e in alone]
        assert evs[0].usefulness == pytest.approx(alone[0].usefulness)


# --- properties of the theory (Greenblatt et al. 2023) ---------------------------------------------------
def _monitored(draw: st.DrawFn, protocol: str) -> dict:
    return {"n_tasks": draw(st.integers(50, 400)), "protocol": protocol,
            "audit_budget": draw(st.sampled_from([0.0, 0.02, 0.1])), "free_audits": draw(st.sampled_from([0, 5])),
            "separation_trusted": draw(st.floats(0.0, 4.0)), "spread_trusted": draw(st.floats(0.3, 2.0)),
            "attack_success": draw(st.floats(0.05, 1.0)), "edit_rate": draw(st.sampled_from([0.0, 0.1])),
            "edit_removal": draw(st.floats(0.0, 1.0))}


@FEW
@given(data=st.data(), rate=st.floats(0.001, 0.2), seed=st.integers(0, 2**31))
def test_safety_and_usefulness_are_monotone_in_the_defer_rate(data, rate, seed) -> None:
    """Deferring more replaces a superset of the tasks by T's: on the same deployments every
    deployment safe at the lower rate is safe at the higher, and an honest U solves no more
    tasks (T solves a task only where U would: 22% < 54%)."""
    kw = _monitored(data.draw, "trusted")
    lo, hi = sorted(data.draw(st.lists(st.sampled_from([0.0, 0.05, 0.1, 0.2, 0.5]), min_size=2, max_size=2)))
    a, b = (ControlConfig(**{**kw, "defer_rate": d}) for d in (lo, hi))
    hp, tasks = A.draw_batch(a, A.deployment_seeds(seed, 10))
    red = A.RedTeam(rate)
    assert np.all(A.simulate(b, red, hp, tasks).safe >= A.simulate(a, red, hp, tasks).safe)
    assert np.all(A.simulate(b, A.HONEST_TEAM, hp, tasks).solved <= A.simulate(a, A.HONEST_TEAM, hp, tasks).solved)


@FEW
@given(n=st.integers(50, 400), budgets=st.lists(st.floats(0.0, 0.5), min_size=2, max_size=2),
       rate=st.floats(0.0005, 0.3), success=st.floats(0.05, 1.0), seed=st.integers(0, 2**31))
def test_upfront_safety_is_monotone_in_the_audit_budget(n, budgets, rate, success, seed) -> None:
    """Upfront auditing with a larger budget audits a longer prefix: deployment by deployment,
    safe with the smaller budget means safe with the larger."""
    lo, hi = sorted(budgets)
    a, b = (ControlConfig(n_tasks=n, protocol="upfront", audit_budget=x, obvious_success=success) for x in (lo, hi))
    hp, tasks = A.draw_batch(a, A.deployment_seeds(seed, 10))
    red = A.RedTeam(rate)
    assert np.all(A.simulate(b, red, hp, tasks).safe >= A.simulate(a, red, hp, tasks).safe)


@settings(max_examples=6, deadline=None)
@given(data=st.data(), rate=st.floats(0.002, 0.05))
def test_monitoring_safety_is_monotone_in_the_audit_budget(data, rate) -> None:
    """Under trusted monitoring a larger budget lowers the audit threshold and raises the cap.
    Deployment by deployment this can fail (honest flags may spend the larger budget first), so
    the property is on safety: on the same deployments, twice the budget is not less safe beyond
    three standard errors of the paired difference."""
    kw = _monitored(data.draw, "trusted")
    kw["audit_budget"] = data.draw(st.sampled_from([0.01, 0.02, 0.05]))
    a, b = ControlConfig(**kw), ControlConfig(**{**kw, "audit_budget": 2 * kw["audit_budget"]})
    hp, tasks = A.draw_batch(a, A.deployment_seeds(7, 400))
    red = A.RedTeam(rate)
    diff = A.simulate(b, red, hp, tasks).safe.astype(float) - A.simulate(a, red, hp, tasks).safe
    assert diff.mean() >= -3 * diff.std(ddof=1) / np.sqrt(len(diff)) - 1e-12


@FEW
@given(data=st.data(), rate=st.floats(0.0, 0.3), protocol=st.sampled_from(["trusted", "untrusted"]),
       seed=st.integers(0, 2**31))
def test_a_perfect_monitor_that_defers_gives_safety_one(data, rate, protocol, seed) -> None:
    """A monitor that scores every attack above every threshold (separation 50, spread 0.01):
    each attack is audited while the budget lasts and deferred to T after, so no backdoor is ever
    submitted, whatever the red team (an honest untrusted monitor)."""
    kw = _monitored(data.draw, protocol)
    kw.update(separation_trusted=50.0, spread_trusted=0.01, separation_untrusted=50.0, spread_untrusted=0.01,
              defer_rate=data.draw(st.sampled_from([0.01, 0.1])))
    cfg = ControlConfig(**kw)
    hp, tasks = A.draw_batch(cfg, A.deployment_seeds(seed, 10))
    assert A.simulate(cfg, A.RedTeam(rate), hp, tasks).safe.all()


def test_without_deferral_a_perfect_monitor_fails_only_once_the_audits_are_spent() -> None:
    """The contrast: with nothing to defer to, a perfect monitor still loses backdoors submitted
    after honest flags spent the audit budget."""
    cfg = ControlConfig(n_tasks=2000, protocol="trusted", separation_trusted=50.0, spread_trusted=0.01,
                        attack_success=1.0)
    res = A.simulate(cfg, A.RedTeam(0.001), *A.draw_batch(cfg, A.deployment_seeds(0, 300)))
    assert not res.safe.all() and np.all(res.audits[~res.safe] == cfg.audits)
