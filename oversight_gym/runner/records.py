"""Results files: JSON lines appended as each record finishes, so a killed run resumes. This
module owns the format: everything that writes or reads a results file goes through it.

The first line of a file is a header with the configuration that produced it. Opening
the file again with the same configuration keeps every record already written and
reports which keys are done; with a different configuration the old file is moved
aside (``name.jsonl.old``) rather than mixed with new records.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any


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
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)


class RecordFile:
    """An append-only JSON-lines file of flat records, keyed by ``key_fields``."""

    def __init__(self, path: str | Path, config: dict[str, Any], key_fields: Iterable[str]) -> None:
        self.path = Path(path)
        self.config = json.loads(_canonical(config))
        self.key_fields = tuple(key_fields)
        self.records: list[dict[str, Any]] = []
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists():
            self._load_or_rotate()
        if not self.path.exists():
            with open(self.path, "w") as f:
                f.write(_canonical({"header": True, "config": self.config}) + "\n")

    def _load_or_rotate(self) -> None:
        lines = self.path.read_text().splitlines()
        header = json.loads(lines[0]) if lines else {}
        if header.get("config") != self.config:
            os.replace(self.path, self.path.with_name(self.path.name + ".old"))
            return
        for line in lines[1:]:
            try:
                self.records.append(json.loads(line))
            except json.JSONDecodeError:
                break  # a line cut short by a kill: everything before it is kept
        # rewrite without a torn last line
        with open(self.path, "w") as f:
            f.write(_canonical({"header": True, "config": self.config}) + "\n")
            for r in self.records:
                f.write(_canonical(r) + "\n")

    def key(self, record: dict[str, Any]) -> tuple:
        """The record's key: its ``key_fields`` as stored (lists, such as the value of a
        list-valued parameter, become tuples so that keys can be looked up)."""
        return tuple(record_key(record[k]) for k in self.key_fields)

    def done(self) -> set[tuple]:
        return {self.key(r) for r in self.records}

    def append(self, record: dict[str, Any]) -> None:
        with open(self.path, "a") as f:
            f.write(_canonical(record) + "\n")
            f.flush()
        self.records.append(json.loads(_canonical(record)))


def read_results(path: str | Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The header's configuration and the records of a results file (a line cut short by a
    kill ends the records)."""
    lines = Path(path).read_text().splitlines()
    if not lines:
        raise ValueError(f"{path}: empty results file")
    header = json.loads(lines[0])
    if not header.get("header"):
        raise ValueError(f"{path}: not a results file (its first line is not a header)")
    records = []
    for line in lines[1:]:
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            break  # a torn last line from a killed run
    return header.get("config", {}), records


def read_records(path: str | Path) -> list[dict[str, Any]]:
    """The records of a results file (without its header)."""
    return read_results(path)[1]
