"""The text view of any kernel game: what a seat sees, in words, and its reply read back as a move.

A player who reads and writes (a language model, a person at a terminal) gets, at each of
its decisions, a :class:`TextObservation`: the rules and the seat's goal
(:meth:`Game.rules_text <oversight_gym.core.game.Game.rules_text>`), what the seat knows
(:meth:`State.observation_text <oversight_gym.core.game.State.observation_text>`), the
transcript so far as the seat sees it (:meth:`State.event_text
<oversight_gym.core.game.State.event_text>`) and the legal actions with their names
(:meth:`State.action_to_string <oversight_gym.core.game.State.action_to_string>`). Games
give names to their actions and events through those hooks, whose defaults make every game
playable; this module does the rest without per-game code, as the PettingZoo and Gymnasium
views do.

A reply is read by :meth:`TextObservation.parse`, tolerant of prose around the choice as
language models write it (the answer-extraction step of chat evaluations, e.g. Khan et al.
2024, "Debating with more persuasive LLMs leads to more truthful answers", ICML): a line
``ACTION: <name or number>`` decides; without one, the reply must mention exactly one legal
action, by its name or its number. An action whose name holds one decimal value that no
other legal action's name holds (a price ``p=1.5440``, a bid) may also be named by that value
alone (``1.544``). A reply that names none, or several, raises
:class:`ReplyError` whose message tells the seat what to answer instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from oversight_gym.core.game import State

#: the marker of the line that states the choice
MARKER = "ACTION:"
_MARKER_RE = re.compile(r"\baction\s*:", re.IGNORECASE)
# a whole number standing alone: not part of a word, a decimal or a longer number
_NUMBER_RE = re.compile(r"(?<![\w.])(\d+)(?![\w]|\.\d)")
# a decimal standing alone (a price, a bid, a probability)
_DECIMAL_RE = re.compile(r"(?<![\w.])(-?\d+\.\d+)(?![\w]|\.\d)")


class ReplyError(ValueError):
    """A reply that names no legal action, or several; the message is written to the seat."""


@dataclass(frozen=True)
class TextObservation:
    """One decision of one seat, as text.

    ``system`` holds the rules and the seat's goal (the same at every decision of a game),
    ``prompt`` what the seat knows, the transcript it has seen and the legal actions, and
    ``actions`` the legal actions with their names, ``{action: name}``.
    """

    seat: str
    system: str
    prompt: str
    actions: dict[int, str]

    def parse(self, reply: str) -> int:
        """The legal action ``reply`` chooses (see the module docstring); :class:`ReplyError`
        with a message for the seat if it chooses none or several."""
        if not isinstance(reply, str):
            raise ReplyError(f"the reply must be text, got {type(reply).__name__}. {self.instruction()}")
        markers = list(_MARKER_RE.finditer(reply))
        if markers:
            chosen = self._mentions(reply[markers[-1].end():].split("\n", 1)[0])
            if chosen:
                return chosen[0]  # the first action named on the ACTION line
            tail = reply[markers[-1].end():].strip().split("\n", 1)[0][:80]
            raise ReplyError(f"your ACTION line ({tail!r}) names no legal action. {self.instruction()}")
        chosen = list(dict.fromkeys(self._mentions(reply)))
        if len(chosen) == 1:
            return chosen[0]
        if not chosen:
            raise ReplyError(f"your reply names no legal action. {self.instruction()}")
        named = ", ".join(f"{a} ({self.actions[a]})" for a in chosen[:6])
        raise ReplyError(f"your reply names several legal actions ({named}{', ...' if len(chosen) > 6 else ''}) "
                         f"and no ACTION line. {self.instruction()}")

    def instruction(self) -> str:
        """How to answer: the line the seat should end its reply with."""
        return (f"End your reply with one line '{MARKER} <name or number>' naming one of the legal actions "
                f"listed above (for example '{MARKER} {next(iter(self.actions.values()))}').")

    def _mentions(self, text: str) -> list[int]:
        """The legal actions ``text`` names, in order of appearance: names first (longest first,
        so that ``attack+signal`` is not read as ``attack``), then numbers outside the names."""
        lowered = text.lower()
        names = sorted(self.actions.items(), key=lambda kv: -len(kv[1]))
        found: list[tuple[int, int]] = []
        taken = [False] * len(lowered)
        for action, name in names:
            pattern = re.compile(r"(?<![\w.])" + re.escape(name.lower()) + r"(?![\w]|\.\d)")
            for m in pattern.finditer(lowered):
                if not any(taken[m.start():m.end()]):
                    found.append((m.start(), action))
                    taken[m.start():m.end()] = [True] * (m.end() - m.start())
        for m in _NUMBER_RE.finditer(lowered):
            if not any(taken[m.start():m.end()]) and int(m.group(1)) in self.actions:
                found.append((m.start(), int(m.group(1))))
        values = self.value_aliases()
        for m in _DECIMAL_RE.finditer(lowered):
            if not any(taken[m.start():m.end()]) and float(m.group(1)) in values:
                found.append((m.start(), values[float(m.group(1))]))
        return [action for _, action in sorted(found)]

    def value_aliases(self) -> dict[float, int]:
        """``{value: action}`` for the actions whose name holds exactly one decimal value that no
        other legal action's name holds."""
        seen: dict[float, list[int]] = {}
        for action, name in self.actions.items():
            decimals = _DECIMAL_RE.findall(name)
            if len(decimals) == 1:
                seen.setdefault(float(decimals[0]), []).append(action)
        return {v: acts[0] for v, acts in seen.items() if len(acts) == 1}


