"""Sweeps: a grid of parameters times seeds, run on a backend, into a resumable results file.

An *experiment* is a function of ``(params, seed)`` returning a flat record (a dict of
numbers, strings or booleans). A sweep runs every cell of a grid (the Cartesian product
of the values given for each parameter) for every seed, on one of three backends:

* ``"inprocess"``: a plain loop in this process (no pickling; the reference);
* ``"processes"``: local worker processes (fork), one BLAS thread each;
* ``"ray"``: Ray tasks, on a cluster at ``address`` or on a local Ray started for the
  sweep (and stopped after it).

The same grid and seeds give the same records on every backend: each cell's record
depends only on its parameters and its seed. Records are appended to a JSON-lines file
as each cell finishes, with the parameters, the seed, the package version and the time
the cell took; a killed sweep run again with the same file skips the cells already
recorded. Extending the grid later reuses every cell already in the file.

>>> from oversight_gym.runner.sweep import run_sweep
>>> def square(params, seed):
...     return {"y": params["x"] ** 2 + seed}
>>> [r["y"] for r in run_sweep(square, {"x": [1, 2]}, seeds=[0, 10], progress=False)]
[1, 11, 4, 14]
"""

from __future__ import annotations

import csv
import itertools
import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oversight_gym.core.errors import check_choice
from oversight_gym.runner.records import RecordFile, read_results, record_key
from oversight_gym.runner.scenario import Scenario, parse_value

BACKENDS = ("inprocess", "processes", "ray")
#: most cells one sweep may hold: beyond this the plan alone takes minutes to build, and a
#: results file of this many records is better split by grid
MAX_CELLS = 200_000
#: formats ``export_records`` writes, by suffix
EXPORT_SUFFIXES = (".csv", ".parquet")
#: fields every record carries besides the parameters, the seed and the experiment's own
TIMING_FIELDS = ("seconds", "version")

Experiment = Callable[[dict[str, Any], int], Mapping[str, Any]]


def _version() -> str:
    from oversight_gym._version import __version__

    return __version__


