"""Game kernel (``Game``/``State``), payoff schemes and the views derived from them."""

from oversight_gym.core.aec import KernelAECEnv, KernelParallelEnv
from oversight_gym.core.errors import IllegalActionError
from oversight_gym.core.game import SIMULTANEOUS, TERMINAL, Event, Game, State
from oversight_gym.core.payoffs import Compose, MixedSum, PayoffScheme, SharedPrize, SidePayment, ZeroSum
from oversight_gym.core.protocols import Agent, Classifier
from oversight_gym.core.registry import (
    BatchEngine,
    load_plugins,
    make,
    make_game,
    make_parallel,
    make_single_agent,
    register,
    registered_ids,
    spec,
)
from oversight_gym.core.single_agent import SingleAgentEnv

__all__ = [
    "SIMULTANEOUS", "TERMINAL", "Agent", "BatchEngine", "Classifier", "Compose", "Event", "Game", "IllegalActionError",
    "KernelAECEnv", "KernelParallelEnv", "MixedSum", "PayoffScheme", "SharedPrize", "SidePayment",
    "SingleAgentEnv", "State", "ZeroSum", "load_plugins", "make", "make_game", "make_parallel",
    "make_single_agent", "register", "registered_ids", "spec",
]
