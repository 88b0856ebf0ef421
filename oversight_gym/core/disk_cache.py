"""On-disk caches of arrays that are verified on every load and written atomically.

A cache file is an ``.npz`` archive of named arrays plus one metadata record: the
configuration that built it (``built_by``, any JSON-able mapping) and a SHA-256 checksum of
the arrays' names, dtypes, shapes and bytes. :func:`load_arrays` checks, in this order, that
the file can be read, that it was built by the expected configuration, that every array has
the expected shape and dtype, that the checksum matches and that every floating value is
finite; the first thing wrong raises :class:`CacheInvalid` with a one-line reason.

:func:`load_or_build` is the one way a cache is used: a file that fails any check is rebuilt
and overwritten, with a :class:`CacheWarning` naming the file and what was wrong, so that a
damaged cache costs one rebuild and never a traceback or a silently wrong result.

Every write goes to a temporary file in the same folder, renamed over the target with
``os.replace``. A process killed while writing leaves the old file or the new one, never a
truncated one, and parallel writers (pytest-xdist, sweep workers) never see each other's
half-written files.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
import warnings
import zipfile
import zlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

META_KEY = "__cache_meta__"

ArraySpec = Mapping[str, tuple[tuple[int, ...], Any]]
"""Expected arrays: name -> (shape, dtype)."""


class CacheEntry(NamedTuple):
    """A verified cache file: its arrays and the configuration stored with them."""

    arrays: dict[str, np.ndarray]
    built_by: Any


class CacheInvalid(Exception):
    """A cache file that must not be used; the message says why, in one line."""


class CacheWarning(UserWarning):
    """A cache file was damaged, stale or unreadable and has been rebuilt."""


def cache_dir() -> Path:
    """The package's cache folder (trained judges, pretrained encoders): ``$OVERSIGHT_GYM_CACHE``
    or, when it is unset or empty, ``~/.cache/oversight-gym`` (an empty variable would otherwise
    mean the current folder)."""
    return Path(os.environ.get("OVERSIGHT_GYM_CACHE") or Path.home() / ".cache" / "oversight-gym")


def checksum(arrays: Mapping[str, np.ndarray]) -> str:
    """SHA-256 of the arrays' names, dtypes, shapes and contents, in name order."""
    h = hashlib.sha256()
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(json.dumps([name, a.dtype.str, list(a.shape)]).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _canonical(obj: Any) -> Any:
    """``obj`` as it reads back from JSON (tuples become lists), so that a stored
    configuration compares equal to the one it was built from."""
    return json.loads(json.dumps(obj, sort_keys=True, default=str))


def atomic_write(path: Path, write: Callable[[Path], None], suffix: str = "") -> None:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it over ``path``.

    ``suffix`` is the temporary file's ending (``np.savez`` appends ``.npz`` to a name
    without it)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp{suffix}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (see :func:`atomic_write`)."""
    atomic_write(path, lambda tmp: tmp.write_text(text))


def save_arrays(path: Path, arrays: Mapping[str, np.ndarray], built_by: Mapping[str, Any]) -> None:
    """Write ``arrays`` and their metadata (``built_by`` and a checksum) to ``path`` atomically."""
    if META_KEY in arrays:
        raise ValueError(f"array name {META_KEY!r} is reserved for the cache's metadata")
    arrays = {name: np.asarray(a) for name, a in arrays.items()}
    meta = json.dumps({"built_by": _canonical(built_by), "checksum": checksum(arrays)}, sort_keys=True)
    atomic_write(path, lambda tmp: np.savez(tmp, **arrays, **{META_KEY: np.array(meta)}), suffix=".npz")


def _first_sentence(error: BaseException, limit: int = 80) -> str:
    text = f"{type(error).__name__}: {str(error).split('. ')[0]}"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _describe_difference(stored: Any, expected: Any, where: str = "") -> str:
    """The keys (dotted, nested) whose values differ, each with its stored and expected value."""
    if isinstance(stored, dict) and isinstance(expected, dict):
        return "; ".join(_describe_difference(stored.get(key), expected.get(key), f"{where}{key}.")
                         for key in sorted(set(stored) | set(expected)) if stored.get(key) != expected.get(key))
    return f"{where.rstrip('.') or 'value'} {_short(stored)} (expected {_short(expected)})"


def _short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def load_arrays(path: Path, built_by: Mapping[str, Any] | None = None,
                spec: ArraySpec | None = None) -> CacheEntry:
    """The arrays cached in ``path`` and the configuration stored with them, verified;
    raises :class:`CacheInvalid` saying what is wrong.

    ``built_by`` (when given) must equal the configuration stored with the file; ``spec``
    (when given) names every array expected, with its shape and dtype."""
    try:
        with open(path, "rb") as f:  # closed even when the archive is unreadable (np.load leaks it then)
            loaded = np.load(f, allow_pickle=False)
            if not isinstance(loaded, np.lib.npyio.NpzFile):  # a single .npy array under the .npz name
                raise CacheInvalid("unreadable (a single array, not an .npz archive of arrays)")
            with loaded as z:
                arrays = {name: z[name] for name in z.files}
    except FileNotFoundError:
        raise
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as e:
        raise CacheInvalid(f"unreadable ({_first_sentence(e)})") from None
    if META_KEY not in arrays:
        raise CacheInvalid("no checksum or configuration stored with it (written by an older version)")
    try:
        meta = json.loads(str(arrays.pop(META_KEY)))
        stored_by, stored_sum = meta["built_by"], meta["checksum"]
    except (ValueError, KeyError, TypeError) as e:
        raise CacheInvalid(f"unreadable metadata ({type(e).__name__}: {e})") from None
    if built_by is not None and stored_by != _canonical(built_by):
        raise CacheInvalid(f"built by another configuration: {_describe_difference(stored_by, _canonical(built_by))}")
    if spec is not None:
        missing = sorted(set(spec) - set(arrays))
        extra = sorted(set(arrays) - set(spec))
        if missing or extra:
            raise CacheInvalid(f"arrays {sorted(arrays)} stored, expected {sorted(spec)}")
        for name, (shape, dtype) in spec.items():
            a = arrays[name]
            if a.shape != tuple(shape) or a.dtype != np.dtype(dtype):
                raise CacheInvalid(f"array {name} has shape {a.shape} and dtype {a.dtype}, "
                                   f"expected {tuple(shape)} and {np.dtype(dtype)}")
    if checksum(arrays) != stored_sum:
        raise CacheInvalid("checksum mismatch: its content changed after it was written")
    for name, a in arrays.items():
        if a.dtype.kind in "fc" and not np.isfinite(a).all():
            raise CacheInvalid(f"array {name} holds {int((~np.isfinite(a)).sum())} non-finite values")
    return CacheEntry(arrays, stored_by)


def load_or_build(path: Path, built_by: Mapping[str, Any], spec: ArraySpec | None,
                  build: Callable[[], Mapping[str, np.ndarray]], what: str = "cache") -> dict[str, np.ndarray]:
    """The verified arrays cached in ``path``, or, when there is no such file or it fails a
    check of :func:`load_arrays`, ``build()``'s arrays, saved to ``path`` for the next run.

    A file that fails a check is rebuilt with a :class:`CacheWarning` naming ``what``, the file
    and the reason; so is a file that cannot be saved (a read-only disk, a folder in its place),
    and the built arrays are returned all the same. Built arrays that fail the checks themselves
    (a wrong shape, a NaN) raise ``ValueError`` instead of being cached."""
    path = Path(path)
    try:
        return load_arrays(path, built_by, spec).arrays
    except FileNotFoundError:
        pass  # not built yet
    except CacheInvalid as e:
        warnings.warn(f"{what} {path}: {e}; rebuilding it", CacheWarning, stacklevel=2)
    arrays = {name: np.asarray(a) for name, a in build().items()}
    verify_built(arrays, spec, what)
    try:
        save_arrays(path, arrays, built_by)
    except OSError as e:  # a read-only or full disk, a folder in the file's place: the run goes on uncached
        warnings.warn(f"{what} {path}: cannot be saved ({_first_sentence(e)}); using the built one uncached",
                      CacheWarning, stacklevel=2)
    return arrays


def verify_built(arrays: Mapping[str, np.ndarray], spec: ArraySpec | None, what: str) -> None:
    """Raise ``ValueError`` when freshly built arrays would fail the load checks."""
    if spec is not None:
        for name, (shape, dtype) in spec.items():
            a = arrays.get(name)
            if a is None or a.shape != tuple(shape) or a.dtype != np.dtype(dtype):
                raise ValueError(f"{what}: built array {name} does not have shape {tuple(shape)} and dtype "
                                 f"{np.dtype(dtype)}")
    for name, a in arrays.items():
        if a.dtype.kind in "fc" and not np.isfinite(a).all():
            raise ValueError(f"{what}: building it gave non-finite values in {name} (training diverged?)")
