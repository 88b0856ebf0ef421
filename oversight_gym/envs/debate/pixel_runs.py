"""Evaluating debaters on the pixel debate over many images, as Irving et al. (2018) did.

A *matchup* names the honest and the liar agent (registered agent names with keyword
arguments). Each task is one debate: (matchup, image, lie). With precommit and
``lies="one"`` the lie comes from the game's ``liar_label`` mode; with ``lies="all"``
there is one debate per wrong label. Without precommit the paper plays nine games per
image, one per possible lie, the liar knowing its target and the honest debater not;
the liar wins the image if it wins any of them (:func:`debate_image_outcomes`).

Records are flat dicts appended to a results file as they finish; an interrupted run
resumes where it stopped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from oversight_gym.agents.base import BaseAgent, make_agent
from oversight_gym.analysis.metrics import Rate
from oversight_gym.analysis.plots import pyplot, save_figure
from oversight_gym.core.errors import check_choice
from oversight_gym.core.protocols import Classifier
from oversight_gym.core.registry import make_game
from oversight_gym.envs.debate.data import ImageData
from oversight_gym.envs.debate.pixels import LIAR, PixelDebateGame, PixelDebateState
from oversight_gym.runner.episodes import choose_action, play_episode, run_parallel
from oversight_gym.runner.records import RecordFile

ENV_ID = "debate/pixels-v0"


@dataclass(frozen=True)
class Matchup:
    """Who debates: agent names and keyword arguments for each seat."""

    label: str
    honest: str
    liar: str
    honest_kwargs: dict[str, Any] = field(default_factory=dict)
    liar_kwargs: dict[str, Any] = field(default_factory=dict)

    def config(self) -> dict[str, Any]:
        return {"label": self.label, "honest": [self.honest, self.honest_kwargs],
                "liar": [self.liar, self.liar_kwargs]}


class TargetedLiar(BaseAgent):
    """A liar told its lie: without precommit the paper plays one game per possible lie, the
    liar knowing its target. The wrapped agent searches the state as the liar who will claim
    ``target`` (:meth:`PixelDebateState.assume_lie`), and the final claim is the target."""

    name = "agent"  # not registered
    classifier = Classifier()
    requires_state = True

    def __init__(self, agent: BaseAgent, target: int) -> None:
        super().__init__()
        self.agent = agent
        self.target = target

    def reset(self, seed: int | None = None) -> None:
        self.agent.reset(seed)

    def act(self, observation: np.ndarray, action_mask: np.ndarray, state: Any = None) -> int:
        state = self._need_state(state)
        state.assume_lie(self.target)
        move = state.forced_move()
        if move is not None:
            return move
        return choose_action(self.agent, state, LIAR)


def build_agent(name: str, kwargs: dict[str, Any], target: int | None) -> BaseAgent:
    """Make an agent; a liar with a target lie is wrapped in :class:`TargetedLiar`."""
    agent = make_agent(name, **kwargs)
    return TargetedLiar(agent, target) if target is not None else agent


# one game object per worker process, reused across tasks (the judge is loaded once)
_GAMES: dict[str, PixelDebateGame] = {}


def _game(game_kwargs: dict[str, Any]) -> PixelDebateGame:
    key = repr(sorted(game_kwargs.items()))
    if key not in _GAMES:
        _GAMES[key] = make_game(ENV_ID, **game_kwargs)  # type: ignore[assignment]
    return _GAMES[key]


def play_task(task: dict[str, Any]) -> dict[str, Any]:
    """One debate; returns a flat record (module-level so worker processes can run it)."""
    game = _game(task["game"])
    m = task["matchup"]
    target = task["target"]
    honest = build_agent(m["honest"][0], m["honest"][1], None)
    liar = build_agent(m["liar"][0], m["liar"][1], target)
    options: dict[str, Any] = {"image_index": task["image_index"]}
    if task["lie"] is not None:
        options["liar_label"] = task["lie"]
    state = play_episode(game, [honest, liar], task["seed"], **options)
    out = state.outcome()
    return {
        "matchup": m["label"], "image_index": out["image_index"], "lie": task["lie"], "target": target,
        "seed": task["seed"], "true_label": out["true_label"], "liar_label": out["liar_label"],
        "verdict": out["verdict"], "judge_correct": out["judge_correct"], "judge_wrong": out["judge_wrong"],
        "honest_wins": out["honest_wins"], "revealed_all_true": out["revealed_all_true"],
        "pixels": out["pixels"], "actions": list(state.history),
    }


def debate_tasks(game_kwargs: dict[str, Any], matchups: list[Matchup], images: list[int], lies: str,
                 seed: int, labels: np.ndarray) -> list[dict[str, Any]]:
    """Every (matchup, image, lie) task with its own seed derived from ``seed``."""
    check_choice("lies", lies, ("one", "all"))
    precommit = game_kwargs.get("precommit", True)
    tasks = []
    for mi, m in enumerate(matchups):
        for i in images:
            true = int(labels[i])
            wrong = [c for c in range(10) if c != true]
            if not precommit:
                variants = [(None, c) for c in wrong]  # one game per lie, the liar's target
            elif lies == "all":
                variants = [(c, None) for c in wrong]
            else:
                variants = [(None, None)]
            for vi, (lie, target) in enumerate(variants):
                s = int(np.random.SeedSequence([seed, mi, i, vi]).generate_state(1)[0])
                tasks.append({"game": game_kwargs, "matchup": m.config(), "image_index": i, "lie": lie,
                              "target": target, "seed": s})
    return tasks


def run_pixel_debates(game_kwargs: dict[str, Any], matchups: list[Matchup], images: list[int], *,
                      lies: str = "one", seed: int = 0, workers: int = 1, results: str | Path | None = None,
                      progress: bool = True) -> list[dict[str, Any]]:
    """Play every task (skipping those already in ``results``) and return all records, in the
    order of the tasks (matchup, image, lie), whatever order the workers finished them in."""
    game = _game(game_kwargs)
    tasks = debate_tasks(game_kwargs, matchups, images, lies, seed, game.data.labels)

    def key(t: dict[str, Any]) -> tuple:
        return (t["matchup"]["label"], t["image_index"], t["lie"], t["target"])

    order = {key(t): i for i, t in enumerate(tasks)}
    store = None
    if results is not None:
        store = RecordFile(results, {"game": game_kwargs, "matchups": [m.config() for m in matchups],
                                     "lies": lies, "seed": seed, "images": [int(i) for i in images]},
                           key_fields=("matchup", "image_index", "lie", "target"))
        done = store.done()
        tasks = [t for t in tasks if key(t) not in done]
    try:
        new = run_parallel(play_task, tasks, workers=workers, on_result=store.append if store else None,
                           progress=progress, desc="debates", done=len(order) - len(tasks))
        records = new if store is None else list(store.records)
    finally:
        if store is not None:
            store.close()
    return sorted(records, key=lambda r: order[(r["matchup"], r["image_index"], r["lie"], r["target"])])


def replay(game: PixelDebateGame, record: dict[str, Any]) -> PixelDebateState:
    """Rebuild the final state of a recorded debate (for figures)."""
    options: dict[str, Any] = {"image_index": record["image_index"]}
    if record["lie"] is not None:
        options["liar_label"] = record["lie"]
    state = game.new_initial_state(np.random.default_rng(record["seed"]), **options)
    for a in record["actions"]:
        state.apply_action(a)
    return state


def judge_alone(game: PixelDebateGame, images: list[int], seed: int, repeats: int = 20) -> Rate:
    """The judge alone on ``images``: accuracy on ``repeats`` random masks of ``game.pixels``
    pixels per image (lit pixels only when the game forbids black ones), the baseline that
    debate is compared with (Irving et al. 2018, section 3.1)."""
    subset = ImageData("subset", game.data.images[images], game.data.labels[images])
    correct, total = game.judge.evaluate_alone(subset, game.pixels, np.random.default_rng(seed), repeats=repeats,
                                               pixel_pool="nonzero" if game.forbid_black else "all")
    return Rate(correct, total)


def plot_judge_accuracy(alone: Rate, accuracy: dict[str, Rate], path: str | Path, title: str,
                        published: dict[str, float] | None = None) -> Path:
    """Bars of the judge's accuracy alone and after each matchup's debates, with Wilson
    intervals; ``published`` values ({label: rate}: the judge alone, then debate) are drawn as
    lines in the colour of the bars they compare with."""
    plt = pyplot()

    labels = ["judge alone"] + [f"debate\n{m}" for m in accuracy]
    rates = [alone, *accuracy.values()]
    vals = np.array([r.value for r in rates]) * 100
    lo = vals - np.array([r.interval[0] for r in rates]) * 100
    hi = np.array([r.interval[1] for r in rates]) * 100 - vals
    fig, ax = plt.subplots(figsize=(1.6 + 1.5 * len(labels), 4))
    ax.bar(range(len(labels)), vals, yerr=[lo, hi], capsize=5, color=["#888"] + ["#3a7"] * len(accuracy))
    for (label, value), (style, colour) in zip((published or {}).items(), ((":", "#555"), ("--", "#3a7")),
                                               strict=False):
        ax.axhline(100 * value, ls=style, c=colour, label=label)
    if published:
        ax.legend(loc="lower right", fontsize=8)
    ax.set_xticks(range(len(labels)), labels, fontsize=8)
    ax.set_ylabel("judge accuracy (%), 95% Wilson CI")
    ax.set_ylim(0, 100)
    ax.set_title(title)
    return save_figure(fig, path)


def plot_example_debates(game: PixelDebateGame, records: list[dict[str, Any]], path: str | Path, title: str,
                         limit: int = 12) -> Path | None:
    """A grid of recorded debates replayed: each image with the honest (green) and the
    liar's (red) pixels, the claims and the verdict. None when there is no record."""
    records = records[:limit]
    if not records:
        return None
    plt = pyplot()

    cols = min(6, len(records))
    rows = (len(records) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(2 * cols, 2.7 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, r in zip(axes.flat, records, strict=False):
        ax.imshow(replay(game, r).render_rgb())
        ok = "honest wins" if r["honest_wins"] else "liar wins"
        ax.set_title(f"true {r['true_label']} / lie {r['liar_label']}\njudge: {r['verdict']} ({ok})", fontsize=8)
    fig.suptitle(title, fontsize=9)
    return save_figure(fig, path, dpi=110)
