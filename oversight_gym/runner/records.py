"""The results store: every file and folder of results goes through this module.

A results file is JSON lines: a header with the configuration that produced it, then one
flat record per finished unit of work, appended as each finishes, so that a killed run
resumes. A scenario's run writes into a folder (:class:`RunFolder`) whose ``run.json``
holds the run's configuration. The store's guarantees, each tested in
``tests/test_records.py``:

* **It refuses to mix.** Opening a file (or folder) that holds another configuration raises
  :class:`ResultsError` naming what differs, unless the caller asks to overwrite; then the
  old results are moved aside under a unique name (``records.old-1.jsonl``,
  ``quick.old-2``), never deleted.
* **One writer at a time.** A writer holds an exclusive lock (``flock`` on ``NAME.lock``)
  while the file or folder is open; a second process is refused with a message naming
  the process that holds it. The same process may open a path again.
* **A bad line loses nothing else.** A line that does not parse is skipped and reported
  (with its line number), and every record after it is kept; a line cut short by a kill at
  the very end of the file is trimmed. Records repeating a key already read (from writers
  that ran together before locks existed) are counted and ignored.
* **What a file promised is kept.** A header may carry a *plan* (for a sweep, its grid and
  seeds) that readers compare with what the file holds (:func:`load_results`).
"""

from __future__ import annotations

import json
import os
import re
import warnings
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:  # POSIX advisory locks; elsewhere writers are not locked
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


class ResultsError(ValueError):
    """A results file or folder that cannot be used as asked; the message says what to do."""


def record_key(value: Any) -> Any:
    """``value`` as it reads back from a results file, made hashable: a JSON round trip, with
    lists turned into tuples (and dicts into sorted tuples of items)."""
    def freeze(v: Any) -> Any:
        if isinstance(v, list):
            return tuple(freeze(x) for x in v)
        if isinstance(v, dict):
            return tuple(sorted((k, freeze(x)) for k, x in v.items()))
        return v

    return freeze(json.loads(_canonical(value)))


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=_plain)


def _plain(obj: Any) -> Any:
    """numpy scalars and arrays as JSON numbers and lists; anything else as its string."""
    item = getattr(obj, "tolist", None)
    return item() if callable(item) else str(obj)


def clean_json(obj: Any) -> Any:
    """``obj`` as it reads back from a results file (tuples become lists, numpy values numbers)."""
    return json.loads(_canonical(obj))


# --- locks ---------------------------------------------------------------------------------------
_HELD: dict[str, list[int]] = {}  # lock path -> [fd, times opened] for this process


def _lock(target: Path, what: str) -> Callable[[], None]:
    """Hold an exclusive lock on ``target`` (its ``NAME.lock`` file) and return the release
    function. Raises :class:`ResultsError` when another process holds it."""
    lock_path = target.with_name(target.name + ".lock")
    key = str(lock_path.resolve())
    if key in _HELD:
        _HELD[key][1] += 1
    else:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                holder = os.read(fd, 64).decode(errors="replace").strip()
                os.close(fd)
                who = f"another run (process {holder})" if holder.isdigit() else "another run"
                raise ResultsError(f"{what} is being written by {who}; wait for it to finish, or write "
                                   "elsewhere") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        _HELD[key] = [fd, 1]
    released = False

    def release() -> None:
        nonlocal released
        if released or key not in _HELD:
            return
        released = True
        _HELD[key][1] -= 1
        if _HELD[key][1] == 0:
            fd = _HELD.pop(key)[0]
            try:
                os.close(fd)  # closing the descriptor releases the lock
            except OSError:
                pass

    return release


def aside_name(path: Path) -> Path:
    """A free name beside ``path`` for keeping its old content: ``records.jsonl`` ->
    ``records.old-1.jsonl`` (then ``-2``, ...); a folder ``quick`` -> ``quick.old-1``."""
    path = path.resolve() if not path.name else path
    stem, suffix = (path.stem, path.suffix) if path.suffix and not path.is_dir() else (path.name, "")
    n = 1
    while True:
        candidate = path.with_name(f"{stem}.old-{n}{suffix}")
        if not candidate.exists() and not candidate.with_name(candidate.name + ".lock").exists():
            return candidate
        n += 1


