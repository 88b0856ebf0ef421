"""The game kernel: one readable definition of a game's rules, from which every view is derived.

The interface follows OpenSpiel (Lanctot et al. 2019, "OpenSpiel: a framework for
reinforcement learning in games", arXiv 1908.09453): an immutable, validated
:class:`Game` builds initial :class:`State` objects from a ``numpy.random.Generator``;
a state knows whose turn it is, which actions are legal, how to apply them, when it is
terminal and what each player receives. Views (PettingZoo AEC and Parallel, Gymnasium
single-agent, search trees) are built from this interface in :mod:`oversight_gym.core`
without per-game code.

Every random choice a state makes draws from the generator it was built with, so the
same seed gives the same transcript, byte for byte.
"""

from __future__ import annotations

import abc
import inspect
import json
import sys
import textwrap
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces

from oversight_gym.core.errors import IllegalActionError
from oversight_gym.core.payoffs import PayoffScheme, ZeroSum

#: ``current_player()`` of a state in which all players move at once.
SIMULTANEOUS = -2
#: ``current_player()`` of a terminal state.
TERMINAL = -4


#: (height, width, 3) of the default picture of a state (:meth:`State.render_rgb`)
RGB_SHAPE = (480, 640, 3)
_RGB_FONT_SIZE = 9  # points at 100 dpi: about 100 columns and 36 lines fit


def text_to_rgb(text: str, shape: tuple[int, int, int] = RGB_SHAPE) -> np.ndarray:
    """``text`` drawn black on white in a monospace font, as an RGB ``uint8`` array of
    ``shape``. Long lines are wrapped; lines that do not fit are left out, and a last line
    says how many.
    Drawn with matplotlib's Agg canvas alone (no window, no global figure state), so the
    same text gives the same pixels."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    height, width = shape[0], shape[1]
    dpi = 100
    line_px = _RGB_FONT_SIZE * dpi / 72 * 1.25
    char_px = _RGB_FONT_SIZE * dpi / 72 * 0.66  # the font's advance, 0.6 em, rounded up by the rasteriser
    rows, cols = max(1, int((height - 8) // line_px)), max(8, int((width - 8) // char_px))
    lines = [part for line in text.splitlines() for part in (textwrap.wrap(line, cols) or [""])]
    if len(lines) > rows:
        lines = lines[: rows - 1] + [f"… {len(lines) - rows + 1} more lines"]
    fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi, facecolor="white")
    canvas = FigureCanvasAgg(fig)
    # the text as it is: no mathtext between dollar signs (a "$" in a transcript is money, and
    # unbalanced braces between two of them would raise), no LaTeX whatever the rcParams say
    fig.text(4 / width, 1 - 4 / height, "\n".join(lines), family="DejaVu Sans Mono", size=_RGB_FONT_SIZE,
             va="top", ha="left", linespacing=1.25, color="black", parse_math=False, usetex=False)
    canvas.draw()
    return np.ascontiguousarray(np.asarray(canvas.buffer_rgba())[:, :, :3])


@dataclass(frozen=True)
class Event:
    """One entry in a state's transcript: who did what, at which step."""

    step: int
    player: int  # -1 for the environment (chance, judge)
    kind: str
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"step": self.step, "player": self.player, "kind": self.kind, "data": _jsonable(self.data)}


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


