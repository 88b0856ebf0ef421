"""Ctrl-C during a run stops it cleanly: no tracebacks (from the workers either), a line
saying how many records are kept and how to resume, and the same command resumes from them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SLOW = textwrap.dedent('''
    import os
    import time
    from oversight_gym.analysis.measures import Measure
    from oversight_gym.runner.episodes import run_parallel
    from oversight_gym.runner.records import RecordFile
    from oversight_gym.runner.scenario import Param, Scenario, ScenarioResult


    def task(i):
        time.sleep(float(os.environ.get("SLOW_TOY_SECONDS", "0.15")))
        return {"i": i, "y": i * i}


    def run(params, ctx):
        store = RecordFile(ctx.path("records.jsonl"), {"n": params["n"]}, ("i",))
        done = {k[0] for k in store.done()}
        todo = [i for i in range(params["n"]) if i not in done]
        run_parallel(task, todo, workers=ctx.workers, on_result=store.append, progress=ctx.progress,
                     desc="slow", done=len(done))
        return ScenarioResult("slow", [Measure("records", len(store.records))])


    SCENARIO = Scenario("slow-toy", "a slow toy scenario", [Param("n", int, 60, "tasks")], run)
''')


def _records(path: Path) -> int:
    return max(0, len(path.read_text().splitlines()) - 1) if path.exists() else 0


def test_ctrl_c_stops_a_run_cleanly_and_the_same_command_resumes(tmp_path: Path) -> None:
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "slow_toy.py").write_text(SLOW)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OVERSIGHT_GYM_SCENARIOS": str(tmp_path / "scenarios")}
    cmd = [sys.executable, "-m", "oversight_gym.cli", "run", "slow-toy", "--workers", "2", "--out", "out"]
    # slow enough (30 s uninterrupted) that a loaded machine cannot finish the run before the interrupt
    # Ctrl-C's default action, as in a terminal: a child inherits an ignored SIGINT, and a test
    # process under pytest-xdist may ignore it (the run then ended uninterrupted, exit 0, twice)
    proc = subprocess.Popen(cmd, cwd=tmp_path, env={**env, "SLOW_TOY_SECONDS": "1.0"}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    records = tmp_path / "out" / "records.jsonl"
    deadline = time.time() + 60
    while _records(records) < 4 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    seen = _records(records)
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole process group
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, f"{seen} records when interrupted; {err[-2000:]}"
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    kept = _records(records)
    assert 4 <= kept < 60
    assert f"interrupted: {kept} finished record(s) are kept in out; run the same command again to resume" in err
    again = subprocess.run([*cmd, "--no-progress"], cwd=tmp_path, env=env, capture_output=True, text=True,
                           timeout=120)
    assert again.returncode == 0, again.stderr
    assert _records(records) == 60  # nothing lost, nothing repeated
