"""OpenSpiel view of a kernel game, so that OpenSpiel's solvers (CFR, exploitability,
alpha-beta, sequence-form LP) run on our games (Lanctot et al. 2019, arXiv 1908.09453).

Our kernels draw chance inside ``Game.new_initial_state(rng, **options)``. OpenSpiel needs
chance made explicit, so an export names the initial positions: a list of
``(probability, reset options)`` pairs, each of which must fix every random choice of
the kernel (for the pixel debate: ``image_index`` and ``liar_label``). With more than one
pair the exported game starts with a chance node over them; after it, every move is the
kernel's, and the returns are the kernel's (after its payoff scheme).

Information states have perfect recall: a player's information state string is the
sequence of its observations (digests of ``State.observation(player)``) and its own
actions, so two histories are distinguished exactly when the player could tell them
apart. Observation tensors are the kernel's observation vectors.

Only sequential games are exported (a simultaneous kernel raises). Exports are meant for
small games: building one walks the whole tree once, to find the utility range and the
longest game (``max_nodes`` caps the walk).

>>> from oversight_gym.core.openspiel import to_openspiel
>>> from oversight_gym.core.registry import make_game
>>> game = make_game("debate/pixels-v0", pixels=2, judge_steps=300)
>>> osg = to_openspiel(game, [(1.0, {"image_index": 0, "liar_label": "judge"})])  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from oversight_gym.core.game import SIMULTANEOUS, TERMINAL, Game, State


def _require_pyspiel() -> Any:
    try:
        import pyspiel
    except ImportError:
        raise ImportError("the OpenSpiel view needs OpenSpiel: pip install 'oversight-gym[openspiel]' "
                          "(or pip install open-spiel)") from None
    return pyspiel


def _digest(obs: np.ndarray) -> str:
    return hashlib.blake2b(np.ascontiguousarray(obs).tobytes(), digest_size=6).hexdigest()


def _initial(game: Game, options: dict[str, Any]) -> State:
    return game.new_initial_state(np.random.default_rng(0), **options)


def _walk(game: Game, outcomes: Sequence[tuple[float, dict[str, Any]]], max_nodes: int) -> tuple[float, float, int]:
    """Utility range and longest game over every initial position, by depth-first search."""
    lo, hi, longest, nodes = np.inf, -np.inf, 0, 0
    stack = [(_initial(game, opts), 0) for _, opts in outcomes]
    while stack:
        state, depth = stack.pop()
        nodes += 1
        if nodes > max_nodes:
            raise ValueError(f"max_nodes: the game tree has more than {max_nodes} nodes; export a smaller game "
                             "or pass utility_range and max_game_length")
        if state.is_terminal():
            r = state.returns()
            lo, hi, longest = min(lo, float(r.min())), max(hi, float(r.max())), max(longest, depth)
            continue
        p = state.current_player()
        if p == SIMULTANEOUS:
            raise ValueError(f"{game.name} has simultaneous moves: only sequential games are exported")
        for a in state.legal_actions(p):
            child = state.clone()
            child.apply_action(a)
            stack.append((child, depth + 1))
    return lo, hi, longest


def to_openspiel(game: Game, outcomes: Sequence[tuple[float, dict[str, Any]]] | None = None, *,
                 utility_range: tuple[float, float] | None = None, max_game_length: int | None = None,
                 max_nodes: int = 2_000_000, perfect_information: bool = False) -> Any:
    """An OpenSpiel ``pyspiel.Game`` playing ``game`` from the given initial positions
    (default: one position, the kernel's initial state with no options, which must then be
    deterministic). The game is also registered with OpenSpiel under a name derived from
    the kernel's id and configuration (``exported.get_type().short_name``).

    ``perfect_information``: declare that every player sees the whole state (as both
    debaters do in the pixel debate), which OpenSpiel's alpha-beta search requires."""
    pyspiel = _require_pyspiel()
    outcomes = [(float(p), dict(o)) for p, o in (outcomes or [(1.0, {})])]
    probs = np.array([p for p, _ in outcomes])
    if (probs <= 0).any() or abs(probs.sum() - 1.0) > 1e-9:
        raise ValueError(f"outcomes: probabilities must be positive and sum to 1, got {probs.tolist()}")
    if utility_range is None or max_game_length is None:
        lo, hi, longest = _walk(game, outcomes, max_nodes)
        utility_range = utility_range or (lo, hi)
        max_game_length = max_game_length or longest
    zero_sum = bool(game.payoff.zero_sum)
    key = json.dumps({"name": game.name, "config": game.config(), "outcomes": outcomes,
                      "perfect_information": perfect_information}, sort_keys=True, default=str)
    short = "og_" + re.sub(r"[^a-z0-9]+", "_", game.name.lower()) + "_" + hashlib.sha1(key.encode()).hexdigest()[:10]
    chance = len(outcomes) > 1
    game_type = pyspiel.GameType(
        short_name=short, long_name=f"oversight-gym {game.name}",
        dynamics=pyspiel.GameType.Dynamics.SEQUENTIAL,
        chance_mode=(pyspiel.GameType.ChanceMode.EXPLICIT_STOCHASTIC if chance
                     else pyspiel.GameType.ChanceMode.DETERMINISTIC),
        information=(pyspiel.GameType.Information.PERFECT_INFORMATION if perfect_information
                     else pyspiel.GameType.Information.IMPERFECT_INFORMATION),
        utility=pyspiel.GameType.Utility.ZERO_SUM if zero_sum else pyspiel.GameType.Utility.GENERAL_SUM,
        reward_model=pyspiel.GameType.RewardModel.TERMINAL,
        max_num_players=game.num_players, min_num_players=game.num_players,
        provides_information_state_string=True, provides_information_state_tensor=False,
        provides_observation_string=True, provides_observation_tensor=True, parameter_specification={})
    info = pyspiel.GameInfo(
        num_distinct_actions=game.num_distinct_actions(), max_chance_outcomes=len(outcomes) if chance else 0,
        num_players=game.num_players, min_utility=float(utility_range[0]), max_utility=float(utility_range[1]),
        utility_sum=0.0 if zero_sum else None, max_game_length=int(max_game_length) + int(chance))
    exported_cls = _make_classes(pyspiel, game, outcomes, game_type, info)
    try:
        pyspiel.register_game(game_type, exported_cls)
    except Exception:  # noqa: BLE001 - already registered under this name by an earlier export
        pass
    return exported_cls()


