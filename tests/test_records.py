"""The results store's guarantees: it refuses to mix configurations, admits one writer at a
time, loses no record to a bad line, and never deletes earlier results."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oversight_gym.analysis.report import write_report
from oversight_gym.runner.records import RecordFile, ResultsError, RunFolder, load_results, read_records, run_label
from oversight_gym.runner.sweep import run_sweep

ROOT = Path(__file__).resolve().parents[1]


def _quiet(path: Path, config: dict, keys: tuple = ("k",), **kw) -> RecordFile:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return RecordFile(path, config, keys, **kw)


# --- bad lines -----------------------------------------------------------------------------------
def test_a_torn_last_line_is_trimmed_and_everything_before_it_kept(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    with RecordFile(path, {"a": 1}, ("k",)) as f:
        f.append({"k": 1, "v": 0.5})
        f.append({"k": 2, "v": 0.25})
    with open(path, "a") as fh:
        fh.write('{"k": 3, "v"')  # a write cut short by a kill
    with RecordFile(path, {"a": 1}, ("k",)) as again:
        assert again.done() == {(1,), (2,)} and again.skipped == []
        again.append({"k": 3, "v": 1.0})  # starts on a line of its own
    assert [r["k"] for r in read_records(path)] == [1, 2, 3]


def test_a_corrupt_middle_line_is_skipped_and_reported_and_the_records_after_it_kept(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    with RecordFile(path, {"a": 1}, ("k",)) as f:
        for k in range(20):
            f.append({"k": k, "v": k / 2})
    lines = path.read_text().splitlines()
    lines[3] = lines[3][:7]  # line 4 of the file (record k=2) is garbled
    path.write_text("\n".join(lines) + "\n")
    res = load_results(path, ("k",))
    assert res.skipped == [4] and [r["k"] for r in res.records] == [k for k in range(20) if k != 2]
    assert "skipped 1 unreadable line(s) (line 4)" in res.problems()[0]
    with pytest.warns(UserWarning, match="line 4"):
        resumed = RecordFile(path, {"a": 1}, ("k",))
    assert len(resumed.records) == 19 and resumed.skipped == [4]
    resumed.append({"k": 2, "v": 1.0})  # the lost record is recomputed; nothing valid was dropped
    resumed.close()
    assert path.read_text().splitlines()[3] == lines[3]  # the bad line itself is left as it was, not deleted
    assert sorted(r["k"] for r in read_records(path)) == list(range(20))


@settings(max_examples=40, deadline=None)
@given(values=st.lists(st.integers(-5, 5), min_size=1, max_size=15), data=st.data())
def test_loading_keeps_exactly_the_readable_records_in_order(tmp_path_factory: pytest.TempPathFactory,
                                                            values: list[int], data: st.DataObject) -> None:
    path = tmp_path_factory.mktemp("prop") / "r.jsonl"
    with RecordFile(path, {"p": 0}, ("i",)) as f:
        for i, v in enumerate(values):
            f.append({"i": i, "v": v})
    bad = data.draw(st.sets(st.integers(0, len(values) - 1)))
    lines = path.read_text().splitlines()
    for i in bad:
        lines[i + 1] = data.draw(st.sampled_from(["{", "not json", '{"i": ', "[1, 2]", "\x00\x01"]))
    path.write_text("\n".join(lines) + "\n")
    res = load_results(path, ("i",))
    assert [r["i"] for r in res.records] == [i for i in range(len(values)) if i not in bad]
    assert res.skipped == sorted(i + 2 for i in bad)


def test_records_repeating_a_key_are_counted_and_ignored(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    with RecordFile(path, {"a": 1}, ("k",)) as f:
        f.append({"k": 1, "v": 1})
        f.append({"k": 1, "v": 2})  # as two writers without locks once did
    res = load_results(path, ("k",))
    assert res.duplicates == 1 and res.records == [{"k": 1, "v": 1}]


# --- configurations ---------------------------------------------------------------------------------
def test_another_configuration_is_refused_and_overwriting_keeps_every_old_file(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    with RecordFile(path, {"images": 40, "seed": 0}, ("k",)) as f:
        f.append({"k": 1})
    with pytest.raises(ResultsError, match=r"another configuration \(images: 40 here, 20 asked\)"):
        RecordFile(path, {"images": 20, "seed": 0}, ("k",))
    for seed in (1, 2):  # three configurations in turn: every earlier file is kept under its own name
        with _quiet(path, {"images": 40, "seed": seed}, overwrite=True) as f:
            f.append({"k": seed})
    assert read_records(tmp_path / "r.old-1.jsonl") == [{"k": 1}]
    assert read_records(tmp_path / "r.old-2.jsonl") == [{"k": 1}]
    assert read_records(path) == [{"k": 2}]


def test_a_file_that_is_not_a_results_file_is_never_overwritten_silently(tmp_path: Path) -> None:
    path = tmp_path / "notes.jsonl"
    path.write_text("my own notes\n")
    with pytest.raises(ResultsError, match="not a results file"):
        RecordFile(path, {"a": 1}, ("k",))
    assert path.read_text() == "my own notes\n"


def test_paths_that_cannot_hold_results_are_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(ResultsError, match="is a folder"):
        RecordFile(tmp_path, {"a": 1}, ("k",))
    (tmp_path / "file").write_text("x")
    with pytest.raises(ResultsError, match="is a file"):
        RunFolder(tmp_path / "file", {"a": 1})
    with pytest.raises(ResultsError, match="part of its"):
        RecordFile(tmp_path / "file" / "r.jsonl", {"a": 1}, ("k",))


def test_run_folders_refuse_another_configuration_and_move_it_aside_when_asked(tmp_path: Path) -> None:
    out = tmp_path / "run"
    folder = RunFolder(out, {"scenario": "s", "seed": 0})
    (out / "records.jsonl").write_text("kept\n")
    folder.close()
    RunFolder(out, {"scenario": "s", "seed": 0}).close()  # the same configuration resumes
    with pytest.raises(ResultsError, match=r"another configuration \(seed: 0 here, 1 asked\)"):
        RunFolder(out, {"scenario": "s", "seed": 1})
    moved = RunFolder(out, {"scenario": "s", "seed": 1}, overwrite=True)
    moved.close()
    assert moved.moved_to == tmp_path / "run.old-1"
    assert (tmp_path / "run.old-1" / "records.jsonl").read_text() == "kept\n"
    assert json.loads((out / "run.json").read_text())["config"]["seed"] == 1
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("x")
    for overwrite in (False, True):  # someone's own files are never moved, even when asked to overwrite
        with pytest.raises(ResultsError, match="files that are not a scenario run's"):
            RunFolder(tmp_path / "mine", {"scenario": "s"}, overwrite=overwrite)
    assert (tmp_path / "mine" / "thesis.tex").exists() and not (tmp_path / "mine.old-1").exists()


def test_a_last_record_without_its_newline_is_kept_and_the_next_starts_a_line(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    with RecordFile(path, {"a": 1}, ("k",)) as f:
        f.append({"k": 1})
    path.write_bytes(path.read_bytes().rstrip(b"\n"))  # whole, but cut just before its newline
    with RecordFile(path, {"a": 1}, ("k",)) as f:
        assert f.done() == {(1,)}
        f.append({"k": 2})
    assert [r["k"] for r in read_records(path)] == [1, 2]


def test_an_empty_file_left_by_a_run_killed_at_once_is_started_again(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text("")
    with RecordFile(path, {"a": 1}, ("k",)) as f:
        f.append({"k": 1})
    assert read_records(path) == [{"k": 1}]


def test_run_labels_name_the_options_that_differ_and_stay_short() -> None:
    assert run_label("quick", [], {}) == "quick"
    assert run_label("full", [("images", "20"), ("seed", "1")], {}) == "full,images=20,seed=1"
    long = run_label("full", [("lambdas", "0.1,0.2," * 20)], {"x": 1})
    assert long.startswith("full,") and len(long) == len("full,") + 10
    assert run_label("full", [("path", "a/b c")], {}) == "full,path=a_b_c"


# --- one writer at a time -------------------------------------------------------------------------
HOLD = textwrap.dedent("""
    import sys, time
    from oversight_gym.runner.records import RecordFile, RunFolder, ResultsError
    kind, path = sys.argv[1], sys.argv[2]
    try:
        held = RecordFile(path, {"a": 1}, ("k",)) if kind == "file" else RunFolder(path, {"a": 1})
    except ResultsError as e:
        print("REFUSED", e, flush=True)
        sys.exit(3)
    print("HOLDING", flush=True)
    time.sleep(float(sys.argv[3]))
