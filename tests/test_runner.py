"""Episodes, resumable results files, the debate evaluation runner and the scenario."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import oversight_gym as og
from oversight_gym.agents import RandomAgent
from oversight_gym.analysis.measures import find as find_measure
from oversight_gym.envs.debate import pixel_runs as runner
from oversight_gym.runner.episodes import play_episode, run_parallel
from oversight_gym.runner.records import read_records
from oversight_gym.runner.scenario import get_scenario

GAME = {"pixels": 4, "judge_steps": 300, "judge_hidden": 32}
MATCHUPS = [runner.Matchup("random-random", "random", "random"),
            runner.Matchup("mcts-random", "mcts", "random", {"rollouts": 30})]


def test_play_episode_same_seed_same_transcript() -> None:
    game = og.make_game("debate/pixels-v0", **GAME)
    a = play_episode(game, [RandomAgent(), RandomAgent()], seed=7)
    b = play_episode(game, [RandomAgent(), RandomAgent()], seed=7)
    assert a.transcript_json() == b.transcript_json() and a.is_terminal()
    with pytest.raises(ValueError, match="agents"):
        play_episode(game, [RandomAgent()], seed=0)


def _square(x: int) -> int:
    return x * x


def test_run_parallel_gives_the_same_results_in_and_out_of_process() -> None:
    seen: list[int] = []
    one = run_parallel(_square, range(6), workers=1, on_result=seen.append, progress=False)
    two = run_parallel(_square, range(6), workers=2, progress=False)
    assert one == seen == [x * x for x in range(6)] and sorted(two) == sorted(one)


def _strip(records: list[dict]) -> list[str]:
    return sorted(json.dumps(r, sort_keys=True) for r in records)


def test_interrupted_debate_run_resumes_without_losing_or_repeating_work(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    images = [0, 1, 2, 3, 4]
    fresh = runner.run_pixel_debates(GAME, MATCHUPS, images, seed=3, workers=1, progress=False)
    assert len(fresh) == len(MATCHUPS) * len(images)

    results = tmp_path / "records.jsonl"
    real = runner.play_task
    calls = {"n": 0}

    def dying(task: dict) -> dict:
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt  # the run is killed while the 4th debate is being played
        return real(task)

    monkeypatch.setattr(runner, "play_task", dying)
    with pytest.raises(KeyboardInterrupt):
        runner.run_pixel_debates(GAME, MATCHUPS, images, seed=3, workers=1, results=results, progress=False)
    assert len(read_records(results)) == 3  # what finished before the kill is on disk
    monkeypatch.setattr(runner, "play_task", real)

    played: list[dict] = []
    monkeypatch.setattr(runner, "play_task", lambda t: played.append(t) or real(t))
    resumed = runner.run_pixel_debates(GAME, MATCHUPS, images, seed=3, workers=1, results=results, progress=False)
    assert len(played) == len(fresh) - 3  # only the missing debates are played again
    assert _strip(resumed) == _strip(fresh) == _strip(read_records(results))  # same seeds, same records


def test_no_precommit_plays_one_game_per_lie_with_the_target_claimed() -> None:
    recs = runner.run_pixel_debates({**GAME, "precommit": False}, MATCHUPS[:1], [0, 1], seed=0, progress=False)
    assert len(recs) == 2 * 9
    for r in recs:
        assert r["liar_label"] == r["target"] != r["true_label"]


def test_replay_rebuilds_the_recorded_debate() -> None:
    game = og.make_game("debate/pixels-v0", **GAME)
    (rec,) = runner.run_pixel_debates(GAME, MATCHUPS[1:], [5], seed=1, progress=False)
    state = runner.replay(game, rec)
    assert state.is_terminal() and state.verdict == rec["verdict"] and state.reveals == rec["pixels"]


def test_pixel_debate_scenario_end_to_end(tmp_path: Path) -> None:
    sc = get_scenario("pixel-debate")
    result = sc.execute({"pixels": 4, "rollouts": 40, "images": 12, "judge_steps": 300,
                         "matchups": "mcts-mcts,random-random"}, quick=True, out=tmp_path, progress=False)
    text = result.table()
    assert "judge alone, 4 pixels" in text and "mcts-mcts" in text and "random-random" in text
    # a published number is printed only for the paper's setting (6 pixels, 10,000 rollouts)
    assert "59.4%" not in text and "88.9%" not in text
    for name in ("records.jsonl", "summary.json", "pixel_debate.png", "examples.png", "measures.png", "run.json"):
        assert (tmp_path / name).exists(), name
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["params"]["matchups"] == ["mcts-mcts", "random-random"]
    acc = find_measure(result.measures, "judge accuracy", debaters="mcts-mcts (precommit)")
    (saved,) = [m for m in summary["measures"] if m["name"] == "judge accuracy"
                and m["setting"]["debaters"] == "mcts-mcts (precommit)"]
    assert saved == acc.as_dict() and acc.n == 12 and acc.interval[0] <= acc.value <= acc.interval[1]
    assert len(read_records(tmp_path / "records.jsonl")) == 24


def test_scenario_rejects_bad_parameters(tmp_path: Path) -> None:
    sc = get_scenario("pixel-debate")
    with pytest.raises(ValueError, match="--images"):
        sc.execute({"images": 10_000, "judge_steps": 300, "pixels": 4}, quick=True, out=tmp_path, progress=False)
    with pytest.raises(ValueError, match="--matchups"):
        sc.execute({"matchups": "mcts-oracle", "judge_steps": 300, "pixels": 4}, quick=True, out=tmp_path,
                   progress=False)
    with pytest.raises(ValueError, match="--liar-label must be one of"):
        sc.execute({"liar_label": "worst"}, quick=True, out=tmp_path, progress=False)
    with pytest.raises(ValueError, match="unknown parameter"):
        sc.execute({"pixel": 3}, quick=True, out=tmp_path, progress=False)


def test_a_resumed_progress_bar_counts_from_what_is_done(capsys: pytest.CaptureFixture[str]) -> None:
    run_parallel(_square, range(3), workers=1, progress=True, desc="resumed", done=5)
    err = capsys.readouterr().err
    assert "5/8" in err and "8/8" in err and "0/3" not in err


def test_worker_pools_fork_safely_after_a_parallel_compiled_engine_ran() -> None:
    """A compiled engine's parallel loop in the parent, then the same engine in forked workers:
    with GNU OpenMP as numba's threading layer the workers abort and the pool waits forever (the
    reproduction ledger hung so). Run in a child process with a timeout, so a hang fails."""
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent("""
        from oversight_gym.envs.collusion.auction_runs import run_auctions
        from oversight_gym.runner.episodes import run_parallel

        def task(seed):
            return float(run_auctions({"periods": 500}, 4, seed=seed)["revenue"].sum())

        if __name__ == "__main__":
            run_auctions({"periods": 500}, 4)
            print(len(run_parallel(task, [1, 2, 3], workers=2, progress=False)))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "3", out.stderr[-2000:]
