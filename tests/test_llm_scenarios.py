"""The language-model scenarios (``llm-debate``, ``llm-pricing``): without a model they say how to
configure one and exit cleanly; against a fake OpenAI-compatible server on 127.0.0.1 they run in
full (quick sizes), write transcripts with the records like any other run, and a run whose
records are gone is rebuilt from the reply cache alone, equal and without a request."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from oversight_gym.agents.llm import ENV_BASE_URL, ENV_MODEL
from oversight_gym.cli import main
from oversight_gym.runner.records import load_results
from oversight_gym.runner.scenario import discover_scenarios
from oversight_gym.testing.fake_chat import FakeChatServer, legal_actions

SCENARIOS = ("llm-debate", "llm-pricing")
RECORDS = {"llm-debate": ("feature-debate.jsonl", "recursive-debate.jsonl", "judge.jsonl", "recursive-judge.jsonl"),
           "llm-pricing": ("sessions.jsonl",)}


@pytest.mark.parametrize("name", SCENARIOS)
def test_without_a_model_the_scenario_says_how_to_configure_one(name: str, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv(ENV_BASE_URL, raising=False)
    monkeypatch.delenv(ENV_MODEL, raising=False)
    assert main(["run", name, "--quick", "--out", str(tmp_path / "out"), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert ENV_BASE_URL in out and ENV_MODEL in out and "nothing was run" in out


def varied(request: dict) -> str:
    """Replies that differ with the sampled seed, in prose, sometimes unreadable."""
    actions = sorted(legal_actions(request))
    pick = request["seed"] % (len(actions) + 1)
    if pick == len(actions):
        return "Hard to say."
    return f"Weighing the options, I pick {legal_actions(request)[actions[pick]]}.\nACTION: {actions[pick]}"


def _measures(out: Path) -> list[dict]:
    return json.loads((out / "summary.json").read_text())["measures"]


@pytest.mark.parametrize("name", SCENARIOS)
def test_a_full_run_against_a_fake_server_writes_transcripts_and_replays_from_the_cache(
        name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sc = discover_scenarios()[name]
    out = tmp_path / "run"
    with FakeChatServer(varied) as server:
        monkeypatch.setenv(ENV_BASE_URL, server.base_url)
        monkeypatch.setenv(ENV_MODEL, "fake-model")
        result = sc.execute(quick=True, out=out, progress=False, workers=1)
        sent = len(server.requests)
        assert sent > 0 and result.measures
        names = {m.name for m in result.measures}
        if name == "llm-debate":
            assert {"judge accuracy", "joint-wrong rate", "contested", "honest side wins", "reached the length limit",
                    "agrees with the rule judge"} <= names
            judged = [r for r in load_results(out / "recursive-judge.jsonl").records if r["reached_limit"]]
            assert judged and all("model_verdict" in r and r["events"] for r in judged)
        else:
            assert {"profit gain Delta", "price gain", "Nash price (mean over firms)"} <= names
        assert "tokens per game (prompt + completion)" in names
        transcripts = {}
        for file in RECORDS[name]:
            records = load_results(out / file).records
            assert records, file
            for r in records:
                key = json.dumps([r.get("match"), r.get("debate"), r.get("firms"), r.get("seed")])
                transcripts[(file, key)] = r.get("transcript", r.get("events"))
            model_events = [e for r in records for e in r.get("transcript", []) if e["kind"] == "model"]
            if file not in ("judge.jsonl", "recursive-judge.jsonl"):
                assert model_events and all(e["data"]["model"] == "fake-model" for e in model_events)
        # the records gone, the cache kept: the same command rebuilds the run without a request
        for file in RECORDS[name]:
            (out / file).unlink()
        again = sc.execute(quick=True, out=out, progress=False, workers=1)
        assert len(server.requests) == sent
    assert [m.as_dict() for m in again.measures if m.group != "model use"] == \
        [m.as_dict() for m in result.measures if m.group != "model use"]
    for file in RECORDS[name]:
        for r in load_results(out / file).records:
            key = json.dumps([r.get("match"), r.get("debate"), r.get("firms"), r.get("seed")])
            assert r.get("transcript", r.get("events")) == transcripts[(file, key)]
    shutil.rmtree(out)
