"""Environment families. Importing this module registers every game: each family's
package registers its own games when imported (lazily: a game's module is imported only
when the game is made).

Each registration declares the parameter ``space`` that property tests draw from
(:func:`oversight_gym.testing.strategies.game_kwargs`): every configuration in it must
be valid and must keep the whole environment contract. Spaces are kept cheap to build:
the pixel debate's judges are small (``judge_steps=300``) and take few distinct
``pixels`` values, so each judge is trained once and then read from the disk cache.
"""

from oversight_gym.envs import amplification, collusion, debate, feedback, weak_to_strong  # noqa: F401  (registers)
