"""The weak-to-strong game: a supervisor seat chooses which weak labels to provide, and a
student seat chooses how much to trust them (after Burns et al. 2023, "Weak-to-strong
generalization", arXiv 2312.09390).

At reset a split of the task is drawn (:func:`~oversight_gym.envs.weak_to_strong.data.make_split`)
and the weak supervisor is trained on ground truth on its first half. The transfer half
is sorted by the supervisor's confidence (its largest predicted probability) and cut into
``bins`` groups of equal size, from least to most confident.

1. The **supervisor** decides, bin by bin (least confident first), to *withhold* (action 0)
   or *provide* (action 1) the weak labels of that bin.
2. The **student** then picks a trust level ``t`` in ``0 .. trust_levels-1``; trust
   ``t / (trust_levels - 1)`` sets the weight of its auxiliary confidence loss to
   ``a_max = 1 - trust``: full trust is plain imitation of the weak labels (the paper's
   naive baseline), lower trust leans on the student's own hardened predictions
   (``a_max = 0.5`` is the paper's confidence loss).
3. The student (``strong``, a learner whose loss we control) is trained on the provided
   labels and scored on the test split. With no label provided it keeps its initial
   weights.

Raw utilities: the student gets its test accuracy; the supervisor gets the same accuracy
(``supervisor_goal="help"``) or its negative (``"mislead"``: a supervisor who wants the
student wrong), minus ``label_cost`` times the fraction of labels it provided. The payoff
scheme defaults to keeping these utilities as they are (``MixedSum(0)``).

``outcome()`` reports the student's, the supervisor's and the ceiling's test accuracies
and the PGR, so agents' choices can be scored by the paper's metric.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from oversight_gym.core.aec import pettingzoo_factories
from oversight_gym.core.game import TERMINAL, Game, State
from oversight_gym.core.params import PAYOFF, Choice, Estimate, Int, Params, Real, Rule, Text, validated
from oversight_gym.core.payoffs import MixedSum, PayoffScheme
from oversight_gym.envs.weak_to_strong.data import (
    SKLEARN_TASKS,
    SYNTHETIC_DEFAULTS,
    TASKS,
    Split,
    load_task,
    make_split,
    parse_options,
    parse_synthetic,
)
from oversight_gym.envs.weak_to_strong.experiment import Settings, accuracy, train, weak_supervisor
from oversight_gym.envs.weak_to_strong.models import (
    LEARNER_PATTERNS,
    check_learner_name,
    controls_loss,
    derive_seed,
    mlp_widths,
    one_hot,
)

SUPERVISOR, STUDENT = 0, 1
WITHHOLD, PROVIDE = 0, 1


def _parse_task(name: str) -> None:
    """A task name's form, checked without building the task (a synthetic one may be large)."""
    if name.startswith(("synthetic", "latent")):
        parse_options(name)
    elif name not in SKLEARN_TASKS:
        raise ValueError(f"task must be one of {list(TASKS)} (synthetic and latent options after a colon), "
                         f"got {name!r}")


def _synthetic(task: str) -> dict[str, Any]:
    return {**SYNTHETIC_DEFAULTS, **parse_synthetic(task)} if task.startswith("synthetic") else {}


def _task_values(c: Any) -> float:
    opts = _synthetic(c["task"])
    return float(opts["n"]) * float(opts["d"]) if opts else 0.0


def _mlp_weights(learner: str, task: str) -> float:
    """Weights of an mlp learner on the task (bundled tasks have at most 64 features)."""
    if not learner.startswith("mlp-"):
        return 0.0
    widths = [float(_synthetic(task).get("d", 64)), *map(float, mlp_widths(learner)), 50.0]
    return sum(a * b for a, b in itertools.pairwise(widths))