def action_names(state: State, player: int) -> dict[int, str]:
    """``{action: name}`` of ``player``'s legal actions. Names come from the game's
    ``action_to_string``; where two legal actions share a name (or a name is blank), each such
    name gets its number in brackets, so that every name picks out one action."""
    legal = state.legal_actions(player)
    names = {a: " ".join(str(state.action_to_string(player, a)).split()) for a in legal}
    counts: dict[str, int] = {}
    for name in names.values():
        counts[name.lower()] = counts.get(name.lower(), 0) + 1
    return {a: (n if n and counts[n.lower()] == 1 else f"{n} [{a}]".strip()) for a, n in names.items()}


def transcript_text(state: State, player: int) -> list[str]:
    """The transcript so far in words, as ``player`` sees it (the events the game tells it)."""
    lines = []
    for event in state.transcript:
        text = state.event_text(event, player)
        if text:
            lines.append(text)
    return lines


def text_decision(seat: str, system: str, parts: list[str], actions: dict[int, str]) -> TextObservation:
    """A decision as text: ``parts`` (what the seat knows, what happened) followed by the legal
    ``actions`` listed as ``number: name`` and how to answer. :func:`observe_text` builds every
    seat's decisions with it; a family builds other decisions with it (a judge's verdict)."""
    if not actions:
        raise ValueError(f"actions: {seat!r} has no legal action to choose")
    listing = "\n".join(f"{a}: {name}" for a, name in actions.items())
    body = [p for p in parts if p] + [f"Your legal actions (number: name):\n{listing}",
                                      f"Choose one. End your reply with '{MARKER} <name or number>'."]
    return TextObservation(seat=seat, system=system, prompt="\n\n".join(body), actions=dict(actions))


def observe_text(state: State, player: int) -> TextObservation:
    """``player``'s decision in ``state`` as text (the player must have a legal action)."""
    game = state.game
    seat = game.player_names[player]
    actions = action_names(state, player)
    if not actions:
        raise ValueError(f"player: {seat!r} has no legal action in this state of {game.name}")
    system = (f"You are playing {game.name} as the seat {seat!r}.\n\n{game.rules_text(player).strip()}\n\n"
              f"At each decision you are shown what you know and the legal actions; think if you need to, then end "
              f"your reply with one line '{MARKER} <name or number>'.")
    seen = transcript_text(state, player)
    happened = "What has happened so far:\n" + ("\n".join(f"- {line}" for line in seen) if seen else "- nothing yet")
    return text_decision(seat, system, [state.observation_text(player).strip(), happened], actions)
