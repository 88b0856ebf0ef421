"""Recursive debate over argument trees (``debate/recursive-v1``): the kernel, the debaters, the
exact solver, the closed form and the scenarios. The registry-wide API and determinism tests
cover the environment itself (tests/test_registry_envs.py)."""

from __future__ import annotations

import itertools
from math import comb

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import hypergeom

import oversight_gym
from oversight_gym.agents import RandomAgent
from oversight_gym.agents.base import filter_agents
from oversight_gym.analysis.metrics import Rate, grouped_rates
from oversight_gym.core.errors import IllegalActionError
from oversight_gym.core.payoffs import SidePayment, ZeroSum
from oversight_gym.envs.debate.argument_trees import ArgumentTree, make_tree
from oversight_gym.envs.debate.metrics import (
    limit_failure_probability,
    random_search_win_probability,
)
from oversight_gym.envs.debate.recursive import (
    CHALLENGER,
    CLAIMANT,
    DISPUTE,
    RecursiveDebateGame,
    RecursiveDebateState,
    limit_decision,
    limit_judge_view,
)
from oversight_gym.envs.debate.tree_debaters import (
    GreedyTreeDebater,
    HonestTreeDebater,
    ObfuscatingTreeDebater,
    RandomSearchTreeDebater,
)
from oversight_gym.envs.debate.tree_solver import TreeSolverAgent, solve
from oversight_gym.runner.episodes import play_episode

FAST = settings(max_examples=15, deadline=None)
KIND_KW = st.sampled_from([
    {"kind": "obfuscated", "flaws": 1}, {"kind": "obfuscated", "flaws": 3}, {"kind": "conjunctive"},
    {"kind": "stable", "rule": "majority", "branching": 3}, {"kind": "stable", "rule": "or"},
    {"kind": "counter-intuitive", "prior_strength": 0.5},
])


def _game(kw: dict, **more) -> RecursiveDebateGame:
    kw = dict(kw)
    kw.setdefault("branching", 2)
    kw.setdefault("depth", 2 if kw["branching"] == 3 else 3)
    return RecursiveDebateGame(**kw, **more)


# --- properties of the theory -------------------------------------------------------------------------------
@FAST
@given(kw=KIND_KW, protocol=st.sampled_from(["standard", "cross-examination"]),
       honest_role=st.sampled_from(["claimant", "challenger"]),
       opponent=st.sampled_from(["random", "obfuscator", "greedy", "solver"]), seed=st.integers(0, 2**32 - 1))
def test_full_information_honest_side_wins_in_either_role(kw, protocol, honest_role, opponent, seed):
    """Unlimited budgets and L >= depth: the honest debater wins whichever seat it holds, against
    any opponent (Irving et al. 2018: with optimal play, lying is harder than refuting a lie)."""
    if opponent == "solver" and protocol == "cross-examination":
        protocol = "standard"  # the exact solver plays single-path protocols
    game = _game(kw, protocol=protocol, queries=3 if protocol == "cross-examination" else 1,
                 claimant_budget=None, challenger_budget=None)
    other = {"random": RandomAgent(), "obfuscator": ObfuscatingTreeDebater(), "greedy": GreedyTreeDebater(),
             "solver": TreeSolverAgent()}[opponent]
    agents = [HonestTreeDebater(), other] if honest_role == "claimant" else [other, HonestTreeDebater()]
    state = play_episode(game, agents, seed=seed)
    out = state.outcome()
    if out["honest_role"] == honest_role:  # (an opponent in the claimant seat may itself claim the truth)
        assert out["honest_wins"], state.render_text()
    assert not out["judge_wrong"] or out["honest_role"] != honest_role


@FAST
@given(kw=KIND_KW, seed=st.integers(0, 2**32 - 1), prover=st.sampled_from(["random", "obfuscator"]))
def test_honest_estimator_with_full_information_wins_prover_estimator_debate(kw, seed, prover):
    """An estimator who knows every leaf prices every claim 0 or 1, which is exactly consistent:
    the coins reproduce the truth, so whatever the prover bets and picks, every payment is 0
    and the prover's payoff is not positive (soundness, realised in every run)."""
    game = _game(kw, protocol="prover-estimator", claim="dishonest", claimant_budget=None, challenger_budget=None)
    first = RandomAgent() if prover == "random" else ObfuscatingTreeDebater()
    state = play_episode(game, [first, HonestTreeDebater()], seed=seed)
    assert state.outcome()["prover_payoff"] == 0.0 and state.outcome()["honest_wins"]


