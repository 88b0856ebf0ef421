"""Scripted agents."""

from oversight_gym.agents.scripted.random_agent import RandomAgent

__all__ = ["RandomAgent"]
