"""Agents: scripted, search-based and learned, all behind one protocol."""

from oversight_gym.agents.base import BaseAgent, filter_agents, make_agent, registered_agents

__all__ = ["BaseAgent", "filter_agents", "make_agent", "registered_agents"]