def test_the_kernel_pays_bets_against_the_drawn_coins_and_the_true_leaf():
    """A doubting estimator on a true conjunction of two leaves: root 0.36, each subclaim 0.6
    (consistent: 0.6 * 0.6 = 0.36). The honest prover bets 'too low' at the root and is paid
    w_0 * (z_1 z_2 - 0.36) on the judge's coins (0 in expectation), then 'too low' at a leaf,
    paid w_1 * (1 - 0.6) = 0.8 against the true leaf; returns are zero-sum."""
    tree = ArgumentTree(2, 1, np.array([0], np.int8), np.array([1, 1], np.int8), np.full(3, 0.5))
    game = RecursiveDebateGame(kind="conjunctive", depth=1, protocol="prover-estimator", claim="honest",
                               claimant_budget=0, challenger_budget=0)
    for seed in range(8):
        state = game.new_initial_state(np.random.default_rng(seed), tree=tree)
        too_low = game.off_bet + 2
        for a in (1, game.off_level + 36, too_low, game.off_level + 60, game.off_level + 60, game.off_pick + 0,
                  too_low):
            state.apply_action(a)
        z = int(state.coins[1] & state.coins[2])
        assert state.is_terminal() and state.outcome()["prover_payoff"] == pytest.approx(z - 0.36 + 0.8)
        assert state.returns().tolist() == [state.payoff, -state.payoff]
        assert state.outcome()["claimant_wins"] == (state.payoff > 0)


@FAST
@given(depth=st.integers(2, 4), truth_depth=st.integers(1, 4), strength=st.sampled_from([0.1, 0.3, 0.5]),
       extra=st.integers(0, 2), judge=st.sampled_from(["sample", "threshold"]), seed=st.integers(0, 2**32 - 1),
       honest_role=st.sampled_from(["claimant", "challenger"]))
def test_no_irreducible_complexity_failures_once_L_reaches_the_tree_depth(depth, truth_depth, strength, extra, judge,
                                                                         seed, honest_role):
    game = RecursiveDebateGame(kind="counter-intuitive", depth=depth, truth_depth=min(truth_depth, depth),
                               prior_strength=strength, max_rounds=depth + extra, judge_limit=judge,
                               claim="honest" if honest_role == "claimant" else "dishonest",
                               claimant_budget=None, challenger_budget=None)
    agents = ([HonestTreeDebater(), ObfuscatingTreeDebater()] if honest_role == "claimant"
              else [ObfuscatingTreeDebater(), HonestTreeDebater()])
    out = play_episode(game, agents, seed=seed).outcome()
    assert not out["judge_wrong"] and out["ended_by"] in ("leaf", "concede")


def test_a_limit_before_the_truth_depth_fails_as_the_closed_form_says():
    game = RecursiveDebateGame(kind="counter-intuitive", depth=3, truth_depth=3, prior_strength=0.5, max_rounds=0,
                               judge_limit="threshold", claim="honest", claimant_budget=None, challenger_budget=None)
    wrong = [play_episode(game, [HonestTreeDebater(), ObfuscatingTreeDebater()], seed=s).outcome()["judge_wrong"]
             for s in range(20)]
    assert all(wrong) and limit_failure_probability(0, 3, 0.5, 3, "threshold") == 1.0


@settings(max_examples=4, deadline=None, derandomize=True)
@given(k=st.sampled_from([1, 2, 4]), budget=st.sampled_from([0, 3, 8]),
       protocol=st.sampled_from(["standard", "cross-examination"]))
def test_random_search_win_rate_matches_the_closed_form(k, budget, protocol):
    queries = 2 if protocol == "cross-examination" else 1
    game = RecursiveDebateGame(kind="obfuscated", depth=5, flaws=k, claim="dishonest", challenger_budget=budget,
                               protocol=protocol, queries=queries)
    n = 300
    wins = sum(play_episode(game, [ObfuscatingTreeDebater(), RandomSearchTreeDebater()], seed=s)
               .outcome()["honest_wins"] for s in range(n))
    lo, hi = Rate(wins, n, 0.999).interval
    assert lo <= random_search_win_probability(32, k, budget, queries) <= hi