class SuperviseGame(Game):
    """Configuration of the supervise game; see the module docstring.

    Parameters
    ----------
    task: a task name of :func:`~oversight_gym.envs.weak_to_strong.data.load_task`.
    weak: the supervisor's learner (any ladder name, e.g. ``"tree-d2"``, ``"lr-f2"``).
    strong: the student's learner; must be an ``mlp-...`` learner (its loss is controlled).
    bins: how many confidence bins the supervisor decides on (1 to 16).
    trust_levels: how many trust levels the student chooses from (2 to 11).
    steps: the student's training steps.
    label_cost: the supervisor's cost for providing all labels (pro rata).
    supervisor_goal: ``"help"`` or ``"mislead"``.
    payoff: a payoff scheme (default ``MixedSum(0)``: each seat keeps its own utility).
    """

    name = "weak_to_strong/supervise-v0"
    player_names = ("supervisor", "student")

    _LEARNER = f"a learner name matching one of {list(LEARNER_PATTERNS)}"
    PARAMS = Params(
        {
            "task": Text(_parse_task, f"a task name, one of {list(TASKS)} (synthetic options after a colon)"),
            "weak": Text(check_learner_name, _LEARNER),
            "strong": Text(check_learner_name, _LEARNER),
            "bins": Int(1, 16),  # at most the transfer half's size, checked when the data is split
            "trust_levels": Int(2, 11),
            "steps": Int(1, 10_000),
            "label_cost": Real(0.0, 10.0),
            "supervisor_goal": Choice("help", "mislead"),
            "payoff": PAYOFF,
        },
        rules=[
            Rule(("strong",), lambda c: controls_loss(c["strong"]),
                 "strong must be an mlp-... or probe-... learner (the student's loss is controlled)"),
            Estimate(("task",), _task_values, 50_000_000, "feature values (synthetic n * d)"),
            *(Estimate((seat, "task"), lambda c, seat=seat: _mlp_weights(c[seat], c["task"]), 50_000_000,
                       "weights of the mlp") for seat in ("weak", "strong")),
            Rule(("weak",), lambda c: not c["weak"].startswith("gb-") or int(c["weak"][3:]) <= 10_000,
                 "weak: a gradient-boosting learner gb-N takes at most 10000 trees"),
        ],
        cost=lambda c: 4000.0 * c["steps"] * (c["bins"] + 1),
    )

    @validated(PARAMS)
    def __init__(self, task: str = "synthetic:n=400,d=8", weak: str = "tree-d2", strong: str = "mlp-16",
                 bins: int = 4, trust_levels: int = 5, steps: int = 60, label_cost: float = 0.0,
                 supervisor_goal: str = "help", payoff: PayoffScheme | None = None) -> None:
        super().__init__(payoff if payoff is not None else MixedSum(0.0))
        try:
            self.task = load_task(task)
        except ValueError as err:  # a synthetic option (n, d, k, ...) out of its range
            raise ValueError(f"task {task!r}: {err}") from None
        self.task_name, self.weak, self.strong = task, weak, strong
        self.bins, self.trust_levels, self.steps = bins, trust_levels, steps
        self.label_cost, self.supervisor_goal = label_cost, supervisor_goal
        self.settings = Settings(steps=self.steps)

    def new_initial_state(self, rng: np.random.Generator, **options: Any) -> SuperviseState:
        split = make_split(self.task, int(rng.integers(2**31)), self.settings.test_fraction)
        if len(split.transfer) < self.bins:
            raise ValueError(f"bins must be at most the transfer half's size ({len(split.transfer)}), got {self.bins}")
        return SuperviseState(self, split, int(rng.integers(2**31)))

    def num_distinct_actions(self) -> int:
        return max(2, self.trust_levels)

    def observation_shape(self, player: int) -> tuple[int, ...]:
        return (3 * self.bins + 4,)

    def observation_bounds(self, player: int) -> tuple[float, float]:
        return (0.0, 1.0)

    def max_game_length(self) -> int:
        return self.bins + 1

    def trust(self, action: int) -> float:
        return action / (self.trust_levels - 1)

    def config(self) -> dict[str, Any]:
        return {"task": self.task_name, "weak": self.weak, "strong": self.strong, "bins": self.bins,
                "trust_levels": self.trust_levels, "steps": self.steps, "label_cost": self.label_cost,
                "supervisor_goal": self.supervisor_goal, "payoff": self.payoff.config()}