class Game(abc.ABC):
    """Immutable configuration of a game.

    Subclasses validate their parameters in ``__init__`` (raising ``ValueError`` that
    names the parameter, its value and what is allowed) and implement
    :meth:`new_initial_state` and the space descriptions.
    """

    #: Versioned id, ``family/name-vN``.
    name: ClassVar[str] = "game"
    #: Seat names, in player-index order.
    player_names: tuple[str, ...] = ()
    #: True if players move at once (``current_player() == SIMULTANEOUS``).
    simultaneous: ClassVar[bool] = False

    def __init__(self, payoff: PayoffScheme | None = None) -> None:
        self.payoff = payoff if payoff is not None else ZeroSum()

    @property
    def num_players(self) -> int:
        return len(self.player_names)

    @abc.abstractmethod
    def new_initial_state(self, rng: np.random.Generator, **options: Any) -> State:
        """A fresh state; every random choice draws from ``rng``."""

    @abc.abstractmethod
    def num_distinct_actions(self) -> int:
        """Size of every player's action space (actions are ``0..n-1``)."""

    @abc.abstractmethod
    def observation_shape(self, player: int) -> tuple[int, ...]:
        """Shape of ``State.observation(player)`` (a float32 array in ``[low, high]``)."""

    def observation_bounds(self, player: int) -> tuple[float, float]:
        return (-1.0, 1.0)

    def max_game_length(self) -> int | None:
        """Upper bound on the number of decisions, if known."""
        return None

    def observation_space(self, player: int) -> spaces.Dict:
        low, high = self.observation_bounds(player)
        n = self.num_distinct_actions()
        return spaces.Dict(
            {
                "observation": spaces.Box(low, high, self.observation_shape(player), np.float32),
                "action_mask": spaces.Box(0, 1, (n,), np.int8),
            }
        )

    def action_space(self, player: int) -> spaces.Discrete:
        return spaces.Discrete(self.num_distinct_actions())

    def player_index(self, name: str) -> int:
        if name not in self.player_names:
            raise ValueError(f"seat {name!r} is not a seat of {self.name}; seats are {list(self.player_names)}")
        return self.player_names.index(name)

    def config(self) -> dict[str, Any]:
        """The parameters that define this game (JSON-serialisable)."""
        return {}

    def rules_text(self, player: int) -> str:
        """The rules of the game and the goal of seat ``player``, in words, for a player who
        reads (a language model; :mod:`oversight_gym.core.text`). The default is the game's
        documentation (its class docstring and the first paragraph of its module's), the seats,
        the configuration and the payoff scheme; games override it with rules written for the seat."""
        module_doc = inspect.getdoc(sys.modules.get(type(self).__module__)) or ""
        parts = [inspect.getdoc(type(self)) or "", module_doc.split("\n\n")[0]]
        config = {k: v for k, v in self.config().items() if k != "payoff"}
        return "\n\n".join([p for p in parts if p] + [
            f"Seats: {', '.join(self.player_names)}. Configuration: {json.dumps(_jsonable(config), default=str)}; "
            f"payoff scheme: {json.dumps(_jsonable(self.payoff.config()), default=str)}.",
            f"Goal: as {self.player_names[player]}, end the game with the largest payoff you can."])