@FAST
@given(kw=KIND_KW, protocol=st.sampled_from(["standard", "cross-examination", "judge-directed", "prover-estimator"]),
       seed=st.integers(0, 2**32 - 1), side=st.booleans())
def test_returns_are_zero_sum_and_side_payments_reward_wrong_verdicts(kw, protocol, seed, side):
    q = 2 if protocol in ("cross-examination", "judge-directed") else 1
    payoff = ZeroSum() + SidePayment(0.5, "judge_wrong") if side else None
    game = _game(kw, protocol=protocol, queries=q, claimant_budget=1, challenger_budget=2, payoff=payoff)
    state = play_episode(game, [RandomAgent(), RandomAgent()], seed=seed)
    ret = state.returns()
    extra = 0.5 * 2 if side and state.outcome()["judge_wrong"] else 0.0
    assert abs(ret.sum() - extra) < 1e-12
    if protocol == "prover-estimator":  # the realised payments, bounded by one unit of weight per round
        assert state.raw_returns().tolist() == [state.payoff, -state.payoff]
        assert abs(state.payoff) <= game.max_payoff()
    else:
        assert sorted(state.raw_returns().tolist()) == [-1.0, 1.0]


# --- the exact solver -------------------------------------------------------------------------------------------
@settings(max_examples=10, deadline=None)
@given(kw=KIND_KW, protocol=st.sampled_from(["standard", "judge-directed"]),
       seed=st.integers(0, 2**32 - 1), rounds=st.sampled_from([None, 1]))
def test_solver_value_matches_solver_play(kw, protocol, seed, rounds):
    game = _game(kw, protocol=protocol, max_rounds=rounds, challenger_budget=0)
    state = game.new_initial_state(np.random.default_rng(seed))
    value = solve(state)
    assert 0.0 <= value <= 1.0
    if rounds is None and protocol == "standard":
        assert value == 1.0  # the claimant claims the truth and defends it
    if value in (0.0, 1.0) and protocol != "judge-directed":  # no chance on the solver's path
        end = play_episode(game, [TreeSolverAgent(), TreeSolverAgent()], seed=seed)
        assert end.outcome()["claimant_wins"] == (value == 1.0)


def test_solver_refuses_what_it_cannot_solve():
    game = RecursiveDebateGame(depth=2, protocol="cross-examination", queries=2)
    with pytest.raises(ValueError, match="queries=2"):
        solve(game.new_initial_state(np.random.default_rng(0)))
    game = RecursiveDebateGame(depth=2, protocol="prover-estimator")
    with pytest.raises(ValueError, match="debate_value"):
        solve(game.new_initial_state(np.random.default_rng(0)))


# --- the kernel -------------------------------------------------------------------------------------------------
def test_verification_reveals_a_leaf_to_the_verifier_only_and_checks_to_both():
    game = RecursiveDebateGame(kind="obfuscated", depth=2, flaws=1, claim="dishonest", challenger_budget=1)
    s = game.new_initial_state(np.random.default_rng(0))
    s.apply_action(1)
    before = s.observation(CLAIMANT)
    s.apply_action(game.off_verify + 2)
    assert s.known[CHALLENGER, 2] == s.tree.leaf_truth[2] and s.known[CLAIMANT, 2] == -1
    assert np.array_equal(before[-4:], s.observation(CLAIMANT)[-4:])
    assert s.observation(CHALLENGER)[-4 + 2] != 0
    with pytest.raises(IllegalActionError, match="verification budget is spent"):
        s.apply_action(game.off_verify + 3)
    s.apply_action(DISPUTE)
    s.apply_action(game.off_assert + 3)  # a conjunction asserted true: both subclaims true
    s.apply_action(game.off_pick + 1)
    s.apply_action(game.off_assert + 3)
    s.apply_action(game.off_pick + 0)
    assert s.is_terminal() and (s.known[:, 2] >= 0).all()  # the judge's check is public
    assert s.outcome()["queries_used"] == 1