def _differences(old: Any, new: Any, prefix: str = "") -> list[str]:
    """Where two configurations differ, as ``name: old -> new`` (at most a few)."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for k in sorted(set(old) | set(new), key=str):
            if old.get(k, "<absent>") != new.get(k, "<absent>"):
                out += _differences(old.get(k, "<absent>"), new.get(k, "<absent>"), f"{prefix}{k}.")
        return out
    return [f"{prefix.rstrip('.') or 'value'}: {_short(old)} here, {_short(new)} asked"]


def _short(value: Any, width: int = 40) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, str) else value
    return text if len(text) <= width else text[: width - 3] + "..."


# --- reading ---------------------------------------------------------------------------------------
@dataclass
class Results:
    """What a results file holds: its header's configuration and plan, the records, and what
    reading it had to leave out."""

    path: Path
    config: dict[str, Any]
    records: list[dict[str, Any]]
    plan: dict[str, Any] = field(default_factory=dict)
    #: 1-based line numbers of lines that did not parse (skipped; the records after them are kept)
    skipped: list[int] = field(default_factory=list)
    #: records whose key repeats one read before (ignored)
    duplicates: int = 0
    #: whether the last line was cut short (by a kill while it was written)
    torn: bool = False

    def problems(self) -> list[str]:
        """What a reader of these results should be told, one sentence each."""
        out = []
        if self.skipped:
            shown = ", ".join(str(n) for n in self.skipped[:10]) + (", ..." if len(self.skipped) > 10 else "")
            out.append(f"{self.path}: skipped {len(self.skipped)} unreadable line(s) (line {shown}); "
                       "the records after them are kept")
        if self.duplicates:
            out.append(f"{self.path}: ignored {self.duplicates} record(s) repeating a key already read")
        return out


def _parse(path: Path, key_fields: tuple[str, ...] | None) -> tuple[dict[str, Any] | None, Results, int]:
    """Read ``path``: its header (``None`` if the first line is not one), the results, and the
    byte length of its complete lines (a torn last line is not counted)."""
    data = path.read_bytes()
    complete = len(data) if data.endswith(b"\n") or not data else data.rfind(b"\n") + 1
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    header = None
    if lines:
        try:
            first = json.loads(lines[0])
            header = first if isinstance(first, dict) and first.get("header") is True else None
        except (json.JSONDecodeError, UnicodeDecodeError):
            header = None
    res = Results(path, dict((header or {}).get("config") or {}), [], dict((header or {}).get("plan") or {}))
    seen: set[tuple] = set()
    for n, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            if not isinstance(rec, dict):
                raise ValueError("not a record")
        except (ValueError, UnicodeDecodeError):
            if n == len(lines) and complete < len(data):
                res.torn = True
            else:
                res.skipped.append(n)
            continue
        if key_fields:
            try:
                k = tuple(record_key(rec[f]) for f in key_fields)
            except KeyError:
                res.skipped.append(n)
                continue
            if k in seen:
                res.duplicates += 1
                continue
            seen.add(k)
        res.records.append(rec)
    return header, res, complete


def load_results(path: str | Path, key_fields: Iterable[str] | None = None) -> Results:
    """Read a results file without writing to it (no lock needed). ``key_fields`` (default: the
    header's ``keys``) identify repeated records, which are counted and ignored."""
    path = Path(path)
    if path.is_dir():
        raise ResultsError(f"{path} is a folder, not a results file")
    if not path.exists():
        raise ResultsError(f"{path}: no such results file")
    header, res, _ = _parse(path, tuple(key_fields) if key_fields is not None else None)
    if header is None:
        raise ResultsError(f"{path}: not a results file (its first line is not a results header)")
    if key_fields is None and res.config.get("keys"):
        header, res, _ = _parse(path, tuple(res.config["keys"]))
    return res


def read_results(path: str | Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The header's configuration and the records of a results file (unreadable lines skipped
    with a warning; see :func:`load_results` for what was skipped)."""
    res = load_results(path)
    for problem in res.problems():
        warnings.warn(problem, stacklevel=2)
    return res.config, res.records


def read_records(path: str | Path) -> list[dict[str, Any]]:
    """The records of a results file (without its header)."""
    return read_results(path)[1]


# --- writing ---------------------------------------------------------------------------------------
class RecordFile:
    """An append-only JSON-lines file of flat records, keyed by ``key_fields``, locked for
    this writer while it is open.

    Opening an existing file keeps every readable record of the same configuration and
    reports which keys are done (:meth:`done`). A file of another configuration is refused
    (:class:`ResultsError`) unless ``overwrite=True``, which moves it aside under a unique
    name. ``plan`` (optional) is what the file is meant to hold, stored in its header for
    readers (it may change between runs without refusing: a sweep's grid may grow).
    Use it as a context manager, or call :meth:`close`, to release the lock early.
    """

    def __init__(self, path: str | Path, config: dict[str, Any], key_fields: Iterable[str], *,
                 overwrite: bool = False, plan: dict[str, Any] | None = None) -> None:
        self.path = Path(path)
        self.config = clean_json(config)
        self.key_fields = tuple(key_fields)
        self.plan = clean_json(plan or {})
        self.records: list[dict[str, Any]] = []
        self.skipped: list[int] = []
        self.duplicates = 0
        if self.path.is_dir():
            raise ResultsError(f"results file {self.path} is a folder; give the path of a file inside it "
                               f"(e.g. {self.path / 'results.jsonl'})")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            raise ResultsError(f"results file {self.path}: a part of its folder is a file, not a folder") from None
        self._release = _lock(self.path, f"results file {self.path}")
        self._finalizer = weakref.finalize(self, self._release)
        try:
            if self.path.exists():
                self._open_existing(overwrite)
            if not self.path.exists():
                self._write_header()
        except BaseException:
            self.close()
            raise

    def _header(self) -> dict[str, Any]:
        head: dict[str, Any] = {"header": True, "config": self.config}
        if self.plan:
            head["plan"] = self.plan
        return head

    def _write_header(self) -> None:
        with open(self.path, "w") as f:
            f.write(_canonical(self._header()) + "\n")

    def _open_existing(self, overwrite: bool) -> None:
        if not self.path.read_bytes().strip():  # created by a run killed before its header: nothing to lose
            self.path.unlink()
            return
        header, res, complete = _parse(self.path, self.key_fields)
        if header is None or res.config != self.config:
            if overwrite:
                aside = aside_name(self.path)
                os.replace(self.path, aside)
                warnings.warn(f"{self.path}: the results of another configuration were moved to {aside}",
                              stacklevel=3)
                return
            if header is None:
                raise ResultsError(f"{self.path} exists and is not a results file (its first line is not a "
                                   "results header); move it, or choose another path")
            diff = "; ".join(_differences(res.config, self.config)[:4])
            raise ResultsError(f"{self.path} holds results of another configuration ({diff}); to keep both, "
                               "choose another output; to start again, ask to overwrite (--overwrite), which "
                               f"moves the old file to {aside_name(self.path).name}")
        if res.torn:  # a record cut short by a kill: it is recomputed, never mixed with the next line
            with open(self.path, "r+b") as f:
                f.truncate(complete)
        elif complete < self.path.stat().st_size:  # a whole last record without its newline
            with open(self.path, "ab") as f:
                f.write(b"\n")
        self.records, self.skipped, self.duplicates = res.records, res.skipped, res.duplicates
        for problem in res.problems():
            warnings.warn(problem, stacklevel=3)
        if self.plan and res.plan != self.plan:
            self._rewrite_header()

    def _rewrite_header(self) -> None:
        """Replace the header line (a new plan), keeping every other line as it is."""
        rest = self.path.read_bytes().split(b"\n", 1)[1] if self.path.exists() else b""
        tmp = self.path.with_name(self.path.name + ".tmp")
        with open(tmp, "wb") as f:
            f.write((_canonical(self._header()) + "\n").encode() + rest)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)

    def key(self, record: dict[str, Any]) -> tuple:
        """The record's key: its ``key_fields`` as stored (lists, such as the value of a
        list-valued parameter, become tuples so that keys can be looked up)."""
        return tuple(record_key(record[k]) for k in self.key_fields)

    def done(self) -> set[tuple]:
        return {self.key(r) for r in self.records}

    def append(self, record: dict[str, Any]) -> None:
        line = _canonical(record)
        with open(self.path, "a") as f:
            f.write(line + "\n")
            f.flush()
        self.records.append(json.loads(line))

    def close(self) -> None:
        """Release the lock (records stay on disk; appending after this is not locked)."""
        self._finalizer()

    def __enter__(self) -> RecordFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- scenario run folders -------------------------------------------------------------------------
RUN_FILE = "run.json"
_SAFE = re.compile(r"[^A-Za-z0-9._=,+-]")


def run_label(mode: str, changed: Iterable[tuple[str, str]], config: Any, width: int = 80) -> str:
    """A run folder's name, read from its configuration: the mode, then every option that
    differs from the mode's defaults (``full,images=20,seed=1``); a long one ends in a hash
    of the whole configuration instead."""
    import hashlib

    parts = [mode, *(f"{k}={v}" for k, v in changed)]
    label = _SAFE.sub("_", ",".join(parts))
    if len(label) <= width:
        return label
    digest = hashlib.sha1(_canonical(config).encode()).hexdigest()[:10]
    return f"{mode},{digest}"


class RunFolder:
    """A scenario run's output folder, locked while the run writes to it.

    Its ``run.json`` holds the run's configuration (written when the run starts, with a
    status, and completed when it ends). A folder that holds another configuration, or
    files that are not a run's, is refused unless ``overwrite=True``: then its content is
    moved to a new folder beside it (``NAME.old-N``), never deleted.
    """

    def __init__(self, path: str | Path, config: dict[str, Any], *, overwrite: bool = False,
                 option: str = "--out") -> None:
        self.path = Path(path)
        self.config = clean_json(config)
        if self.path.exists() and not self.path.is_dir():
            raise ResultsError(f"{option} {self.path} is a file; give a folder (it is created if missing)")
        if not self.path.resolve().name:
            raise ResultsError(f"{option} {self.path} is the file system's root; give a folder of its own")
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            raise ResultsError(f"{option} {self.path}: a part of its path is a file, not a folder") from None
        self._release = _lock(self.path / ".run", f"output folder {self.path}")  # .run.lock inside it
        self._finalizer = weakref.finalize(self, self._release)
        try:
            self.moved_to = self._check(overwrite, option)
            self.write(status="running")
        except BaseException:
            self.close()
            raise

    def _check(self, overwrite: bool, option: str) -> Path | None:
        run_file = self.path / RUN_FILE
        content = [p for p in self.path.iterdir() if p.name != ".run.lock"]
        if not [p for p in content if p != run_file]:
            return None  # nothing but the record of a run that wrote nothing (e.g. failed at once): free
        held = None
        try:
            held = json.loads(run_file.read_text()).get("config") if run_file.exists() else None
        except (OSError, ValueError, AttributeError):
            held = None
        if held == self.config:
            return None
        if held is None:  # never moved, even with --overwrite: they may be anyone's files
            raise ResultsError(f"{self.path} holds files that are not a scenario run's; choose another {option} "
                               "(a new or empty folder, or one a run of this configuration wrote)")
        if not overwrite:
            why = "; ".join(_differences(held, self.config)[:4])
            raise ResultsError(f"{self.path} holds a run of another configuration ({why}); choose another "
                               f"{option}, or add --overwrite to move its content to {aside_name(self.path).name} "
                               "and start again")
        aside = aside_name(self.path)
        aside.mkdir()
        for p in content:
            os.replace(p, aside / p.name)
        return aside

    def write(self, **info: Any) -> None:
        """(Re)write ``run.json``: the configuration plus ``info`` (status, timing, version)."""
        tmp = self.path / (RUN_FILE + ".tmp")
        tmp.write_text(json.dumps({"config": self.config, **info}, indent=2, default=_plain))
        os.replace(tmp, self.path / RUN_FILE)

    def records_kept(self) -> int:
        """How many records the folder's results files hold (every ``*.jsonl`` under it)."""
        total = 0
        for f in sorted(self.path.rglob("*.jsonl")):
            if ".old-" in f.name:
                continue
            try:
                total += len(load_results(f).records)
            except (OSError, ResultsError):
                continue
        return total

    def close(self) -> None:
        self._finalizer()
