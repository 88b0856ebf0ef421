"""Debate games: the sparse-pixel debate (Irving, Christiano, Amodei 2018) and its relatives.

Importing this package registers its games (lazily: a game's module is imported only when
the game is made).
"""

from oversight_gym.core.payoffs import SidePayment, ZeroSum
from oversight_gym.core.registry import register

# Parameters of the pixel debate that combine freely. A fixed digit as ``liar_label`` is
# left out: it is valid, but resetting on an image of that digit raises by design.
_PIXEL_DEBATE_COMMON = {
    "pixels": [6, 1, 64],
    "first": ["honest", "liar"],
    "forbid_black": [False, True],
    "split": ["test", "train"],
    "judge_hidden": [32],
    "judge_steps": [300],
    "judge_seed": [0],
    # zero-sum, and a collusion side payment that makes the game non-zero-sum
    "payoff": [None, ZeroSum() + SidePayment(0.5, "judge_wrong")],
}

register(
    "debate/pixels-v0",
    "oversight_gym.envs.debate.pixels:PixelDebateGame",
    "Sparse-pixel debate (Irving et al. 2018): two debaters reveal k pixels to a sparse judge",
    space=[
        {**_PIXEL_DEBATE_COMMON, "precommit": [True], "liar_label": ["random", "judge", "choose"]},
        {**_PIXEL_DEBATE_COMMON, "precommit": [False], "liar_label": ["random"]},
    ],
)
