"""Collusion games: learned pricing cartels (Calvano et al. 2020) and agents who should
check each other coordinating against an overseer.

Importing this package registers its games.
"""

from oversight_gym.agents.base import register_agent_module
from oversight_gym.core.payoffs import MixedSum, SharedPrize, SidePayment, ZeroSum
from oversight_gym.core.registry import BatchEngine, register

# fast exploration decay and a short convergence window: sessions of a few thousand periods
_FAST = {"beta": [1e-3], "window": [500], "max_periods": [40_000]}

register(
    "collusion/pricing-v0",
    "oversight_gym.envs.collusion.pricing:PricingGame",
    "Repeated Bertrand pricing with logit demand (Calvano et al. 2020): firms set prices from a grid each period",
    space={
        "n_firms": [2, 3],
        "m": [2, 5, 15],
        "k": [1, 2],
        "mu": [0.25, 1.0],
        "horizon": [1, 12],
        "audit_prob": [0.0, 0.5],
        "fine": [0.0, 0.1],
        "payoff": [None, MixedSum(0.5)],
    },
    # the compiled Q-learning engine of Calvano et al. (2020), session by session equal to its
    # readable reference over the kernel's profit table; short sessions keep the check cheap
    batch=[BatchEngine(
        "calvano", "tabular Q-learning sessions of Calvano et al. (2020), compiled",
        "oversight_gym.envs.collusion.calvano:batch_outcomes",
        "oversight_gym.envs.collusion.calvano:reference_outcome",
        space=[{**_FAST, **variant} for variant in (
            {}, {"alpha": [0.3], "delta": [0.9]}, {"n_firms": [3], "m": [3]}, {"m": [4], "k": [2]},
            {"audit_prob": [0.3], "fine": [0.05]}, {"synchronous": [True], "m": [3, 5]},
            {"beta": [1e-4], "window": [100_000], "max_periods": [3_000]},  # stops at the cap, unconverged
        )],
    )],
)

# Repeated auctions with Q-learning bidders (Banchio and Skrzypacz 2022).
register(
    "collusion/auction-v0",
    "oversight_gym.envs.collusion.auction:AuctionGame",
    "Repeated sealed-bid auction (Banchio and Skrzypacz 2022): bidders with a common value bid from a grid; "
    "the payment rule mixes first and second price",
    space={
        "n_bidders": [2, 3],
        "n_bids": [3, 19],
        "a": [1.0, 1.5, 2.0],
        "reserve": [0.0, 0.3],
        "tie_rule": ["random", "split"],
        "horizon": [1, 12],
        "payoff": [None, MixedSum(0.5)],
    },
    # stateless Q-learning bidders, compiled; session by session equal to the readable reference
    # over the kernel's tables (short sessions keep the check cheap)
    batch=[BatchEngine(
        "stateless-q", "stateless Q-learning bidders of Banchio and Skrzypacz (2022), compiled",
        "oversight_gym.envs.collusion.auction_runs:batch_outcomes",
        "oversight_gym.envs.collusion.auction_runs:reference_outcome",
        space=[{"n_bidders": [2, 3], "n_bids": [5, 19], "a": [1.0, 1.5, 2.0], "reserve": [0.0, 0.3],
                "tie_rule": ["random", "split"], "periods": [3000], "eps0": [0.0, 0.025, 0.5],
                "synchronous": [False, True], **q0} for q0 in ({"q0": [None, 0.0]}, {"q0": [0.0], "q0_high": [50.0]})],
    )],
)

# Memoryless pricing of a homogeneous good (Asker, Fershtman and Pakes 2022).
register(
    "collusion/homogeneous-pricing-v0",
    "oversight_gym.envs.collusion.homogeneous_pricing:HomogeneousPricingGame",
    "Homogeneous-good Bertrand pricing (Asker, Fershtman and Pakes 2022): the cheapest firm sells one unit; "
    "memoryless learners update asynchronously or synchronously",
    space={"n_firms": [2, 3, 12], "m": [5, 20], "cost": [0.0, 2.0], "horizon": [1, 12],
           "payoff": [None, MixedSum(0.5)]},
    # memoryless Q-learners, compiled; session by session equal to the readable reference over
    # the kernel's stage game (a contest by rank: any number of firms)
    batch=[BatchEngine(
        "memoryless-q", "memoryless Q-learning firms of Asker, Fershtman and Pakes (2022), compiled",
        "oversight_gym.envs.collusion.memoryless:batch_outcomes",
        "oversight_gym.envs.collusion.memoryless:reference_outcome",
        space={"n_firms": [2, 3, 7], "m": [5, 20], "periods": [2000], "synchronous": [False, True],
               "alpha": [0.1, 1.0], "eps0": [0.0, 0.1]},
    )],
)

# Alternating-move pricing with Q-learning firms (Klein 2021).
register(
    "collusion/sequential-pricing-v0",
    "oversight_gym.envs.collusion.sequential_pricing:SequentialPricingGame",
    "Alternating-move Bertrand pricing (Klein 2021): firms take turns to set a price on a grid, demand 1 - p goes "
    "to the lower price",
    space={"k": [1, 6, 12], "horizon": [1, 13], "payoff": [None, MixedSum(0.5)]},
    # Klein's Q-learning firms, compiled; run by run equal to the readable reference over the
    # kernel's profit table (short runs keep the check cheap)
    batch=[BatchEngine(
        "klein", "Q-learning firms under sequential pricing of Klein (2021), compiled",
        "oversight_gym.envs.collusion.klein:batch_outcomes",
        "oversight_gym.envs.collusion.klein:reference_outcome",
        space={"k": [2, 6, 12], "periods": [3000], "window": [100], "alpha": [0.3, 1.0], "eps_end": [1e-6, 0.5]},
    )],
)

