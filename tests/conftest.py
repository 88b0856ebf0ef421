"""Shared test set-up.

* Trained judges go to a temporary cache, one per session (so one per xdist worker): the
  tests neither read nor fill the user's cache, and two workers never write one file.
* One BLAS thread per process: with ``pytest -n 2`` two workers that each run a
  multi-threaded OpenBLAS on small matrices oversubscribe two cores and run several
  times slower (measured: 68 s against 14 s for tests/test_pixel_debate.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import settings

# CI runs the same examples every time (a failure there is reproducible from its log);
# locally hypothesis explores new examples on every run. No deadline: the first call of a
# numba function compiles it, which says nothing about the code under test.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # for numpy loaded after this point, and for subprocesses


@pytest.fixture(scope="session", autouse=True)
def _test_session_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    from threadpoolctl import threadpool_limits  # a dependency of scikit-learn

    with pytest.MonkeyPatch.context() as mp, threadpool_limits(limits=1, user_api="blas"):
        mp.setenv("OVERSIGHT_GYM_CACHE", str(tmp_path_factory.mktemp("judge-cache")))
        yield


@pytest.fixture
def ray_exclusive() -> Iterator[None]:
    """Tests that start a local Ray cluster take turns: two pytest-xdist workers each starting
    Ray at the same moment on a 2-core machine contend for ports and cores."""
    import fcntl
    import tempfile
    from pathlib import Path

    with open(Path(tempfile.gettempdir()) / "oversight-gym-tests-ray.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
