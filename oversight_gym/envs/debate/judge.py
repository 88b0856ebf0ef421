"""The sparse judge of the pixel debate (Irving, Christiano, Amodei 2018, section 3.1).

The judge is a classifier trained in advance, by supervised learning, on images of which
only a random mask of k pixels is visible. Its input is two planes: the {0, 1} mask and
the image times the mask. It stays fixed during debate.

The paper used the TensorFlow MNIST-layers CNN on 28x28 MNIST. On the 8x8 digits we use
a one-hidden-layer ReLU network, which suits the sparse input: its first layer is a sum
over the revealed pixels of ``W_mask[p] + value_p * W_value[p]``, so a search agent can
update the judge's hidden layer pixel by pixel (see :meth:`SparseJudge.pixel_columns`).
Training draws a fresh random mask for every example of every batch (as the paper did),
uses Adam, and is cached on disk keyed by the whole configuration and the data set.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from oversight_gym.core.disk_cache import cache_dir, load_arrays, load_or_build, save_arrays
from oversight_gym.core.errors import check_choice, check_int
from oversight_gym.envs.debate.data import ImageData

JUDGE_FORMAT_VERSION = 2  # 2: a checksum and the building configuration stored with the weights


@dataclass(frozen=True)
class JudgeConfig:
    """Everything that defines a trained judge; its hash is the cache key."""

    pixels: int = 6
    hidden: int = 256
    steps: int = 6000
    batch_size: int = 256
    learning_rate: float = 2e-3
    pixel_pool: str = "all"  # "all" pixels, or "nonzero" pixels only (the paper's MNIST judge)
    seed: int = 0

    def __post_init__(self) -> None:
        check_int("pixels", self.pixels, 1)
        check_int("hidden", self.hidden, 1)
        check_int("steps", self.steps, 1)
        check_int("batch_size", self.batch_size, 1)
        check_choice("pixel_pool", self.pixel_pool, ("all", "nonzero"))

    def key(self, data_fingerprint: str) -> str:
        blob = json.dumps({**asdict(self), "data": data_fingerprint, "v": JUDGE_FORMAT_VERSION}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:20]


def random_masks(images: np.ndarray, k: int, rng: np.random.Generator, pixel_pool: str = "all") -> np.ndarray:
    """A boolean ``(n, P)`` mask with ``k`` distinct pixels set per row.

    With ``pixel_pool="nonzero"`` the pixels are drawn among the image's non-black pixels
    (falling back to any pixel when an image has fewer than k of them).
    """
    n, p = images.shape
    keys = rng.random((n, p))
    if pixel_pool == "nonzero":
        keys = np.where(images > 0, keys, keys + 2.0)
    idx = np.argpartition(keys, k - 1, axis=1)[:, :k]
    mask = np.zeros((n, p), dtype=bool)
    np.put_along_axis(mask, idx, True, axis=1)
    return mask


@runtime_checkable
class Judge(Protocol):
    """What the pixel debate needs of a judge: any object with these members will do
    (:class:`SparseJudge` is the built-in one; search agents use its fast path only when
    the judge is a ``SparseJudge``)."""

    num_pixels: int
    num_classes: int
    config: JudgeConfig | None

    def logits(self, mask: np.ndarray, values: np.ndarray) -> np.ndarray: ...

    def probs(self, mask: np.ndarray, values: np.ndarray) -> np.ndarray: ...

    def decide(self, mask: np.ndarray, values: np.ndarray, labels: tuple[int, int]) -> int: ...


class SparseJudge:
    """A fixed classifier over (mask, masked image). ``P`` pixels, ``C`` classes."""

    def __init__(self, w1: np.ndarray, b1: np.ndarray, w2: np.ndarray, b2: np.ndarray,
                 config: JudgeConfig | None = None, image_shape: tuple[int, int] = (8, 8)) -> None:
        self.w1 = np.ascontiguousarray(w1, dtype=np.float64)
        self.b1 = np.ascontiguousarray(b1, dtype=np.float64)
        self.w2 = np.ascontiguousarray(w2, dtype=np.float64)
        self.b2 = np.ascontiguousarray(b2, dtype=np.float64)
        self.config = config
        self.image_shape = image_shape
        self.num_pixels = self.w1.shape[0] // 2
        self.num_classes = self.w2.shape[1]
        self.accuracy_alone: float | None = None

    # --- inference -------------------------------------------------------------------
    def hidden_pre(self, mask: np.ndarray, values: np.ndarray) -> np.ndarray:
        m = np.asarray(mask, dtype=np.float64)
        x = np.concatenate([m, m * np.asarray(values, dtype=np.float64)], axis=-1)
        return x @ self.w1 + self.b1

    def logits(self, mask: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Logits for masks ``(..., P)`` and images ``(..., P)``; values off the mask are ignored."""
        return np.maximum(self.hidden_pre(mask, values), 0.0) @ self.w2 + self.b2

    def probs(self, mask: np.ndarray, values: np.ndarray) -> np.ndarray:
        z = self.logits(mask, values)
        z = z - z.max(axis=-1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=-1, keepdims=True)

    def predict(self, mask: np.ndarray, values: np.ndarray) -> np.ndarray:
        return np.argmax(self.logits(mask, values), axis=-1)

    def decide(self, mask: np.ndarray, values: np.ndarray, labels: tuple[int, int]) -> int:
        """The judge's verdict between two claimed labels: the one with the higher logit
        (a tie goes to the smaller label)."""
        z = self.logits(mask, values)
        a, b = labels
        if z[a] > z[b] or (z[a] == z[b] and a < b):
            return a
        return b

    def pixel_columns(self, image: np.ndarray) -> np.ndarray:
        """``(P, H)``: the change in the hidden pre-activation when each pixel of ``image``
        is revealed. The hidden pre-activation of any mask is ``b1`` plus the sum of the
        revealed pixels' columns, which is what the fast search path uses."""
        v = np.asarray(image, dtype=np.float64).reshape(-1)
        p = self.num_pixels
        return self.w1[:p] + v[:, None] * self.w1[p:]

    # --- evaluation ------------------------------------------------------------------
    def evaluate_alone(self, data: ImageData, k: int | None = None, rng: np.random.Generator | None = None,
                       repeats: int = 10, pixel_pool: str | None = None) -> tuple[int, int]:
        """Correct/total of the judge alone on ``repeats`` random k-pixel masks per image."""
        k = k or (self.config.pixels if self.config else 6)
        pool = pixel_pool or (self.config.pixel_pool if self.config else "all")
        rng = rng or np.random.default_rng(12345)
        x = np.repeat(data.flat().astype(np.float64), repeats, axis=0)
        y = np.repeat(data.labels, repeats)
        mask = random_masks(x, k, rng, pool)
        correct = int((self.predict(mask, x) == y).sum())
        return correct, len(y)

    # --- persistence -----------------------------------------------------------------
    def arrays(self) -> dict[str, np.ndarray]:
        """The judge's parameters and image shape, as stored in its cache file."""
        return {"w1": self.w1, "b1": self.b1, "w2": self.w2, "b2": self.b2,
                "image_shape": np.array(self.image_shape, dtype=np.int64)}

    def save(self, path: Path, built_by: dict | None = None) -> None:
        """Write the judge to ``path`` atomically, with a checksum and ``built_by`` (by
        default its format version and configuration)."""
        built_by = built_by or {"format": JUDGE_FORMAT_VERSION, "config": asdict(self.config) if self.config else None}
        save_arrays(path, self.arrays(), built_by)

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], config: JudgeConfig | None) -> SparseJudge:
        return cls(arrays["w1"], arrays["b1"], arrays["w2"], arrays["b2"], config,
                   tuple(int(s) for s in arrays["image_shape"]))

    @classmethod
    def load(cls, path: Path) -> SparseJudge:
        """A judge saved by :meth:`save`, verified (checksum, finite values); raises
        :class:`~oversight_gym.core.disk_cache.CacheInvalid` saying what is wrong."""
        arrays, built_by = load_arrays(path)
        config = built_by.get("config") if isinstance(built_by, dict) else None
        return cls.from_arrays(arrays, JudgeConfig(**config) if config else None)


