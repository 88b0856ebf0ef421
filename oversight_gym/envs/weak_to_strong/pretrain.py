"""Pretrained students: a linear probe on an encoder learned without the task's labels.

Burns et al. 2023 ("Weak-to-strong generalization", arXiv 2312.09390, sec. 6) trace weak-to-
strong generalisation to pretraining: when the task's concept is already (close to) linearly
represented in the strong model and the weak supervisor's errors are not, imitating the
errors is harder than learning the concept. Their vision experiments (openai/weak-to-strong,
``vision/README.md``) train a *linear probe* on a fixed pretrained representation. This
module builds that student for our tasks:

* an **encoder** (a ReLU network, hidden widths ``width``) is pretrained on the task's
  unlabelled inputs (:attr:`~oversight_gym.envs.weak_to_strong.data.Task.pretraining_inputs`),
  never on its labels: by regression on the task's *auxiliary* targets when it has some
  (latent tasks: other functions of the latent factors than the label), otherwise by
  reconstruction (an autoencoder whose code is the last hidden layer, read out linearly).
  Minibatch Adam on mean squared error of standardised targets, ``steps`` steps: the number
  of pretraining steps is the quality knob (0 steps: the random initial encoder, a student
  with random features);
* the **probe** is softmax regression (:class:`~oversight_gym.envs.weak_to_strong.models.SoftMLP`
  with no hidden layer) on the encoder's last hidden layer, trained on soft (weak) labels,
  with the auxiliary confidence loss when asked. The encoder stays fixed.

* the **fine-tuned** student (:class:`TunedLearner`) starts from the pretrained encoder with
  a fresh linear head and trains all of it on the (weak) labels, as the paper's NLP students
  are fine-tuned.

Learner names: ``probe-p{S}`` is the probe on the encoder pretrained ``S`` steps (widths
:data:`ENCODER_WIDTH`), ``tune-p{S}`` the fine-tuned student; their scratch-trained contrast
of the same capacity is ``mlp-64-32``, the same network trained end to end from a random
initialisation.

Encoders are deterministic functions of (task, steps, widths, seed) and are kept on disk
(:func:`~oversight_gym.core.disk_cache.load_or_build`, under :func:`cache_dir`) and in the
process, so a grid pretrains each once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from oversight_gym.core.disk_cache import cache_dir, load_or_build
from oversight_gym.core.errors import check_float, check_int
from oversight_gym.envs.weak_to_strong.data import Task, load_task
from oversight_gym.envs.weak_to_strong.models import SoftMLP, _Scaler

#: hidden widths of the pretrained encoder (the representation is the last)
ENCODER_WIDTH = (64, 32)
#: pretraining minibatch size and learning rate
BATCH, LR = 128, 3e-3
#: bump when the pretraining changes, so that cached encoders are rebuilt
FORMAT = 1


def objective(task: Task) -> str:
    """``"auxiliary"`` (regress the task's auxiliary targets) or ``"reconstruction"``."""
    return "auxiliary" if task.auxiliary is not None else "reconstruction"


@dataclass
class Encoder:
    """A pretrained ReLU encoder: standardisation, then hidden layers; ``transform`` returns
    the last hidden layer."""

    mean: np.ndarray
    scale: np.ndarray
    weights: list[np.ndarray]
    biases: list[np.ndarray]

    def transform(self, X: np.ndarray) -> np.ndarray:
        h = (np.asarray(X, dtype=np.float64) - self.mean) / self.scale
        for W, b in zip(self.weights, self.biases, strict=True):
            h = np.maximum(h @ W + b, 0.0)
        return h

    def arrays(self) -> dict[str, np.ndarray]:
        out = {"mean": self.mean, "scale": self.scale}
        for i, (W, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            out[f"W{i}"], out[f"b{i}"] = W, b
        return out

    @classmethod
    def from_arrays(cls, a: dict[str, np.ndarray]) -> Encoder:
        layers = sum(1 for k in a if k.startswith("W"))
        return cls(a["mean"], a["scale"], [a[f"W{i}"] for i in range(layers)], [a[f"b{i}"] for i in range(layers)])


def train_encoder(X: np.ndarray, targets: np.ndarray, width: tuple[int, ...], steps: int, seed: int) -> Encoder:
    """A ReLU network ``X -> width... -> targets`` (linear read-out) trained by minibatch Adam
    on the mean squared error of standardised targets; the network without its read-out.
    ``steps=0`` gives the initial (He normal) encoder."""
    steps = check_int("steps", steps, 0)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xE1C0]))
    scaler = _Scaler().fit(X)
    Z = scaler.transform(X)
    T = _Scaler().fit(targets).transform(targets)
    sizes = [X.shape[1], *width, T.shape[1]]
    params = [[rng.standard_normal((a, b)) * np.sqrt(2.0 / a), np.zeros(b)] for a, b in zip(sizes[:-1], sizes[1:],
                                                                                          strict=True)]
    m = [[np.zeros_like(p) for p in layer] for layer in params]
    v = [[np.zeros_like(p) for p in layer] for layer in params]
    b1, b2, eps = 0.9, 0.999, 1e-8
    for t in range(steps):
        idx = rng.integers(0, len(Z), min(BATCH, len(Z)))
        acts = [Z[idx]]
        for W, b in params[:-1]:
            acts.append(np.maximum(acts[-1] @ W + b, 0.0))
        delta = (acts[-1] @ params[-1][0] + params[-1][1] - T[idx]) / len(idx)
        c1, c2 = 1 - b1 ** (t + 1), 1 - b2 ** (t + 1)
        for layer in range(len(params) - 1, -1, -1):
            W = params[layer][0]
            grads = (acts[layer].T @ delta, delta.sum(axis=0))
            if layer:
                delta = (delta @ W.T) * (acts[layer] > 0)
            for j, g in enumerate(grads):
                m[layer][j] *= b1
                m[layer][j] += (1 - b1) * g
                v[layer][j] *= b2
                v[layer][j] += (1 - b2) * g * g
                params[layer][j] -= LR * (m[layer][j] / c1) / (np.sqrt(v[layer][j] / c2) + eps)
    return Encoder(scaler.mean, scaler.scale, [p[0] for p in params[:-1]], [p[1] for p in params[:-1]])


