"""Environment families. Importing this module registers every game (lazily: a game's
module is imported only when the game is made)."""

from oversight_gym.core.registry import register

register(
    "debate/pixels-v0",
    "oversight_gym.envs.debate.pixels:PixelDebateGame",
    "Sparse-pixel debate (Irving et al. 2018): two debaters reveal k pixels to a sparse judge",
)
