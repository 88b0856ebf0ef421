"""Keeping numba's on-disk caches honest.

Numba keys a cached compiled function to its own source file. A compiled kernel that
calls (and so inlines) rule functions from *another* module keeps its old compiled copy
of those rules after they change. :func:`drop_stale_caches` records a digest of the
sources a kernel depends on beside its cache, and flushes the cache when they change.
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from oversight_gym.core.disk_cache import atomic_write_text


def source_digest(depends_on: Sequence[Any]) -> str:
    """A short digest of the source of functions (numba dispatchers included) or modules."""
    h = hashlib.sha256()
    for obj in depends_on:
        h.update(inspect.getsource(getattr(obj, "py_func", obj)).encode())
    return h.hexdigest()[:16]


def drop_stale_caches(name: str, dispatchers: Sequence[Any], depends_on: Sequence[Any]) -> None:
    """Flush the on-disk caches of ``dispatchers`` (numba functions compiled with
    ``cache=True``) when the source of ``depends_on`` differs from the one they were
    compiled with; the digest is kept in a stamp file ``NAME.rule-digest`` beside the cache."""
    digest = source_digest(depends_on)
    try:
        cache_path = Path(dispatchers[0]._cache.cache_path)
        stamp = cache_path / f"{name}.rule-digest"
        if stamp.is_file() and stamp.read_bytes() == digest.encode():  # bytes: a garbled stamp is stale
            return
        for fn in dispatchers:
            fn._cache.flush()
        cache_path.mkdir(parents=True, exist_ok=True)
        atomic_write_text(stamp, digest)  # a killed run never leaves half a digest
    except (AttributeError, OSError):  # another numba version, or a read-only cache: nothing to do
        pass