# --- grids and seeds ------------------------------------------------------------------------
def expand_grid(grid: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every combination of the values in ``grid``, the first parameter varying slowest.

    >>> expand_grid({"a": [1, 2], "b": ["x", "y"]})
    [{'a': 1, 'b': 'x'}, {'a': 1, 'b': 'y'}, {'a': 2, 'b': 'x'}, {'a': 2, 'b': 'y'}]
    """
    for name, values in grid.items():
        if isinstance(values, str | bytes) or not isinstance(values, Sequence) or len(values) == 0:
            raise ValueError(f"grid: {name!r} needs a non-empty list of values, got {values!r}")
    names = list(grid)
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*(grid[n] for n in names))]


def parse_grid(items: Iterable[str], parse: Callable[[str, str], Any] | None = None) -> dict[str, list[Any]]:
    """``["alpha=0.1,0.2", "n=3"]`` -> ``{"alpha": [0.1, 0.2], "n": [3]}``.

    ``parse(name, text)`` converts each value (default: int, then float, then bool, else
    the string). ``lo:hi:steps`` gives ``steps`` evenly spaced numbers from lo to hi.
    """
    out: dict[str, list[Any]] = {}
    for item in items:
        name, sep, values = item.partition("=")
        name = name.strip()
        if not sep or not name or not values.strip():
            raise ValueError(f"--grid: expected NAME=V1,V2,... or NAME=LO:HI:STEPS, got {item!r}")
        if name in out:
            raise ValueError(f"--grid: {name!r} is given twice")
        texts = [v.strip() for v in values.split(",")]
        if len(texts) == 1 and texts[0].count(":") == 2:
            lo, hi, steps = texts[0].split(":")
            try:
                lo_f, hi_f, n = float(lo), float(hi), int(steps)
            except ValueError:
                raise ValueError(f"--grid: {name}=LO:HI:STEPS needs numbers, got {values!r}") from None
            if n < 1:
                raise ValueError(f"--grid: {name}: STEPS must be at least 1, got {n}")
            nums = [lo_f + (hi_f - lo_f) * i / max(n - 1, 1) for i in range(n)]
            texts = [repr(int(x)) if x == int(x) and "." not in lo + hi else repr(x) for x in nums]
        out[name] = [parse(name, t) if parse else parse_value(t) for t in texts]
    return out


def parse_seeds(text: str | int | Sequence[int]) -> list[int]:
    """Seeds: ``5`` -> 0..4; ``"3-7"`` -> 3..7; ``"1,4,9"`` -> those; a list is kept.

    >>> parse_seeds("2-4"), parse_seeds(3), parse_seeds("5,1")
    ([2, 3, 4], [0, 1, 2], [5, 1])
    """
    if isinstance(text, int):
        seeds = _seed_range(0, text, text)
    elif isinstance(text, str):
        t = text.strip()
        try:
            if "," in t:
                seeds = [int(s) for s in t.split(",") if s.strip()]
                bounds = None
            elif "-" in t[1:]:
                lo, hi = t[0] + t[1:].split("-", 1)[0], t[1:].split("-", 1)[1]
                bounds = (int(lo), int(hi) + 1)
            else:
                bounds = (0, int(t))
        except ValueError:
            raise ValueError(f"seeds: expected N, LO-HI or a comma list of integers, got {text!r}") from None
        if bounds is not None:
            seeds = _seed_range(*bounds, text)
    else:
        seeds = [int(s) for s in text]
    if len(seeds) > MAX_CELLS:
        raise ValueError(f"seeds: {text!r} gives {len(seeds):,} seeds; a sweep holds at most {MAX_CELLS:,} cells "
                         "(grid points times seeds)")
    if not seeds:
        raise ValueError(f"seeds: no seeds in {text!r}")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds: repeated seeds in {text!r}")
    return seeds


def _seed_range(lo: int, hi: int, text: Any) -> list[int]:
    if lo < 0:
        raise ValueError(f"seeds: seeds are non-negative integers, got {text!r}")
    if hi - lo > MAX_CELLS:
        raise ValueError(f"seeds: {text!r} gives {hi - lo:,} seeds; a sweep holds at most {MAX_CELLS:,} cells "
                         "(grid points times seeds)")
    return list(range(lo, hi))


def check_export(out: str | Path | None) -> Path | None:
    """``out`` if it names a format ``export_records`` writes (checked before a sweep runs,
    not after)."""
    if out is None:
        return None
    out = Path(out)
    if out.suffix not in EXPORT_SUFFIXES:
        raise ValueError(f"--export must end in {' or '.join(EXPORT_SUFFIXES)}, got {out.name!r}")
    if out.is_dir():
        raise ValueError(f"--export {out} is a folder; give a file name ending in .csv or .parquet")
    return out


# --- cells ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Cell:
    """One unit of work: the grid point's parameters, the fixed ones, and a seed."""

    index: int
    params: tuple[tuple[str, Any], ...]  # the grid point (what the record is keyed by)
    fixed: tuple[tuple[str, Any], ...]  # parameters shared by every cell
    seed: int


def _call(experiment: Experiment, cell: Cell) -> dict[str, Any]:
    """Run one cell and build its record (runs in the worker, whatever the backend)."""
    params = {**dict(cell.fixed), **dict(cell.params)}
    started = time.perf_counter()
    out = experiment(params, cell.seed)
    seconds = time.perf_counter() - started
    if not isinstance(out, Mapping):
        raise TypeError(f"an experiment must return a dict (a flat record), got {type(out).__name__}")
    clash = set(out) & ({"seed", *TIMING_FIELDS} | set(dict(cell.params)))
    if clash:
        raise ValueError(f"the experiment's record reuses reserved or parameter names {sorted(clash)}")
    record = {**dict(cell.params), "seed": cell.seed, **out, "version": _version(), "seconds": round(seconds, 6)}
    return json.loads(json.dumps(record, default=_jsonable))  # flat and JSON-clean, as the file stores it


def _jsonable(obj: Any) -> Any:
    import numpy as np

    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"record values must be JSON numbers, strings or booleans, got {type(obj).__name__}")


