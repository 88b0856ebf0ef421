"""The weak-to-strong experiment of Burns et al. 2023 ("Weak-to-strong generalization",
arXiv 2312.09390, section 3) on tabular tasks.

For one task, seed, weak supervisor and strong student:

1. the weak supervisor is trained on ground truth on the ``weak`` half of the training data;
2. it labels the ``transfer`` half with its predicted probabilities (soft labels);
3. the strong student trains on those labels (``method``):

   * ``naive``: soft cross-entropy against the weak labels;
   * ``confidence``: the auxiliary confidence loss (section 4.3.2), weight warmed up to
     ``a_max`` (0.5), student's predictions hardened at the weak labels' class balance;
   * ``bootstrap``: through intermediate capacities (section 4.3.1): each intermediate
     model trains on the current labels and relabels the transfer half for the next, and
     the strong student learns from the last intermediate's labels (naive loss).
     Our choice where the paper is silent for this setting: labels are *cross-fitted*
     (two folds, each half relabelled by a model trained on the other) so that an
     intermediate cannot pass its training labels on by memorising them;

4. the strong ceiling is the same student (same initial weights) trained on the transfer
   half's ground truth; weak, student and ceiling are scored on the held-out ``test`` split.

``run_cell`` returns flat records, ``run_grid`` runs many cells in parallel and keeps their
records in a file (an interrupted grid resumes); performance gap recovered is computed
from them by :mod:`oversight_gym.envs.weak_to_strong.metrics`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from oversight_gym.core.errors import check_choice, check_float, check_int
from oversight_gym.envs.weak_to_strong.data import Split, load_task, make_split
from oversight_gym.envs.weak_to_strong.models import (
    check_learner_name,
    controls_loss,
    derive_seed,
    make_learner,
    one_hot,
)
from oversight_gym.runner.episodes import run_parallel
from oversight_gym.runner.records import RecordFile

METHODS = ("naive", "confidence", "bootstrap")


@dataclass(frozen=True)
class Settings:
    """Knobs shared by every cell: MLP training steps, the confidence loss's final weight
    and warm-up fraction, the split fractions, and whether the student sees the supervisor's
    predicted probabilities (``weak_labels="soft"``, the paper's cross-entropy against
    f_w(x)) or its predicted classes (``"hard"``)."""

    steps: int = 100
    a_max: float = 0.5
    warmup: float = 0.2
    test_fraction: float = 0.3
    weak_labels: str = "soft"

    def __post_init__(self) -> None:
        check_int("steps", self.steps, 1)
        check_float("a_max", self.a_max, 0.0, 1.0)
        check_float("warmup", self.warmup, 0.0, 1.0)
        check_float("test_fraction", self.test_fraction, 0.05, 0.9)
        check_choice("weak_labels", self.weak_labels, ("soft", "hard"))


def accuracy(probs: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(probs.argmax(axis=1) == y))


def train(name: str, split: Split, X: np.ndarray, targets: np.ndarray, seed: int, settings: Settings,
          aux_weight: float = 0.0):
    """A learner named ``name`` trained on ``(X, targets)``. Its seed depends only on
    ``seed`` and ``name``: the ceiling and every student of that name start alike."""
    learner = make_learner(name, split.task.n_features, split.n_classes, seed, steps=settings.steps,
                           task=split.task.name)
    if aux_weight:
        learner.fit(X, targets, aux_weight=aux_weight, warmup=settings.warmup)
    else:
        learner.fit(X, targets)
    return learner


def weak_supervisor(split: Split, weak: str, seed: int, settings: Settings):
    """The weak supervisor trained on ground truth on the ``weak`` half."""
    Xw, yw = split.part("weak")
    return train(weak, split, Xw, one_hot(yw, split.n_classes), derive_seed(seed, "weak"), settings)


def cross_fit_labels(name: str, split: Split, X: np.ndarray, targets: np.ndarray, seed: int,
                     settings: Settings) -> np.ndarray:
    """Relabel ``X``: each of two folds by ``name`` trained on the other fold's ``targets``."""
    rng = np.random.default_rng(derive_seed(seed, "folds", name))
    order = rng.permutation(len(X))
    folds = (np.sort(order[: len(X) // 2]), np.sort(order[len(X) // 2:]))
    out = np.empty_like(targets)
    for i in range(2):
        fit_idx, label_idx = folds[1 - i], folds[i]
        model = train(name, split, X[fit_idx], targets[fit_idx], derive_seed(seed, "fold", i), settings)
        out[label_idx] = model.predict_proba(X[label_idx])
    return out


def student_labels(split: Split, weak_probs: np.ndarray, method: str, chain: tuple[str, ...], seed: int,
                   settings: Settings) -> np.ndarray:
    """The labels the strong student trains on: the weak labels, or for ``bootstrap`` the
    labels after passing through each intermediate learner of ``chain`` in turn."""
    labels = weak_probs
    if method == "bootstrap":
        Xt, _ = split.part("transfer")
        for name in chain:
            labels = cross_fit_labels(name, split, Xt, labels, derive_seed(seed, "bootstrap", name), settings)
    return labels


def run_cell(task: str, seed: int, weak: str, strongs: tuple[str, ...] | list[str],
             methods: tuple[str, ...] | list[str] = METHODS, chains: dict[str, tuple[str, ...]] | None = None,
             settings: Settings | None = None, labels: str = "weak") -> list[dict[str, Any]]:
    """Every record of one (task, seed, weak supervisor): for each strong student, one
    record per method (the confidence loss only for students whose loss we control).

    ``chains`` maps a strong student to its bootstrapping intermediates (the scenario passes
    the smaller rungs of its ladder); a student without intermediates gets no ``bootstrap``
    record, since bootstrapping through nothing is the naive method.
    Each record holds ``weak_acc``, ``student_acc``, ``ceiling_acc`` on the test split and
    ``agreement`` (how often the student predicts what the supervisor predicts on test).

    ``labels="truth"`` is the control of the paper's ceiling: the supervisor's labels are
    replaced by the ground truth, and the naive student then *is* the ceiling (PGR 1)."""
    settings = settings or Settings()
    check_learner_name(weak)
    check_choice("labels", labels, ("weak", "truth"))
    for m in methods:
        check_choice("method", m, METHODS)
    for s in strongs:
        check_learner_name(s)
    split = make_split(load_task(task), seed, settings.test_fraction)
    Xt, yt = split.part("transfer")
    Xs, ys = split.part("test")
    sup = weak_supervisor(split, weak, seed, settings)
    weak_probs = sup.predict_proba(Xt) if labels == "weak" else one_hot(yt, split.n_classes)
    if settings.weak_labels == "hard":
        weak_probs = one_hot(weak_probs.argmax(axis=1), split.n_classes)
    weak_test = sup.predict_proba(Xs)
    weak_acc = accuracy(weak_test, ys)
    records = []
    for strong in strongs:
        student_seed = derive_seed(seed, "student")
        ceiling = train(strong, split, Xt, one_hot(yt, split.n_classes), student_seed, settings)
        ceiling_acc = accuracy(ceiling.predict_proba(Xs), ys)
        for method in methods:
            if method == "confidence" and not controls_loss(strong):
                continue
            chain = tuple((chains or {}).get(strong, ())) if method == "bootstrap" else ()
            if method == "bootstrap" and not chain:
                continue  # no intermediate capacity: bootstrapping would be the naive method
            targets = student_labels(split, weak_probs, method, chain, seed, settings)
            aux = settings.a_max if method == "confidence" else 0.0
            student = train(strong, split, Xt, targets, student_seed, settings, aux_weight=aux)
            probs = student.predict_proba(Xs)
            records.append({
                "task": task, "seed": int(seed), "weak": weak, "strong": strong, "method": method,
                "chain": list(chain), "weak_acc": weak_acc, "student_acc": accuracy(probs, ys),
                "ceiling_acc": ceiling_acc,
                "agreement": float(np.mean(probs.argmax(axis=1) == weak_test.argmax(axis=1))),
                "weak_label_acc": accuracy(weak_probs, yt), "labels": labels, "n_transfer": int(len(yt)),
                "n_test": int(len(ys)),
            })
    return records


def bootstrap_chains(strongs: list[str] | tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """Each student's bootstrapping intermediates: the smaller students of the ladder
    (``strongs``, smallest first) of its own kind: pretrained probes, fine-tuned pretrained
    students, or scratch-trained ones."""
    kind = [s.split("-")[0] if s.startswith(("probe-", "tune-")) else "scratch" for s in strongs]
    return {s: tuple(t for t, kt in zip(strongs[:j], kind[:j], strict=True) if kt == kind[j])
            for j, s in enumerate(strongs)}


def _cell(args: tuple[str, int, str, list[str], list[str], dict[str, tuple[str, ...]], Settings]) -> list[dict]:
    task, seed, weak, strongs, methods, chains, settings = args
    return run_cell(task, seed, weak, strongs, methods, chains, settings)


def run_grid(path: str | Path, tasks: list[str], weaks: list[str], strongs: list[str], methods: list[str],
             seeds: list[int], settings: Settings, workers: int = 1, progress: bool = False) -> list[dict[str, Any]]:
    """Every cell (task, seed, weak supervisor) of a grid, each strong student bootstrapping
    through the smaller students of ``strongs`` of its kind (:func:`bootstrap_chains`). Records are
    appended to the file ``path`` cell by cell; cells already complete there are kept, so an
    interrupted grid resumes, and a cell torn by an interruption is recomputed. Cells run on
    ``workers`` processes. Returns the complete cells' records, ordered by task, weak,
    strong and method as given (methods in :data:`METHODS` order), then seed."""
    from threadpoolctl import threadpool_limits

    chains = bootstrap_chains(strongs)
    config = {"tasks": list(tasks), "weak": list(weaks), "strong": list(strongs), "methods": list(methods),
              "seeds": list(seeds), "settings": settings.__dict__}
    store = RecordFile(path, config, ("task", "seed", "weak", "strong", "method"))
    done_cells = {(r["task"], r["seed"], r["weak"]) for r in store.records if r.get("cell_complete")}
    todo = [(t, s, w) for t in tasks for s in seeds for w in weaks if (t, s, w) not in done_cells]
    jobs = [(t, s, w, list(strongs), list(methods), chains, settings) for t, s, w in todo]
    cells = len(tasks) * len(seeds) * len(weaks)

    def save(recs: list[dict]) -> None:
        for i, r in enumerate(recs):
            store.append({**r, "cell_complete": i == len(recs) - 1})

    # one BLAS thread: the matrices are small, and threads only contend (several times slower
    # on a loaded machine); worker processes get the same limit from run_parallel
    with threadpool_limits(limits=1, user_api="blas"):
        run_parallel(_cell, jobs, workers=workers, on_result=save, progress=progress, desc="weak-to-strong cells",
                     total=cells, done=cells - len(jobs))
    # a cell's records are kept only once the cell finished (a torn cell is recomputed)
    complete = {(r["task"], r["seed"], r["weak"]) for r in store.records if r.get("cell_complete")}
    records = [r for r in store.records if (r["task"], r["seed"], r["weak"]) in complete]
    records.sort(key=lambda r: (tasks.index(r["task"]), weaks.index(r["weak"]), strongs.index(r["strong"]),
                                METHODS.index(r["method"]), r["seed"]))
    return records
