"""Sweeps: grids, seeds, backends that agree, resumable results files, export and reports."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oversight_gym.analysis.report import mean_interval, summarise, write_report
from oversight_gym.cli import main
from oversight_gym.runner.records import read_records, read_results
from oversight_gym.runner.scenario import get_scenario
from oversight_gym.runner.sweep import (
    ScenarioExperiment,
    expand_grid,
    export_records,
    parse_grid,
    parse_seeds,
    run_sweep,
    strip_timing,
)

ROOT = Path(__file__).resolve().parents[1]


def affine(params: dict, seed: int) -> dict:
    return {"y": params["a"] * 10 + params.get("b", 0) + seed, "tag": f"{params['a']}-{seed}"}


# --- grids and seeds --------------------------------------------------------------------------
@settings(max_examples=30, deadline=None)
@given(st.dictionaries(st.sampled_from("abcd"), st.lists(st.integers(0, 9), min_size=1, max_size=3),
                       min_size=1, max_size=3))
def test_grid_is_the_cartesian_product(grid: dict) -> None:
    cells = expand_grid(grid)
    n = 1
    for values in grid.values():
        n *= len(values)
    assert len(cells) == n
    assert all(set(c) == set(grid) and all(c[k] in grid[k] for k in grid) for c in cells)


def test_parse_grid_values_ranges_and_errors() -> None:
    assert parse_grid(["a=1,2", "b=0.5", "c=x,true"]) == {"a": [1, 2], "b": [0.5], "c": ["x", True]}
    assert parse_grid(["k=2:8:4"]) == {"k": [2, 4, 6, 8]}
    assert parse_grid(["p=0:1:3"]) == {"p": [0.0, 0.5, 1.0]}
    for bad in (["a"], ["=1"], ["a="], ["a=1", "a=2"], ["a=x:y:3"], ["a=0:1:0"]):
        with pytest.raises(ValueError, match="--grid"):
            parse_grid(bad)
    assert parse_seeds("3") == [0, 1, 2] and parse_seeds("4-6") == [4, 5, 6] and parse_seeds([7]) == [7]
    for bad in ("x", "1,1", "0"):
        with pytest.raises(ValueError, match="seeds"):
            parse_seeds(bad)
    with pytest.raises(ValueError, match="backend"):
        run_sweep(affine, {"a": [1]}, backend="cluster")
    with pytest.raises(ValueError, match="'a' needs a non-empty list"):
        run_sweep(affine, {"a": []})


def test_records_carry_parameters_seed_version_and_time() -> None:
    recs = run_sweep(affine, {"a": [1, 2]}, seeds=[0, 5], fixed={"b": 100}, progress=False)
    assert [r["y"] for r in recs] == [110, 115, 120, 125]
    assert all(set(r) == {"a", "seed", "y", "tag", "version", "seconds"} for r in recs)


def test_experiment_must_return_a_record_without_reserved_names() -> None:
    with pytest.raises(ValueError, match="reserved or parameter names"):
        run_sweep(lambda p, s: {"seed": 1}, {"a": [1]}, progress=False)
    with pytest.raises(TypeError, match="must return a dict"):
        run_sweep(lambda p, s: 3, {"a": [1]}, progress=False)


# --- backends agree -----------------------------------------------------------------------------
def _debate_experiment() -> tuple[ScenarioExperiment, dict]:
    scenario = get_scenario("pixel-debate")
    fixed = scenario.resolve({"images": 6, "rollouts": 20, "matchups": "greedy-random,random-random",
                              "judge_steps": 300}, quick=True)
    fixed.pop("pixels")
    return ScenarioExperiment(scenario), fixed


@pytest.mark.usefixtures("ray_exclusive")
def test_the_same_sweep_gives_the_same_records_on_every_backend(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    exp, fixed = _debate_experiment()
    grid = {"pixels": [2, 4]}
    runs = {b: run_sweep(exp, grid, seeds=3, fixed=fixed, backend=b, workers=2, progress=False,
                         results=tmp_path / f"{b}.jsonl")
            for b in ("inprocess", "processes", "ray")}
    assert len(runs["inprocess"]) == 6
    assert strip_timing(runs["processes"]) == strip_timing(runs["inprocess"])
    assert strip_timing(runs["ray"]) == strip_timing(runs["inprocess"])
    # what the files hold (in completion order) is the same set of records
    for b in runs:
        stored = sorted(strip_timing(read_records(tmp_path / f"{b}.jsonl")), key=lambda r: (r["pixels"], r["seed"]))
        assert stored == strip_timing(runs["inprocess"])


def test_results_file_resumes_and_a_larger_grid_reuses_cells(tmp_path: Path) -> None:
    calls: list[tuple] = []

    def counted(params: dict, seed: int) -> dict:
        calls.append((params["a"], seed))
        return affine(params, seed)

    path = tmp_path / "r.jsonl"
    run_sweep(counted, {"a": [1, 2]}, seeds=2, results=path, progress=False, name="counted")
    assert len(calls) == 4
    again = run_sweep(counted, {"a": [1, 2, 3]}, seeds=2, results=path, progress=False, name="counted")
    assert calls[4:] == [(3, 0), (3, 1)]  # only the new cells ran
    assert [r["y"] for r in again] == [10, 11, 20, 21, 30, 31]
    # another experiment name: refused; asked to overwrite, the old file is moved aside, never mixed
    with pytest.raises(ValueError, match="holds results of another configuration"):
        run_sweep(counted, {"a": [1]}, seeds=1, results=path, progress=False, name="other")
    kept = read_records(path)
    run_sweep(counted, {"a": [1]}, seeds=1, results=path, progress=False, name="other", overwrite=True)
    assert read_records(tmp_path / "r.old-1.jsonl") == kept and len(read_records(path)) == 1


SLOW_SCENARIO = '''
import time
from pathlib import Path
from oversight_gym.runner.scenario import Param, Scenario, ScenarioResult

def experiment(params, seed):
    with open(Path(params["log"]), "a") as f:
        f.write(f"{params['a']},{seed}\\n")
    time.sleep(0.15)
    return {"y": params["a"] * 100 + seed}

SCENARIO = Scenario(name="slow-toy", description="a slow toy experiment for the resume test",
                    params=[Param("a", int, 1, "a number"), Param("log", str, "", "call log")],
                    run=lambda params, ctx: ScenarioResult("toy", []), experiment=experiment)
'''


def test_a_killed_sweep_resumes_without_losing_or_repeating_work(tmp_path: Path) -> None:
    (tmp_path / "scen").mkdir()
    (tmp_path / "scen" / "slow_toy.py").write_text(textwrap.dedent(SLOW_SCENARIO))
    log, results = tmp_path / "calls.log", tmp_path / "slow.jsonl"
    env = {**os.environ, "OVERSIGHT_GYM_SCENARIOS": str(tmp_path / "scen")}
    cmd = [sys.executable, "-m", "oversight_gym.cli", "sweep", "slow-toy", "--grid", "a=1,2,3,4", "--seeds", "5",
           "--set", f"log={log}", "--results", str(results), "--no-progress", "--no-figures"]
    proc = subprocess.Popen(cmd, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline and (not results.exists() or len(results.read_text().splitlines()) < 5):
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = read_records(results)
    assert 4 <= len(before) < 20, "the sweep should have been killed part-way"
    done_before = {(r["a"], r["seed"]) for r in before}
    subprocess.run(cmd, env=env, cwd=tmp_path, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    after = read_records(results)
    keys = [(r["a"], r["seed"]) for r in after]
    assert len(keys) == len(set(keys)) == 20  # nothing lost, nothing twice
    assert after[: len(before)] == before  # records already written are kept as they were
    calls = [tuple(int(x) for x in line.split(",")) for line in log.read_text().splitlines()]
    rerun = [c for c in calls[len(calls) - (20 - len(before)):]]
    assert not set(rerun) & done_before  # no recorded cell was computed again
    assert {r["y"] for r in after} == {a * 100 + s for a in range(1, 5) for s in range(5)}


# --- export and report ----------------------------------------------------------------------------
def test_export_csv_and_parquet_round_trip(tmp_path: Path) -> None:
    recs = run_sweep(affine, {"a": [1, 2]}, seeds=2, results=tmp_path / "r.jsonl", progress=False)
    csv_path = export_records(tmp_path / "r.jsonl", tmp_path / "r.csv")
    lines = csv_path.read_text().splitlines()
    assert lines[0].split(",") == ["a", "seed", "tag", "y", "seconds", "version"] and len(lines) == 5
    pq = pytest.importorskip("pyarrow.parquet")
    table = pq.read_table(export_records(recs, tmp_path / "r.parquet"))
    assert table.column("y").to_pylist() == [10, 11, 20, 21]
    with pytest.raises(ValueError, match=r"\.csv or \.parquet"):
        export_records(recs, tmp_path / "r.xlsx")


def test_summary_intervals_and_report(tmp_path: Path) -> None:
    m, lo, hi = mean_interval([0.0, 1.0, 1.0, 0.0])
    assert m == 0.5 and lo < 0.5 < hi and abs((hi - m) - (m - lo)) < 1e-12
    assert mean_interval([3.0])[0] == 3.0
    path = tmp_path / "r.jsonl"
    run_sweep(affine, {"a": [1, 2, 3], "b": [0, 1]}, seeds=4, results=path, progress=False, name="affine")
    config, records = read_results(path)
    assert config["keys"] == ["a", "b", "seed"] and len(records) == 24
    rows = summarise(records, ["a", "b"])
    assert len(rows) == 6 and rows[0]["n"] == 4 and rows[0]["y"] == 10 + 0 + 1.5
    md = write_report(path, tmp_path / "rep")
    text = md.read_text()
    assert "| a | b | n | y |" in text and "![y](y.png)" in text and (tmp_path / "rep" / "y.png").stat().st_size > 0


def test_cli_sweep_and_report(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    code = main(["sweep", "pixel-debate", "--quick", "--grid", "pixels=2,3", "--seeds", "2", "--set", "images=4",
                 "--set", "matchups=random-random", "--set", "judge_steps=300", "--no-progress", "--no-figures",
                 "--export", "out.csv"])
    out = capsys.readouterr().out
    assert code == 0 and "judge_accuracy:random-random" in out and (tmp_path / "out.csv").exists()
    # the default results file is named after the fixed configuration: the mode and the --set options
    [results] = (tmp_path / "runs" / "sweeps" / "pixel-debate").glob("*.jsonl")
    assert results.name.startswith("quick,") and "images=4" in results.name and "judge-steps=300" in results.name
    assert len(read_records(results)) == 4
    assert main(["report", str(results), "--out", str(tmp_path / "rep")]) == 0
    assert (tmp_path / "rep" / "judge_alone.png").exists()
    capsys.readouterr()
    assert main(["sweep", "pixel-debate", "--grid", "pixelz=2"]) == 2
    assert "'pixelz' is not a parameter of pixel-debate" in capsys.readouterr().err
    assert main(["report", str(tmp_path / "missing.jsonl")]) == 2


def test_scenario_experiment_is_picklable_and_loads_lazily() -> None:
    import pickle

    exp, fixed = _debate_experiment()
    clone = pickle.loads(pickle.dumps(exp))
    rec = clone({**fixed, "pixels": 2}, 0)
    assert set(rec) >= {"judge_alone", "judge_accuracy:random-random"} and json.dumps(rec)


def test_absurd_sweeps_and_exports_are_refused_before_anything_runs(tmp_path: Path) -> None:
    from oversight_gym.runner.sweep import check_export

    with pytest.raises(ValueError, match="10,000,000 seeds; a sweep holds at most"):
        parse_seeds("10000000")
    with pytest.raises(ValueError, match="at most"):
        run_sweep(affine, {"a": list(range(1000))}, seeds=300, progress=False)
    with pytest.raises(ValueError, match="--export must end in .csv or .parquet, got 'x.txt'"):
        check_export("x.txt")
    with pytest.raises(ValueError, match="is a folder"):
        run_sweep(affine, {"a": [1]}, seeds=1, results=tmp_path, progress=False)


def test_the_command_line_refuses_an_absurd_grid_before_checking_its_cells(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sweep", "calvano2020", "--quick", "--grid", "alpha=0.01:0.5:1000",
                 "--grid", "beta=1e-6:1e-5:1000"]) == 2
    assert "the grid has 1,000,000 points; a sweep holds at most 200,000 cells" in capsys.readouterr().err


def test_worker_counts_are_capped_to_the_cores() -> None:
    from oversight_gym.runner.episodes import worker_count

    cores = os.cpu_count() or 1
    with pytest.warns(UserWarning, match=f"--workers 500 is more than the {cores} cores"):
        assert worker_count(500) == cores
    assert worker_count(None) == cores and worker_count(1) == 1
    with pytest.raises(ValueError, match="--workers must be a whole number of at least 1, got 0"):
        worker_count(0)
