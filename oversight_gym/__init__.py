"""oversight-gym: a multi-agent simulation and game-theory sandbox for scalable oversight.

Quick start::

    import oversight_gym
    env = oversight_gym.make("debate/pixels-v0", pixels=6)   # PettingZoo AEC env
    env.reset(seed=0)
"""

from oversight_gym import envs as _envs  # noqa: F401  (registers the games and their agents)
from oversight_gym import scenarios as _scenarios  # noqa: F401  (registers the built-in scenarios)
from oversight_gym._version import __version__
from oversight_gym.core import (
    Agent,
    BatchEngine,
    Game,
    IllegalActionError,
    State,
    load_plugins,
    make,
    make_game,
    make_parallel,
    make_single_agent,
    register,
    registered_ids,
)

load_plugins()  # games and agents that other installed packages add (entry-point group oversight_gym.envs)

__all__ = [
    "Agent", "BatchEngine", "Game", "IllegalActionError", "State", "__version__", "load_plugins", "make", "make_game",
    "make_parallel", "make_single_agent", "register", "registered_ids",
]
