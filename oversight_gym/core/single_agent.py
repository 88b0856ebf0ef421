"""Gymnasium single-agent view of any kernel game: one learner, the other seats filled
by given agents (any object following :class:`oversight_gym.core.protocols.Agent`).

It follows Gymnasium's conventions: ``reset(seed=...)`` takes any non-negative integer
(numpy integers too); ``step`` takes the action as RL libraries give it (an int, a numpy
integer, or the 0-d or one-element array of Stable-Baselines3's ``model.predict``), and
stepping before ``reset()`` or after the episode ended is an error. The rules are those of
:mod:`oversight_gym.core.view_checks`, shared with the PettingZoo views."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from oversight_gym.core.episode import advance, apply_decision, choose_action
from oversight_gym.core.errors import IllegalActionError, check_choice, check_float
from oversight_gym.core.game import Game
from oversight_gym.core.protocols import Agent
from oversight_gym.core.view_checks import (
    RENDER_MODES,
    action_index,
    check_render_mode,
    check_running,
    check_seed,
    reset_options,
    warn_no_render_mode,
)

PASS = 0  # the action of a learner whose seat had no move before the game ended


class SingleAgentEnv(gym.Env):
    """Play ``game`` from the seat ``learner``; every other seat is played by ``opponents``.

    Parameters
    ----------
    game: the kernel game.
    learner: seat name of the learning agent.
    opponents: one agent per other seat, as ``{seat: agent}``; with two seats a single
        agent may be given.
    illegal_action: ``"raise"`` (an :class:`IllegalActionError`) or ``"penalty"`` (the
        episode ends and the learner receives ``illegal_penalty``). The default is
        ``"penalty"`` because RL learners that ignore masks explore illegal actions; the
        legal set is always in ``observation["action_mask"]``. An action that is no
        integer at all (a float, a bool) is a bug in the caller, not a move: it raises
        ``TypeError`` in both modes.
    render_mode: ``"ansi"`` (``render()`` returns the text), ``"rgb_array"`` (a picture)
        or ``"human"`` (the text is printed at every reset and step, as Gymnasium's human
        mode renders without being asked).

    Rewards are the learner's return as it accrues. If the other seats end the game before
    the learner has a move (a seat with no decision in some configuration, such as the
    honest debater when the liar reveals the only pixel), the first observation offers
    one action, a pass (action 0), whose step ends the episode with the learner's return.
    """

    metadata = {"render_modes": list(RENDER_MODES), "render_fps": 1}

    def __init__(
        self,
        game: Game,
        learner: str,
        opponents: dict[str, Agent] | Agent,
        illegal_action: str = "penalty",
        illegal_penalty: float = -1.0,
        render_mode: str | None = None,
    ) -> None:
        super().__init__()
        self.game = game
        self.learner = game.player_index(learner)
        others = [n for n in game.player_names if n != learner]
        if not isinstance(opponents, dict):
            if not others:  # a one-seat game: there is no opponent to seat
                opponents = {}
            elif len(others) != 1:
                raise ValueError(f"opponents: give a dict {{seat: agent}} for the seats {others}")
            else:
                opponents = {others[0]: opponents}
        missing = sorted(set(others) - set(opponents))
        extra = sorted(set(opponents) - set(others))
        if missing or extra:
            raise ValueError(f"opponents: need an agent for each of {others}; missing {missing}, unexpected {extra}")
        for seat, agent in opponents.items():
            if not hasattr(agent, "act"):
                raise ValueError(f"opponents[{seat!r}] must have act(observation, action_mask, state=None)")
        self.opponents = {game.player_index(s): a for s, a in opponents.items()}
        self.illegal_action = check_choice("illegal_action", illegal_action, ("raise", "penalty"))
        self.illegal_penalty = check_float("illegal_penalty", illegal_penalty)
        self.render_mode = check_render_mode(render_mode)
        self.observation_space = game.observation_space(self.learner)
        self.action_space = game.action_space(self.learner)
        self.game_state = None
        self._pass_pending = False
        self._done = False

    def _advance(self) -> None:
        """Let the opponents move until it is the learner's turn or the game ends."""
        advance(self.game_state, self.opponents)

    def _obs(self) -> dict[str, np.ndarray]:
        mask = self.game_state.legal_actions_mask(self.learner).astype(np.int8)
        if self._pass_pending:
            # the other seats ended the game before the learner had a move (a seat with no
            # decision in this configuration): one "pass" step, action 0, ends the episode
            mask = np.zeros_like(mask)
            mask[PASS] = 1
        return {
            "observation": self.game_state.observation(self.learner).astype(np.float32, copy=False),
            "action_mask": mask,
        }

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=check_seed(seed))
        for agent in self.opponents.values():
            if hasattr(agent, "reset"):
                agent.reset(int(self.np_random.integers(2**31)))
        self.game_state = self.game.new_initial_state(self.np_random, **reset_options(self.game, options))
        self._paid = 0.0  # the learner's return handed out as rewards so far
        self._advance()
        self._pass_pending = self.game_state.is_terminal()
        self._done = False
        self._render_human()
        return self._obs(), {}

    def step(self, action):
        check_running(self.game_state, over=self._done)
        action = action_index(action)
        mask = self._obs()["action_mask"]
        legal = 0 <= action < len(mask) and bool(mask[action])
        if not legal and self.illegal_action == "penalty":
            self._done = True
            return self._obs(), float(self.illegal_penalty), True, False, {"illegal_action": True}
        if self._pass_pending:  # the pass step of a seat that had no move
            if not legal:
                raise IllegalActionError(f"the game ended before {self.game.player_names[self.learner]!r} had a "
                                         f"move: the only action is the pass, {PASS}; got {action!r}")
            self._pass_pending = False
        else:
            state = self.game_state
            apply_decision(state, lambda p: action if p == self.learner else
                           choose_action(self.opponents[p], state, p))
        self._advance()
        total = float(self.game_state.returns()[self.learner])
        reward, self._paid = total - self._paid, total
        done = self._done = self.game_state.is_terminal()
        info = {"outcome": self.game_state.outcome()} if done else {}
        self._render_human()
        return self._obs(), reward, done, False, info

    def _render_human(self) -> None:
        if self.render_mode == "human":
            print(self.game_state.render_text())

    def render(self):
        """The ``ansi`` text or the ``rgb_array`` picture of the game now (``None`` in
        ``human`` mode, which prints at every step, or before ``reset()``; without a render mode,
        ``None`` with a warning, as the PettingZoo views)."""
        if self.render_mode is None:
            warn_no_render_mode()
            return None
        if self.game_state is None or self.render_mode == "human":
            return None
        return self.game_state.render_rgb() if self.render_mode == "rgb_array" else self.game_state.render_text()
