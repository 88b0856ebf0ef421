"""The reproduction ledger: its files, its provenance, its exit status, and the README made from it."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

from oversight_gym.cli import main
from oversight_gym.runner.ledger import README_END, README_START, read_ledger, readme_section, readme_with_results

ROOT = Path(__file__).resolve().parents[1]

COINS = textwrap.dedent('''
    """Coins: a toy scenario whose claim the tests tighten."""
    import numpy as np
    from oversight_gym.analysis.claims import Claim, Ref
    from oversight_gym.analysis.measures import Measure
    from oversight_gym.analysis.metrics import rate
    from oversight_gym.analysis.plots import pyplot
    from oversight_gym.runner.scenario import Param, Scenario, ScenarioResult

    def run(params, ctx):
        flips = np.random.default_rng(ctx.seed).random(params["flips"]) < 0.5
        r = rate(flips.tolist())
        fig, ax = pyplot().subplots(figsize=(4, 3))
        ax.bar(["heads", "tails"], [r.value, 1 - r.value])
        ax.set_title("coins")
        ctx.save_figure(fig, "coins.png")
        return ScenarioResult("Fair coins", [Measure.rate("heads", r), Measure.rate("tails", rate((~flips).tolist()))])

    SCENARIO = Scenario(
        name="coins", description="fair coins", run=run,
        params=[Param("flips", int, 4000, "coin flips", quick=2000, low=1)],
        claims=[
            Claim.value("heads", "a fair coin lands heads half the time", "Bernoulli 1713", 0.5, Ref("heads"),
                        tolerance=TOLERANCE, reason="sampling error of the flips", must_hold=True, quick=True),
            Claim.greater("not-all-heads", "tails happen", "Bernoulli 1713", Ref("tails"), 0.0, quick=True),
            Claim.value("heads-full", "the same on the full run", "Bernoulli 1713", 0.5, Ref("heads"),
                        tolerance=0.05, reason="sampling error", above=0.0),
        ])
''')


def write_coins(folder: Path, tolerance: float) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "coins.py").write_text(COINS.replace("TOLERANCE", repr(tolerance)))


def records(out: Path) -> dict[str, dict]:
    return {r["id"]: r for r in read_ledger(out)[0]}


@pytest.fixture()
def coins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "scenarios"
    monkeypatch.setenv("OVERSIGHT_GYM_SCENARIOS", str(folder))
    monkeypatch.chdir(tmp_path)
    write_coins(folder, 0.05)
    return folder


def test_the_ledger_writes_its_table_records_provenance_and_a_self_contained_page(
        coins: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "ledger"
    assert main(["reproduce", "coins", "--quick", "--out", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "a fair coin lands heads half the time" in printed and "reproduced (must hold)" in printed
    assert max(len(line) for line in printed.splitlines()) <= 120
    recs = records(out)
    assert recs["heads"]["verdict"] == "reproduced" and recs["not-all-heads"]["verdict"] == "reproduced"
    assert recs["heads-full"]["verdict"] == "not checked"  # a full-run claim in a quick ledger: listed, not hidden
    assert recs["heads"]["scenario"] == "coins" and recs["heads"]["scenario_seconds"] >= 0
    assert len(recs["heads"]["interval"]) == 2 and recs["heads"]["published"] == 0.5
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["command"] == f"oversight-gym reproduce coins --quick --out {out} --no-progress"
    assert prov["runs"]["coins"]["params"] == {"flips": 2000} and prov["seed"] == 0
    assert prov["cores"] >= 1 and "numpy" in prov["libraries"] and prov["python"]
    assert prov["version"]
    page = (out / "ledger.html").read_text()
    assert "data:image/png;base64," in page and "coins.png" in page  # the figure is embedded, not linked
    assert not re.search(r"""(src|href)=["'](?!data:|#)""", page)  # nothing outside the page
    assert "a fair coin lands heads half the time" in page
    assert (out / "runs" / "coins" / "summary.json").exists()
    # the full ledger decides the full-run claim too
    full = tmp_path / "full"
    assert main(["reproduce", "coins", "--out", str(full), "--no-progress"]) == 0
    assert records(full)["heads-full"]["verdict"] == "reproduced"


