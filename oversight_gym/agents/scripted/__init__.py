"""Scripted agents."""

from oversight_gym.agents.scripted.amplification import OracleModel, ScriptedAggregator, ScriptedOverseer
from oversight_gym.agents.scripted.collusion import ControlHonest, ControlRedTeam
from oversight_gym.agents.scripted.random_agent import RandomAgent
from oversight_gym.agents.scripted.recursive_debate import (
    GreedyTreeDebater,
    HonestTreeDebater,
    ObfuscatingTreeDebater,
    RandomSearchTreeDebater,
)

__all__ = ["ControlHonest", "ControlRedTeam", "GreedyTreeDebater", "HonestTreeDebater", "ObfuscatingTreeDebater",
           "OracleModel", "RandomAgent", "RandomSearchTreeDebater", "ScriptedAggregator", "ScriptedOverseer"]