""")


def _holder(kind: str, path: Path, seconds: float) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", HOLD, kind, str(path), str(seconds)], stdout=subprocess.PIPE,
                            text=True, env=env)


@pytest.mark.parametrize("kind", ["file", "folder"])
def test_a_second_writer_is_refused_while_the_first_holds_the_lock(tmp_path: Path, kind: str) -> None:
    path = tmp_path / ("r.jsonl" if kind == "file" else "run")
    first = _holder(kind, path, 30)
    try:
        assert first.stdout is not None and first.stdout.readline().strip() == "HOLDING"
        second = _holder(kind, path, 0)
        out, _ = second.communicate(timeout=60)
        assert second.returncode == 3 and "being written by another run" in out and f"process {first.pid}" in out
        with pytest.raises(ResultsError, match="another run"):  # this process too
            RecordFile(path, {"a": 1}, ("k",)) if kind == "file" else RunFolder(path, {"a": 1})
    finally:
        first.kill()
        first.wait()
    # the lock dies with its holder (even a killed one)
    (RecordFile(path, {"a": 1}, ("k",)) if kind == "file" else RunFolder(path, {"a": 1})).close()


def test_the_same_process_may_open_a_file_again(tmp_path: Path) -> None:
    a = RecordFile(tmp_path / "r.jsonl", {"a": 1}, ("k",))
    a.append({"k": 1})
    b = RecordFile(tmp_path / "r.jsonl", {"a": 1}, ("k",))
    assert b.done() == {(1,)}
    a.close()
    b.close()


def _cell(params: dict, seed: int) -> dict:
    return {"y": params["x"] * 10 + seed}


def test_two_identical_sweeps_at_once_give_each_cell_once(tmp_path: Path) -> None:
    path = tmp_path / "sweep.jsonl"
    first = _holder("file", path, 30)  # another sweep is writing this file
    try:
        assert first.stdout is not None and first.stdout.readline().strip() == "HOLDING"
        with pytest.raises(ResultsError, match="another run"):
            run_sweep(_cell, {"x": [1, 2]}, seeds=4, results=path, progress=False)
    finally:
        first.kill()
        first.wait()


# --- what a report says ----------------------------------------------------------------------------
def test_report_says_what_it_skipped_and_where_n_falls_short_of_the_plan(tmp_path: Path) -> None:
    path = tmp_path / "sweep.jsonl"
    run_sweep(_cell, {"x": [1, 2]}, seeds=4, results=path, progress=False)
    lines = path.read_text().splitlines()
    lines[2] = "garbled"
    path.write_text("\n".join(lines) + "\n")
    with pytest.warns(UserWarning) as caught:
        md = write_report(path, figures=False).read_text()
    said = " ".join(str(w.message) for w in caught)
    assert "skipped 1 unreadable line(s) (line 3)" in said and "skipped 1 unreadable line(s)" in md
    assert "another number of records than the 4 seeds planned (x=1: n=3)" in said
    assert "7 records" in md
    # resuming recomputes only the lost cell; the report is whole again
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        records = run_sweep(_cell, {"x": [1, 2]}, seeds=4, results=path, progress=False)
    assert len(records) == 8 and len(load_results(path).records) == 8