class _Position:
    """The kernel state behind an exported state, with each player's observation record."""

    __slots__ = ("inner", "seen", "outcome_index")

    def __init__(self, inner: State | None, seen: list[list[str]], outcome_index: int) -> None:
        self.inner, self.seen, self.outcome_index = inner, seen, outcome_index

    def __deepcopy__(self, memo: dict) -> _Position:
        return _Position(None if self.inner is None else self.inner.clone(), [list(s) for s in self.seen],
                         self.outcome_index)


def _make_classes(pyspiel: Any, kernel: Game, outcomes: list[tuple[float, dict[str, Any]]],
                  game_type: Any, info: Any) -> type:
    chance = len(outcomes) > 1
    n = kernel.num_players

    class ExportedState(pyspiel.State):
        def __init__(self, game: Any) -> None:
            super().__init__(game)
            self.h = _Position(None, [[] for _ in range(n)], -1)
            if not chance:
                self._start(0)

        # the kernel position lives in a holder that OpenSpiel's clone (a deep copy of the
        # Python attributes) copies with State.clone(), never copying the kernel's game
        @property
        def inner(self) -> State | None:
            return self.h.inner

        @property
        def seen(self) -> list[list[str]]:
            return self.h.seen

        def _start(self, k: int) -> None:
            self.h.inner = _initial(kernel, outcomes[k][1])
            self.h.outcome_index = k
            self._observe()

        def _observe(self) -> None:
            if self.inner is not None and not self.inner.is_terminal():
                for p in range(n):
                    self.seen[p].append(_digest(self.inner.observation(p)))

        def current_player(self) -> int:
            if self.inner is None:
                return pyspiel.PlayerId.CHANCE
            p = self.inner.current_player()
            if p == TERMINAL or self.inner.is_terminal():
                return pyspiel.PlayerId.TERMINAL
            if p == SIMULTANEOUS:
                raise ValueError(f"{kernel.name} reached a simultaneous move: only sequential games are exported")
            return int(p)

        def _legal_actions(self, player: int) -> list[int]:
            return self.inner.legal_actions(player)

        def chance_outcomes(self) -> list[tuple[int, float]]:
            return [(k, p) for k, (p, _) in enumerate(outcomes)]

        def _apply_action(self, action: int) -> None:
            if self.inner is None:
                self._start(int(action))
                return
            p = self.inner.current_player()
            self.seen[p].append(f"a{int(action)}")
            self.inner.apply_action(int(action))
            self._observe()

        def _action_to_string(self, player: int, action: int) -> str:
            if player == pyspiel.PlayerId.CHANCE:
                return f"start {json.dumps(outcomes[action][1], sort_keys=True, default=str)}"
            state = self.inner if self.inner is not None else _initial(kernel, outcomes[0][1])
            return state.action_to_string(player, action)

        def is_terminal(self) -> bool:
            return self.inner is not None and self.inner.is_terminal()

        def returns(self) -> list[float]:
            if not self.is_terminal():
                return [0.0] * n
            return [float(r) for r in self.inner.returns()]

        def __str__(self) -> str:
            if self.inner is None:
                return "(chance: initial position)"
            return f"start {self.h.outcome_index}; actions {self.inner.history}"

    class Observer:
        def __init__(self, iig_obs_type: Any, params: Any) -> None:
            if params:
                raise ValueError(f"observation parameters are not supported, got {params}")
            self.perfect_recall = bool(iig_obs_type is not None and iig_obs_type.perfect_recall)
            size = int(np.prod(kernel.observation_shape(0)))
            self.tensor = np.zeros(size, np.float32)
            self.dict = {"observation": self.tensor}

        def set_from(self, state: Any, player: int) -> None:
            self.tensor.fill(0)
            if state.inner is not None:
                self.tensor[:] = np.asarray(state.inner.observation(player), np.float32).ravel()

        def string_from(self, state: Any, player: int) -> str:
            if self.perfect_recall:
                return f"p{player}:" + ",".join(state.seen[player])
            if state.inner is None:
                return f"p{player}:start"
            return f"p{player}:" + _digest(state.inner.observation(player))

    class ExportedGame(pyspiel.Game):
        def __init__(self, params: Any = None) -> None:
            super().__init__(game_type, info, params or {})
            self.kernel = kernel

        def new_initial_state(self) -> ExportedState:
            return ExportedState(self)

        def make_py_observer(self, iig_obs_type: Any = None, params: Any = None) -> Observer:
            return Observer(iig_obs_type, params)

    return ExportedGame
