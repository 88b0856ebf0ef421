"""Debate games: the sparse-pixel debate (Irving, Christiano, Amodei 2018) and its relatives.

Importing this package registers its games (lazily: a game's module is imported only when
the game is made).
"""

from oversight_gym.agents.base import register_agent_module
from oversight_gym.core.payoffs import SidePayment, ZeroSum
from oversight_gym.core.registry import BatchEngine, register

# Parameters of the pixel debate that combine freely. A fixed digit as ``liar_label`` is
# left out: it is valid, but resetting on an image of that digit raises by design.
_PIXEL_DEBATE_COMMON = {
    "pixels": [6, 1, 64],
    "first": ["honest", "liar"],
    "forbid_black": [False, True],
    "split": ["test", "train"],
    "judge_hidden": [32],
    "judge_steps": [300],
    "judge_seed": [0],
    # zero-sum, and a collusion side payment that makes the game non-zero-sum
    "payoff": [None, ZeroSum() + SidePayment(0.5, "judge_wrong")],
}

register(
    "debate/pixels-v0",
    "oversight_gym.envs.debate.pixels:PixelDebateGame",
    "Sparse-pixel debate (Irving et al. 2018): two debaters reveal k pixels to a sparse judge",
    space=[
        {**_PIXEL_DEBATE_COMMON, "precommit": [True], "liar_label": ["random", "judge", "choose"]},
        {**_PIXEL_DEBATE_COMMON, "precommit": [False], "liar_label": ["random"]},
    ],
    # the compiled search paths (numba) of the pixel debate, used by the generic search agents
    fast_paths={"mcts": "oversight_gym.envs.debate.pixel_search:MCTS_FAST_PATH",
                "minimax": "oversight_gym.envs.debate.pixel_search:MINIMAX_FAST_PATH"},
)

# Recursive debate over argument trees (Barnes & Christiano 2020; Brown-Cohen et al. 2025).
# Small trees keep the registry-wide tests cheap; every protocol and tree kind is covered.
_RECURSIVE_COMMON = {
    "kind": ["obfuscated", "conjunctive", "stable", "counter-intuitive"],
    "depth": [2, 3],
    "branching": [2, 3],
    "claim": ["choose", "honest", "dishonest"],
    "max_rounds": [None, 1],
    "claimant_budget": [0, 2],
    "challenger_budget": [0, 3],
    "judge_limit": ["sample", "threshold"],
    "payoff": [None, ZeroSum() + SidePayment(0.5, "judge_wrong")],
}

register(
    "debate/recursive-v1",
    "oversight_gym.envs.debate.recursive:RecursiveDebateGame",
    "Recursive debate over argument trees: obfuscated arguments, irreducible complexity, prover-estimator debate",
    space=[
        {**_RECURSIVE_COMMON, "protocol": ["standard", "prover-estimator"], "queries": [1]},
        {**_RECURSIVE_COMMON, "protocol": ["cross-examination", "judge-directed"], "queries": [1, 3]},
    ],
    # the compiled path of the standard protocol with the scripted debaters; it draws its own
    # random numbers, so its win rates are held to the kernel's
    batch=[BatchEngine(
        "standard", "standard recursive debates between scripted debaters, compiled (numba)",
        "oversight_gym.envs.debate.recursive_batch:batch_outcomes",
        "oversight_gym.envs.debate.recursive_batch:reference_outcome",
        space=[
            {"kind": ["obfuscated"], "depth": [5], "flaws": [2], "claimant": ["obfuscating"],
             "challenger": ["honest"], "claimant_budget": [0], "challenger_budget": [6]},
            {"kind": ["stable"], "depth": [3], "branching": [3], "claimant": ["obfuscating"],
             "challenger": ["honest"], "claimant_budget": [3], "challenger_budget": [6]},
            {"kind": ["stable"], "depth": [3], "branching": [3], "claimant": ["honest"],
             "challenger": ["obfuscating"], "claimant_budget": [6], "challenger_budget": [3]},
            {"kind": ["conjunctive"], "depth": [4], "claimant": ["obfuscating"], "challenger": ["random-search"],
             "claimant_budget": [2], "challenger_budget": [4]},
            {"kind": ["counter-intuitive"], "depth": [3], "rule": ["majority"], "branching": [3],
             "prior_strength": [0.3], "claimant": ["honest"], "challenger": ["obfuscating"],
             "claimant_budget": [27], "challenger_budget": [27], "max_rounds": [1]},
        ],
        agreement="rate", episodes=300, batch_episodes=6000,
    ), BatchEngine(
        "cross-examination", "cross-examination (Q paths, the challenger reopens earlier claims), compiled (numba)",
        "oversight_gym.envs.debate.recursive_batch:batch_outcomes",
        "oversight_gym.envs.debate.recursive_batch:reference_outcome",
        space=[
            *({"protocol": ["cross-examination"], "queries": [3], "kind": ["obfuscated"], "depth": [5], "flaws": [2],
               "claimant": ["obfuscating"], "challenger": [c], "claimant_budget": [0], "challenger_budget": [4]}
              for c in ("honest", "random-search")),
            {"protocol": ["cross-examination"], "queries": [3], "kind": ["stable"], "depth": [3], "branching": [3],
             "claimant": ["honest"], "challenger": ["obfuscating"], "claimant_budget": [6], "challenger_budget": [3]},
        ],
        agreement="rate", episodes=300, batch_episodes=6000,
    ), BatchEngine(
        "judge-directed", "judge-directed debate (the judge recurses by its prior, Q paths), compiled (numba)",
        "oversight_gym.envs.debate.recursive_batch:batch_outcomes",
        "oversight_gym.envs.debate.recursive_batch:reference_outcome",
        space=[
            {"protocol": ["judge-directed"], "queries": [3], "kind": ["obfuscated"], "depth": [5], "flaws": [2],
             "claimant": ["obfuscating"], "challenger": ["honest"], "claimant_budget": [0], "challenger_budget": [4]},
            {"protocol": ["judge-directed"], "queries": [2], "kind": ["counter-intuitive"], "depth": [3],
             "rule": ["majority"], "branching": [3], "prior_strength": [0.3], "claimant": ["honest"],
             "challenger": ["obfuscating"], "claimant_budget": [5], "challenger_budget": [5]},
        ],
        agreement="rate", episodes=300, batch_episodes=6000,
    ), BatchEngine(
        "prover-estimator", "prover-estimator debates scored by their exact expected payoffs, compiled (numba)",
        "oversight_gym.envs.debate.prover_estimator:batch_payoffs",
        "oversight_gym.envs.debate.prover_estimator:reference_payoff",
        # the kernel realises the judge's coins and the engine takes expectations over them, so
        # the kernel's mean payoff is held to the engine's (the pe-prover / pe-estimator pair)
        space=[
            {"kind": ["conjunctive"], "depth": [2], "claim": ["dishonest"], "claimant_budget": [2],
             "challenger_budget": [1], "estimator": ["calibrated"]},
            {"kind": ["conjunctive"], "depth": [1], "branching": [3], "leaf_p": [1.0], "claim": ["honest"],
             "claimant_budget": [3], "estimator": ["doubting"], "conditioning": ["independent"]},
            {"kind": ["stable"], "depth": [2], "branching": [3], "claim": ["honest"], "claimant_budget": [4],
             "challenger_budget": [2], "estimator": ["calibrated"], "weight_growth": [3.0]},
        ],
        agreement="mean", episodes=200, batch_episodes=4000,
    )],
)

register_agent_module("oversight_gym.envs.debate.tree_debaters", "oversight_gym.envs.debate.tree_solver")
