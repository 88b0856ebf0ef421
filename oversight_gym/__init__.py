"""oversight-gym: a multi-agent simulation and game-theory sandbox for scalable oversight.

Quick start::

    import oversight_gym
    env = oversight_gym.make("debate/pixels-v0", pixels=6)   # PettingZoo AEC env
    env.reset(seed=0)
"""

import os as _os
import sys as _sys

# The compiled engines run numba's parallel loops, and the worker pools of runs and sweeps fork.
# On Linux numba's default threading layer is GNU OpenMP, which aborts a forked child that runs a
# parallel loop once the parent has run one (a pool then waits forever for the lost tasks); the
# workqueue layer is fork-safe. A layer the user chose is kept.
if "NUMBA_THREADING_LAYER" not in _os.environ:
    _os.environ["NUMBA_THREADING_LAYER"] = "workqueue"
    if "numba" in _sys.modules:  # imported before us: its configuration has already read the environment
        _sys.modules["numba"].config.THREADING_LAYER = "workqueue"

from oversight_gym import envs as _envs  # noqa: E402, F401  (registers the games and their agents)
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
