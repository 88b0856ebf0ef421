"""Tasks for weak-to-strong experiments: data sets scikit-learn ships, and a synthetic
generator with controllable feature salience and label noise.

Burns et al. 2023 ("Weak-to-strong generalization", arXiv 2312.09390) split each task's
training data in two halves: the weak supervisor is trained on ground truth on the first,
labels the second (the *transfer* half), and the strong student learns from those labels;
all models are scored on a held-out test split. :func:`make_split` builds exactly that
three-way split, stratified by class, from a seed.

Tasks (``load_task(name)``), all bundled with scikit-learn or generated, nothing downloaded:

=================  =======  ========  =======  ================================================
name               samples  features  classes  what
=================  =======  ========  =======  ================================================
``cancer``         569      30        2        breast cancer Wisconsin (malignant / benign)
``digits``         1797     64        10       8x8 hand-written digits
``digits-odd``     1797     64        2        8x8 digits: odd against even
``wine``           178      13        3        wine cultivars
``iris``           150      4         3        iris species
``diabetes-high``  442      10        2        diabetes progression above its median
``synthetic``      (1200)   (16)      (2)      :func:`make_synthetic`; options after a colon
``latent``         (2000)   (32)      (2)      :func:`make_latent`; options after a colon
=================  =======  ========  =======  ================================================

Synthetic options are written ``synthetic:n=2000,d=20,k=3,salience=0.8,noise=0.1,nonlinear=0.5``,
latent ones ``latent:m=12,mixing=2,pool=4000``.

Every task also carries the data a student's encoder may be *pretrained* on without the
task's labels (:attr:`Task.unlabelled`): for the bundled data sets, the task's own inputs
(no labels); for latent tasks, a separate pool drawn from the same generator, with
auxiliary targets (:attr:`Task.auxiliary`), other functions of the latent factors than the
label (see :mod:`oversight_gym.envs.weak_to_strong.pretrain`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from oversight_gym.core.errors import check_float, check_int

SKLEARN_TASKS = ("cancer", "digits", "digits-odd", "wine", "iris", "diabetes-high")
TASKS = (*SKLEARN_TASKS, "synthetic", "latent")
SYNTHETIC_DEFAULTS = {"n": 1200, "d": 16, "k": 2, "salience": 0.8, "noise": 0.0, "nonlinear": 0.5, "seed": 0}
LATENT_DEFAULTS = {"n": 2000, "m": 12, "d": 32, "k": 2, "mixing": 2.0, "noise": 0.05, "aux": 64, "pool": 4000,
                   "seed": 0}
_INT_OPTIONS = ("n", "d", "k", "m", "aux", "pool", "seed")


@dataclass(frozen=True)
class Task:
    """A classification task: features ``X`` (float64, n x d), labels ``y`` (int64, 0..k-1)."""

    name: str
    X: np.ndarray
    y: np.ndarray
    n_classes: int
    description: str = ""
    #: inputs an encoder may be pretrained on, without labels (None: the task's own inputs)
    unlabelled: np.ndarray | None = None
    #: auxiliary regression targets on ``unlabelled`` (other functions of the latent factors
    #: than the label); None: pretrain by reconstruction (an autoencoder)
    auxiliary: np.ndarray | None = None

    @property
    def pretraining_inputs(self) -> np.ndarray:
        return self.X if self.unlabelled is None else self.unlabelled

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])

    def __len__(self) -> int:
        return int(self.X.shape[0])


@dataclass(frozen=True)
class Split:
    """The three parts of a weak-to-strong experiment (Burns et al. 2023, section 3):
    ``weak`` (ground truth for the supervisor), ``transfer`` (labelled by the supervisor
    for the student; its ground truth trains the strong ceiling) and ``test``."""

    task: Task
    weak: np.ndarray  # indices into task.X
    transfer: np.ndarray
    test: np.ndarray

    def part(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        idx = {"weak": self.weak, "transfer": self.transfer, "test": self.test}[name]
        return self.task.X[idx], self.task.y[idx]

    @property
    def n_classes(self) -> int:
        return self.task.n_classes


def make_synthetic(n: int = 1200, d: int = 16, k: int = 2, salience: float = 0.8, noise: float = 0.0,
                   nonlinear: float = 0.5, seed: int = 0) -> Task:
    """A synthetic task with controllable feature salience and label noise.

    Features are independent standard normals. Class ``c`` scores
    ``sum_j s_j (A_cj x_j + nonlinear * B_cj x_j x_{j+1})`` with ``s_j = salience ** j``
    (feature 0 is the most salient; ``salience=1`` spreads the signal evenly, small values
    concentrate it in the first few features) and ``A, B`` standard normal; the clean label
    is the highest score. The product terms make part of the signal invisible to a linear
    model, so capacity matters. ``noise`` is the fraction of labels replaced by a different
    class drawn uniformly (label noise no model can learn). Same arguments, same task.
    """
    n = check_int("n", n, 20)
    d = check_int("d", d, 2)
    k = check_int("k", k, 2, 50)
    salience = check_float("salience", salience, 0.0, 1.0)
    if salience == 0.0:
        raise ValueError("salience must be in (0, 1], got 0.0")
    noise = check_float("noise", noise, 0.0, 1.0)
    nonlinear = check_float("nonlinear", nonlinear, 0.0, 10.0)
    seed = check_int("seed", seed, 0)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x5A11E]))
    X = rng.standard_normal((n, d))
    s = salience ** np.arange(d)
    A = rng.standard_normal((d, k))
    B = rng.standard_normal((d, k))
    pairs = X * np.roll(X, -1, axis=1)
    scores = (X * s) @ A + nonlinear * (pairs * s) @ B
    y = scores.argmax(axis=1).astype(np.int64)
    flip = rng.random(n) < noise
    shift = rng.integers(1, k, size=n)  # a different class, uniformly
    y = np.where(flip, (y + shift) % k, y)
    desc = (f"synthetic: n={n}, d={d}, k={k}, salience={salience:g}, noise={noise:g}, "
            f"nonlinear={nonlinear:g}, seed={seed}")
    return Task(_synthetic_name(n, d, k, salience, noise, nonlinear, seed), X, y, k, desc)


def _synthetic_name(n: int, d: int, k: int, salience: float, noise: float, nonlinear: float, seed: int) -> str:
    given = {"n": n, "d": d, "k": k, "salience": salience, "noise": noise, "nonlinear": nonlinear, "seed": seed}
    changed = [f"{key}={given[key]:g}" for key in SYNTHETIC_DEFAULTS if given[key] != SYNTHETIC_DEFAULTS[key]]
    return "synthetic" + (":" + ",".join(changed) if changed else "")


def parse_options(name: str) -> dict[str, float | int]:
    """``"synthetic:k=3,noise=0.1"`` or ``"latent:m=8"`` -> keyword arguments of
    :func:`make_synthetic` or :func:`make_latent`."""
    head, _, opts = name.partition(":")
    if head not in ("synthetic", "latent"):
        raise ValueError(f"task must be one of {list(TASKS)} (synthetic and latent options after a colon), "
                         f"got {name!r}")
    defaults = SYNTHETIC_DEFAULTS if head == "synthetic" else LATENT_DEFAULTS
    kwargs: dict[str, float | int] = {}
    for item in filter(None, (o.strip() for o in opts.split(","))):
        key, eq, value = item.partition("=")
        if not eq or key not in defaults:
            raise ValueError(f"task {name!r}: {head} options are KEY=VALUE with KEY in "
                             f"{list(defaults)}, got {item!r}")
        try:
            kwargs[key] = int(value) if key in _INT_OPTIONS else float(value)
        except ValueError:
            raise ValueError(f"task {name!r}: option {key} must be a number, got {value!r}") from None
    return kwargs


def parse_synthetic(name: str) -> dict[str, float | int]:
    """``"synthetic:k=3,noise=0.1"`` -> keyword arguments of :func:`make_synthetic`."""
    if not name.startswith("synthetic"):
        raise ValueError(f"task must be one of {list(TASKS)} (synthetic options after a colon), got {name!r}")
    return parse_options(name)


def make_latent(n: int = 2000, m: int = 12, d: int = 32, k: int = 2, mixing: float = 2.0, noise: float = 0.05,
                aux: int = 64, pool: int = 4000, seed: int = 0) -> Task:
    """A latent-structure task: the label is a simple function of latent factors, the
    observations a rich nonlinear mixture of them.

    ``m`` factors ``z ~ N(0, I)``; the label is the argmax of ``k`` random linear scores
    ``z W`` (for two classes, the side of a random hyperplane through the origin). The
    observation is ``x = tanh(tanh(z A1 + b1) A2) A3 + noise * e``: two random tanh layers of
    width 64 (``mixing`` scales their gains; larger is more nonlinear and loses more
    information to saturation) read out into ``d`` features, plus Gaussian noise. The
    concept is linear in ``z`` but not in ``x``, which is the situation Burns et al. 2023
    (arXiv 2312.09390, sec. 6) describe: a pretrained model in which the concept is
    (close to) linearly represented learns it from weak labels more easily than it learns
    the weak supervisor's errors.

    The task carries ``pool`` further observations of the same generator without labels
    (:attr:`Task.unlabelled`) and ``aux`` auxiliary targets on them, ``tanh(z U)`` for a
    random ``U``: other functions of the factors than the label, the material an encoder is
    pretrained on (:mod:`~oversight_gym.envs.weak_to_strong.pretrain`). Same arguments, same task.
    """
    n = check_int("n", n, 20)
    m = check_int("m", m, 1, 1000)
    d = check_int("d", d, 1, 10_000)
    k = check_int("k", k, 2, 50)
    mixing = check_float("mixing", mixing, 0.0, 100.0)
    noise = check_float("noise", noise, 0.0, 100.0)
    aux = check_int("aux", aux, 1, 10_000)
    pool = check_int("pool", pool, 20, 10_000_000)
    seed = check_int("seed", seed, 0)
    g = np.random.default_rng(np.random.SeedSequence([seed, 0x1A7E]))
    width = 64
    A1 = g.standard_normal((m, width)) * mixing / np.sqrt(m)
    b1 = 0.5 * g.standard_normal(width)
    A2 = g.standard_normal((width, width)) * mixing / np.sqrt(width)
    A3 = g.standard_normal((width, d)) / np.sqrt(width)
    W = g.standard_normal((m, k))
    U = g.standard_normal((m, aux))

    def draw(count: int, stream: int) -> tuple[np.ndarray, np.ndarray]:
        r = np.random.default_rng(np.random.SeedSequence([seed, 0x1A7E, stream]))
        z = r.standard_normal((count, m))
        x = np.tanh(np.tanh(z @ A1 + b1) @ A2) @ A3 + noise * r.standard_normal((count, d))
        return z, x

    z, X = draw(n, 1)
    y = (z @ W).argmax(axis=1).astype(np.int64)
    zp, Xp = draw(pool, 2)
    desc = (f"latent: n={n}, m={m} factors, d={d}, k={k}, mixing={mixing:g}, noise={noise:g}, "
            f"{aux} auxiliary targets on a pool of {pool}, seed={seed}")
    given = {"n": n, "m": m, "d": d, "k": k, "mixing": mixing, "noise": noise, "aux": aux, "pool": pool, "seed": seed}
    changed = [f"{key}={given[key]:g}" for key in LATENT_DEFAULTS if given[key] != LATENT_DEFAULTS[key]]
    name = "latent" + (":" + ",".join(changed) if changed else "")
    return Task(name, X, y, k, desc, unlabelled=Xp, auxiliary=np.tanh(zp @ U))


@lru_cache(maxsize=32)
def load_task(name: str) -> Task:
    """A task by name (see the module docstring). Cached: tasks are immutable."""
    if not isinstance(name, str):
        raise ValueError(f"task must be a string, one of {list(TASKS)}, got {name!r}")
    if name.startswith("synthetic"):
        return make_synthetic(**parse_synthetic(name))  # type: ignore[arg-type]
    if name.startswith("latent"):
        return make_latent(**parse_options(name))  # type: ignore[arg-type]
    from sklearn import datasets

    if name == "cancer":
        d = datasets.load_breast_cancer()
        return Task(name, d.data.astype(np.float64), d.target.astype(np.int64), 2,
                    "breast cancer Wisconsin, malignant/benign")
    if name in ("digits", "digits-odd"):
        d = datasets.load_digits()
        if name == "digits":
            return Task(name, d.data.astype(np.float64), d.target.astype(np.int64), 10, "8x8 digits, 10 classes")
        return Task(name, d.data.astype(np.float64), (d.target % 2).astype(np.int64), 2, "8x8 digits, odd vs even")
    if name == "wine":
        d = datasets.load_wine()
        return Task(name, d.data.astype(np.float64), d.target.astype(np.int64), 3, "wine cultivars, 3 classes")
    if name == "iris":
        d = datasets.load_iris()
        return Task(name, d.data.astype(np.float64), d.target.astype(np.int64), 3, "iris species, 3 classes")
    if name == "diabetes-high":
        d = datasets.load_diabetes()
        y = (d.target > np.median(d.target)).astype(np.int64)
        return Task(name, d.data.astype(np.float64), y, 2, "diabetes progression above median")
    raise ValueError(f"task must be one of {list(TASKS)} (synthetic and latent options after a colon), "
                     f"got {name!r}")


def make_split(task: Task, seed: int, test_fraction: float = 0.3, weak_fraction: float = 0.5) -> Split:
    """Stratified split: ``test_fraction`` of each class to the test split; of the rest,
    ``weak_fraction`` to the supervisor's ground-truth half and the remainder to the
    transfer half (Burns et al. use halves). Draws only from ``seed``."""
    seed = check_int("seed", seed, 0)
    check_float("test_fraction", test_fraction, 0.05, 0.9)
    check_float("weak_fraction", weak_fraction, 0.05, 0.95)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x5B117]))
    parts: list[list[np.ndarray]] = [[], [], []]
    for c in range(task.n_classes):
        idx = rng.permutation(np.flatnonzero(task.y == c))
        n_test = int(round(test_fraction * len(idx)))
        n_weak = int(round(weak_fraction * (len(idx) - n_test)))
        parts[2].append(idx[:n_test])
        parts[0].append(idx[n_test:n_test + n_weak])
        parts[1].append(idx[n_test + n_weak:])
    weak, transfer, test = (np.sort(np.concatenate(p)).astype(np.int64) for p in parts)
    for name, idx in (("weak", weak), ("transfer", transfer), ("test", test)):
        if len(idx) == 0:
            raise ValueError(f"task {task.name!r} is too small for this split: the {name} part is empty")
    return Split(task, weak, transfer, test)