class SuperviseState(State):
    game: SuperviseGame

    def __init__(self, game: SuperviseGame, split: Split, seed: int) -> None:
        super().__init__(game)
        self.split = split
        self.seed = seed
        k = split.n_classes
        sup = weak_supervisor(split, game.weak, seed, game.settings)
        Xt, yt = split.part("transfer")
        Xs, ys = split.part("test")
        self.weak_probs = sup.predict_proba(Xt)
        self.weak_test = sup.predict_proba(Xs)
        self.weak_acc = accuracy(self.weak_test, ys)
        conf = self.weak_probs.max(axis=1)
        order = np.argsort(conf, kind="stable")
        self.bin_rows = [np.sort(b) for b in np.array_split(order, game.bins)]
        # mean confidence per bin, mapped from [1/k, 1] to [0, 1]
        self.bin_conf = np.array([(conf[b].mean() - 1.0 / k) / (1.0 - 1.0 / k) for b in self.bin_rows]).clip(0, 1)
        self.decisions: list[int] = []
        self.trust_action: int | None = None
        self.result: dict[str, Any] = {}
        self.log(-1, "setup", task=game.task_name, n_transfer=len(yt), n_test=len(ys), weak_acc=self.weak_acc,
                 weak_label_acc=accuracy(self.weak_probs, yt), bin_confidence=self.bin_conf.round(6).tolist())

    def current_player(self) -> int:
        if len(self.decisions) < self.game.bins:
            return SUPERVISOR
        if self.trust_action is None:
            return STUDENT
        return TERMINAL

    def legal_actions_mask(self, player: int) -> np.ndarray:
        mask = np.zeros(self.game.num_distinct_actions(), dtype=np.int8)
        if player == self.current_player():
            if player == SUPERVISOR:
                mask[[WITHHOLD, PROVIDE]] = 1
            else:
                mask[: self.game.trust_levels] = 1
        return mask

    def illegal_reason(self, player: int, action: int) -> str:
        if player != self.current_player():
            return "it is not this seat's turn"
        return "the supervisor provides (1) or withholds (0) a bin's labels" if player == SUPERVISOR else \
            f"trust levels are 0..{self.game.trust_levels - 1}"

    def provided_rows(self) -> np.ndarray:
        rows = [b for b, d in zip(self.bin_rows, self.decisions, strict=False) if d == PROVIDE]
        return np.sort(np.concatenate(rows)) if rows else np.zeros(0, np.int64)

    def _apply(self, player: int, action: int) -> None:
        if player == SUPERVISOR:
            i = len(self.decisions)
            self.decisions.append(action)
            self.log(player, "provide" if action == PROVIDE else "withhold", bin=i,
                     confidence=float(self.bin_conf[i]), rows=len(self.bin_rows[i]))
            return
        self.trust_action = action
        trust = self.game.trust(action)
        self.log(player, "trust", level=action, trust=trust)
        self._train_student(1.0 - trust)

    def _train_student(self, a_max: float) -> None:
        game, split = self.game, self.split
        k = split.n_classes
        Xt, yt = split.part("transfer")
        Xs, ys = split.part("test")
        rows = self.provided_rows()
        student_seed = derive_seed(self.seed, "student")
        student = train(game.strong, split, Xt[rows], self.weak_probs[rows], student_seed, game.settings,
                        aux_weight=a_max if len(rows) else 0.0)
        probs = student.predict_proba(Xs)
        ceiling = train(game.strong, split, Xt, one_hot(yt, k), student_seed, game.settings)
        student_acc = accuracy(probs, ys)
        ceiling_acc = accuracy(ceiling.predict_proba(Xs), ys)
        gap = ceiling_acc - self.weak_acc
        self.result = {
            "student_acc": student_acc, "weak_acc": self.weak_acc, "ceiling_acc": ceiling_acc,
            "pgr": (student_acc - self.weak_acc) / gap if gap > 0 else None,
            "provided_fraction": len(rows) / len(yt),
            "provided_label_acc": accuracy(self.weak_probs[rows], yt[rows]) if len(rows) else None,
            "trust": self.game.trust(int(self.trust_action or 0)), "a_max": a_max,
            "agreement": float(np.mean(probs.argmax(axis=1) == self.weak_test.argmax(axis=1))),
            "student_beats_supervisor": student_acc > self.weak_acc,
        }
        self.log(-1, "result", **self.result)

    def raw_returns(self) -> np.ndarray:
        if not self.result:
            return np.zeros(2)
        acc = self.result["student_acc"]
        cost = self.game.label_cost * self.result["provided_fraction"]
        sup = acc if self.game.supervisor_goal == "help" else -acc
        return np.array([sup - cost, acc])

    def outcome(self) -> dict[str, Any]:
        return dict(self.result)

    def observation(self, player: int) -> np.ndarray:
        b = self.game.bins
        obs = np.zeros(3 * b + 4, dtype=np.float32)
        obs[:b] = self.bin_conf
        n = len(self.decisions)
        obs[b: b + n] = 1.0  # decided
        obs[2 * b: 2 * b + n] = self.decisions
        total = sum(len(r) for r in self.bin_rows)
        obs[3 * b] = sum(len(r) for r, d in zip(self.bin_rows, self.decisions, strict=False) if d) / total
        obs[3 * b + 1] = float(self.current_player() == STUDENT)
        obs[3 * b + 2] = float(self.is_terminal())
        obs[3 * b + 3] = float(player)
        return obs

    def action_to_string(self, player: int, action: int) -> str:
        if player == SUPERVISOR:
            return "provide" if action == PROVIDE else "withhold"
        return f"trust {self.game.trust(action):.2f}" if action < self.game.trust_levels else f"action {action}"

    def render_text(self) -> str:
        dec = "".join("P" if d else "-" for d in self.decisions).ljust(self.game.bins, ".")
        trust = "-" if self.trust_action is None else f"{self.game.trust(self.trust_action):.2f}"
        text = f"bins (low to high confidence) {dec}; trust {trust}; weak acc {self.weak_acc:.3f}"
        if self.result:
            text += f"; student acc {self.result['student_acc']:.3f}, ceiling {self.result['ceiling_acc']:.3f}"
        return text

    def clone(self) -> SuperviseState:
        new = object.__new__(SuperviseState)
        new.__dict__.update(self.__dict__)
        new.decisions = list(self.decisions)
        new.result = dict(self.result)
        new.transcript = list(self.transcript)
        new.history = list(self.history)
        return new


