"""Learning agents and learners.

* :class:`QLearningAgent` (``"q-learning"``): tabular Q-learning through the Agent protocol;
  :mod:`~oversight_gym.agents.learning.calvano` is the compiled batch engine of the pricing
  game (Calvano et al. 2020).
* :class:`BestOfNAgent` (``"best-of-n"``), :class:`KLPolicyGradient` and
  :func:`critique_and_revise`: optimisers against a proxy judge (the feedback games).
* :class:`CovertPGAgent`, :class:`FeatureDebateLearner`, :class:`TabularSoftmax`: policy-gradient
  learners of the collusion games (covert signalling, colluding debaters).
* :mod:`~oversight_gym.agents.learning.amplification`: the learned model M and overseer H'
  of iterated amplification (torch).
* :mod:`~oversight_gym.agents.learning.rl_libraries`: Stable-Baselines3 / SuperSuit / RLlib
  adapters, and :class:`PolicyAgent` for a trained model.
"""

from oversight_gym.agents.learning.amplification import LearnedModelAgent, LearnedOverseerAgent
from oversight_gym.agents.learning.best_of_n import (
    BestOfNAgent,
    best_of_n_distribution,
    best_of_n_kl_closed_form,
    best_of_n_sample,
)
from oversight_gym.agents.learning.collusion_learners import (
    CovertPGAgent,
    FeatureDebateLearner,
    TabularSoftmax,
    train_covert,
    train_debaters,
)
from oversight_gym.agents.learning.critique_revise import critique_and_revise, neighbour_table, revision_map
from oversight_gym.agents.learning.kl_policy_gradient import KLPolicyGradient, kl_to, tilted_policy
from oversight_gym.agents.learning.qlearning import QLearningAgent
from oversight_gym.agents.learning.rl_libraries import PolicyAgent

__all__ = ["BestOfNAgent", "CovertPGAgent", "FeatureDebateLearner", "KLPolicyGradient", "LearnedModelAgent",
           "LearnedOverseerAgent", "PolicyAgent", "QLearningAgent", "TabularSoftmax", "best_of_n_distribution",
           "best_of_n_kl_closed_form", "best_of_n_sample", "critique_and_revise", "kl_to", "neighbour_table",
           "revision_map", "tilted_policy", "train_covert", "train_debaters"]