def test_illegal_moves_explain_themselves():
    game = RecursiveDebateGame(kind="obfuscated", depth=2, claim="dishonest", challenger_budget=0)
    s = game.new_initial_state(np.random.default_rng(0))
    with pytest.raises(IllegalActionError, match="fixes the claim"):
        s.apply_action(1 - s.forced_claim)
    s.apply_action(s.forced_claim)
    s.apply_action(DISPUTE)
    with pytest.raises(IllegalActionError, match="local rule"):
        s.apply_action(game.off_assert + 0)  # 'both false' does not give 'true' under a conjunction
    assert s.phase == 2 and s.history == [s.forced_claim, DISPUTE]


@pytest.mark.parametrize("kwargs,match", [
    ({"protocol": "socratic"}, "protocol must be one of"),
    ({"queries": 2}, "queries applies only when protocol is one of 'cross-examination', 'judge-directed'; "
                     "got queries=2 with protocol='standard'"),
    ({"challenger_budget": 99, "depth": 3}, "challenger_budget must be at most the number of leaves"),
    ({"claim": "maybe"}, "claim must be one of"),
    ({"levels": 1, "protocol": "prover-estimator"}, r"levels must be in \[2, 1001\]"),
    ({"levels": 5}, "levels applies only when protocol is 'prover-estimator'"),
    ({"conditioning": "none", "protocol": "prover-estimator"}, "conditioning must be one of"),
    ({"weight_growth": 3.0}, "weight_growth applies only when protocol is 'prover-estimator'"),
    ({"margin": -1.0, "protocol": "prover-estimator"}, "margin must be"),
    ({"kind": "obfuscated", "leaf_p": 0.3}, "leaf_p applies only when kind is not 'obfuscated'"),
    ({"judge_limit": "vote"}, "judge_limit must be one of"),
    ({"max_rounds": -1}, "max_rounds must be in"),
])
def test_bad_game_parameters_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        RecursiveDebateGame(**kwargs)


def test_judge_directed_recursion_follows_the_least_plausible_subclaim():
    tree = ArgumentTree(2, 1, np.array([0], np.int8), np.array([1, 1], np.int8), np.array([0.5, 0.9, 0.2]))
    game = RecursiveDebateGame(kind="conjunctive", depth=1, protocol="judge-directed", claim="honest")
    s = game.new_initial_state(np.random.default_rng(0), tree=tree)
    for a in (1, DISPUTE, game.off_assert + 3):
        s.apply_action(a)
    assert s.paths == [[0, 2]]  # the judge found subclaim 2 (prior 0.2) least plausible


@pytest.mark.parametrize("depth", [1, 2, 3])
def test_judge_directed_debate_lets_a_liar_escape_a_judge_who_cannot_tell_where_to_look(depth):
    """Why an honest challenger with full information loses judge-directed debate (the full-
    information test above excludes this protocol): the challenger has no move after disputing; the
    judge recurses on its own prior. Worked example, depth 1: leaves (1, 0) of a conjunction, an
    uninformative prior (0.5 everywhere); the liar claims the root true and must assert both
    subclaims true (the only consistent pattern); the judge's plausibilities tie, it picks leaf 0
    half the time, finds it true, and the liar survives. In general one flaw among N = 2**depth
    leaves is found with probability 1/N (the exact solver's claimant value is 1 - 1/N). The
    protocol allows it by design; two things the judge controls remove it: a prior that points the
    right way (the false subclaim is then the least plausible) and Q = N paths (fewest visits next)."""
    def game(**kw):
        return RecursiveDebateGame(kind="obfuscated", depth=depth, flaws=1, protocol="judge-directed",
                                   claim="dishonest", claimant_budget=None, challenger_budget=None, **kw)
    assert solve(game().new_initial_state(np.random.default_rng(depth))) == pytest.approx(1 - 2.0**-depth)
    assert solve(game(prior_strength=0.2).new_initial_state(np.random.default_rng(depth))) == 0.0
    full = game(queries=2**depth)
    for seed in range(20):
        out = play_episode(full, [ObfuscatingTreeDebater(), HonestTreeDebater()], seed=seed).outcome()
        assert out["honest_wins"]
    if depth == 1:
        tree = ArgumentTree(2, 1, np.array([0], np.int8), np.array([1, 0], np.int8), np.full(3, 0.5))
        g = game()
        wins = 0
        for seed in range(200):
            s = g.new_initial_state(np.random.default_rng(seed), tree=tree)
            for a in (1, DISPUTE, g.off_assert + 3):  # claim true, dispute, assert both subclaims true
                s.apply_action(a)
            assert s.paths[0] in ([0, 1], [0, 2])
            wins += s.winner == CHALLENGER
        assert 70 <= wins <= 130  # the judge's tie-break: about half


