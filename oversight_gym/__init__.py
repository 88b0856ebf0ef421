"""oversight-gym: a multi-agent simulation and game-theory sandbox for scalable oversight.

Quick start::

    import oversight_gym
    env = oversight_gym.make("debate/pixels-v0", pixels=6)   # PettingZoo AEC env
    env.reset(seed=0)
"""

from oversight_gym import envs as _envs  # noqa: F401  (registers the games)
from oversight_gym.core import (
    Agent,
    Game,
    IllegalActionError,
    State,
    make,
    make_game,
    make_parallel,
    make_single_agent,
    register,
    registered_ids,
)

__version__ = "0.1.0"

__all__ = [
    "Agent", "Game", "IllegalActionError", "State", "__version__", "make", "make_game",
    "make_parallel", "make_single_agent", "register", "registered_ids",
]