def _call_packed(task: tuple[Experiment, Cell]) -> tuple[int, dict[str, Any]]:
    experiment, cell = task
    return cell.index, _call(experiment, cell)


def strip_timing(records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Records without the fields that legitimately differ between runs (time taken)."""
    return [{k: v for k, v in r.items() if k != "seconds"} for r in records]


# --- the sweep ----------------------------------------------------------------------------------
def run_sweep(experiment: Experiment, grid: Mapping[str, Sequence[Any]], seeds: Any = 1, *,
              fixed: Mapping[str, Any] | None = None, results: str | Path | None = None,
              backend: str = "inprocess", workers: int | None = None, address: str | None = None,
              progress: bool = True, name: str | None = None, overwrite: bool = False) -> list[dict[str, Any]]:
    """Run ``experiment`` on every grid cell for every seed; return the records in grid order
    (cells in :func:`expand_grid` order, seeds in the order given within each cell).

    ``fixed`` parameters are passed to every cell but not stored in the records (they are
    stored once, in the results file's header). With ``results``, records are appended
    as they finish and cells already in the file are not run again; the file's header
    holds ``name`` and ``fixed`` (and, as its plan, the grid and seeds asked for, which
    ``report`` compares with what the file holds); a file written for another experiment or
    other fixed parameters is refused (``overwrite=True`` moves it aside under a unique
    name), never mixed. One sweep at a time writes a file: a second is refused.

    For ``"processes"`` and ``"ray"`` the experiment must be picklable: a module-level
    function, or a :class:`ScenarioExperiment`.
    """
    check_choice("backend", backend, BACKENDS)
    seed_list = parse_seeds(seeds)
    fixed = dict(fixed or {})
    points = expand_grid(grid) if grid else [{}]
    if len(points) * len(seed_list) > MAX_CELLS:
        raise ValueError(f"the grid has {len(points):,} points and {len(seed_list):,} seeds: "
                         f"{len(points) * len(seed_list):,} cells; a sweep holds at most {MAX_CELLS:,}")
    overlap = set(fixed) & set(points[0])
    if overlap:
        raise ValueError(f"fixed and grid both set {sorted(overlap)}")
    cells = [Cell(i * len(seed_list) + j, tuple(p.items()), tuple(sorted(fixed.items())), s)
             for i, p in enumerate(points) for j, s in enumerate(seed_list)]
    key_fields = (*points[0].keys(), "seed")
    label = name or getattr(experiment, "name", None) or getattr(experiment, "__qualname__", "experiment")

    store = None
    done: dict[tuple, dict[str, Any]] = {}
    if results is not None:
        plan = {"grid": {k: list(v) for k, v in (grid or {}).items()}, "seeds": seed_list}
        store = RecordFile(results, {"experiment": label, "fixed": fixed, "keys": list(key_fields)}, key_fields,
                           overwrite=overwrite, plan=plan)
        for r in store.records:
            done[store.key(r)] = r
    # a cell's key as read back from the file (the JSON round trip makes tuples lists, etc.)
    key_of = {c.index: tuple(record_key(v) for v in [*(v for _, v in c.params), c.seed]) for c in cells}
    todo = [c for c in cells if key_of[c.index] not in done]
    out: dict[int, dict[str, Any]] = {c.index: done[key_of[c.index]] for c in cells if key_of[c.index] in done}

    bar = None
    if progress and todo:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(cells), initial=len(cells) - len(todo), desc=f"sweep {label}", unit="cell",
                   smoothing=0.05)

    def handle(index: int, record: dict[str, Any]) -> None:
        out[index] = record
        if store is not None:
            store.append(record)
        if bar is not None:
            bar.update(1)

    try:
        if backend == "inprocess":
            for c in todo:
                handle(c.index, _call(experiment, c))
        elif backend == "processes":
            _run_processes(experiment, todo, workers, handle)
        else:
            _run_ray(experiment, todo, workers, address, handle)
    finally:
        if bar is not None:
            bar.close()
        if store is not None:
            store.close()
    return [out[c.index] for c in cells]


def _run_processes(experiment: Experiment, cells: list[Cell], workers: int | None,
                   handle: Callable[[int, dict[str, Any]], None]) -> None:
    from oversight_gym.runner.episodes import run_parallel, worker_count

    n = worker_count(workers)
    run_parallel(_call_packed, [(experiment, c) for c in cells], workers=n,
                 on_result=lambda res: handle(*res), progress=False)


def _run_ray(experiment: Experiment, cells: list[Cell], workers: int | None, address: str | None,
             handle: Callable[[int, dict[str, Any]], None]) -> None:
    from oversight_gym.runner.episodes import worker_count

    try:
        import ray
    except ImportError:
        raise ImportError("backend='ray' needs Ray: pip install 'oversight-gym[ray]' (or pip install ray)") from None
    started_here = False
    if not ray.is_initialized():
        if address is not None:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(num_cpus=worker_count(workers), include_dashboard=False, log_to_driver=False)
        started_here = True
    try:
        remote = ray.remote(num_cpus=1)(_ray_call)
        exp_ref = ray.put(experiment)  # shipped once; Ray resolves it in each worker
        pending = [remote.remote(exp_ref, c) for c in cells]
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            for ref in ready:
                handle(*ray.get(ref))
    finally:
        if started_here:
            ray.shutdown()


def _ray_call(experiment: Experiment, cell: Cell) -> tuple[int, dict[str, Any]]:
    return cell.index, _call(experiment, cell)


# --- scenarios as experiments ------------------------------------------------------------------
class ScenarioExperiment:
    """A scenario's ``experiment(params, seed)`` as a picklable callable: it holds where the
    scenario comes from (its module, or a user's script file) and loads it on first use, in
    whichever process runs it (Ray workers cannot import a user's script by module name)."""

    def __init__(self, scenario: Scenario) -> None:
        if scenario.experiment is None:
            raise ValueError(f"scenario {scenario.name!r} defines no experiment(params, seed)")
        if scenario.module is None and scenario.path is None:
            raise ValueError(f"scenario {scenario.name!r} was not found by discovery: it has no module or file")
        self.module = scenario.module
        self.path = None if scenario.path is None else str(scenario.path)
        self.name = scenario.name
        self._fn: Experiment | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_fn": None}

    def __call__(self, params: dict[str, Any], seed: int) -> Mapping[str, Any]:
        if self._fn is None:
            import importlib

            from oversight_gym.runner.scenario import load_scenario_file

            if self.module is not None:
                scenario = importlib.import_module(self.module).SCENARIO
            else:
                scenario = load_scenario_file(Path(str(self.path)))
            self._fn = scenario.experiment
        return self._fn(params, seed)


# --- export ---------------------------------------------------------------------------------------
def export_records(records_or_path: str | Path | list[dict[str, Any]], out: str | Path) -> Path:
    """Write records (or a results file's records) as CSV or Parquet, by ``out``'s suffix."""
    keys: list[str] = []
    if isinstance(records_or_path, str | Path):
        config, records = read_results(records_or_path)
        keys = list(config.get("keys", []))
    else:
        records = list(records_or_path)
    out = check_export(out)
    assert out is not None
    out.parent.mkdir(parents=True, exist_ok=True)
    cols = list(keys)  # parameters and seed first, the experiment's fields, then timing
    for r in records:
        cols.extend(k for k in r if k not in cols and k not in TIMING_FIELDS)
    cols += [k for k in TIMING_FIELDS if any(k in r for r in records)]
    if out.suffix == ".csv":
        with open(out, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=cols)
            w.writeheader()
            w.writerows(records)
    elif out.suffix == ".parquet":
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            raise ImportError("Parquet export needs pyarrow: pip install 'oversight-gym[ray]' or pyarrow") from None
        table = pa.Table.from_pylist([{c: r.get(c) for c in cols} for r in records])
        pq.write_table(table, out)
    return out