def test_same_seed_same_transcript_through_the_pettingzoo_view():
    texts = []
    for _ in range(2):
        env = oversight_gym.make("debate/recursive-v1", depth=3, protocol="cross-examination", queries=2)
        env.reset(seed=5)
        agent = RandomAgent(seed=1)
        for _name in env.agent_iter():
            obs, _, term, trunc, _ = env.last()
            env.step(None if term or trunc else agent.act(obs["observation"], obs["action_mask"]))
        texts.append(env.unwrapped.game_state.transcript_json())
    assert texts[0] == texts[1]


# --- agents -------------------------------------------------------------------------------------------------------
def test_agents_are_registered_and_classified():
    names = {"tree-honest", "tree-obfuscator", "tree-random-search", "tree-greedy", "tree-solver"}
    assert names <= {c.name for c in filter_agents(requires_state=True)}
    assert HonestTreeDebater.classifier.honest and not ObfuscatingTreeDebater.classifier.honest
    # they play recursive debate only, so populations for other games leave them out
    assert "tree-solver" in {c.name for c in filter_agents("debate/recursive-v1")}
    assert not {c.name for c in filter_agents("debate/pixels-v0")} & names


def test_budgets_are_respected_and_greedy_never_verifies():
    game = RecursiveDebateGame(kind="obfuscated", depth=4, claim="dishonest", claimant_budget=5, challenger_budget=9)
    s = play_episode(game, [ObfuscatingTreeDebater(budget=2), HonestTreeDebater()], seed=0)
    assert s.outcome()["budget_used"] == [2, 9]
    s = play_episode(game, [GreedyTreeDebater(), GreedyTreeDebater()], seed=0)
    assert s.outcome()["budget_used"] == [0, 0]
    with pytest.raises(ValueError, match="budget must be"):
        HonestTreeDebater(budget=-1)


def test_the_honest_challenger_follows_a_flaw_it_has_found():
    game = RecursiveDebateGame(kind="obfuscated", depth=6, flaws=1, claim="dishonest", challenger_budget=64)
    for seed in range(5):
        assert play_episode(game, [ObfuscatingTreeDebater(), HonestTreeDebater()], seed=seed).outcome()["honest_wins"]


# --- analysis -----------------------------------------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 60), data=st.data())
def test_closed_form_is_the_hypergeometric_tail(n, data):
    k = data.draw(st.integers(0, n))
    b = data.draw(st.integers(0, n))
    q = data.draw(st.integers(1, 3))
    m = min(n, b + q)
    expected = 1.0 - hypergeom(n, k, m).pmf(0) if k else 0.0
    assert random_search_win_probability(n, k, b, q) == pytest.approx(expected, abs=1e-9)
    if n <= 8 and k:  # exact enumeration of the inspected sets
        sets = list(itertools.combinations(range(n), m))
        assert random_search_win_probability(n, k, b, q) == pytest.approx(
            sum(any(i < k for i in s) for s in sets) / len(sets))
    assert random_search_win_probability(n, k, b, q) == pytest.approx(1 - comb(n - k, m) / comb(n, m))


def test_limit_failure_and_grouped_rates():
    assert limit_failure_probability(0, 4, 0.3, 6) == pytest.approx(0.8)
    assert limit_failure_probability(4, 4, 0.3, 6) == pytest.approx(0.5)
    assert limit_failure_probability(6, 4, 0.3, 6) == 0.0
    assert limit_failure_probability(2, 4, 0.3, 6, "threshold") == 1.0
    rows = grouped_rates([{"a": 1, "w": True}, {"a": 1, "w": False}, {"a": 2, "n": 10, "w": 3}], ["a"], flag="w")
    assert [(r["a"], r["rate"], r["n"]) for r in rows] == [(1, 0.5, 2), (2, 0.3, 10)]
    with pytest.raises(ValueError, match="flaws must be in"):
        random_search_win_probability(10, 11, 0)