# AI control (Greenblatt et al. 2023): short deployments keep the registry-wide tests cheap.
_RED_TEAM = {"attack_rate": [0.0, 0.01, 0.1, 0.3], "signal": [True, False],
             "monitor": ["honest", "on_signal", "always"]}
register(
    "collusion/untrusted-monitoring-v1",
    "oversight_gym.envs.collusion.untrusted_monitoring:UntrustedMonitoringGame",
    "AI control (Greenblatt et al. 2023): a policy that may insert backdoors, a monitor that may collude via a "
    "signal, and a blue team that audits, defers or edits, tests with honeypots and redacts",
    space=[
        {"n_tasks": [3, 8], "protocol": ["none", "upfront", "trusted"], "audit_budget": [0.02, 0.5]},
        {"n_tasks": [3, 8], "protocol": ["trusted"], "defer_rate": [0.2], "edit_rate": [0.0, 0.3],
         "audit_budget": [0.25], "free_audits": [0, 2]},
        {"n_tasks": [3, 8], "protocol": ["untrusted"], "audit_budget": [0.25], "defer_rate": [0.0, 0.2],
         "honeypots": [0, 3], "redaction_prob": [0.0, 0.5, 1.0], "signal_collision": [0.0, 0.5],
         "signal_kind": ["output", "input"]},
    ],
    # the vectorised simulator: deployment by deployment equal to the kernel played by the
    # scripted red team (ControlRedTeam) through the episode driver
    batch=[BatchEngine(
        "simulator", "deployments of AI control against a scripted red team, vectorised (numba)",
        "oversight_gym.envs.collusion.ai_control:batch_outcomes",
        "oversight_gym.envs.collusion.ai_control:reference_outcome",
        space=[{**_RED_TEAM, "n_tasks": [20, 120, 300], "protocol": ["none", "upfront"],
                "audit_budget": [0.0, 0.02, 0.1, 0.3], "attack_success": [0.05, 0.5, 1.0]},
               {**_RED_TEAM, "n_tasks": [20, 120, 300], "protocol": ["trusted"],
                "audit_budget": [0.0, 0.02, 0.1, 0.3], "defer_rate": [0.0, 0.1, 0.3], "edit_rate": [0.0, 0.2],
                "edit_removal": [0.0, 0.5, 1.0], "free_audits": [0, 10], "spread_trusted": [0.5, 1.0, 2.0],
                "separation_trusted": [0.0, 1.5, 4.0], "attack_success": [0.05, 0.5, 1.0]},
               {**_RED_TEAM, "n_tasks": [20, 120, 300], "protocol": ["untrusted"],
                "audit_budget": [0.0, 0.02, 0.1, 0.3], "defer_rate": [0.0, 0.1, 0.3], "honeypots": [0, 5, 20],
                "separation_untrusted": [0.0, 2.5, 5.0], "stealth": [0.0, 0.5, 1.0],
                "redaction_prob": [0.0, 0.3, 1.0], "redaction_loss": [0.0, 0.5], "edit_rate": [0.0, 0.2],
                "signal_collision": [0.0, 0.1, 0.5], "signal_kind": ["output", "input"]}],
        episodes=4,
    )],
)

# Covert signalling past a paraphrasing overseer (Motwani et al. 2024; Mathew et al. 2024).
register(
    "collusion/covert-signal-v0",
    "oversight_gym.envs.collusion.covert_signal:CovertSignalGame",
    "Covert signalling: a sender hides a secret in a cover message; an overseer paraphrases and a learned "
    "detector flags; a receiver decodes",
    space={
        "secret_bits": [1, 2],
        "topics": [1, 3],
        "synonyms": [2, 4],
        "length": [1, 2],
        "paraphrase": [0.0, 0.5, 1.0],
        "detection_penalty": [0.0, 1.0],
        "detector_samples": [200],
    },
)

# Colluding debaters: a small feature debate with the payoff knob (weight lambda on winning
# against a prize shared when the judge ends wrong; side payments), with and without cheap talk.
_FEATURE_DEBATE = {
    "n_features": [3, 5, 7],
    "reveals": [0, 1],
    "judge_checks": [0, 1],
    "payoff": [None, SharedPrize(0.5, "judge_wrong"), SharedPrize(0.0, "judge_wrong"),
               ZeroSum() + SidePayment(0.5, "same_answer"), SharedPrize(0.25) + SidePayment(0.25, "same_answer")],
}
register(
    "collusion/feature-debate-v0",
    "oversight_gym.envs.collusion.feature_debate:FeatureDebateGame",
    "Feature debate on the majority of hidden bits: two debaters answer, disagreeing debaters reveal features to a "
    "judge; a payoff knob lets them collude",
    space=_FEATURE_DEBATE,
)
register(
    "collusion/feature-debate-talk-v0",
    "oversight_gym.envs.collusion.feature_debate:FeatureDebateTalkGame",
    "The feature debate with a cheap-talk phase between the debaters",
    space={**_FEATURE_DEBATE, "messages": [2, 3]},
)

register_agent_module("oversight_gym.envs.collusion.control_agents", "oversight_gym.envs.collusion.learners")
