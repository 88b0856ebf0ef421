"""Learners for weak-to-strong experiments: a ladder of capacities, and a student whose
loss we control.

Every learner has ``fit(X, targets)`` with *soft* targets (an ``n x k`` matrix of class
probabilities, rows summing to one) and ``predict_proba(X)``. Names (``make_learner``):

* ``lr-f{K}``: logistic regression on a seeded random subset of K features (clipped to the
  task's feature count); ``lr``: on all features (scikit-learn);
* ``tree-d{D}``: a decision tree of depth D (scikit-learn);
* ``gb`` or ``gb-{N}``: gradient boosting with N depth-3 trees (default 50; scikit-learn);
* ``mlp-{H}`` or ``mlp-{H1}-{H2}...``: our numpy multi-layer perceptron (:class:`SoftMLP`),
  ``mlp-0`` being softmax regression. This is the student whose loss we control: it is
  trained by full-batch gradient descent (Adam) on soft cross-entropy and supports the
  auxiliary confidence loss of Burns et al. 2023;
* ``probe-p{S}``: a *pretrained* student, the linear probe on an encoder pretrained ``S``
  steps on the task's unlabelled data
  (:class:`~oversight_gym.envs.weak_to_strong.pretrain.ProbeLearner`); its loss is controlled
  too; ``tune-p{S}``: the same encoder with a fresh softmax head, all of it fine-tuned
  (:class:`~oversight_gym.envs.weak_to_strong.pretrain.TunedLearner`). Their
  scratch-trained contrast of the same capacity is ``mlp-64-32``.

scikit-learn estimators learn soft targets exactly through sample weights: each row is
repeated once per class with weight equal to that class's probability, and the weighted
log-loss (or weighted impurity, for trees) of the repeated data is the soft cross-entropy
of the original.

The auxiliary confidence loss (Burns et al. 2023, "Weak-to-strong generalization", arXiv
2312.09390, section 4.3.2): ``L = (1 - a) CE(f, f_w) + a CE(f, hard(f))``, where ``f_w`` are
the weak labels and ``hard(f)`` the student's own predictions hardened so that their class
balance matches the weak labels' (for two classes, a threshold on ``f``; for more, the
greedy assignment of :func:`harden`); ``a`` is warmed up linearly from 0 to ``a_max``
(0.5 in the paper) over the first ``warmup`` fraction of training. Because cross-entropy
is linear in its target, ``L = CE(f, (1 - a) f_w + a hard(f))``, which is how it is trained.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from numba import njit

from oversight_gym.core.errors import check_float, check_int

LEARNER_PATTERNS = ("lr", "lr-f{K}", "tree-d{D}", "gb", "gb-{N}", "mlp-{H}", "mlp-{H1}-{H2}...", "probe-p{S}",
                    "tune-p{S}")


class Learner(Protocol):
    """A classifier trained on soft targets."""

    name: str
    n_classes: int

    def fit(self, X: np.ndarray, targets: np.ndarray) -> Learner: ...

    def predict_proba(self, X: np.ndarray) -> np.ndarray: ...


def derive_seed(seed: int, *parts: str | int) -> int:
    """A seed for one component, stable across processes and Python versions (no ``hash()``)."""
    words = [int(seed)] + [zlib.crc32(str(p).encode()) for p in parts]
    return int(np.random.SeedSequence(words).generate_state(1)[0])


def one_hot(y: np.ndarray, k: int) -> np.ndarray:
    out = np.zeros((len(y), k))
    out[np.arange(len(y)), np.asarray(y, dtype=np.int64)] = 1.0
    return out


def check_targets(targets: np.ndarray, n: int, k: int) -> np.ndarray:
    t = np.asarray(targets, dtype=np.float64)
    if t.shape != (n, k):
        raise ValueError(f"targets must have shape ({n}, {k}) (samples x classes), got {t.shape}")
    if n and (np.any(t < -1e-9) or not np.allclose(t.sum(axis=1), 1.0, atol=1e-6)):
        raise ValueError("targets must be class probabilities: non-negative rows that sum to 1")
    return t


class _Scaler:
    """Standardisation fitted on the training inputs (constant features are left centred)."""

    def fit(self, X: np.ndarray) -> _Scaler:
        self.mean = X.mean(axis=0) if len(X) else np.zeros(X.shape[1])
        std = X.std(axis=0) if len(X) else np.ones(X.shape[1])
        self.scale = np.where(std > 1e-12, std, 1.0)
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        return (X - self.mean) / self.scale


# --- hardening ------------------------------------------------------------------------------
def class_quotas(balance: np.ndarray, n: int) -> np.ndarray:
    """Integer class counts summing to ``n`` in the proportions ``balance`` (largest remainder)."""
    p = np.asarray(balance, dtype=np.float64)
    p = p / p.sum()
    raw = p * n
    q = np.floor(raw).astype(np.int64)
    rest = n - int(q.sum())
    if rest > 0:
        order = np.argsort(-(raw - q), kind="stable")
        q[order[:rest]] += 1
    return q


@njit(cache=True)
def _greedy_assign(order: np.ndarray, n: int, k: int, quotas: np.ndarray) -> np.ndarray:
    out = np.full(n, -1, np.int64)
    left = quotas.copy()
    assigned = 0
    for o in order:
        i = o // k
        c = o % k
        if out[i] < 0 and left[c] > 0:
            out[i] = c
            left[c] -= 1
            assigned += 1
            if assigned == n:
                break
    return out


def harden(probs: np.ndarray, balance: np.ndarray) -> np.ndarray:
    """Hard labels (ints) from predicted probabilities, with class counts matching
    ``balance`` (proportions per class) as closely as integers allow.

    Two classes: the ``q1`` samples with the highest class-1 probability are labelled 1,
    which is thresholding at the adaptive threshold of Burns et al. More classes: greedy
    assignment, taking (sample, class) pairs from the most probable down and labelling a
    sample with the class of its first pair whose class still has room; with two classes
    it gives the same labels as the threshold."""
    probs = np.asarray(probs, dtype=np.float64)
    n, k = probs.shape
    quotas = class_quotas(balance, n)
    if k == 2:
        out = np.zeros(n, np.int64)
        out[np.argsort(-probs[:, 1], kind="stable")[: quotas[1]]] = 1
        return out
    order = np.argsort(-probs.ravel(), kind="stable")  # ties: the smaller (sample, class) index first
    return _greedy_assign(order, n, k, quotas)


def confidence_weight(step: int, steps: int, a_max: float, warmup: float) -> float:
    """The auxiliary loss weight at ``step``: linear from 0 to ``a_max`` over the first
    ``warmup`` fraction of ``steps``, then constant."""
    ramp = warmup * steps
    if ramp <= 0:
        return a_max
    return a_max * min(1.0, (step + 1) / ramp)


# --- the numpy student ----------------------------------------------------------------------
def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


@dataclass
class SoftMLP:
    """A multi-layer perceptron (ReLU hidden layers; none = softmax regression) trained by
    full-batch Adam on soft cross-entropy, with optional auxiliary confidence loss.

    ``hidden``: widths of the hidden layers; ``steps``, ``lr``, ``weight_decay`` (L2 on the
    weights, not the biases): the optimiser; ``seed``: the initial weights (He normal).
    The same seed and data give the same model, bit for bit."""

    n_classes: int
    hidden: tuple[int, ...] = (32,)
    steps: int = 100
    lr: float = 0.01
    weight_decay: float = 1e-4
    seed: int = 0
    name: str = ""
    params: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list, repr=False)
    history: dict[str, list[float]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        check_int("n_classes", self.n_classes, 2)
        for h in self.hidden:
            check_int("hidden width", h, 1)
        check_int("steps", self.steps, 0)
        check_float("lr", self.lr, 0.0)
        check_float("weight_decay", self.weight_decay, 0.0)
        if not self.name:
            self.name = "mlp-" + ("-".join(str(h) for h in self.hidden) or "0")

    def init(self, n_features: int) -> None:
        rng = np.random.default_rng(self.seed)
        sizes = [n_features, *self.hidden, self.n_classes]
        self.params = []
        for a, b in zip(sizes[:-1], sizes[1:], strict=True):
            self.params.append((rng.standard_normal((a, b)) * np.sqrt(2.0 / a), np.zeros(b)))

    def _logits(self, Z: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        acts = [Z]
        h = Z
        for W, b in self.params[:-1]:
            h = np.maximum(h @ W + b, 0.0)
            acts.append(h)
        W, b = self.params[-1]
        return h @ W + b, acts

    def loss_and_grads(self, Z: np.ndarray, targets: np.ndarray) -> tuple[float, list[tuple[np.ndarray, np.ndarray]]]:
        """Mean soft cross-entropy of standardised inputs ``Z`` against ``targets`` plus the
        L2 penalty, and its gradient with respect to every parameter."""
        logits, acts = self._logits(Z)
        return self._backward(acts, _softmax(logits), targets)

    def _backward(self, acts: list[np.ndarray], p: np.ndarray,
                  targets: np.ndarray) -> tuple[float, list[tuple[np.ndarray, np.ndarray]]]:
        n = len(p)
        loss = float(-(targets * np.log(np.clip(p, 1e-300, None))).sum() / n)
        loss += 0.5 * self.weight_decay * sum(float((W * W).sum()) for W, _ in self.params)
        delta = (p - targets) / n
        grads: list[tuple[np.ndarray, np.ndarray]] = [None] * len(self.params)  # type: ignore[list-item]
        for layer in range(len(self.params) - 1, -1, -1):
            W, _ = self.params[layer]
            a = acts[layer]
            grads[layer] = (a.T @ delta + self.weight_decay * W, delta.sum(axis=0))
            if layer:
                delta = (delta @ W.T) * (a > 0)
        return loss, grads

    def fit(self, X: np.ndarray, targets: np.ndarray, aux_weight: float = 0.0, warmup: float = 0.2,
            balance: np.ndarray | None = None) -> SoftMLP:
        """Train on soft ``targets``. ``aux_weight`` > 0 adds the auxiliary confidence loss
        (its final weight ``a_max``, reached after ``warmup`` of the steps); ``balance`` is
        the class balance hardening keeps (default: that of the targets' argmax)."""
        X = np.asarray(X, dtype=np.float64)
        targets = check_targets(targets, len(X), self.n_classes)
        check_float("aux_weight", aux_weight, 0.0, 1.0)
        check_float("warmup", warmup, 0.0, 1.0)
        self.scaler = _Scaler().fit(X)
        self.init(X.shape[1])
        self.history = {"loss": []}
        if len(X) == 0:
            return self  # nothing to learn from: the initial weights stay
        Z = self.scaler.transform(X)
        if balance is None:
            balance = np.bincount(targets.argmax(axis=1), minlength=self.n_classes).astype(np.float64)
        m = [(np.zeros_like(W), np.zeros_like(b)) for W, b in self.params]
        v = [(np.zeros_like(W), np.zeros_like(b)) for W, b in self.params]
        b1, b2, eps = 0.9, 0.999, 1e-8
        for t in range(self.steps):
            logits, acts = self._logits(Z)
            p = _softmax(logits)
            goal = targets
            if aux_weight > 0:  # hardened at the current predictions, the same forward pass
                a = confidence_weight(t, self.steps, aux_weight, warmup)
                hard = one_hot(harden(p, balance), self.n_classes)
                goal = (1.0 - a) * targets + a * hard
            loss, grads = self._backward(acts, p, goal)
            self.history["loss"].append(loss)
            c1, c2 = 1 - b1 ** (t + 1), 1 - b2 ** (t + 1)
            for i, ((W, b), (gW, gb)) in enumerate(zip(self.params, grads, strict=True)):
                mW, mb = m[i]
                vW, vb = v[i]
                mW *= b1
                mW += (1 - b1) * gW
                mb *= b1
                mb += (1 - b1) * gb
                vW *= b2
                vW += (1 - b2) * gW * gW
                vb *= b2
                vb += (1 - b2) * gb * gb
                W -= self.lr * (mW / c1) / (np.sqrt(vW / c2) + eps)
                b -= self.lr * (mb / c1) / (np.sqrt(vb / c2) + eps)
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        if not self.params:
            raise ValueError(f"{self.name}: call fit() before predict_proba()")
        return _softmax(self._logits(self.scaler.transform(np.asarray(X, dtype=np.float64)))[0])


# --- scikit-learn learners ------------------------------------------------------------------
class SklearnLearner:
    """A scikit-learn classifier on an optional feature subset, trained on soft targets
    through sample weights (see the module docstring)."""

    def __init__(self, name: str, estimator: Any, n_classes: int, features: np.ndarray | None = None) -> None:
        self.name = name
        self.estimator = estimator
        self.n_classes = n_classes
        self.features = features

    def _inputs(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        return X if self.features is None else X[:, self.features]

    def fit(self, X: np.ndarray, targets: np.ndarray, **unused: Any) -> SklearnLearner:
        if unused.get("aux_weight", 0.0):
            raise ValueError(f"{self.name}: the auxiliary confidence loss needs a student whose loss we "
                             f"control (an mlp-... or probe-... learner), not a scikit-learn estimator")
        Xf = self._inputs(X)
        targets = check_targets(targets, len(Xf), self.n_classes)
        self.scaler = _Scaler().fit(Xf)
        Z = self.scaler.transform(Xf)
        rows, cls = np.nonzero(targets > 0)
        weights = targets[rows, cls]
        present = np.unique(cls)
        self.constant: np.ndarray | None = None
        if len(present) < 2:  # a single class: nothing to discriminate
            self.constant = one_hot(present, self.n_classes)[0] if len(present) else np.full(
                self.n_classes, 1.0 / self.n_classes)
            return self
        self.estimator.fit(Z[rows], cls, sample_weight=weights * (len(Xf) / weights.sum()))
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        Z = self.scaler.transform(self._inputs(X))
        if self.constant is not None:
            return np.tile(self.constant, (len(Z), 1))
        out = np.zeros((len(Z), self.n_classes))
        out[:, self.estimator.classes_] = self.estimator.predict_proba(Z)
        return out


_NAME = re.compile(r"^(lr(-f(\d+))?|tree-d(\d+)|gb(-(\d+))?|mlp-(\d+(-\d+)*)|(probe|tune)-p(\d+))$")


def check_learner_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"learner must be one of the patterns {list(LEARNER_PATTERNS)} "
                         f"(e.g. lr-f2, tree-d2, gb, mlp-32, probe-p300), got {name!r}")
    if name.startswith("mlp-") and name != "mlp-0" and 0 in mlp_widths(name):
        raise ValueError(f"learner {name!r}: hidden widths must be positive (mlp-0 alone is softmax regression)")
    return name


def mlp_widths(name: str) -> tuple[int, ...]:
    """The hidden widths of an ``mlp-...`` learner name (``mlp-0``: none, softmax regression)."""
    widths = tuple(int(w) for w in name[4:].split("-"))
    return () if widths == (0,) else widths


def controls_loss(name: str) -> bool:
    """Whether the learner is our numpy student (soft targets, confidence loss)."""
    return check_learner_name(name).startswith(("mlp-", "probe-", "tune-"))


def is_pretrained(name: str) -> bool:
    """Whether the learner starts from a pretrained encoder (a probe, or fine-tuned)."""
    return check_learner_name(name).startswith(("probe-", "tune-"))


def make_learner(name: str, n_features: int, n_classes: int, seed: int, steps: int | None = None,
                 task: str | None = None) -> Learner:
    """A fresh learner from its ladder name (see the module docstring); ``seed`` fixes its
    feature subset and initial weights; ``steps`` overrides an MLP's (or a probe's) training
    steps; ``task`` (a task name) is the data a ``probe-...`` learner's encoder is pretrained on."""
    check_learner_name(name)
    n_features = check_int("n_features", n_features, 1)
    n_classes = check_int("n_classes", n_classes, 2)
    seed = derive_seed(seed, name)
    if name.startswith(("probe-", "tune-")):
        if task is None:
            raise ValueError(f"learner {name!r}: a pretrained student needs the task its encoder is pretrained on")
        from oversight_gym.envs.weak_to_strong.pretrain import (
            ENCODER_WIDTH,
            ProbeLearner,
            TunedLearner,
            pretrained_encoder,
        )

        encoder = pretrained_encoder(task, int(name.split("-p")[1]))
        steps = 100 if steps is None else steps
        if name.startswith("tune-"):
            return TunedLearner(n_classes, ENCODER_WIDTH, steps=steps, seed=seed, name=name, encoder=encoder)
        return ProbeLearner(name, encoder, n_classes, steps, seed)
    if name.startswith("mlp-"):
        return SoftMLP(n_classes, mlp_widths(name), steps=100 if steps is None else steps, seed=seed, name=name)
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.tree import DecisionTreeClassifier

    if name.startswith("lr"):
        features = None
        if name != "lr":
            k = min(int(name[4:]), n_features)
            if k < 1:
                raise ValueError(f"learner {name!r}: needs at least one feature")
            rng = np.random.default_rng(seed)
            features = np.sort(rng.choice(n_features, size=k, replace=False))
        return SklearnLearner(name, LogisticRegression(C=1.0, max_iter=2000), n_classes, features)
    if name.startswith("tree-d"):
        depth = int(name[6:])
        if depth < 1:
            raise ValueError(f"learner {name!r}: the depth must be at least 1")
        return SklearnLearner(name, DecisionTreeClassifier(max_depth=depth, random_state=seed % 2**31), n_classes)
    n_est = int(name[3:]) if name != "gb" else 50
    if n_est < 1:
        raise ValueError(f"learner {name!r}: needs at least one tree")
    return SklearnLearner(name, GradientBoostingClassifier(n_estimators=n_est, max_depth=3,
                                                           random_state=seed % 2**31), n_classes)
