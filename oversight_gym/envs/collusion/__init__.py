"""Collusion games: learned pricing cartels (Calvano et al. 2020) and agents who should
check each other coordinating against an overseer.

Importing this package registers its games.
"""

from oversight_gym.core.payoffs import MixedSum
from oversight_gym.core.registry import register

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
)
