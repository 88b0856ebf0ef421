"""AI feedback and constitutional oversight: a proxy judge optimised against, and the
overoptimisation it causes (Bai et al. 2022, "Constitutional AI", arXiv 2212.08073; Gao,
Schulman, Hilton 2022, "Scaling laws for reward model overoptimization", arXiv 2210.10760).

Importing this package registers its games (lazily: a game's module is imported only when
the game is made). :mod:`oversight_gym.envs.feedback.model` holds the gold utility, the
constitutions, the judges and the Bradley-Terry reward model.
"""

from oversight_gym.agents.base import register_agent_module
from oversight_gym.core.registry import register

register(
    "feedback/constitutional-v0",
    "oversight_gym.envs.feedback.constitutional:ConstitutionalFeedbackGame",
    "Constitutional AI feedback (Bai et al. 2022): a policy picks responses scored by a proxy judge "
    "(constitution or Bradley-Terry reward model); a hidden gold utility measures overoptimisation",
    space=[
        {"num_candidates": [4, 1, 8], "rounds": [2, 1, 3], "judge": ["constitution"],
         "constitution": ["default", "gold", "missing-harmless", "misweighted-length"],
         "noise": [0.5, 0.0], "tail": [0.0, 2.0], "universe_size": [256], "universe_seed": [0, 1]},
        {"num_candidates": [4], "rounds": [2], "judge": ["reward_model"], "comparisons": [50, 200],
         "capacity": [1, 2, 3], "universe_size": [256], "universe_seed": [0]},
        {"num_candidates": [4], "rounds": [1, 2], "judge": ["gold"], "universe_size": [256]},
    ],
)

register_agent_module("oversight_gym.envs.feedback.best_of_n")
