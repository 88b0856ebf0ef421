"""Environment families. Importing this module registers every game (lazily: a game's
module is imported only when the game is made).

Each registration declares the parameter ``space`` that property tests draw from
(:func:`oversight_gym.testing.strategies.game_kwargs`): every configuration in it must
be valid and must keep the whole environment contract. Spaces are kept cheap to build:
the pixel debate's judges are small (``judge_steps=300``) and take few distinct
``pixels`` values, so each judge is trained once and then read from the disk cache.
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
