"""Generic agents, all behind one protocol: random play, search (MCTS, minimax, greedy),
tabular Q-learning and adapters for RL libraries. Agents written for one family's games
live in that family's folder (``oversight_gym/envs/<family>/``) and register there."""

from oversight_gym.agents.base import (
    BaseAgent,
    filter_agents,
    make_agent,
    register_agent_module,
    registered_agents,
)
from oversight_gym.agents.random_agent import RandomAgent
from oversight_gym.core.protocols import Classifier

__all__ = ["BaseAgent", "Classifier", "RandomAgent", "filter_agents", "make_agent", "register_agent_module",
           "registered_agents"]
