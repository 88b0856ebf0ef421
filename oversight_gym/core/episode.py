"""The one episode driver: ask an agent for its move, advance the state.

Everything that plays a kernel game with agents goes through these functions: the runner
and tournaments (:func:`play_episode`), the Gymnasium single-agent view (its opponents),
``oversight-gym play`` (the agents facing a person), the testing checks and the family
runners. So the rules are the same everywhere:

* an agent is asked with ``agent.act(observation, action_mask, state=...)``; only an agent
  that declares ``requires_state = True`` is handed the kernel state, and then a clone
  (it may search it; it cannot change the game);
* its answer is an action index (an ``int``, a numpy integer or a 0-d integer array);
* at a simultaneous move every player chooses before the joint action is applied;
* an agent with a ``pop_events()`` method (a language-model seat, which records its replies
  and fallbacks) has the events it returns logged in the game's transcript as the seat's,
  before its move.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from oversight_gym.core.game import SIMULTANEOUS, Game, State
from oversight_gym.core.protocols import Agent

#: one move: (player, action)
Move = tuple[int, int]


def needs_state(agent: Any) -> bool:
    """Whether ``agent`` declared that it needs the kernel state (``requires_state``)."""
    return bool(getattr(agent, "requires_state", False))


def ask(agent: Agent, observation: Any, action_mask: Any, state: State | None = None) -> int:
    """The agent's action for this observation and mask; an agent that needs the kernel
    state gets a clone of ``state``."""
    clone = state.clone() if state is not None and needs_state(agent) else None
    return int(agent.act(observation, action_mask, state=clone))


def choose_action(agent: Agent, state: State, player: int) -> int:
    """``player``'s move in ``state``, asked of ``agent`` (see :func:`ask`); events the agent
    reports through ``pop_events()`` are logged in the transcript as ``player``'s."""
    action = ask(agent, state.observation(player), state.legal_actions_mask(player), state)
    pop = getattr(agent, "pop_events", None)
    if pop is not None:
        for kind, data in pop():
            state.log(player, kind, **data)
    return action


def movers(state: State) -> list[int]:
    """The players who choose at this decision: the player to move, or all at a simultaneous move."""
    p = state.current_player()
    if p == SIMULTANEOUS:
        return list(range(state.game.num_players))
    return [] if p < 0 else [p]


def apply_decision(state: State, choose: Callable[[int], int]) -> list[Move]:
    """One decision: every mover picks its action with ``choose(player)``, then the move (or
    the joint move) is applied. Returns the moves made."""
    if state.current_player() == SIMULTANEOUS:
        joint = [choose(p) for p in range(state.game.num_players)]
        state.apply_joint_action(joint)
        return list(enumerate(joint))
    p = state.current_player()
    action = choose(p)
    state.apply_action(action)
    return [(p, action)]


def advance(state: State, agents: Mapping[int, Agent], on_moves: Callable[[list[Move]], None] | None = None) -> None:
    """Let the seated ``agents`` ({player: agent}) play until the game ends or a player with
    no agent must choose; ``on_moves`` is told each decision's moves."""
    while not state.is_terminal():
        if any(p not in agents for p in movers(state)):
            return
        moves = apply_decision(state, lambda p: choose_action(agents[p], state, p))
        if on_moves is not None:
            on_moves(moves)


def agent_seeds(seed: int, n: int) -> list[int]:
    """Independent seeds for ``n`` agents, derived from one episode seed."""
    return [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(n)]


def play_episode(game: Game, agents: Sequence[Agent], seed: int, **options: Any) -> State:
    """Play one game to the end; ``agents[i]`` plays seat ``i``. Each agent is reset with a
    seed derived from ``seed``, which also seeds the game. Returns the final state."""
    if len(agents) != game.num_players:
        raise ValueError(f"agents: {game.name} has {game.num_players} seats, got {len(agents)} agents")
    for agent, s in zip(agents, agent_seeds(seed, len(agents)), strict=True):
        agent.reset(s)
    state = game.new_initial_state(np.random.default_rng(seed), **options)
    advance(state, dict(enumerate(agents)))
    return state