def test_debate_tree_png(tmp_path):
    from oversight_gym.envs.debate.plots import plot_debate_tree

    game = RecursiveDebateGame(kind="obfuscated", depth=7, flaws=2, claim="dishonest", challenger_budget=10,
                               protocol="cross-examination", queries=2)
    s = play_episode(game, [ObfuscatingTreeDebater(), HonestTreeDebater()], seed=1)
    path = plot_debate_tree(s, tmp_path / "t.png")
    assert path.stat().st_size > 1000 and path.read_bytes()[:4] == b"\x89PNG"
    pe = play_episode(RecursiveDebateGame(kind="stable", depth=2, branching=3, protocol="prover-estimator"),
                      [HonestTreeDebater(), ObfuscatingTreeDebater()], seed=2)
    assert plot_debate_tree(pe, tmp_path / "pe.png").exists()


def test_make_tree_option_and_errors():
    game = RecursiveDebateGame(depth=2)
    with pytest.raises(ValueError, match="tree must be an ArgumentTree of branching 2 and depth 2"):
        game.new_initial_state(np.random.default_rng(0), tree=make_tree(np.random.default_rng(0), depth=3))


# --- scenarios (tiny runs) ----------------------------------------------------------------------------------------
def test_scenarios_run_small(tmp_path):
    from oversight_gym.analysis.measures import find
    from oversight_gym.runner.scenario import get_scenario

    obf = get_scenario("obfuscated-arguments").execute(
        {"depth": 4, "budget_points": 3, "flaw_points": 2, "debates": 40, "kernel_debates": 4, "conj_depth": 3,
         "stable_depth": 2, "pe_fracs": "0.062,0.125", "pe_debates": 5}, quick=True, out=tmp_path / "o", workers=1,
        progress=False)
    assert "closed form" in obf.table() and (tmp_path / "o" / "cliff.png").exists()
    # 2 flaw counts x 3 budgets per challenger; the kernel protocols: 2 trees x 3 protocols x 2 honest roles
    for c in ("honest", "random-search"):
        agree = find(obf.measures, "grid cells with the closed form in their 95% CI (~95% expected)", challenger=c)
        assert agree.n == 6 and 0 <= agree.value <= 1
    protocols = [m for m in obf.measures if m.group.startswith("protocols on")]
    assert len(protocols) == 12 and all(m.n == 4 for m in protocols)
    # the theorems part: 2 trees x 2 budgets x (2 soundness + 1 completeness labels + standard for each theorem)
    theorems = [m for m in obf.measures if m.group.startswith("prover-estimator theorems") and m.name == "honest wins"]
    assert len(theorems) == 2 * 2 * 5 and all(m.n == 5 for m in theorems)
    sound = find(obf.measures, "honest wins", tree="conjunctive", theorem="soundness", protocol="prover-estimator",
                 knows="estimator knows more", **{"B/N": 0.062})
    assert sound.value == 1.0  # exact: a calibrated estimator who knows more never loses in expectation
    assert find(obf.measures, "stable", tree="stable (theorems part)").value == "yes"
    assert find(obf.measures, "stable", tree="conjunctive (theorems part)").value == "no"
    edges = [find(obf.measures, "mean prover payoff", q=q).value for q in (2, 3, 4, 6, 8)]
    assert edges == sorted(edges, reverse=True) and edges[-1] > 0
    assert {v.claim.id for v in obf.verdicts} == {c.id for c in get_scenario("obfuscated-arguments").claims if c.quick}
    closed = find(obf.measures, "closed form", protocol="judge-directed", Q=8, B=0)
    assert closed.value == pytest.approx(random_search_win_probability(64, 2, 0, 8))
    irr = get_scenario("irreducible-complexity").execute(
        {"depth": 2, "truth_depths": "2", "strengths": "0,0.5", "debates": 40, "kernel_debates": 4}, quick=True,
        out=tmp_path / "i", workers=1, progress=False)
    assert "L >= depth" in irr.table() and (tmp_path / "i" / "failure_curve_sample.png").exists()
    # the leaf is checked once L reaches the depth: no wrong verdict; the threshold judge always fails short of d
    deep = find(irr.measures, "largest wrong-verdict rate over cells", cells="L >= depth (2): leaf checked")
    assert deep.value == 0 and deep.n == 2 * 2 * 2 * 40  # judges x strengths x roles x debates (L = 2 only)
    short = find(irr.measures, "wrong-verdict rate", cells="threshold judge, L < d, s > 0")
    assert short.value == 1.0 and short.n == 2 * 2 * 40  # L = 0, 1 at s = 0.5, both roles
    agree = find(irr.measures, "cells with the closed form in their 95% CI (~95% expected)")
    assert agree.n == 2 * 3 * 2  # judges x L x strengths
    point = find(irr.measures, "wrong-verdict rate", d=2, s=0.5, **{"d-L": 2})
    assert point.value == 1.0 and find(irr.measures, "closed form", d=2, s=0.5, **{"d-L": 2}).value == 1.0
    kernel = [m for m in irr.measures if m.group.startswith("cells replayed") and m.name == "wrong-verdict rate"]
    assert kernel and all(m.n == 4 for m in kernel)
    with pytest.raises(ValueError, match="truth-depths"):
        get_scenario("irreducible-complexity").execute({"depth": 2, "truth_depths": "5"}, quick=True,
                                                       out=tmp_path / "x", workers=1, progress=False)


