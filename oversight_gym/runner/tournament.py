"""Tournaments: every seat assignment of a population of agents on a game, repeated, into
a payoff table with intervals, in the manner of the Axelrod library's tournaments and
result sets (Knight et al. 2016).

An *entrant* is a labelled agent (a registered agent name and its keyword arguments). For
a game with seats ``s_1..s_k`` every assignment of entrants to seats (with repetition, so
self-play is included) is played ``repetitions`` times. Repetition ``r`` uses the same
episode seed in every assignment (common random numbers: in a debate every pair of
debaters argues over the same images), so differences between entrants are not blurred
by different draws.

The :class:`TournamentResult` gives, for a two-seat game, the bimatrix *meta-game* (mean
payoff of the entrant in each seat, with standard errors) whose equilibria
:mod:`oversight_gym.analysis.equilibria` computes, and a per-entrant summary table.
Records are appended to a results file as matches finish, so a killed tournament resumes.

>>> from oversight_gym.runner.tournament import Entrant, run_tournament
>>> res = run_tournament("debate/pixels-v0", [Entrant("random"), Entrant("greedy")], repetitions=4,
...                      game_kwargs={"judge_steps": 300}, progress=False)
>>> res.meta_game()[0].shape
(2, 2)
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from oversight_gym.core.errors import check_int


@dataclass(frozen=True)
class Entrant:
    """A labelled agent: ``agent`` is a registered agent name, ``kwargs`` its arguments."""

    agent: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    label: str = ""

    def __post_init__(self) -> None:
        if not self.label:
            extra = ",".join(f"{k}={v}" for k, v in sorted(self.kwargs.items()))
            object.__setattr__(self, "label", self.agent + (f"({extra})" if extra else ""))

    def make(self) -> Any:
        from oversight_gym.agents.base import make_agent

        return make_agent(self.agent, **self.kwargs)

    def config(self) -> dict[str, Any]:
        return {"agent": self.agent, "kwargs": self.kwargs, "label": self.label}


def population(env_id: str | None = None, *, exclude: Sequence[str] = (), **criteria: Any) -> list[Entrant]:
    """Entrants for every registered agent that plays ``env_id`` and whose classifier
    matches ``criteria`` (e.g. ``population("debate/pixels-v0", learns=False)``), each with
    its default arguments (agents that cannot be built without arguments are left out)."""
    import inspect

    from oversight_gym.agents.base import filter_agents

    def buildable(cls: type) -> bool:
        params = list(inspect.signature(cls.__init__).parameters.values())[1:]
        return all(p.default is not inspect.Parameter.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
                   for p in params)

    return [Entrant(c.name) for c in filter_agents(env_id, **criteria) if c.name not in exclude and buildable(c)]


def _match(task: dict[str, Any]) -> dict[str, Any]:
    """Play one match (module-level, so worker processes can run it)."""
    from oversight_gym.core.errors import Forfeit
    from oversight_gym.core.registry import make_game
    from oversight_gym.runner.episodes import play_episode

    game = make_game(task["env_id"], **task["game_kwargs"])
    agents = [Entrant(**e).make() for e in task["entrants"]]
    forfeit = None
    try:
        state = play_episode(game, agents, task["seed"])
    except Forfeit as e:  # the game as it stood; the seat that gave up is named in the record
        state, forfeit = e.state, e.seat
    returns = [float(r) for r in state.returns()]
    outcome = state.outcome() if hasattr(state, "outcome") else {}
    flat = {k: v for k, v in outcome.items() if isinstance(v, bool | int | float | str)}
    record = {"match": _match_key(task["assignment"], task["repetition"]), "assignment": task["assignment"],
              "repetition": task["repetition"], "seed": task["seed"],
              "seats": [e["label"] for e in task["entrants"]], "returns": returns, "outcome": flat}
    if forfeit is not None:
        record["forfeit"] = forfeit
    if task.get("transcripts"):
        # what each agent reports of its own costs (a language-model seat's tokens), and the game
        record["usage"] = [a.usage.as_dict() if hasattr(getattr(a, "usage", None), "as_dict") else None
                           for a in agents]
        record["transcript"] = [e.to_dict() for e in state.transcript]
    return record


def _match_key(assignment: Sequence[int], repetition: int) -> str:
    return "-".join(map(str, assignment)) + f"/{repetition}"


def run_tournament(env_id: str, entrants: Sequence[Entrant], repetitions: int = 10, *, seed: int = 0,
                   game_kwargs: dict[str, Any] | None = None, workers: int = 1, results: str | Path | None = None,
                   progress: bool = True, overwrite: bool = False, transcripts: bool = False) -> TournamentResult:
    """Play every seat assignment of ``entrants`` on ``env_id``, ``repetitions`` times each.

    With ``transcripts``, each match's record also holds the game's transcript and what each
    agent reports of its usage (``agent.usage``: a language-model seat's tokens and cost). A
    seat that forfeits (:class:`~oversight_gym.core.errors.Forfeit`) ends its match: the
    record names it under ``forfeit``, with the returns of the game as it stood.

    With ``results``, matches are appended to that file as they finish and a tournament run
    again resumes; a file of another tournament is refused unless ``overwrite`` (see
    :class:`~oversight_gym.runner.records.RecordFile`)."""
    from oversight_gym.core.registry import make_game
    from oversight_gym.runner.episodes import run_parallel, worker_count
    from oversight_gym.runner.records import RecordFile

    entrants = list(entrants)
    if len(entrants) < 1:
        raise ValueError("entrants: give at least one entrant")
    labels = [e.label for e in entrants]
    if len(set(labels)) != len(labels):
        raise ValueError(f"entrants: labels must be distinct, got {labels}")
    repetitions = check_int("repetitions", repetitions, 1)
    workers = worker_count(workers, "workers")
    game_kwargs = dict(game_kwargs or {})
    game = make_game(env_id, **game_kwargs)  # validates the configuration early
    seats = game.player_names
    for e in entrants:
        e.make()  # validates agent names and arguments early
    rep_seeds = [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(repetitions)]
    assignments = list(itertools.product(range(len(entrants)), repeat=len(seats)))
    tasks = [{"env_id": env_id, "game_kwargs": game_kwargs, "assignment": list(a), "repetition": r,
              "seed": rep_seeds[r], "entrants": [entrants[i].config() for i in a], "transcripts": transcripts}
             for a in assignments for r in range(repetitions)]
    store = None
    planned = len(tasks)
    if results is not None:
        config = {"env_id": env_id, "game_kwargs": game_kwargs, "entrants": [e.config() for e in entrants],
                  "seed": seed, "repetitions": repetitions, **({"transcripts": True} if transcripts else {})}
        store = RecordFile(results, json.loads(json.dumps(config, default=str)), ("match",), overwrite=overwrite)
        done = {k[0] for k in store.done()}
        tasks = [t for t in tasks if _match_key(t["assignment"], t["repetition"]) not in done]
    try:
        new = run_parallel(_match, tasks, workers=workers, on_result=store.append if store else None,
                           progress=progress, desc="matches", done=planned - len(tasks))
        records = list(store.records) if store is not None else new
    finally:
        if store is not None:
            store.close()
    return TournamentResult(env_id, list(seats), entrants, repetitions, records)


@dataclass
class TournamentResult:
    """The matches of a tournament and the tables derived from them."""

    env_id: str
    seats: list[str]
    entrants: list[Entrant]
    repetitions: int
    records: list[dict[str, Any]]

    @property
    def labels(self) -> list[str]:
        return [e.label for e in self.entrants]

    def payoffs(self) -> tuple[np.ndarray, np.ndarray]:
        """Mean return and its standard error per (assignment..., seat): arrays of shape
        ``(n,) * seats + (seats,)``."""
        n, k = len(self.entrants), len(self.seats)
        sums: dict[tuple, list[list[float]]] = {}
        for r in self.records:
            sums.setdefault(tuple(r["assignment"]), []).append(r["returns"])
        mean = np.full((n,) * k + (k,), np.nan)
        se = np.full((n,) * k + (k,), np.nan)
        for a, rets in sums.items():
            x = np.asarray(rets, dtype=float)
            mean[a] = x.mean(axis=0)
            se[a] = x.std(axis=0, ddof=1) / np.sqrt(len(x)) if len(x) > 1 else np.nan
        return mean, se

    def meta_game(self) -> tuple[np.ndarray, np.ndarray]:
        """For a two-seat game: (A, B), the mean payoffs of the first and the second seat
        when entrant i takes the first seat and entrant j the second."""
        if len(self.seats) != 2:
            raise ValueError(f"meta_game needs a two-seat game; {self.env_id} has seats {self.seats}")
        mean, _ = self.payoffs()
        return mean[..., 0], mean[..., 1]

    def role_averaged(self) -> np.ndarray:
        """For a two-seat game: M[i, j], entrant i's mean payoff against j averaged over
        both seat orders (the symmetric meta-game of role-swapped play)."""
        A, B = self.meta_game()
        return (A + B.T) / 2.0

    def seat_scores(self) -> list[dict[str, Any]]:
        """Per entrant and seat: mean payoff over every opponent (equal weight), its
        standard error over matches, and the share of matches it scored above the mean."""
        rows = []
        for si, seat in enumerate(self.seats):
            for ei, label in enumerate(self.labels):
                rets = [r["returns"][si] for r in self.records if r["assignment"][si] == ei]
                x = np.asarray(rets, dtype=float)
                rows.append({"entrant": label, "seat": seat, "matches": len(x), "mean payoff": float(x.mean()),
                             "se": float(x.std(ddof=1) / np.sqrt(len(x))) if len(x) > 1 else float("nan"),
                             "wins": float(np.mean([r["returns"][si] > np.mean(r["returns"])
                                                    for r in self.records if r["assignment"][si] == ei]))})
        return rows

    def plot(self, path: str | Path, title: str | None = None) -> Path:
        """Heatmaps of the meta-game, one per seat, with the mean payoffs written in."""
        from oversight_gym.analysis.plots import pyplot, save_figure, text_colour_on

        plt = pyplot()

        A, B = self.meta_game()
        _, se = self.payoffs()
        n = len(self.labels)
        fig, axes = plt.subplots(1, 2, figsize=(4.5 + 1.6 * n, 1.6 + 0.75 * n))
        for ax, M, s, seat in zip(axes, (A, B), (se[..., 0], se[..., 1]), self.seats, strict=True):
            im = ax.imshow(M, cmap="RdYlGn", vmin=-np.nanmax(np.abs(M)), vmax=np.nanmax(np.abs(M)))
            for (i, j), v in np.ndenumerate(M):  # a pairing not played (NaN) is left blank, as is an unknown CI
                if np.isfinite(v):
                    ci = f"\n±{1.96 * s[i, j]:.2f}" if np.isfinite(s[i, j]) else ""
                    ax.text(j, i, f"{v:+.2f}{ci}", ha="center", va="center", fontsize=7,
                            color=text_colour_on(im.cmap(im.norm(v))))
            ax.set_xticks(range(n), self.labels, rotation=45, ha="right", fontsize=7)
            ax.set_yticks(range(n), self.labels, fontsize=7)
            ax.set_xlabel(f"{self.seats[1]} (column)")
            ax.set_ylabel(f"{self.seats[0]} (row)")
            ax.set_title(f"payoff to {seat}")
            fig.colorbar(im, ax=ax, fraction=0.046)
        fig.suptitle(title or f"{self.env_id}: mean payoff (±95% CI), {self.repetitions} matches per cell")
        return save_figure(fig, path, dpi=110)
