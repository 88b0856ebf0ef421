"""The ``oversight-gym`` command: list, run (two-stage parsing), play (scripted input), --version.

Judges trained here go to the session's temporary cache (``tests/conftest.py``)."""

from __future__ import annotations

import io
import re
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import oversight_gym
from oversight_gym.cli import ActionReader, main, parse_settings, parse_value, play_session
from oversight_gym.runner.scenario import discover_scenarios

ENV = "debate/pixels-v0"
SMALL = {"pixels": 2, "judge_steps": 300}  # a judge trained in well under a second
SMALL_SET = ["--set", "pixels=2", "--set", "judge_steps=300"]


class Script:
    """Scripted answers for ``play_session``: each answer is a string, or a callable
    that gets the output so far and returns the string to type."""

    def __init__(self, answers: list) -> None:
        self.answers: Iterator = iter(answers)
        self.out: list[str] = []
        self.prompts: list[str] = []

    def input(self, prompt: str) -> str:
        self.prompts.append(prompt)
        try:
            answer = next(self.answers)
        except StopIteration:
            raise EOFError from None
        text = answer(self.text) if callable(answer) else answer
        self.out.append(f"{prompt}{text}")
        return text

    def print(self, *args: object) -> None:
        self.out.append(" ".join(str(a) for a in args))

    @property
    def text(self) -> str:
        return "\n".join(self.out)


def play(script: Script, seat: str = "honest", seed: int = 0, **kwargs: object) -> int:
    errors: list[str] = []
    code = play_session(ENV, seat, seed=seed, env_kwargs={**SMALL, **kwargs}, input_fn=script.input,
                        print_fn=script.print, error_fn=errors.append)
    script.out.extend(errors)
    return code


# --- --version, list --------------------------------------------------------------------------
def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"oversight-gym {oversight_gym.__version__}"


def test_list_everything(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for header in ("environments:", "agents:", "scenarios:"):
        assert header in out
    assert re.search(r"^\s+debate/pixels-v0\s+Sparse-pixel debate", out, re.MULTILINE)
    assert re.search(r"^\s+random\s+uniformly random", out, re.MULTILINE)


@pytest.mark.parametrize("kind", ["environments", "agents", "scenarios"])
def test_list_one_kind(kind: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", kind]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{kind}:\n")
    others = {"environments:", "agents:", "scenarios:"} - {f"{kind}:"}
    assert not any(o in out for o in others)
    if kind == "environments":
        assert ENV in out
    if kind == "scenarios":
        for name in discover_scenarios():
            assert re.search(rf"^\s+{re.escape(name)}\s+\S", out, re.MULTILINE)


def test_list_bad_kind(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "games"]) == 2
    assert "invalid choice" in capsys.readouterr().err


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage:" in capsys.readouterr().err


# --- run --------------------------------------------------------------------------------------
def test_run_unknown_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "no-such-scenario"]) == 2
    err = capsys.readouterr().err
    assert "unknown scenario 'no-such-scenario'" in err
    assert "known scenarios:" in err
    for name in discover_scenarios():
        assert name in err


