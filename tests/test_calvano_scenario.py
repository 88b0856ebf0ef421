"""The calvano2020 scenario end to end on a tiny configuration: its table, files, and a
killed run that resumes without recomputing or losing sessions."""

from __future__ import annotations

import json
from pathlib import Path

from oversight_gym.analysis.measures import find as find_measure
from oversight_gym.runner.scenario import discover_scenarios

TINY = {"sessions": 6, "beta": 1e-3, "window": 300, "max_periods": 30_000, "heatmap_alphas": "0.1,0.2",
        "heatmap_betas": "1e-3", "heatmap_sessions": 2, "audit_probs": "0.5", "fines": "0.2",
        "overseer_sessions": 2, "mi_sessions": 2, "mi_periods": 400}


def _saved(summary: dict, name: str, group: str = "") -> list[dict]:
    """The measures of a summary.json called ``name`` (in groups starting with ``group``)."""
    return [m for m in summary["measures"] if m["name"] == name and m["group"].startswith(group)]


def test_scenario_runs_writes_its_files_and_resumes(tmp_path: Path) -> None:
    scenario = discover_scenarios()["calvano2020"]
    out = tmp_path / "run"
    result = scenario.execute(TINY, out=out, progress=False)
    text = result.table()
    assert "profit gain Delta, mean over sessions" in text and "impulse response" in text
    audited = find_measure(result.measures, "Delta", p=0.5, fine=0.2)
    assert audited.n == 2 and "regulator" in audited.group
    for name in ("sessions.jsonl", "summary.json", "impulse_response.png", "heatmap.png", "overseer.png",
                 "impulse_response.json", "measures.png"):
        assert (out / name).exists(), name
    summary = json.loads((out / "summary.json").read_text())
    assert len([m for m in _saved(summary, "Delta", "profit gain over") if "alpha" in m["setting"]]) == 2
    (converged,) = _saved(summary, "share of sessions converged", "the representative point")
    assert converged["n"] == 6
    assert summary["params"]["heatmap_alphas"] == [0.1, 0.2]
    paths = (out / "impulse_response.json").read_text()

    # kill simulation: keep the header and three sessions, and a torn last line
    lines = (out / "sessions.jsonl").read_text().splitlines()
    assert len(lines) == 7
    (out / "sessions.jsonl").write_text("\n".join(lines[:4]) + "\n" + lines[4][:30])
    again = scenario.execute(TINY, out=out, progress=False)
    resumed = json.loads((out / "summary.json").read_text())
    delta = "profit gain Delta, mean over sessions"
    assert _saved(resumed, delta) == _saved(summary, delta)
    impulse = [m for m in summary["measures"] if m["group"].startswith("impulse response")]
    assert impulse and impulse == [m for m in resumed["measures"] if m["group"].startswith("impulse response")]
    assert (out / "impulse_response.json").read_text() == paths
    assert len((out / "sessions.jsonl").read_text().splitlines()) == 7
    # a complete store is read back without computing anything
    assert "compute time" not in scenario.execute(TINY, out=out, progress=False).table()
    assert "compute time" in again.table()