# --- the judge's decision at the length limit as text (a language-model judge) ---------------------------------
def _limited(kw: dict, seed: int, rounds: int, liar_claims: bool) -> RecursiveDebateState | None:
    game = _game(kw, max_rounds=rounds, claimant_budget=None, challenger_budget=None)
    agents = [ObfuscatingTreeDebater(), HonestTreeDebater()] if liar_claims else \
        [HonestTreeDebater(), RandomAgent()]
    state = play_episode(game, agents, seed=seed)
    return state if state.ended_by == "limit" else None


@FAST
@given(kw=KIND_KW, seed=st.integers(0, 2**32 - 1), rounds=st.integers(0, 1), liar_claims=st.booleans())
def test_the_limit_judge_view_implies_the_games_verdict_and_names_no_hidden_leaf(kw, seed, rounds, liar_claims):
    """At the length limit the claimant wins iff the judge's value for the node equals its
    assertion there (as the game decides on the judge's prior): a judge who answers the node's
    true value lets the claimant win iff that assertion is true. The view is what the judge
    knows: the same for any leaf values under the same debate, rules and priors."""
    state = _limited(kw, seed, rounds, liar_claims)
    if state is None:
        return
    v = state.node
    truthful = limit_decision(state, int(state.tree.truth[v]))
    assert truthful["claimant_wins"] == (int(state.assertion[v]) == int(state.tree.truth[v]))
    rule_value = next(e.data["value"] for e in state.transcript if e.kind == "prior")
    assert limit_decision(state, rule_value)["claimant_wins"] == state.outcome()["claimant_wins"]
    assert limit_decision(state, rule_value)["honest_wins"] == state.outcome()["honest_wins"]
    view = limit_judge_view(state)
    assert set(view.actions) == {0, 1} and f"node {v}" in view.actions[1]
    t = state.tree
    flipped = ArgumentTree(t.branching, t.depth, t.rules, 1 - t.leaf_truth, t.prior, t.kind)
    state.tree = flipped
    again = limit_judge_view(state)
    assert (again.system, again.prompt) == (view.system, view.prompt)


def test_the_limit_judge_view_refuses_a_debate_that_did_not_reach_the_limit():
    game = _game({"kind": "obfuscated", "flaws": 1}, claimant_budget=None, challenger_budget=None)
    state = play_episode(game, [HonestTreeDebater(), ObfuscatingTreeDebater()], seed=3)
    with pytest.raises(ValueError, match="length limit"):
        limit_judge_view(state)
    limited = _limited({"kind": "obfuscated", "flaws": 1}, 3, 1, True)
    assert limited is not None
    with pytest.raises(ValueError, match="value must be 0 or 1"):
        limit_decision(limited, 2)
