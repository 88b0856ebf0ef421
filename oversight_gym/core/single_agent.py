"""Gymnasium single-agent view of any kernel game: one learner, the other seats filled
by given agents (any object following :class:`oversight_gym.core.protocols.Agent`)."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from oversight_gym.core.episode import advance, apply_decision, choose_action
from oversight_gym.core.errors import IllegalActionError, check_choice, check_float
from oversight_gym.core.game import Game
from oversight_gym.core.protocols import Agent

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
        legal set is always in ``observation["action_mask"]``.

    Rewards are the learner's return as it accrues. If the other seats end the game before
    the learner has a move (a seat with no decision in some configuration, such as the
    honest debater when the liar reveals the only pixel), the first observation offers
    one action, a pass (action 0), whose step ends the episode with the learner's return.
    """

    metadata = {"render_modes": ["ansi", "rgb_array"]}

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
        if render_mode is not None:
            check_choice("render_mode", render_mode, self.metadata["render_modes"])
        self.render_mode = render_mode
        self.observation_space = game.observation_space(self.learner)
        self.action_space = game.action_space(self.learner)
        self.game_state = None
        self._pass_pending = False

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
        super().reset(seed=seed)
        for agent in self.opponents.values():
            if hasattr(agent, "reset"):
                agent.reset(int(self.np_random.integers(2**31)))
        self.game_state = self.game.new_initial_state(self.np_random, **(options or {}))
        self._paid = 0.0  # the learner's return handed out as rewards so far
        self._advance()
        self._pass_pending = self.game_state.is_terminal()
        return self._obs(), {}

    def step(self, action):
        if self.game_state is None:
            raise RuntimeError("call reset() before step()")
        mask = self._obs()["action_mask"]
        legal = isinstance(action, int | np.integer) and 0 <= int(action) < len(mask) and mask[int(action)]
        if not legal and self.illegal_action == "penalty":
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
        done = self.game_state.is_terminal()
        info = {"outcome": self.game_state.outcome()} if done else {}
        return self._obs(), reward, done, False, info

    def render(self):
        if self.game_state is None or self.render_mode is None:
            return None
        return self.game_state.render_rgb() if self.render_mode == "rgb_array" else self.game_state.render_text()