def test_run_without_a_name_lists_scenarios(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run"]) == 2
    assert "scenarios:" in capsys.readouterr().out
    assert main(["run", "--help"]) == 0


def test_run_pixel_debate_help_lists_its_parameters(capsys: pytest.CaptureFixture[str]) -> None:
    scenarios = discover_scenarios()
    assert main(["run", "pixel-debate", "--help"]) == 0
    out = capsys.readouterr().out
    for p in scenarios["pixel-debate"].params:
        assert p.option in out
    for option in ("--quick", "--seed", "--out"):
        assert option in out


TOY_SCENARIO = '''
from oversight_gym.analysis.measures import Measure
from oversight_gym.runner.scenario import Param, Scenario, ScenarioResult


def run(params, ctx):
    setting = {"n": params["n"], "scale": params["scale"], "seed": ctx.seed, "quick": ctx.quick}
    return ScenarioResult("toy", [Measure("n times scale", params["n"] * params["scale"], setting=setting)])


SCENARIO = Scenario("toy-cli", "a toy scenario for the CLI tests",
                    [Param("n", int, 10, "a count", quick=2), Param("scale", float, 1.5, "a factor")], run)
'''


@pytest.fixture
def toy_scenario(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "my-scenarios"
    folder.mkdir()
    (folder / "toy_cli.py").write_text(textwrap.dedent(TOY_SCENARIO))
    monkeypatch.setenv("OVERSIGHT_GYM_SCENARIOS", str(folder))
    return tmp_path


def test_run_parses_the_scenario_options(toy_scenario: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = toy_scenario / "out"
    assert main(["run", "toy-cli", "--quick", "--scale", "0.5", "--seed", "7", "--out", str(out_dir)]) == 0
    table = capsys.readouterr().out
    assert re.search(r"^2\s+0\.5\s+7\s+True\s+n times scale\s+1\.000", table, re.MULTILINE)  # n from --quick
    assert (out_dir / "run.json").exists()
    # options may come before the name too; another configuration goes to another folder
    other = toy_scenario / "other"
    assert main(["run", "--quick", "toy-cli", "--n", "5", "--out", str(other)]) == 0
    assert re.search(r"^5\s+1\.5\s+0\s+True\s+n times scale\s+7\.500", capsys.readouterr().out, re.MULTILINE)


def test_run_refuses_a_folder_of_another_configuration(toy_scenario: Path, capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    out_dir = toy_scenario / "out"
    assert main(["run", "toy-cli", "--quick", "--out", str(out_dir)]) == 0
    assert main(["run", "toy-cli", "--quick", "--n", "5", "--out", str(out_dir)]) == 2
    err = capsys.readouterr().err
    assert "holds a run of another configuration" in err and "params.n: 2 here, 5 asked" in err
    assert "--overwrite" in err and "Traceback" not in err
    before = (out_dir / "summary.json").read_text()
    assert main(["run", "toy-cli", "--quick", "--n", "5", "--out", str(out_dir), "--overwrite"]) == 0
    assert (toy_scenario / "out.old-1" / "summary.json").read_text() == before  # kept, not deleted
    # the default folder is keyed by the configuration, so runs of two configurations never meet
    monkeypatch.chdir(toy_scenario)
    for extra in ([], ["--n", "5"], ["--seed", "3"], []):
        assert main(["run", "toy-cli", "--quick", *extra]) == 0
    assert sorted(p.name for p in (toy_scenario / "runs" / "toy-cli").iterdir()) == ["quick", "quick,n=5",
                                                                                  "quick,seed=3"]


def test_run_rejects_bad_scenario_options(toy_scenario: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "toy-cli", "--n", "many"]) == 2
    assert "--n must be an integer, got many" in capsys.readouterr().err
    assert main(["run", "toy-cli", "--pixels", "3"]) == 2
    assert "unrecognized arguments: --pixels" in capsys.readouterr().err
    assert main(["run", "toy-cli", "--help"]) == 0
    help_text = capsys.readouterr().out
    assert "--n N" in help_text and "--scale SCALE" in help_text


def test_list_shows_scenarios_from_the_env_folder(toy_scenario: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "scenarios"]) == 0
    assert re.search(r"^\s+toy-cli\s+a toy scenario", capsys.readouterr().out, re.MULTILINE)


# --- play: parsing helpers --------------------------------------------------------------------
@pytest.mark.parametrize(("text", "value"), [
    ("4", 4), ("-2", -2), ("0.25", 0.25), ("1e-3", 1e-3), ("true", True), ("False", False), ("yes", True),
    ("none", None), ("judge", "judge"), ("mnist:/data", "mnist:/data"),
])
def test_parse_value(text: str, value: object) -> None:
    assert parse_value(text) == value and type(parse_value(text)) is type(value)


def test_parse_settings() -> None:
    assert parse_settings(["pixels=4", "precommit=false", "liar_label = judge"]) == {
        "pixels": 4, "precommit": False, "liar_label": "judge"}
    with pytest.raises(ValueError, match="key=value"):
        parse_settings(["pixels"])
    with pytest.raises(ValueError, match="key=value"):
        parse_settings(["=4"])


def test_action_reader_accepts_numbers_and_names() -> None:
    game = oversight_gym.make_game(ENV, **SMALL)
    import numpy as np

    state = game.new_initial_state(np.random.default_rng(0))
    reader = ActionReader(state, 0)
    assert reader.parse("28") == (28, "")
    for text in ("reveal (3,4)", "Reveal (3, 4)", "  REVEAL(3,4) ", "reveal 3 4"):
        assert reader.parse(text) == (28, "")
    action, reason = reader.parse("claim 7")
    assert action is None and "not legal now" in reason and "labels are claimed" in reason
    action, reason = reader.parse("fly away")
    assert action is None and "not a number or action name" in reason
    action, reason = reader.parse("999")
    assert action is None and "numbered 0 to" in reason


# --- play: sessions ---------------------------------------------------------------------------
def test_play_refuses_bad_entries_and_asks_again() -> None:
    s = Script(["fly away", "", "?", "0", "reveal (0,0)", "q"])
    assert play(s, seat="honest", seed=0, pixels=3) == 0  # honest, liar, honest
    text = s.text
    assert "refused: 'fly away' is not a number or action name" in text
    assert "you played reveal (0,0)" in text
    # pixel (0,0) is revealed now: a legal-looking action refused with the game's reason
    assert "refused: reveal (0,0) (action 0) is not legal now: pixel 0 is already revealed" in text
    assert text.rstrip().endswith("quit.")
    assert len(s.prompts) == 6  # asked again after each refusal, the blank line and the listing


def test_play_quits_cleanly_at_end_of_input() -> None:
    s = Script([])
    assert play(s) == 0
    assert "quit." in s.text


def _first_legal_number(output: str) -> str:
    """The first action number of the last listing of legal actions."""
    listing = output.rsplit("legal actions for", 1)[1]
    return re.search(r"^\s+(\d+)\s", listing.split("\n", 1)[1], re.MULTILINE).group(1)


def test_play_a_whole_game_with_a_fixed_seed() -> None:
    outputs = []
    for _ in range(2):
        s = Script([_first_legal_number] * 10)
        assert play(s, seat="liar", seed=3) == 0
        outputs.append(s.text)
    text = outputs[0]
    assert "game over." in text and "judge says" in text
    assert re.search(r"returns: honest [+-]1, liar [+-]1 \(you\)", text)
    assert re.search(r"^You (win|lose)\.$", text, re.MULTILINE)
    assert "verdict" in text and "true_label" in text
    assert outputs[0] == outputs[1]  # the same seed gives the same session


def test_play_without_precommit_refuses_the_true_label() -> None:
    def claim_truth(output: str) -> str:
        return "claim " + re.search(r"honest claims (\d)", output).group(1)

    def claim_other(output: str) -> str:
        truth = int(re.search(r"honest claims (\d)", output).group(1))
        return f"Claim {(truth + 1) % 10}"

    s = Script([_first_legal_number, claim_truth, claim_other])
    assert play(s, seat="liar", seed=1, precommit=False) == 0
    assert "is the true label; the liar must claim a wrong one" in s.text
    assert "game over." in s.text


def test_play_through_main_reads_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("banana\n5\nq\n"))
    assert main(["play", ENV, "--seat", "honest", "--seed", "0", *SMALL_SET]) == 0
    out = capsys.readouterr().out
    assert "refused: 'banana' is not a number or action name" in out
    assert "you played reveal (0,5)" in out


@pytest.mark.parametrize(("argv", "message"), [
    (["--seat", "judge"], "--seat 'judge' is not a seat of debate/pixels-v0; seats are ['honest', 'liar']"),
    (["--seat", "honest", "--opponent", "oracle"], "--opponent must be one of"),
    (["--seat", "honest", "--set", "pixels"], "--set expects key=value"),
    (["--seat", "honest", "--set", "pixels=999"], "pixels must be in [1, 64], got 999"),
    (["--seat", "honest", "--set", "colour=red"], "colour"),
    (["--seat", "honest", "--opponent", "mcts", "--opponent-set", "rollouts=0"], "rollouts must be in"),
    (["--seat", "honest", "--opponent-set", "rollouts"], "--opponent-set expects key=value"),
])
def test_play_bad_arguments(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["play", ENV, *argv]) == 2
    assert message in capsys.readouterr().err


def test_play_against_a_configured_search_opponent(monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("0\n1\n2\n3\n4\n5\n6\n7\n"))
    argv = ["play", ENV, "--seat", "liar", "--seed", "2", "--opponent", "mcts", "--opponent-set", "rollouts=50",
            *SMALL_SET]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "honest (mcts) played reveal" in out and "game over." in out


def test_play_unknown_environment(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["play", "debate/nothing-v9", "--seat", "honest"]) == 2
    err = capsys.readouterr().err
    assert "unknown environment 'debate/nothing-v9'" in err and ENV in err


def test_play_requires_a_seat(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["play", ENV]) == 2
    assert "--seat" in capsys.readouterr().err


# --- play: a simultaneous-move game with a per-seat view --------------------------------------
@pytest.fixture(scope="module")
def pennies() -> Iterator[str]:
    """Matching pennies (both seats move at once) with a secret that only 'even' may see."""
    import numpy as np

    from oversight_gym.core import registry
    from oversight_gym.core.game import SIMULTANEOUS, TERMINAL, Game, State

    class PenniesState(State):
        def __init__(self, game: Game, secret: int) -> None:
            super().__init__(game)
            self.secret = secret
            self.moves: list[int] | None = None

        def current_player(self) -> int:
            return SIMULTANEOUS if self.moves is None else TERMINAL

        def legal_actions_mask(self, player: int) -> np.ndarray:
            return np.array([1, 1] if self.moves is None else [0, 0], dtype=np.int8)

        def _apply(self, player: int, action: int) -> None:
            raise AssertionError("simultaneous only")

        def _apply_joint(self, actions: list[int]) -> None:
            self.moves = actions

        def raw_returns(self) -> np.ndarray:
            if self.moves is None:
                return np.zeros(2)
            same = self.moves[0] == self.moves[1]
            return np.array([1.0, -1.0]) if same else np.array([-1.0, 1.0])

        def observation(self, player: int) -> np.ndarray:
            return np.zeros(1, np.float32)

        def action_to_string(self, player: int, action: int) -> str:
            return ("heads", "tails")[action]

        def render_text(self, player: int | None = None) -> str:
            secret = f"secret {self.secret}" if player in (None, 0) else "secret hidden"
            return f"pennies; {secret}; moves {self.moves}"

        def clone(self) -> State:
            raise NotImplementedError

    class PenniesGame(Game):
        name = "test/pennies-v0"
        player_names = ("even", "odd")
        simultaneous = True

        def new_initial_state(self, rng: np.random.Generator, **options: object) -> State:
            return PenniesState(self, int(rng.integers(100)))

        def num_distinct_actions(self) -> int:
            return 2

        def observation_shape(self, player: int) -> tuple[int, ...]:
            return (1,)

    saved = dict(registry._REGISTRY)
    oversight_gym.register("test/pennies-v0", PenniesGame, "matching pennies (test)")
    yield "test/pennies-v0"
    registry._REGISTRY.clear()
    registry._REGISTRY.update(saved)


@pytest.mark.parametrize("seat", ["even", "odd"])
def test_play_a_simultaneous_game_with_a_private_view(pennies: str, seat: str) -> None:
    s = Script(["sideways", "Tails"])
    errors: list[str] = []
    assert play_session(pennies, seat, seed=0, input_fn=s.input, print_fn=s.print, error_fn=errors.append) == 0
    text = s.text
    assert not errors
    assert "refused: 'sideways' is not a number or action name" in text
    assert "you played tails" in text
    assert re.search(r"^(even|odd) \(random\) played (heads|tails)$", text, re.MULTILINE)
    before_end = text.split("game over.")[0]
    if seat == "odd":
        assert "secret hidden" in before_end and not re.search(r"secret \d", before_end)
    else:
        assert "secret hidden" not in before_end
    assert re.search(r"pennies; secret \d+; moves \[\d, \d\]", text.split("game over.")[1])
    you = r" \(you\)"
    even_you, odd_you = (you, "") if seat == "even" else ("", you)
    assert re.search(rf"returns: even [+-]1{even_you}, odd [+-]1{odd_you}", text)


def test_a_broken_user_scenario_is_skipped_with_a_warning_naming_its_file(
        toy_scenario: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = toy_scenario / "my-scenarios" / "broken.py"
    broken.write_text("def oops(:\n")
    with pytest.warns(UserWarning, match=rf"scenario script {re.escape(str(broken))} \(line 1\) was skipped: Syn"):
        assert main(["list", "scenarios"]) == 0
    captured = capsys.readouterr()
    assert "toy-cli" in captured.out and "pixel-debate" in captured.out
    assert main(["run", "toy-cli", "--quick", "--out", str(toy_scenario / "o")]) == 0


def test_a_user_scenario_may_not_take_a_built_in_name_unless_it_says_so(
        toy_scenario: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clash = toy_scenario / "my-scenarios" / "mine.py"
    clash.write_text(TOY_SCENARIO.replace('"toy-cli"', '"pixel-debate"'))
    assert main(["list", "scenarios"]) == 2
    err = capsys.readouterr().err
    assert f"scenario script {clash} defines scenario 'pixel-debate'" in err and "override=True" in err
    clash.write_text(TOY_SCENARIO.replace('"toy-cli"', '"pixel-debate"').replace("run)", "run, override=True)"))
    assert main(["run", "pixel-debate", "--quick", "--out", str(toy_scenario / "o")]) == 0
    assert "n times scale" in capsys.readouterr().out  # the user's own replaced the built-in, as asked