# PettingZoo's module-level factories: env(), raw_env(), parallel_env()
env, raw_env, parallel_env = pettingzoo_factories(SuperviseGame)


# ------------------------------------------------------------------------------------
# Scripted seats
# ------------------------------------------------------------------------------------
#: scripted supervisor policies: which confidence bins to provide (1) or withhold (0), the
#: bins ordered from the supervisor's least to its most confident labels
SUPERVISOR_POLICIES = {
    "provide all": lambda b: [1] * b,
    "withhold least confident bin": lambda b: [0] + [1] * (b - 1),
    "most confident half only": lambda b: [0] * (b - b // 2) + [1] * (b // 2),
}
#: scripted student trust levels, as actions of a game with 5 trust levels
STUDENT_TRUST = {"trust 1 (naive)": 4, "trust 0.5 (paper's a=0.5)": 2, "trust 0 (a=1)": 0}


def play_scripted(game: SuperviseGame, episodes: int, seed: int, policies: dict[str, Any] | None = None,
                  trusts: dict[str, int] | None = None) -> list[dict[str, Any]]:
    """Every scripted supervisor policy against every student trust level for ``episodes``
    episodes each, on the same episode seeds (splits) for every combination, so that the
    combinations are compared on the same splits. One record per episode: the outcome,
    ``policy``, ``student_choice`` and ``episode``."""
    policies = SUPERVISOR_POLICIES if policies is None else policies
    trusts = STUDENT_TRUST if trusts is None else trusts
    records = []
    for pname, policy in policies.items():
        for tname, trust in trusts.items():
            for ep in range(episodes):
                state = game.new_initial_state(np.random.default_rng([seed, ep]))
                for action in policy(game.bins):
                    state.apply_action(action)
                state.apply_action(trust)
                records.append({**state.outcome(), "policy": pname, "student_choice": tname, "episode": ep})
    return records
