"""The ``oversight-gym`` command.

::

    oversight-gym list [environments|agents|scenarios]
    oversight-gym run SCENARIO [--quick] [--seed N] [--out DIR] [scenario options ...]
    oversight-gym play ENV --seat NAME [--opponent AGENT] [--seed N] [--set key=value ...]
    oversight-gym sweep SCENARIO --grid NAME=V1,V2 [--grid ...] [--seeds N] [--backend B] ...
    oversight-gym report RESULTS [--out DIR]
    oversight-gym reproduce [NAME ...] [--quick] [--out DIR]
    oversight-gym --version

``run`` parses in two stages: first the scenario's name, then the options that this
scenario declares (each :class:`~oversight_gym.runner.scenario.Param` becomes one), so
``oversight-gym run NAME --help`` lists exactly the parameters of ``NAME``.

``play`` seats a person at one seat of a game; the terminal session itself lives in
:func:`play_session`, which takes ``input``/``print`` callables so it can be scripted.
The position is shown with ``State.render_text()``; a game with hidden information can
accept ``render_text(player=...)`` to show a seat only what it may see, and ``play`` then
uses it (the whole state is shown once the game is over).
"""

from __future__ import annotations

import argparse
import inspect
import re
import shutil
import sys
import textwrap
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from oversight_gym.runner.scenario import parse_settings, parse_value  # noqa: F401  (re-exported)

PROG = "oversight-gym"
LIST_KINDS = ("environments", "agents", "scenarios")
QUIT_WORDS = ("q", "quit", "exit")
HELP_WORDS = ("?", "h", "help")


# --- list ---------------------------------------------------------------------------------
def _rows(pairs: Sequence[tuple[str, str]], width: int = 120) -> list[str]:
    """``name  description`` lines, the descriptions wrapped to ``width`` columns under themselves."""
    if not pairs:
        return ["  (none)"]
    name_w = max(len(name) for name, _ in pairs)
    indent = " " * (name_w + 4)
    out: list[str] = []
    for name, desc in pairs:
        lines = textwrap.wrap(desc, width, initial_indent=f"  {name.ljust(name_w)}  ", subsequent_indent=indent)
        out += lines or [f"  {name}"]
    return out


def list_lines(kind: str | None = None) -> list[str]:
    """The lines ``oversight-gym list [kind]`` prints: one per item, id and description."""
    kinds = LIST_KINDS if kind is None else (kind,)
    out: list[str] = []
    for k in kinds:
        if k == "environments":
            from oversight_gym.core.registry import registered_ids, spec

            pairs = [(i, spec(i).description) for i in registered_ids()]
        elif k == "agents":
            from oversight_gym.agents import registered_agents

            pairs = [(name, cls.description) for name, cls in registered_agents().items()]
        else:
            from oversight_gym.runner.scenario import discover_scenarios

            pairs = [(name, sc.description) for name, sc in sorted(discover_scenarios().items())]
        if out:
            out.append("")
        out.append(f"{k}:")
        out.extend(_rows(pairs))
    return out


def _cmd_list(args: argparse.Namespace) -> int:
    print("\n".join(list_lines(args.kind)))
    return 0