class State(abc.ABC):
    """A position in a game. Mutated by ``apply_action``; copied by ``clone``."""

    def __init__(self, game: Game) -> None:
        self.game = game
        self.transcript: list[Event] = []
        #: every action applied, in order (a list of actions for a simultaneous move): replaying
        #: it on a fresh state from the same seed and options rebuilds this state
        self.history: list[int | list[int]] = []
        self._step = 0

    # --- turn structure -------------------------------------------------------------
    @abc.abstractmethod
    def current_player(self) -> int:
        """Index of the player to move, ``SIMULTANEOUS`` or ``TERMINAL``."""

    @abc.abstractmethod
    def legal_actions_mask(self, player: int) -> np.ndarray:
        """A fresh int8 vector of length ``num_distinct_actions()``; 1 where the action is legal."""

    def legal_actions(self, player: int | None = None) -> list[int]:
        if player is None:
            player = self.current_player()
        if player < 0:
            return []
        return np.flatnonzero(self.legal_actions_mask(player)).tolist()

    def is_terminal(self) -> bool:
        return self.current_player() == TERMINAL

    # --- moves ----------------------------------------------------------------------
    def apply_action(self, action: int) -> None:
        """Apply the current player's action; illegal actions raise :class:`IllegalActionError`."""
        player = self.current_player()
        if player == TERMINAL:
            raise IllegalActionError(f"{self.game.name}: the game is over; no action can be applied")
        if player == SIMULTANEOUS:
            raise IllegalActionError(
                f"{self.game.name}: all players move at once here; use apply_joint_action"
            )
        self._check_legal(player, action)
        self._apply(player, int(action))
        self.history.append(int(action))
        self._step += 1

    def apply_joint_action(self, actions: list[int] | tuple[int, ...]) -> None:
        """Apply one action per player in a simultaneous-move state."""
        if self.current_player() != SIMULTANEOUS:
            raise IllegalActionError(f"{self.game.name}: not a simultaneous-move state; use apply_action")
        if len(actions) != self.game.num_players:
            raise IllegalActionError(
                f"actions: expected {self.game.num_players} actions, one per player, got {len(actions)}"
            )
        for player, action in enumerate(actions):
            self._check_legal(player, action)
        self._apply_joint([int(a) for a in actions])
        self.history.append([int(a) for a in actions])
        self._step += 1

    def _check_legal(self, player: int, action: Any) -> None:
        n = self.game.num_distinct_actions()
        try:
            a = int(action)
        except (TypeError, ValueError):
            raise IllegalActionError(f"action must be an integer in [0, {n}), got {action!r}") from None
        if a != action or not 0 <= a < n:
            raise IllegalActionError(f"action must be an integer in [0, {n}), got {action!r}")
        if not self.is_legal(player, a):
            raise IllegalActionError(
                f"action {a} ({self.action_to_string(player, a)}) is not legal for "
                f"{self.game.player_names[player]} now: {self.illegal_reason(player, a)}"
            )

    def is_legal(self, player: int, action: int) -> bool:
        """Whether ``action`` (an int in range) is legal for ``player`` now. The default reads
        the mask; kernels may answer faster, and must agree with ``legal_actions_mask``."""
        return bool(self.legal_actions_mask(player)[action])

    def illegal_reason(self, player: int, action: int) -> str:
        """A human-readable reason why ``action`` is illegal (override for better messages)."""
        return "see legal_actions()"

    @abc.abstractmethod
    def _apply(self, player: int, action: int) -> None: ...

    def _apply_joint(self, actions: list[int]) -> None:
        raise NotImplementedError

    # --- outcomes -------------------------------------------------------------------
    @abc.abstractmethod
    def raw_returns(self) -> np.ndarray:
        """Each player's utility so far before the payoff scheme (float64 vector)."""

    def returns(self) -> np.ndarray:
        """Each player's cumulative payoff so far, after the game's payoff scheme."""
        return self.game.payoff.apply(self.raw_returns(), self)

    def outcome(self) -> dict[str, Any]:
        """Named facts about how the game ended (for metrics and side payments)."""
        return {}

    # --- information ----------------------------------------------------------------
    @abc.abstractmethod
    def observation(self, player: int) -> np.ndarray:
        """The float32 observation vector of ``player``."""

    def action_to_string(self, player: int, action: int) -> str:
        """The name of ``action`` for ``player`` (the text view lists and parses actions by it;
        names of the legal actions should differ from each other)."""
        return str(action)

    def observation_text(self, player: int) -> str:
        """What ``player`` knows now, in words (:mod:`oversight_gym.core.text`). The default
        prints the observation vector, which holds exactly the seat's information; games override
        it with words."""
        values = np.array2string(np.asarray(self.observation(player)), precision=4, separator=", ",
                                 threshold=10**6, max_line_width=120, suppress_small=True)
        return f"Your observation (the {self.game.name} observation vector of your seat): {values}"

    def event_text(self, event: Event, player: int) -> str | None:
        """``event`` in words as ``player`` sees it, or ``None`` if the seat does not see it.
        The default shows nothing: which parts of an event a seat may see is the game's to say
        (an event may hold the hidden truth), and :meth:`observation_text` already holds what
        the seat knows. Games override it to tell the transcript in words."""
        return None

    def render_text(self) -> str:
        return repr(self)

    def render_rgb(self) -> np.ndarray:
        """A picture of the state, an RGB ``uint8`` array of shape ``RGB_SHAPE``: by default its
        :meth:`render_text` drawn in a monospace font (so every game has one; families may
        override it with a real drawing). The same text gives the same pixels."""
        return text_to_rgb(self.render_text())

    # --- search and bookkeeping -----------------------------------------------------
    @abc.abstractmethod
    def clone(self) -> State:
        """An independent copy (search agents explore on clones)."""

    def log(self, player: int, kind: str, **data: Any) -> None:
        """Append an event; ``data`` should hold plain values (numpy scalars and arrays are
        converted when the transcript is serialised)."""
        self.transcript.append(Event(self._step, player, kind, data))

    def transcript_json(self) -> str:
        """The transcript as canonical JSON: equal seeds give equal strings."""
        return json.dumps([e.to_dict() for e in self.transcript], sort_keys=True, separators=(",", ":"))
