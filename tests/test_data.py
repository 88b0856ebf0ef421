"""Image data: the MNIST IDX loader on small files the tests write (LeCun et al. 1998 file
format), and a pixel debate played on such a folder. Nothing is downloaded."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import oversight_gym
from oversight_gym.agents import make_agent
from oversight_gym.core import KernelAECEnv
from oversight_gym.envs.debate.data import load_dataset, load_mnist_idx, read_idx, write_idx
from oversight_gym.testing import check_determinism, check_env_contract, rollout

MNIST_NAMES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


def tiny_digit_images(n: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` uint8 images with a lit random blob on a black background (many zero pixels)."""
    images = np.zeros((n, size, size), dtype=np.uint8)
    for i in range(n):
        r, c = rng.integers(0, size - size // 3, 2)
        images[i, r:r + size // 3, c:c + size // 3] = rng.integers(1, 256, (size // 3, size // 3))
    return images


def write_mnist_folder(folder: Path, size: int = 28, n_train: int = 20, n_test: int = 10, gz: bool = False,
                       seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    arrays_ = {
        "train_images": tiny_digit_images(n_train, size, rng),
        "train_labels": (np.arange(n_train) % 10).astype(np.uint8),
        "test_images": tiny_digit_images(n_test, size, rng),
        "test_labels": (np.arange(n_test) % 10).astype(np.uint8),
    }
    folder.mkdir(parents=True, exist_ok=True)
    for key, name in MNIST_NAMES.items():
        write_idx(folder / (name + (".gz" if gz else "")), arrays_[key])
    return arrays_


# --- read_idx / write_idx ------------------------------------------------------------------
uint8_arrays = arrays(np.uint8, st.lists(st.integers(0, 5), min_size=1, max_size=3).map(tuple))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(array=uint8_arrays, gz=st.booleans())
def test_idx_round_trip(tmp_path: Path, array: np.ndarray, gz: bool) -> None:
    path = tmp_path / ("a.idx.gz" if gz else "a.idx")
    write_idx(path, array)
    back = read_idx(path)
    assert back.dtype == np.uint8 and back.shape == array.shape and np.array_equal(back, array)
    raw = gzip.open(path).read() if gz else path.read_bytes()
    assert raw[:4] == bytes([0, 0, 0x08, array.ndim])  # the magic: two zero bytes, type, rank


@pytest.mark.parametrize(
    ("code", "dtype", "values"),
    [(0x09, ">i1", [-3, 7]), (0x0B, ">i2", [-300, 1200]), (0x0C, ">i4", [-70000, 5]),
     (0x0D, ">f4", [0.5, -2.25]), (0x0E, ">f8", [1e-300, 3.0])],
)
def test_read_idx_other_types_big_endian(tmp_path: Path, code: int, dtype: str, values: list[float]) -> None:
    path = tmp_path / "x.idx"
    path.write_bytes(struct.pack(">HBBI", 0, code, 1, len(values)) + np.array(values, dtype=dtype).tobytes())
    out = read_idx(path)
    assert out.dtype.isnative and out.tolist() == values


def test_read_idx_rejects_bad_magic(tmp_path: Path) -> None:
    for name, raw in [("wrong-zero", b"\x01\x00\x08\x01" + struct.pack(">I", 1) + b"\x00"),
                      ("wrong-type", b"\x00\x00\x07\x01" + struct.pack(">I", 1) + b"\x00"),
                      ("short", b"\x00\x00")]:
        path = tmp_path / name
        path.write_bytes(raw)
        with pytest.raises(ValueError, match=f"{name}: (not an IDX file|too short)"):
            read_idx(path)


def test_read_idx_rejects_truncated_data(tmp_path: Path) -> None:
    path = tmp_path / "images.idx"
    write_idx(path, np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4))
    path.write_bytes(path.read_bytes()[:-5])
    with pytest.raises(ValueError, match=r"truncated: header says \(2, 3, 4\), data has 19 bytes"):
        read_idx(path)


def test_read_idx_rejects_a_truncated_header(tmp_path: Path) -> None:
    path = tmp_path / "header.idx"
    path.write_bytes(b"\x00\x00\x08\x03" + struct.pack(">I", 2))  # rank 3, one size
    with pytest.raises(ValueError, match="header"):
        read_idx(path)


# --- load_mnist_idx ------------------------------------------------------------------------
@pytest.mark.parametrize("gz", [False, True])
def test_load_mnist_idx_reads_the_four_standard_files(tmp_path: Path, gz: bool) -> None:
    written = write_mnist_folder(tmp_path, size=28, gz=gz)
    train, test = load_mnist_idx(tmp_path)
    assert (train.name, test.name) == ("mnist-train", "mnist-test")
    assert train.images.shape == (20, 28, 28) and test.images.shape == (10, 28, 28)
    assert train.images.dtype == np.float32 and 0.0 <= train.images.min() and train.images.max() <= 1.0
    assert np.allclose(train.images * 255.0, written["train_images"])
    assert train.labels.dtype == np.int64 and train.labels.tolist() == written["train_labels"].tolist()
    assert test.num_pixels == 784 and test.shape == (28, 28)


def test_load_mnist_idx_accepts_dotted_names(tmp_path: Path) -> None:
    write_mnist_folder(tmp_path, size=8)
    for name in MNIST_NAMES.values():
        (tmp_path / name).rename(tmp_path / name.replace("-idx", ".idx"))  # train-images.idx3-ubyte
    train, test = load_mnist_idx(tmp_path)
    assert len(train) == 20 and len(test) == 10


def test_missing_mnist_file_says_nothing_is_downloaded(tmp_path: Path) -> None:
    write_mnist_folder(tmp_path, size=8)
    (tmp_path / MNIST_NAMES["test_labels"]).unlink()
    with pytest.raises(FileNotFoundError, match=r"no t10k-labels-idx1-ubyte\[\.gz\].*nothing is downloaded"):
        load_mnist_idx(tmp_path)
    with pytest.raises(FileNotFoundError, match="nothing is downloaded"):
        load_dataset(f"mnist:{tmp_path / 'absent'}")


def test_load_dataset_by_name(tmp_path: Path) -> None:
    write_mnist_folder(tmp_path, size=8)
    train, test = load_dataset(f"mnist:{tmp_path}")
    assert train.images.shape == (20, 8, 8)
    digits_train, digits_test = load_dataset("digits")
    assert (len(digits_train), len(digits_test)) == (1437, 360) and digits_test.shape == (8, 8)
    with pytest.raises(ValueError, match="dataset must be 'digits' or 'mnist:/path/to/idx/folder', got 'mnist'"):
        load_dataset("mnist")


# --- a pixel debate on a tiny MNIST folder ---------------------------------------------------
@pytest.mark.parametrize("size", [8, 28])
def test_pixel_debate_on_a_tiny_mnist_folder(tmp_path: Path, size: int) -> None:
    written = write_mnist_folder(tmp_path / "mnist", size=size)
    kwargs = {"dataset": f"mnist:{tmp_path / 'mnist'}", "pixels": 4, "judge_steps": 100, "judge_hidden": 16}
    env = oversight_gym.make("debate/pixels-v0", **kwargs)
    p = size * size
    assert env.observation_space("honest")["observation"].shape == (4 * p + 2 * 10 + 4,)
    assert env.action_space("liar").n == p + 10

    def env_fn() -> KernelAECEnv:
        return oversight_gym.make("debate/pixels-v0", **kwargs)

    check_env_contract(env_fn, num_cycles=20, episodes=2)
    check_determinism(env_fn, seeds=(0,), episodes=2)

    env = env_fn()
    for seed in range(5):
        episode = rollout(env, make_agent("random", seed=seed), seed=seed)
        state = env.unwrapped.game_state
        assert sorted(episode.returns.values()) == [-1.0, 1.0]
        image = written["test_images"][state.image_index].reshape(-1) / 255.0
        for event in state.transcript:
            if event.kind == "reveal":
                assert event.data["value"] == pytest.approx(image[event.data["pixel"]], abs=1e-7)
        assert state.outcome()["revealed_all_true"]