def train_judge(train: ImageData, config: JudgeConfig, num_classes: int = 10,
                progress: bool = False) -> SparseJudge:
    """Train a judge by Adam on cross-entropy, a fresh random k-pixel mask per example."""
    rng = np.random.default_rng(config.seed)
    x_all = train.flat().astype(np.float64)
    y_all = train.labels
    p, h = x_all.shape[1], config.hidden
    w1 = rng.normal(0, np.sqrt(2.0 / (2 * config.pixels)), (2 * p, h))
    b1 = np.zeros(h)
    w2 = rng.normal(0, np.sqrt(1.0 / h), (h, num_classes))
    b2 = np.zeros(num_classes)
    params = [w1, b1, w2, b2]
    m = [np.zeros_like(q) for q in params]
    v = [np.zeros_like(q) for q in params]
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    steps = range(config.steps)
    if progress:
        from tqdm.auto import tqdm

        steps = tqdm(steps, desc=f"training {config.pixels}-pixel judge", leave=False)
    for t in steps:
        idx = rng.integers(0, len(y_all), config.batch_size)
        xb = x_all[idx]
        mask = random_masks(xb, config.pixels, rng, config.pixel_pool).astype(np.float64)
        inp = np.concatenate([mask, mask * xb], axis=1)
        pre = inp @ w1 + b1
        hid = np.maximum(pre, 0.0)
        z = hid @ w2 + b2
        z -= z.max(axis=1, keepdims=True)
        prob = np.exp(z)
        prob /= prob.sum(axis=1, keepdims=True)
        grad_z = prob
        grad_z[np.arange(len(idx)), y_all[idx]] -= 1.0
        grad_z /= len(idx)
        g_w2 = hid.T @ grad_z
        g_b2 = grad_z.sum(axis=0)
        g_hid = (grad_z @ w2.T) * (pre > 0)
        g_w1 = inp.T @ g_hid
        g_b1 = g_hid.sum(axis=0)
        lr = config.learning_rate * min(1.0, 2.0 * (1.0 - t / config.steps))  # linear decay, second half
        for q, g, mq, vq in zip(params, (g_w1, g_b1, g_w2, g_b2), m, v, strict=True):
            mq *= beta1
            mq += (1 - beta1) * g
            vq *= beta2
            vq += (1 - beta2) * g * g
            mhat = mq / (1 - beta1 ** (t + 1))
            vhat = vq / (1 - beta2 ** (t + 1))
            q -= lr * mhat / (np.sqrt(vhat) + eps)
    return SparseJudge(w1, b1, w2, b2, config, train.shape)