# --- run ----------------------------------------------------------------------------------
def _cmd_run(args: argparse.Namespace, rest: list[str], run_parser: argparse.ArgumentParser) -> int:
    from oversight_gym.runner.scenario import discover_scenarios

    scenarios = discover_scenarios()
    known = ", ".join(sorted(scenarios)) or "(none found)"
    if args.scenario is None:
        run_parser.print_help()
        print(f"\nscenarios: {known}\nscenario options: {PROG} run SCENARIO --help")
        return 0 if any(a in ("-h", "--help") for a in rest) else 2
    if args.scenario not in scenarios:
        run_parser.print_usage(sys.stderr)
        print(f"{PROG} run: error: unknown scenario {args.scenario!r}; known scenarios: {known}", file=sys.stderr)
        return 2
    scenario = scenarios[args.scenario]
    description = scenario.description + (f"\n\nCite: {scenario.citation}" if scenario.citation else "")
    sub = argparse.ArgumentParser(prog=f"{PROG} run {scenario.name}", description=description,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    scenario.add_arguments(sub)
    return scenario.run_from_args(sub.parse_args(rest), sub)


# --- play ---------------------------------------------------------------------------------
def _tokens(text: str) -> tuple[str, ...]:
    return tuple(re.findall(r"[a-z]+|-?\d+(?:\.\d+)?", text.lower()))


def _squash(text: str) -> str:
    return "".join(text.lower().split())


class ActionReader:
    """Turns what a person types into an action of ``player`` in ``state``.

    Accepted: the action's number, or its name as ``state.action_to_string`` writes it,
    compared without case and spaces; if that fails, compared word by word (so
    ``reveal 3 4`` finds ``reveal (3,4)``) when that is unambiguous.
    """

    def __init__(self, state: Any, player: int) -> None:
        self.state = state
        self.player = player
        self.n = state.game.num_distinct_actions()
        self.exact: dict[str, int] = {}
        by_tokens: dict[tuple[str, ...], list[int]] = {}
        for a in range(self.n):
            name = state.action_to_string(player, a)
            self.exact.setdefault(_squash(name), a)
            by_tokens.setdefault(_tokens(name), []).append(a)
        self.by_tokens = {k: v[0] for k, v in by_tokens.items() if k and len(v) == 1}

    def parse(self, text: str) -> tuple[int | None, str]:
        """``(action, "")`` for a legal action, ``(None, reason)`` otherwise."""
        raw = text.strip()
        action: int | None = None
        if re.fullmatch(r"[+-]?\d+", raw):
            action = int(raw)
            if not 0 <= action < self.n:
                return None, f"{action} is not an action number; actions are numbered 0 to {self.n - 1}"
        else:
            action = self.exact.get(_squash(raw))
            if action is None:
                action = self.by_tokens.get(_tokens(raw))
        if action is None:
            return None, f"{raw!r} is not a number or action name (type ? to list the legal actions)"
        if action not in self.state.legal_actions(self.player):
            name = self.state.action_to_string(self.player, action)
            reason = self.state.illegal_reason(self.player, action)
            return None, f"{name} (action {action}) is not legal now: {reason}"
        return action, ""


def format_actions(state: Any, player: int, width: int = 100) -> str:
    """The legal actions of ``player`` as ``number name`` cells laid out in columns."""
    legal = state.legal_actions(player)
    num_w = len(str(max(legal))) if legal else 1
    cells = [f"{a:>{num_w}}  {state.action_to_string(player, a)}" for a in legal]
    if not cells:
        return "  (no legal action)"
    cell_w = max(len(c) for c in cells) + 3
    per_row = max(1, (width - 2) // cell_w)
    rows = [cells[i:i + per_row] for i in range(0, len(cells), per_row)]
    return "\n".join("  " + "".join(c.ljust(cell_w) for c in row).rstrip() for row in rows)


def _seat_names_early(env_id: str) -> tuple[str, ...]:
    """Seat names known without building the game (a class attribute), else ``()``."""
    from oversight_gym.core.registry import spec

    try:
        factory = spec(env_id).game_factory()
    except Exception:  # noqa: BLE001 - a broken factory is reported when the game is built
        return ()
    names = getattr(factory, "player_names", ())
    return tuple(names) if isinstance(names, tuple | list) else ()


def render_for(state: Any, player: int) -> str:
    """``state.render_text(player=player)`` if the game renders per player (hiding what
    that seat may not see), else ``state.render_text()``."""
    try:
        params = inspect.signature(state.render_text).parameters
    except (TypeError, ValueError):
        params = {}
    return state.render_text(player=player) if "player" in params else state.render_text()


def play_session(
    env_id: str,
    seat: str,
    opponent: str = "random",
    seed: int | None = None,
    env_kwargs: dict[str, Any] | None = None,
    opponent_kwargs: dict[str, Any] | None = None,
    input_fn: Callable[[str], str] = input,
    print_fn: Callable[..., None] = print,
    error_fn: Callable[[str], None] | None = None,
    width: int = 100,
) -> int:
    """A person plays ``seat`` of ``env_id`` against ``opponent`` agents in the other seats
    (built with ``opponent_kwargs``, e.g. ``{"rollouts": 500}`` for ``mcts``).

    Returns 0 when the game ends or the person quits (``q``, end of input), 2 when the
    arguments are wrong (the message, given to ``error_fn`` or else printed to stderr,
    names the argument and what is allowed).
    """
    from oversight_gym.agents import make_agent, registered_agents
    from oversight_gym.core.episode import advance, apply_decision, choose_action
    from oversight_gym.core.registry import make_game, registered_ids

    def fail(message: str) -> int:
        text = f"{PROG} play: error: {message}"
        if error_fn is None:
            print(text, file=sys.stderr)
        else:
            error_fn(text)
        return 2

    if env_id not in registered_ids():
        return fail(f"unknown environment {env_id!r}; environments are {registered_ids()}")
    agents = registered_agents()
    if opponent not in agents:
        return fail(f"--opponent must be one of {sorted(agents)}, got {opponent!r}")
    seats = _seat_names_early(env_id)
    if seats and seat not in seats:
        return fail(f"--seat {seat!r} is not a seat of {env_id}; seats are {list(seats)}")

    print_fn(f"building {env_id} (a first run may train and cache a model; that can take a while)...")
    try:
        game = make_game(env_id, **(env_kwargs or {}))
    except (TypeError, ValueError) as e:
        return fail(f"{env_id}: {e}")
    try:
        me = game.player_index(seat)
    except ValueError as e:
        return fail(str(e))

    seeds = np.random.SeedSequence(seed).spawn(game.num_players + 1)
    state = game.new_initial_state(np.random.default_rng(seeds[0]))
    bots: dict[int, Any] = {}
    try:
        for p in range(game.num_players):
            if p != me:
                bots[p] = make_agent(opponent, seed=int(seeds[p + 1].generate_state(1)[0]), **(opponent_kwargs or {}))
    except (TypeError, ValueError) as e:
        return fail(f"--opponent {opponent} with --opponent-set {opponent_kwargs or {}}: {e}")
    names = game.player_names

    others = ", ".join(f"{names[p]} ({opponent})" for p in bots)
    print_fn(f"You play {names[me]} against {others}. Type an action's number or name; ? lists them; q quits.")

    recent: list[str] = []  # the opponents' moves since the person last moved

    def flush_recent() -> None:
        for line in recent:
            print_fn(line)
        recent.clear()

    def ask() -> int | None:
        """The person's next action, or None to quit. The board and the opponents' last
        moves are printed last, right above the prompt, so they stay on screen."""
        reader = ActionReader(state, me)
        print_fn("")
        print_fn(f"legal actions for {names[me]}:")
        print_fn(format_actions(state, me, width))
        print_fn("")
        print_fn(render_for(state, me))
        flush_recent()
        while True:
            try:
                text = input_fn(f"{names[me]}> ")
            except (EOFError, KeyboardInterrupt):
                print_fn("")
                return None
            word = text.strip().lower()
            if word in QUIT_WORDS:
                return None
            if word in HELP_WORDS:
                print_fn(format_actions(state, me, width))
                continue
            if not word:
                continue
            action, reason = reader.parse(text)
            if action is not None:
                return action
            print_fn(f"refused: {reason}")

    def record(moves: list[tuple[int, int]]) -> None:
        recent.extend(f"{names[p]} ({opponent}) played {state.action_to_string(p, a)}" for p, a in moves)

    while True:
        # the agents move until the person must choose (an agent's illegal action raises
        # IllegalActionError: a bug to see)
        advance(state, bots, on_moves=record)
        if state.is_terminal():
            break
        mine = ask()
        if mine is None:
            print_fn("quit.")
            return 0
        print_fn(f"you played {state.action_to_string(me, mine)}")
        moves = apply_decision(state, lambda p, mine=mine: mine if p == me else choose_action(bots[p], state, p))
        record([(p, a) for p, a in moves if p != me])

    flush_recent()
    print_fn("")
    print_fn("game over.")
    print_fn(state.render_text())  # everything may be shown now
    outcome = state.outcome()
    if outcome:
        print_fn("outcome:")
        key_w = max(len(str(k)) for k in outcome)
        for k, v in outcome.items():
            print_fn(f"  {str(k).ljust(key_w)}  {v}")
    returns = np.asarray(state.returns(), dtype=float)
    print_fn("returns: " + ", ".join(
        f"{names[p]} {returns[p]:+g}" + (" (you)" if p == me else "") for p in range(game.num_players)))
    best_other = max(returns[p] for p in bots) if bots else returns[me]
    verdict = "You win." if returns[me] > best_other else "You lose." if returns[me] < best_other else "A draw."
    print_fn(verdict)
    return 0


def _cmd_play(args: argparse.Namespace) -> int:
    try:
        kwargs = parse_settings(args.set)
        opponent_kwargs = parse_settings(args.opponent_set, "--opponent-set")
    except ValueError as e:
        print(f"{PROG} play: error: {e}", file=sys.stderr)
        return 2
    try:
        width = min(shutil.get_terminal_size((100, 24)).columns, 140)
        return play_session(args.env, args.seat, opponent=args.opponent, seed=args.seed, env_kwargs=kwargs,
                            opponent_kwargs=opponent_kwargs, width=width)
    except KeyboardInterrupt:  # e.g. while a judge is being trained
        print("\ninterrupted.", file=sys.stderr)
        return 130


# --- sweep and report -----------------------------------------------------------------------
def _cmd_sweep(args: argparse.Namespace) -> int:
    import itertools
    import math
    from pathlib import Path

    from oversight_gym.analysis.report import write_report
    from oversight_gym.runner.scenario import discover_scenarios
    from oversight_gym.runner.sweep import (
        MAX_CELLS,
        ScenarioExperiment,
        check_export,
        export_records,
        parse_grid,
        run_sweep,
    )

    def fail(message: str) -> int:
        print(f"{PROG} sweep: error: {message}", file=sys.stderr)
        return 2

    scenarios = discover_scenarios()
    if args.scenario not in scenarios:
        return fail(f"unknown scenario {args.scenario!r}; known scenarios: {', '.join(sorted(scenarios))}")
    scenario = scenarios[args.scenario]
    sweepable = sorted(n for n, s in scenarios.items() if s.experiment is not None)
    if scenario.experiment is None:
        return fail(f"scenario {scenario.name!r} defines no experiment(params, seed); sweepable: {sweepable}")
    params = {p.name: p for p in scenario.params}
    results = None
    try:
        def parse(name: str, text: str) -> Any:
            if name not in params:
                raise ValueError(f"--grid: {name!r} is not a parameter of {scenario.name}; "
                                 f"parameters: {sorted(params)}")
            return params[name].parse(text)

        grid = parse_grid(args.grid, parse)
        fixed = scenario.resolve(parse_settings(args.set), quick=args.quick, cross_check=False)
        points = math.prod(len(v) for v in grid.values())
        if points > MAX_CELLS:  # refused before the cells' rules are checked one by one
            raise ValueError(f"the grid has {points:,} points; a sweep holds at most {MAX_CELLS:,} cells")
        if scenario.check is not None:  # the rules tying options together hold in every cell, checked up front
            for values in itertools.product(*grid.values()):
                cell = dict(zip(grid, values, strict=True))
                try:
                    scenario.check({**fixed, **cell})
                except ValueError as err:
                    shown = ",".join(k + "=" + params[k].show(v) for k, v in cell.items())
                    raise ValueError(f"the cell {shown} of --grid: {err}" if cell else str(err)) from None
        for name in grid:
            fixed.pop(name)
        # by default one results file per fixed configuration (mode and --set), as run folders are
        results = Path(args.results or Path("runs") / "sweeps" / scenario.name
                       / f"{scenario.label(fixed, args.quick, config={'fixed': fixed})}.jsonl")
        check_export(args.export)  # before the sweep, not after it
        records = run_sweep(ScenarioExperiment(scenario), grid, args.seeds, fixed=fixed,
                            results=results, backend=args.backend, workers=args.workers, address=args.address,
                            progress=not args.no_progress, name=scenario.name, overwrite=args.overwrite)
    except (ValueError, ImportError) as e:
        return fail(str(e))
    except KeyboardInterrupt:
        kept = _records_in(results)
        print(f"\ninterrupted: {kept} record(s) are kept in {results}; run the same command to resume.",
              file=sys.stderr)
        return 130
    print(f"{len(records)} records in {results}")
    if args.export:
        print(f"exported to {export_records(results, args.export)}")
    report = write_report(results, figures=not args.no_figures)
    print(report.read_text())
    print(f"report: {report}")
    return 0


def _records_in(results: Any) -> int:
    from oversight_gym.runner.records import ResultsError, load_results

    try:
        return 0 if results is None else len(load_results(results).records)
    except (OSError, ResultsError):
        return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from oversight_gym.analysis.report import write_report
    from oversight_gym.runner.sweep import export_records

    try:
        report = write_report(args.results, args.out, figures=not args.no_figures)
        if args.export:
            print(f"exported to {export_records(args.results, args.export)}")
    except (OSError, ValueError, ImportError) as e:
        print(f"{PROG} report: error: {e}", file=sys.stderr)
        return 2
    print(report.read_text())
    print(f"report: {report}")
    return 0


def _cmd_reproduce(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """Run the reproduction ledger; exit 1 when a must-hold claim is not reproduced."""
    from oversight_gym.runner.ledger import default_out, ledger_text, run_ledger

    def echo(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    ledger = run_ledger(args.scenarios, quick=args.quick, out=args.out, workers=args.workers,
                        progress=not args.no_progress, overwrite=args.overwrite, command=argv, echo=echo)
    print(ledger_text(ledger))
    out = args.out or default_out(args.quick)
    print("\nledger.txt, ledger.jsonl, provenance.json and ledger.html written in")
    print(f"  {out}")
    if ledger.failed:
        print(f"{PROG}: {len(ledger.failed)} must-hold claim(s) not reproduced", file=sys.stderr)
        return 1
    return 0


# --- parser -------------------------------------------------------------------------------
def build_parser() -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    """The top-level parser and the ``run`` subparser (whose options depend on the scenario)."""
    from oversight_gym import __version__

    parser = argparse.ArgumentParser(
        prog=PROG,
        description="A multi-agent simulation and game-theory sandbox for scalable oversight.",
        epilog=f"examples:\n  {PROG} list\n  {PROG} run pixel-debate --quick\n  {PROG} run pixel-debate --help\n"
               f"  {PROG} play debate/pixels-v0 --seat liar --set pixels=4",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p_list = sub.add_parser("list", help="list environments, agents or scenarios",
                            description="List registered environments, agents or scenarios (all three by default).")
    p_list.add_argument("kind", nargs="?", choices=LIST_KINDS, help="what to list (default: all)")

    p_run = sub.add_parser(
        "run", add_help=False, help="run a scenario by name (options: run SCENARIO --help)",
        usage=f"{PROG} run SCENARIO [--quick] [--seed N] [--out DIR] [scenario options ...]",
        description="Run a scenario. Every parameter of the scenario is an option; "
                    f"`{PROG} run SCENARIO --help` lists them.",
    )
    p_run.add_argument("scenario", nargs="?", help="scenario name (see `list scenarios`)")

    p_play = sub.add_parser(
        "play", help="take a seat in a game in the terminal",
        description="Play one seat of a game in the terminal; agents play the other seats. "
                    "Enter an action's number or name (e.g. 'reveal (3,4)' or 'claim 7'); ? lists; q quits.",
    )
    p_play.add_argument("env", help="environment id (see `list environments`)")
    p_play.add_argument("--seat", required=True, help="the seat you play, e.g. honest or liar")
    p_play.add_argument("--opponent", default="random", help="agent name for the other seats (default random)")
    p_play.add_argument("--seed", type=int, default=None, help="seed of the game and the opponents")
    p_play.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="environment parameter, repeatable (e.g. --set pixels=4 --set precommit=false)")
    p_play.add_argument("--opponent-set", action="append", default=[], metavar="KEY=VALUE",
                        help="opponent agent parameter, repeatable (e.g. --opponent-set rollouts=500)")

    p_sweep = sub.add_parser(
        "sweep", help="run a scenario's experiment over a grid of parameters and seeds",
        description="Run SCENARIO's experiment(params, seed) on every cell of a grid times every seed. Records "
                    "are appended to a results file as they finish; the same command resumes a killed sweep.",
        epilog=f"example:\n  {PROG} sweep pixel-debate --quick --grid pixels=2,4,6 --grid rollouts=100,1000 "
               "--seeds 5 --backend processes",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p_sweep.add_argument("scenario", help="scenario name (see `list scenarios`)")
    p_sweep.add_argument("--grid", action="append", default=[], metavar="NAME=V1,V2",
                         help="a parameter and its values (or NAME=LO:HI:STEPS), repeatable")
    p_sweep.add_argument("--seeds", default="1", help="N (seeds 0..N-1), LO-HI, or a comma list (default 1)")
    p_sweep.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                         help="a fixed scenario parameter, repeatable")
    p_sweep.add_argument("--quick", action="store_true", help="start from the scenario's --quick defaults")
    p_sweep.add_argument("--backend", default="inprocess", choices=["inprocess", "processes", "ray"],
                         help="where cells run (default inprocess)")
    p_sweep.add_argument("--address", default=None, help="Ray cluster address (default: start a local Ray)")
    p_sweep.add_argument("--workers", type=int, default=None,
                         help="processes (default: all cores; at most the cores there are)")
    p_sweep.add_argument("--results", default=None,
                         help="results file (default runs/sweeps/SCENARIO/MODE.jsonl, e.g. quick.jsonl, or with the "
                              "--set options that differ from the mode's defaults, full,pixels=4.jsonl)")
    p_sweep.add_argument("--overwrite", action="store_true",
                         help="if the results file holds another configuration, move it aside (to "
                              "NAME.old-N.jsonl) and start again, instead of refusing")
    p_sweep.add_argument("--export", default=None, metavar="FILE", help="also write FILE.csv or FILE.parquet")
    p_sweep.add_argument("--no-figures", action="store_true", help="report without figures")
    p_sweep.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    p_report = sub.add_parser("report", help="summarise a sweep's results file (table with intervals, figures)",
                              description="Write report.md (mean and 95%% interval per cell) and one figure per "
                                          "metric beside it.")
    p_report.add_argument("results", help="a results file written by `sweep`")
    p_report.add_argument("--out", default=None, help="output folder (default: beside the results file)")
    p_report.add_argument("--export", default=None, metavar="FILE", help="also write FILE.csv or FILE.parquet")
    p_report.add_argument("--no-figures", action="store_true", help="report without figures")

    p_repro = sub.add_parser(
        "reproduce", help="check every published claim by running the scenarios (the reproduction ledger)",
        description="Run the named scenarios (all by default) at their reproduction settings, check each published "
                    "claim against our measures, and write the ledger (a table, JSON lines, provenance and an HTML "
                    "page with the figures). Exit status 1 when a claim marked must-hold is not reproduced.",
        epilog=f"examples:\n  {PROG} reproduce --quick\n  {PROG} reproduce calvano2020 pixel-debate --out ledger",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p_repro.add_argument("scenarios", nargs="*", metavar="NAME", help="scenarios to run (default: all)")
    p_repro.add_argument("--quick", action="store_true",
                         help="quick settings: check only the claims a quick run decides (minutes, not an hour)")
    p_repro.add_argument("--out", default=None,
                         help="ledger folder (default runs/ledger/full, or runs/ledger/quick); each scenario's run "
                              "goes in its runs/NAME/, and the same command resumes an interrupted ledger")
    p_repro.add_argument("--workers", type=int, default=None,
                         help="processes per scenario (default: all cores; at most the cores there are)")
    p_repro.add_argument("--overwrite", action="store_true",
                         help="if a scenario's run folder holds another configuration, move it aside and start again")
    p_repro.add_argument("--no-progress", action="store_true", help="hide progress bars")
    return parser, p_run


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``oversight-gym``; returns the exit code (0 ok, 2 usage error)."""
    import warnings

    parser, run_parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    # warnings for people, not developers: one line each, without the source line that raised it
    developers_format = warnings.formatwarning
    warnings.formatwarning = lambda message, category, *_args, **_kw: f"{PROG}: warning: {message}\n"
    try:
        args, rest = parser.parse_known_args(argv)
        if args.command == "run":
            return _cmd_run(args, rest, run_parser)
        if rest:
            parser.error(f"unrecognized arguments: {' '.join(rest)}")
        if args.command == "list":
            return _cmd_list(args)
        if args.command == "sweep":
            return _cmd_sweep(args)
        if args.command == "report":
            return _cmd_report(args)
        if args.command == "reproduce":
            return _cmd_reproduce(args, argv)
        return _cmd_play(args)
    except ValueError as e:  # e.g. two scenarios of the same name
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2
    except SystemExit as e:  # argparse exits on --help, --version and usage errors
        if e.code is None:
            return 0
        return e.code if isinstance(e.code, int) else 1
    finally:
        warnings.formatwarning = developers_format


if __name__ == "__main__":
    sys.exit(main())
