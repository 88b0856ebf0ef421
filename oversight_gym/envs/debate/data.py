"""Image data for the pixel debate: scikit-learn's bundled 8x8 digits, and MNIST IDX files.

Nothing is downloaded. The digits (1,797 images from UCI, values 0..16) ship with
scikit-learn; MNIST is read from IDX files a user already has (LeCun et al. 1998 file
format: big-endian magic ``0x0000 <type> <ndim>``, then the dimension sizes as uint32,
then the data).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

#: Seed of the fixed digits train/test split (stratified, 20% test).
DIGITS_SPLIT_SEED = 20180502
DIGITS_TEST_FRACTION = 0.2


@dataclass(frozen=True, eq=False)
class ImageData:
    """Images in ``[0, 1]`` with shape ``(n, height, width)`` and integer labels."""

    name: str
    images: np.ndarray
    labels: np.ndarray

    def __post_init__(self) -> None:
        if self.images.ndim != 3:
            raise ValueError(f"images must have shape (n, height, width), got {self.images.shape}")
        if len(self.images) != len(self.labels):
            raise ValueError("images and labels must have the same length")

    @property
    def shape(self) -> tuple[int, int]:
        return int(self.images.shape[1]), int(self.images.shape[2])

    @property
    def num_pixels(self) -> int:
        return int(self.images.shape[1] * self.images.shape[2])

    def flat(self) -> np.ndarray:
        return self.images.reshape(len(self.images), -1)

    def __len__(self) -> int:
        return len(self.labels)

    def fingerprint(self) -> str:
        h = hashlib.sha256()
        h.update(np.ascontiguousarray(self.images, dtype=np.float32).tobytes())
        h.update(np.ascontiguousarray(self.labels, dtype=np.int64).tobytes())
        return h.hexdigest()[:16]


@lru_cache(maxsize=2)
def load_digits_split() -> tuple[ImageData, ImageData]:
    """The fixed stratified train/test split of scikit-learn's 8x8 digits (1437/360)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    images = (d.images / 16.0).astype(np.float32)
    labels = d.target.astype(np.int64)
    idx = np.arange(len(labels))
    tr, te = train_test_split(
        idx, test_size=DIGITS_TEST_FRACTION, random_state=DIGITS_SPLIT_SEED, stratify=labels
    )
    tr, te = np.sort(tr), np.sort(te)
    return (ImageData("digits-train", images[tr], labels[tr]), ImageData("digits-test", images[te], labels[te]))


_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (optionally gzip-compressed) into a numpy array."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4:
        raise ValueError(f"{path}: too short to be an IDX file")
    zero, dtype_code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype_code not in _IDX_TYPES:
        raise ValueError(f"{path}: not an IDX file (magic bytes {raw[:4].hex()})")
    if len(raw) < 4 + 4 * ndim:
        raise ValueError(f"{path}: truncated header: {ndim} dimensions announced, {len(raw) - 4} bytes follow")
    dims = struct.unpack(">" + "I" * ndim, raw[4 : 4 + 4 * ndim])
    dtype = np.dtype(_IDX_TYPES[dtype_code])
    count = int(np.prod(dims)) if dims else 1
    offset = 4 + 4 * ndim
    if len(raw) - offset < count * dtype.itemsize:
        raise ValueError(f"{path}: truncated: header says {dims}, data has {len(raw) - offset} bytes")
    data = np.frombuffer(raw, dtype=dtype, count=count, offset=offset)
    return data.reshape(dims).astype(dtype.newbyteorder("="))


def write_idx(path: str | os.PathLike, array: np.ndarray) -> None:
    """Write a uint8 array as an IDX file (used by tests and for small custom sets)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(">" + "I" * array.ndim, *array.shape)
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wb") as f:
        f.write(header + array.tobytes())


_MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def _find(directory: Path, stem: str) -> Path:
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
        if (directory / name).exists():
            return directory / name
    raise FileNotFoundError(
        f"{directory}: no {stem}[.gz]; MNIST is read from local IDX files only (nothing is downloaded)"
    )


def load_mnist_idx(directory: str | os.PathLike) -> tuple[ImageData, ImageData]:
    """MNIST's standard train and test sets from a folder of IDX files, scaled to [0, 1]."""
    directory = Path(directory)
    out = []
    for split, (img_stem, lab_stem) in _MNIST_FILES.items():
        images = read_idx(_find(directory, img_stem)).astype(np.float32) / 255.0
        labels = read_idx(_find(directory, lab_stem)).astype(np.int64)
        out.append(ImageData(f"mnist-{split}", images, labels))
    return out[0], out[1]


def check_dataset_name(name: str) -> str:
    """A data set's name, ``"digits"`` or ``"mnist:/path/to/idx/folder"``; raises on any other."""
    if name == "digits" or (isinstance(name, str) and name.startswith("mnist:") and len(name) > len("mnist:")):
        return name
    raise ValueError(f"dataset must be 'digits' or 'mnist:/path/to/idx/folder', got {name!r}")


def load_dataset(name: str) -> tuple[ImageData, ImageData]:
    """``"digits"`` (the default, bundled) or ``"mnist:/path/to/idx/folder"``."""
    if check_dataset_name(name) == "digits":
        return load_digits_split()
    return load_mnist_idx(name.split(":", 1)[1])
