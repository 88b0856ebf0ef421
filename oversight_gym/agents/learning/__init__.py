"""Generic learners.

* :class:`QLearningAgent` (``"q-learning"``): tabular Q-learning through the Agent protocol
  (the compiled batch engine of the pricing game lives with its family,
  :mod:`oversight_gym.envs.collusion.calvano`).
* :mod:`~oversight_gym.agents.learning.rl_libraries`: Stable-Baselines3 / SuperSuit / RLlib
  adapters, and :class:`PolicyAgent` for a trained model.
"""

from oversight_gym.agents.learning.qlearning import QLearningAgent
from oversight_gym.agents.learning.rl_libraries import PolicyAgent

__all__ = ["PolicyAgent", "QLearningAgent"]