def test_a_tolerance_tightened_below_what_we_reach_turns_the_verdict_and_the_exit_status(
        coins: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "ledger"
    assert main(["reproduce", "coins", "--quick", "--out", str(out), "--no-progress"]) == 0
    reached = abs(records(out)["heads"]["ours"] - 0.5)
    assert reached > 0
    write_coins(coins, reached / 2)  # tighter than the distance our run reaches
    assert main(["reproduce", "coins", "--quick", "--out", str(out), "--no-progress"]) == 1
    captured = capsys.readouterr()
    assert "1 must-hold claim(s) not reproduced" in captured.err
    assert "FAILED: 1 must-hold claim(s) not reproduced: coins/heads" in captured.out
    assert records(out)["heads"]["verdict"] == "differs"
    assert "beyond the tolerance" in records(out)["heads"]["detail"]


def test_a_packaged_scenarios_must_hold_claim_made_false_fails_the_ledger(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """The same on a real scenario: overseer-errors' order claim, reversed, no longer holds on
    the same run, and reproduce says so in its exit status."""
    from oversight_gym.runner.scenario import discover_scenarios

    sc = discover_scenarios()["overseer-errors"]
    out = tmp_path / "ledger"
    assert main(["reproduce", "overseer-errors", "--quick", "--out", str(out), "--no-progress"]) == 0
    assert records(out)["errors-compound-with-depth"]["verdict"] == "reproduced"
    claims = [c.with_(refs=c.refs[::-1]) if c.id == "errors-compound-with-depth" else c for c in sc.claims]
    monkeypatch.setattr(sc, "claims", claims)
    assert main(["reproduce", "overseer-errors", "--quick", "--out", str(out), "--no-progress"]) == 1
    assert "overseer-errors/errors-compound-with-depth" in capsys.readouterr().out
    assert records(out)["errors-compound-with-depth"]["verdict"] == "differs"


def test_a_scenario_that_raises_is_recorded_as_differing_and_the_others_still_run(
        coins: Path, tmp_path: Path) -> None:
    (coins / "broken.py").write_text(COINS.replace("TOLERANCE", "0.05").replace('name="coins"', 'name="broken"')
                                     .replace("r = rate(flips.tolist())", "raise RuntimeError('out of coins')"))
    out = tmp_path / "ledger"
    assert main(["reproduce", "broken", "coins", "--quick", "--out", str(out), "--no-progress"]) == 1
    recs = read_ledger(out)[0]
    broken = [r for r in recs if r["scenario"] == "broken"]
    assert {r["verdict"] for r in broken} == {"differs"} and "out of coins" in broken[0]["detail"]
    assert {r["verdict"] for r in recs if r["scenario"] == "coins" and r["quick"]} >= {"reproduced"}


def test_unknown_scenarios_are_refused_by_name(coins: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["reproduce", "nope", "--quick"]) == 2
    assert "scenario must be one of" in capsys.readouterr().err


def test_the_readme_results_section_is_the_one_generated_from_the_committed_ledger() -> None:
    recs, prov = read_ledger(ROOT / "ledger")
    readme = (ROOT / "README.md").read_text()
    assert README_START in readme and README_END in readme
    assert readme_with_results(readme, recs, prov) == readme, (
        "README.md's results section differs from the committed ledger: run "
        "`python -m oversight_gym.runner.ledger --readme README.md`")
    assert readme_section(recs, prov) in readme


def test_the_committed_ledger_is_a_full_one_of_every_scenario_with_each_ones_wall_time() -> None:
    from oversight_gym.runner.scenario import discover_scenarios

    recs, prov = read_ledger(ROOT / "ledger")
    packaged = {n for n, sc in discover_scenarios().items() if sc.module and sc.module.startswith("oversight_gym.")}
    assert set(prov["runs"]) == packaged and {r["scenario"] for r in recs} <= packaged
    # run at each scenario's full reproduction settings, every claim decided
    found = discover_scenarios()
    for name, run in prov["runs"].items():
        expected = json.loads(json.dumps(found[name].reproduction_params(quick=False), default=str))
        assert run["params"] == expected, f"{name} ran with other settings than its reproduction's: run reproduce again"
    assert {r["verdict"] for r in recs} <= {"reproduced", "differs", "direction only"}
    assert sum(run["seconds"] for run in prov["runs"].values()) < 60 * 60  # the whole ledger in under an hour
    # every scenario with claims ran; one without (the language-model scenarios, with no model configured) may not
    assert all(run["seconds"] > 0 for name, run in prov["runs"].items() if found[name].claims)
    ids = {(r["scenario"], r["id"]) for r in recs}
    declared = {(n, c.id) for n, sc in discover_scenarios().items() if n in packaged for c in sc.claims}
    assert ids == declared, "the committed ledger is out of date with the scenarios' claims: run reproduce again"


def test_the_quick_ledger_of_every_scenario_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """What CI runs: `oversight-gym reproduce --quick` over every packaged scenario."""
    out = tmp_path / "quick"
    code = main(["reproduce", "--quick", "--out", str(out), "--no-progress"])
    printed = capsys.readouterr().out
    assert code == 0, printed
    recs = read_ledger(out)[0]
    checked = [r for r in recs if r["verdict"] != "not checked"]
    assert checked and all(r["quick"] for r in checked)
    assert max(len(line) for line in printed.splitlines()) <= 120