def get_judge(train: ImageData, config: JudgeConfig, num_classes: int | None = None, use_cache: bool = True,
              progress: bool = False) -> SparseJudge:
    """The judge for ``config`` trained on ``train`` over ``num_classes`` labels (default:
    the largest training label + 1): loaded from the disk cache if it was trained before,
    trained (and cached) otherwise.

    The cache file is verified on load (its checksum, the configuration and data set that
    built it, the shapes and dtypes of the weights, finite values); a file that fails a
    check is retrained and overwritten with a ``CacheWarning`` saying what was wrong."""
    num_classes = int(train.labels.max()) + 1 if num_classes is None else check_int("num_classes", num_classes, 2)
    fingerprint = train.fingerprint()
    path = cache_dir() / "judges" / f"judge-{config.key(f'{fingerprint}-{num_classes}')}.npz"

    def build() -> dict[str, np.ndarray]:
        judge = train_judge(train, config, num_classes=num_classes, progress=progress)
        if not all(np.isfinite(w).all() for w in (judge.w1, judge.b1, judge.w2, judge.b2)):
            raise ValueError(f"the {config.pixels}-pixel judge's training diverged (non-finite weights) with "
                             f"learning_rate={config.learning_rate}; use a smaller learning_rate")
        return judge.arrays()

    if not use_cache:
        return SparseJudge.from_arrays(build(), config)
    pixels = int(np.prod(train.shape))
    spec = {"w1": ((2 * pixels, config.hidden), np.float64), "b1": ((config.hidden,), np.float64),
            "w2": ((config.hidden, num_classes), np.float64), "b2": ((num_classes,), np.float64),
            "image_shape": ((len(train.shape),), np.int64)}
    built_by = {"format": JUDGE_FORMAT_VERSION, "config": asdict(config), "data": fingerprint,
                "num_classes": num_classes}
    return SparseJudge.from_arrays(load_or_build(path, built_by, spec, build, what="judge cache"), config)
