"""On-disk caches are verified on load and written atomically (``core/disk_cache.py``).

The rule: whatever is on disk under a cache's name (a truncated file, garbage bytes, NaN
weights, arrays of the wrong shape, a file built by another configuration), using the cache
gives exactly what a fresh build gives; a bad file is rebuilt with a ``CacheWarning`` naming
the file and what was wrong, never a traceback and never a silently wrong result.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import oversight_gym.envs.debate.judge as judge_module
from oversight_gym.core.disk_cache import (
    META_KEY,
    CacheInvalid,
    CacheWarning,
    load_arrays,
    load_or_build,
    save_arrays,
)
from oversight_gym.envs.debate.data import load_dataset
from oversight_gym.envs.debate.judge import JudgeConfig, get_judge

SPEC = {"w": ((3, 4), np.float64), "n": ((2,), np.int64)}
BUILT_BY = {"format": 1, "config": {"size": 3, "seed": 0}}


def build() -> dict[str, np.ndarray]:
    return {"w": np.arange(12, dtype=np.float64).reshape(3, 4) / 7, "n": np.array([3, 4], dtype=np.int64)}


def rewrite(path: Path, change: Any) -> None:
    """Rewrite the archive at ``path`` with ``change(arrays, meta)`` applied, as another program would."""
    with np.load(path) as z:
        arrays = {name: z[name] for name in z.files}
    meta = json.loads(str(arrays.pop(META_KEY)))
    change(arrays, meta)
    np.savez(path, **arrays, **{META_KEY: np.array(json.dumps(meta))})


def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def garbage(path: Path) -> None:
    path.write_bytes(np.random.default_rng(0).bytes(700))


def nan_weights(path: Path) -> None:  # a damaged file: its checksum no longer matches
    rewrite(path, lambda a, m: a["w"].__setitem__((0, 0), np.nan))


def nan_weights_checksummed(path: Path) -> None:  # a diverged build that was written with a valid checksum
    arrays = build()
    arrays["w"][1, 2] = np.nan
    save_arrays(path, arrays, BUILT_BY)


def wrong_shape(path: Path) -> None:
    arrays = build()
    arrays["w"] = arrays["w"][:, :2]
    save_arrays(path, arrays, BUILT_BY)


def stale(path: Path) -> None:
    save_arrays(path, build(), {**BUILT_BY, "config": {"size": 4, "seed": 0}})


def old_format(path: Path) -> None:
    np.savez(path, **build())


def single_array(path: Path) -> None:  # an .npy file under the cache's name
    with open(path, "wb") as f:
        np.save(f, build()["w"])


DAMAGES = {
    "truncated": (truncate, "unreadable"),
    "garbage bytes": (garbage, "unreadable"),
    "NaN weights": (nan_weights, "checksum mismatch"),
    "NaN weights, checksummed": (nan_weights_checksummed, "array w holds 1 non-finite values"),
    "wrong shape": (wrong_shape, r"array w has shape \(3, 2\).*expected \(3, 4\)"),
    "stale configuration": (stale, r"built by another configuration: config.size 4 \(expected 3\)"),
    "older format": (old_format, "no checksum"),
    "a single array": (single_array, "not an .npz archive"),
}


@pytest.mark.parametrize("damage", DAMAGES, ids=list(DAMAGES))
def test_a_bad_cache_file_is_rebuilt_with_a_warning_naming_it_and_the_fault(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "c.npz"
    fresh = load_or_build(path, BUILT_BY, SPEC, build)
    damage_fn, reason = DAMAGES[damage]
    damage_fn(path)
    with pytest.raises(CacheInvalid, match=reason):
        load_arrays(path, BUILT_BY, SPEC)
    with pytest.warns(CacheWarning, match=rf"{path}.*{reason}.*rebuilding it"):
        rebuilt = load_or_build(path, BUILT_BY, SPEC, build)
    for name in SPEC:
        assert np.array_equal(rebuilt[name], fresh[name])
    again = load_arrays(path, BUILT_BY, SPEC)  # the file itself is whole again
    assert again.built_by == BUILT_BY and all(np.array_equal(again.arrays[n], fresh[n]) for n in SPEC)


def test_a_good_cache_file_is_loaded_without_building_or_warning(tmp_path: Path) -> None:
    path = tmp_path / "c.npz"
    load_or_build(path, BUILT_BY, SPEC, build)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = load_or_build(path, BUILT_BY, SPEC, lambda: pytest.fail("a valid cache was rebuilt"))
    assert np.array_equal(loaded["w"], build()["w"])


@pytest.mark.parametrize("blocker", ["a folder in the file's place", "a file in the folder's place"])
def test_a_cache_that_cannot_be_saved_gives_the_built_arrays_with_a_warning(tmp_path: Path, blocker: str) -> None:
    path = tmp_path / "sub" / "c.npz"
    if blocker == "a folder in the file's place":
        path.mkdir(parents=True)
    else:
        path.parent.write_text("not a folder")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = load_or_build(path, BUILT_BY, SPEC, build)
    assert any(w.category is CacheWarning and "cannot be saved" in str(w.message) for w in caught)
    assert all(np.array_equal(got[name], build()[name]) for name in SPEC)


def test_a_build_that_gives_non_finite_values_is_refused_not_cached(tmp_path: Path) -> None:
    path = tmp_path / "c.npz"
    with pytest.raises(ValueError, match="non-finite values in w"):
        load_or_build(path, BUILT_BY, SPEC, lambda: {**build(), "w": np.full((3, 4), np.inf)})
    assert not path.exists()


def test_a_write_killed_halfway_leaves_the_previous_file_and_no_temporary(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "c.npz"
    save_arrays(path, build(), BUILT_BY)
    before = path.read_bytes()

    def killed(file: Any, **arrays: Any) -> None:
        Path(file).write_bytes(b"PK\x03\x04 half an archive")
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", killed)
    with pytest.raises(KeyboardInterrupt):
        save_arrays(path, {**build(), "w": np.zeros((3, 4))}, BUILT_BY)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["c.npz"]


@settings(max_examples=40, deadline=None)
@given(cut=st.integers(min_value=0, max_value=10_000), flip=st.integers(min_value=0, max_value=10_000))
def test_any_truncation_or_flipped_byte_gives_the_fresh_arrays(tmp_path_factory: pytest.TempPathFactory,
                                                               cut: int, flip: int) -> None:
    """Rule: a damaged file never raises and never returns other values than a fresh build."""
    path = tmp_path_factory.mktemp("c") / "c.npz"
    save_arrays(path, build(), BUILT_BY)
    data = bytearray(path.read_bytes())
    data[flip % len(data)] ^= 0x41
    path.write_bytes(bytes(data[: len(data) - cut % len(data)]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CacheWarning)
        got = load_or_build(path, BUILT_BY, SPEC, build)
    assert all(np.array_equal(got[n], build()[n]) for n in SPEC)


# --- the pixel debate's judge, the package's cache -------------------------------------------------
JUDGE = JudgeConfig(pixels=3, hidden=8, steps=30)


def judge_file(cache: Path) -> Path:
    (path,) = (cache / "judges").glob("judge-*.npz")
    return path


def judge_arrays(path: Path) -> dict[str, np.ndarray]:
    with np.load(path) as z:
        return {name: z[name] for name in z.files}


def _judge_nan(path: Path) -> None:
    rewrite(path, lambda a, m: a["w1"].fill(np.nan))


def _judge_wrong_shape(path: Path) -> None:
    arrays = judge_arrays(path)
    meta = json.loads(str(arrays.pop(META_KEY)))
    arrays["w2"] = arrays["w2"][:, :5]
    save_arrays(path, arrays, meta["built_by"])


def _judge_stale(path: Path) -> None:
    arrays = judge_arrays(path)
    meta = json.loads(str(arrays.pop(META_KEY)))
    meta["built_by"]["config"]["steps"] = 6000
    save_arrays(path, arrays, meta["built_by"])


JUDGE_DAMAGES = {
    "truncated": (truncate, "unreadable"),
    "garbage bytes": (garbage, "unreadable"),
    "NaN weights": (_judge_nan, "checksum mismatch"),
    "wrong shape": (_judge_wrong_shape, r"array w2 has shape \(8, 5\)"),
    "stale configuration": (_judge_stale, r"config.steps 6000 \(expected 30\)"),
}


@pytest.mark.parametrize("damage", JUDGE_DAMAGES, ids=list(JUDGE_DAMAGES))
def test_a_bad_judge_cache_is_retrained_and_equals_a_fresh_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               damage: str) -> None:
    train, _ = load_dataset("digits")
    monkeypatch.setenv("OVERSIGHT_GYM_CACHE", str(tmp_path / "fresh"))
    get_judge(train, JUDGE)
    fresh = judge_arrays(judge_file(tmp_path / "fresh"))

    monkeypatch.setenv("OVERSIGHT_GYM_CACHE", str(tmp_path / "used"))
    get_judge(train, JUDGE)
    path = judge_file(tmp_path / "used")
    damage_fn, reason = JUDGE_DAMAGES[damage]
    damage_fn(path)
    with pytest.warns(CacheWarning, match=rf"judge cache {path}: .*{reason}"):
        judge = get_judge(train, JUDGE)
    rebuilt = judge_arrays(path)
    assert rebuilt.keys() == fresh.keys()
    for name in fresh:
        assert np.array_equal(rebuilt[name], fresh[name]), name
    assert np.array_equal(judge.w1, fresh["w1"]) and judge.config == JUDGE
    assert judge_module.SparseJudge.load(path).config == JUDGE


def test_a_judge_whose_training_diverges_is_an_error_naming_the_learning_rate(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OVERSIGHT_GYM_CACHE", str(tmp_path))
    train, _ = load_dataset("digits")
    real = judge_module.train_judge

    def diverging(*args: Any, **kwargs: Any) -> Any:
        judge = real(*args, **kwargs)
        judge.w2[0, 0] = np.nan
        return judge

    monkeypatch.setattr(judge_module, "train_judge", diverging)
    with pytest.raises(ValueError, match="learning_rate=0.002; use a smaller learning_rate"):
        get_judge(train, JUDGE)
    assert not list(tmp_path.rglob("*.npz"))