def pretrain_targets(task: Task) -> np.ndarray:
    """What the encoder regresses: the auxiliary targets, or the inputs themselves."""
    return task.pretraining_inputs if task.auxiliary is None else task.auxiliary


def _fingerprint(task: Task) -> str:
    h = hashlib.sha256()
    for a in (task.pretraining_inputs, pretrain_targets(task)):
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:16]


@lru_cache(maxsize=64)
def pretrained_encoder(task_name: str, steps: int, width: tuple[int, ...] = ENCODER_WIDTH, seed: int = 0,
                       cache: bool = True) -> Encoder:
    """The encoder of task ``task_name`` pretrained ``steps`` steps (see the module
    docstring), from the disk cache when it holds one built the same way (``cache=False``:
    always trained here). Never sees the task's labels."""
    task = load_task(task_name)
    steps = check_int("steps", steps, 0, 10_000_000)
    width = tuple(check_int("encoder width", w, 1, 100_000) for w in width)
    X, T = task.pretraining_inputs, pretrain_targets(task)

    def build() -> dict[str, np.ndarray]:
        return train_encoder(X, T, width, steps, seed).arrays()

    if not cache:
        return Encoder.from_arrays(build())
    built_by: dict[str, Any] = {"format": FORMAT, "task": task_name, "data": _fingerprint(task), "steps": steps,
                                "width": list(width), "seed": seed, "objective": objective(task), "lr": LR,
                                "batch": BATCH}
    key = hashlib.sha256(repr(sorted(built_by.items())).encode()).hexdigest()[:20]
    path = cache_dir() / "weak_to_strong" / f"encoder-{key}.npz"
    return Encoder.from_arrays(load_or_build(path, built_by, None, build, what="pretrained encoder"))


class ProbeLearner:
    """A linear probe (softmax regression, trained on soft targets, with the confidence loss
    when asked) on a fixed pretrained encoder."""

    def __init__(self, name: str, encoder: Encoder, n_classes: int, steps: int, seed: int) -> None:
        self.name = name
        self.encoder = encoder
        self.n_classes = n_classes
        self.probe = SoftMLP(n_classes, (), steps=steps, seed=seed, name=name)

    def fit(self, X: np.ndarray, targets: np.ndarray, aux_weight: float = 0.0, warmup: float = 0.2,
            balance: np.ndarray | None = None) -> ProbeLearner:
        check_float("aux_weight", aux_weight, 0.0, 1.0)
        self.probe.fit(self.encoder.transform(X), targets, aux_weight=aux_weight, warmup=warmup, balance=balance)
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return self.probe.predict_proba(self.encoder.transform(X))


@dataclass
class TunedLearner(SoftMLP):
    """The pretrained encoder with a fresh softmax head, all of it fine-tuned on soft labels
    (with the confidence loss when asked): a :class:`SoftMLP` whose initial hidden layers
    and input standardisation are the encoder's."""

    encoder: Encoder | None = None

    def init(self, n_features: int) -> None:
        super().init(n_features)  # the head's initial weights (and shapes) from the seed
        if self.encoder is None:
            raise ValueError(f"{self.name}: a fine-tuned student needs its pretrained encoder")
        self.scaler.mean, self.scaler.scale = self.encoder.mean, self.encoder.scale
        layers = list(zip(self.encoder.weights, self.encoder.biases, strict=True))
        self.params = [(W.copy(), b.copy()) for W, b in layers] + [self.params[-1]]
