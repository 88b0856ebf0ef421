"""Scenarios: short scripts on the public API that reproduce a result or ask a question.

A scenario module (in ``oversight_gym/scenarios/``, in another package that adds it through
the ``oversight_gym.scenarios`` entry-point group, or a user's script in ``./scenarios``)
defines ``SCENARIO = Scenario(...)``: its name, its
parameters (each becomes a command-line option of ``oversight-gym run NAME``, with a
full-mode and a ``--quick`` default) and a function ``run(params, ctx)``. The function
writes its records and figures under ``ctx.out`` and returns a :class:`ScenarioResult`
whose table puts the published numbers beside ours.

A module also runs on its own: ``python -m oversight_gym.scenarios.pixel_debate --quick``.

A scenario may also define ``experiment(params, seed)``, one cell of a sweep returning a
flat record; ``oversight-gym sweep NAME --grid ...`` then runs it over a grid of its
parameters and seeds (:mod:`oversight_gym.runner.sweep`).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import importlib.util
import json
import os
import pkgutil
import re
import sys
import textwrap
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import ModuleType
from typing import Any

from oversight_gym.analysis.claims import (
    NOT_CHECKED,
    Claim,
    Verdict,
    attach_published,
    check,
    check_declarations,
    claims_table,
    not_checked,
)
from oversight_gym.analysis.measures import WIDTH, Measure, measures_json, measures_table, plot_measures
from oversight_gym.analysis.plots import save_figure
from oversight_gym.core.params import Int, Real, human_bytes

_MISSING = object()


def _integral(text: str) -> int | None:
    """The integer a number typed in scientific notation stands for (``"1e3"`` -> 1000,
    ``"2.5e1"`` -> 25, exactly), or None when it is not a whole number of at most 30 digits."""
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        return None
    if not number.is_finite() or number.adjusted() > 30 or number != number.to_integral_value():
        return None
    return int(number)


def parse_value(text: str) -> Any:
    """``--set`` values: int (``"1e3"`` too, when it is integral), then float, then bool
    (true/false/yes/no/on/off), then None for ``none`` (the mode's default), else the string."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        number = None
    if number is not None:
        whole = _integral(text) if "e" in text.lower() else None
        return number if whole is None else whole
    low = text.strip().lower()
    if low in ("true", "yes", "on"):
        return True
    if low in ("false", "no", "off"):
        return False
    if low == "none":
        return None
    return text


def parse_settings(items: Sequence[str], option: str = "--set") -> dict[str, Any]:
    """``["pixels=4", "precommit=false"]`` -> ``{"pixels": 4, "precommit": False}``."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            raise ValueError(f"{option} expects key=value (e.g. pixels=4), got {item!r}")
        out[key] = parse_value(value.strip())
    return out


def _num(x: float) -> str:
    """A bound as it is written in a message: ``1``, ``0.5``, ``1000000``."""
    return str(x) if isinstance(x, int) else f"{x:g}"


def _typed(text: Any) -> str:
    """A value as the user typed it, for messages: the text itself (quoted when it holds a
    character that would break the one-line message), or the value's repr."""
    return text if isinstance(text, str) and text.isprintable() and text.strip() == text and text else repr(text)


def _about(x: float) -> str:
    """A rough amount: three significant digits, or a whole number with separators from 1,000."""
    return f"{x:.3g}" if x < 1000 else f"{x:,.0f}"


def memory(bytes_per_unit: float, what: str = "") -> Callable[[Any], str]:
    """A :attr:`Param.cost`: ``value * bytes_per_unit`` bytes, as ``"~7.28 TiB of memory"``."""
    def cost(value: Any) -> str:
        return f"~{human_bytes(float(value) * bytes_per_unit)} of memory" + (f" ({what})" if what else "")
    return cost


def seconds(per_unit: float, what: str = "") -> Callable[[Any], str]:
    """A :attr:`Param.cost`: ``value * per_unit`` seconds on one core, as ``"~3.2 years on one core"``."""
    def cost(value: Any) -> str:
        t = float(value) * per_unit
        for unit, size in (("years", 365.25 * 86400), ("days", 86400), ("hours", 3600), ("minutes", 60)):
            if t >= size:
                text = f"~{_about(t / size)} {unit}"
                break
        else:
            text = f"~{_about(t)} seconds"
        return f"{text} on one core" + (f" ({what})" if what else "")
    return cost


def bounds(spec: Int | Real) -> dict[str, Any]:
    """A game parameter's declared range as :class:`Param` keywords, for an option that sets
    that parameter: ``Param("topics", int, 4, "...", **bounds(COVERT_PARAMS.params["topics"]))``.
    The option and the game then refuse the same values by one declaration, and the option's
    message names it as typed before any work starts."""
    if isinstance(spec, Real):
        return {"low": spec.low, "high": spec.high, "open_low": spec.open_low, "open_high": spec.open_high,
                "finite": spec.finite}
    return {"low": spec.low, "high": spec.high}


@dataclass(frozen=True)
class Param:
    """One scenario parameter, declared once: its command-line option, its parsing, its
    allowed values and its defaults come from here.

    ``type`` is int, float, str or bool; ``quick`` is the value under ``--quick`` (default:
    the same as ``default``); ``choices`` restricts the values. A list-valued parameter sets
    ``many=True``: it is given as ``sep``-separated items (``--sizes 8,16``), each parsed as
    ``type`` and checked like a single value, and its value is a tuple (``default`` too);
    ``distinct`` refuses an item given twice, ``increasing`` items out of order.

    A number's range is ``[low, high]`` (either may be None: unbounded); ``open_low`` and
    ``open_high`` exclude the bound itself. A float must be finite unless ``finite=False``
    (nan and inf are refused). ``rule`` is a further condition a value must meet, as
    ``(predicate, what it says)``, e.g. ``(lambda n: n % 2 == 1, "odd")``. ``cost`` says what a value above
    ``high`` would need (e.g. :func:`memory`, :func:`seconds`): an absurd size is refused up
    front with that estimate instead of failing after minutes, or hours, of work. An int
    may be typed as ``1e3`` when it is integral.
    """

    name: str
    type: type
    default: Any
    help: str
    quick: Any = _MISSING
    choices: tuple[Any, ...] | None = None
    many: bool = False
    sep: str = ","
    low: float | None = None
    high: float | None = None
    open_low: bool = False
    open_high: bool = False
    finite: bool = True
    rule: tuple[Callable[[Any], bool], str] | None = None
    cost: Callable[[Any], str] | None = None
    distinct: bool = True
    increasing: bool = False

    def __post_init__(self) -> None:
        for attr in ("default", "quick"):
            value = getattr(self, attr)
            if value is not _MISSING and value is not None:
                try:
                    parsed = self.parse(value)
                except ValueError as err:
                    raise ValueError(f"the {attr} of {self.option} is not allowed by its declaration: {err}") from None
                object.__setattr__(self, attr, parsed)  # of its type: "8,16" -> (8, 16), 1 -> 1.0 for a float

    @property
    def quick_default(self) -> Any:
        return self.default if self.quick is _MISSING else self.quick

    @property
    def option(self) -> str:
        return "--" + self.name.replace("_", "-")

    def show(self, value: Any) -> str:
        """``value`` as it would be typed on the command line: ``8,16``, ``true``, ``random``
        (in help texts, run folders' names and messages)."""
        if self.many and isinstance(value, tuple | list):
            return self.sep.join(self.show(v) for v in value)
        if isinstance(value, bool):
            return str(value).lower()
        return str(value)

    def allowed(self) -> str:
        """What a value may be, in words: ``an integer in [1, 31] (odd)``; for a list,
        ``a comma-separated list (no value twice), each a finite number in [0, 1]``."""
        if not self.many:
            return self.item_allowed()
        sep = "comma" if self.sep == "," else repr(self.sep)
        order = " (increasing)" if self.increasing else " (no value twice)" if self.distinct else ""
        return f"a {sep}-separated list{order}, each {self.item_allowed()}"

    def item_allowed(self) -> str:
        """What one value (one item of a list) may be, in words."""
        if self.type is bool:
            return "true or false"
        if self.choices is not None:
            return f"one of {', '.join(str(c) for c in self.choices)}"
        if self.type is str:
            return "text" if self.rule is None else self.rule[1]
        kind = {int: "an integer", float: "a finite number" if self.finite else "a number"}.get(
            self.type, f"a {self.type.__name__}")
        lo = None if self.low is None else ("(" if self.open_low else "[") + _num(self.low)
        hi = None if self.high is None else _num(self.high) + (")" if self.open_high else "]")
        if lo and hi:
            kind += f" in {lo}, {hi}"
        elif lo:
            kind += f" {'>' if self.open_low else '>='} {_num(self.low)}"
        elif hi:
            kind += f" {'<' if self.open_high else '<='} {_num(self.high)}"
        if self.rule is not None:
            kind += f" ({self.rule[1]})"
        return kind

    def parse(self, text: Any) -> Any:
        """The value of ``text`` (a string as typed, or a value): parsed and checked against the
        declaration; a ``ValueError`` names the option, the value as typed and what is allowed."""
        if text is None:
            return None
        if self.many:
            if isinstance(text, str):
                items = [t.strip() for t in text.split(self.sep)]
            else:  # a list of values, or one value given alone (e.g. a number from --set)
                items = list(text) if isinstance(text, list | tuple) else [text]
            items = [t for t in items if not (isinstance(t, str) and not t)]
            if not items:
                raise ValueError(f"{self.option} needs at least one value ({self.sep!r}-separated), got {text!r}")
            values = tuple(self._one(t) for t in items)
            if self.increasing and any(b <= a for a, b in zip(values, values[1:], strict=False)):
                raise ValueError(f"{self.option} must be {self.allowed()}, got {_typed(text)}")
            if self.distinct and len(set(values)) < len(values):
                twice = next(v for i, v in enumerate(values) if v in values[:i])
                raise ValueError(f"{self.option} lists {twice!r} twice; give each value once, got {_typed(text)}")
            return values
        return self._one(text)

    def _one(self, text: Any) -> Any:
        each = "each value of " if self.many else ""
        if self.type is bool:
            if isinstance(text, bool):
                return text
            low = str(text).lower()
            if low in ("1", "true", "yes", "on"):
                return True
            if low in ("0", "false", "no", "off"):
                return False
            raise self._refused(text, each)
        value = self._cast(text, each)
        if self.choices is not None and value not in self.choices:
            raise self._refused(text, each)
        if self.type in (int, float):
            self._check_number(value, text, each)
        if self.rule is not None and not self.rule[0](value):
            raise self._refused(text, each)
        return value

    def _refused(self, text: Any, each: str) -> ValueError:
        """The one message for a value its declaration does not allow (of the wrong type, not
        among the choices, out of range or against the rule): what one value may be."""
        return ValueError(f"{each}{self.option} must be {self.item_allowed()}, got {_typed(text)}")

    def _cast(self, text: Any, each: str) -> Any:
        bad = self._refused(text, each)
        if self.type is int:
            if isinstance(text, bool):
                raise bad
            if isinstance(text, int):
                return text
            try:
                return int(str(text).strip())
            except ValueError:
                pass
            if isinstance(text, float) and text.is_integer():
                return int(text)
            whole = _integral(str(text))
            if whole is None:
                raise bad
            return whole
        if self.type is float and isinstance(text, bool):
            raise bad
        try:
            return self.type(text)
        except (TypeError, ValueError):
            raise bad from None

    def _check_number(self, value: float, text: Any, each: str) -> None:
        """The range and finiteness of a number, by the same rule as a game parameter's
        (:class:`~oversight_gym.core.params.Int` / :class:`~oversight_gym.core.params.Real`);
        the message names the option as typed, and a value above ``high`` with a ``cost``
        says what it would need."""
        what = f"{each}{self.option}"
        rule = (Int(self.low, self.high) if self.type is int else
                Real(self.low, self.high, finite=self.finite, open_low=self.open_low, open_high=self.open_high))
        try:
            rule.check(what, value)
        except ValueError:
            if self.cost is not None and self.high is not None and value >= self.high:
                raise ValueError(f"{what} {_typed(text)} would need {self.cost(value)}; "
                                 f"at most {_num(self.high)}") from None
            raise self._refused(text, each) from None


class RunInterrupted(KeyboardInterrupt):
    """A run stopped by Ctrl-C: what it kept and how to go on."""

    def __init__(self, out: Path, kept: int) -> None:
        super().__init__(f"interrupted: {kept} finished record(s) are kept in {out}; run the same command "
                         "again to resume from them")
        self.out, self.kept = out, kept

    def __str__(self) -> str:
        return str(self.args[0])


def _check_seed(seed: Any) -> int:
    """A master seed: a non-negative integer (numpy integers too)."""
    import numpy as np

    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"--seed must be a non-negative integer, got {seed!r}")
    return int(seed)


@dataclass
class Context:
    """What a scenario run gets besides its parameters."""

    out: Path
    seed: int
    quick: bool
    workers: int
    progress: bool = True

    def path(self, name: str) -> Path:
        self.out.mkdir(parents=True, exist_ok=True)
        return self.out / name

    def save_figure(self, fig: Any, name: str, dpi: int = 120) -> Path:
        """Lay out a matplotlib figure, save it as ``name`` in the output folder, close it,
        and return its path (:func:`oversight_gym.analysis.plots.save_figure`)."""
        return save_figure(fig, self.path(name), dpi)


def _wrap_path(text: str, width: int, indent: str = "  ") -> list[str]:
    """``text`` (a path) on lines of at most ``width`` columns, broken after a ``/`` where it
    is too long for one line (and inside a folder name only when that alone is too long)."""
    lines = [""]
    for part in re.findall(r"[^/]*/|[^/]+$", text):
        if lines[-1].strip() and len(lines[-1]) + len(part) > width:
            lines.append(indent)
        lines[-1] += part
    return [piece for line in lines for piece in textwrap.wrap(line, width, subsequent_indent=indent,
                                                               drop_whitespace=False) or [line]]


def _written(files: Sequence[Path | str], width: int) -> list[str]:
    """The files a run wrote, for its table: ``written in FOLDER/`` (the folder they share)
    and then their names within it, every line at most ``width`` columns. A run folder's
    name alone may take 90 columns (``runs/NAME/full,a=1,b=2,...``), so the whole path of
    each file would not fit a line."""
    paths = [str(f) for f in files]
    try:
        root = os.path.commonpath([os.path.dirname(p) for p in paths])
    except ValueError:  # absolute and relative paths, or paths on different drives
        root = ""
    if not root:
        return textwrap.wrap("written: " + ", ".join(paths), width, subsequent_indent="  ", break_on_hyphens=False)
    names = ", ".join(os.path.relpath(p, root) for p in paths)
    return [*_wrap_path(f"written in {root}{os.sep}", width),
            *textwrap.wrap(names, width, initial_indent="  ", subsequent_indent="  ", break_on_hyphens=False)]


@dataclass
class ScenarioResult:
    """What a scenario found: its measures (:class:`~oversight_gym.analysis.measures.Measure`),
    notes in prose, and the files it wrote. The printed table, ``summary.json`` and the
    measures figure are derived from the measures by shared code."""

    title: str
    measures: list[Measure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    #: the scenario's claims checked against the measures (set by :meth:`Scenario.execute`)
    verdicts: list[Verdict] = field(default_factory=list)

    def table(self, width: int = WIDTH) -> str:
        out = [*textwrap.wrap(self.title, width), ""]
        out.append(measures_table(self.measures, width) if self.measures else "(no measures)")
        if self.verdicts:
            out += ["", "Published claims checked by this run:", claims_table(self.verdicts, width)]
        if self.notes:
            out.append("")
            for note in self.notes:
                out += textwrap.wrap(note, width, subsequent_indent="  ") or [""]
        if self.files:
            out += ["", *_written(self.files, width)]
        return "\n".join(out)

    def summary(self) -> dict[str, Any]:
        """The JSON of ``summary.json`` (without the run's parameters, which ``execute`` adds)."""
        return {"title": self.title, "measures": measures_json(self.measures), "notes": list(self.notes),
                "files": [str(f) for f in self.files], "claims": [v.as_dict() for v in self.verdicts]}


@dataclass
class Scenario:
    name: str
    description: str
    params: list[Param]
    run: Callable[[dict[str, Any], Context], ScenarioResult]
    citation: str = ""
    #: what ``--quick`` makes smaller, said under every quick run's table
    quick_note: str = "a small run; run without --quick for the full result."
    #: optional ``experiment(params, seed) -> flat record``: one cell of a sweep
    #: (``oversight-gym sweep NAME --grid ...``); ``params`` holds every parameter
    experiment: Callable[[dict[str, Any], int], dict[str, Any]] | None = None
    #: a scenario of a user's or another package's that means to replace the built-in
    #: scenario of the same name says so; otherwise the clash is an error
    override: bool = False
    path: Path | None = None  # the script it was loaded from, for a user's file (set by discovery)
    module: str | None = None  # the module that defines it, for a packaged scenario (set by discovery)
    #: optional ``check(params)``: the rules that tie parameters together (e.g. each truth depth
    #: within the tree's depth), run by :meth:`resolve` after each value passed its own
    #: declaration; it raises ``ValueError`` naming the options as typed (``--truth-depths``)
    check: Callable[[dict[str, Any]], None] | None = None
    #: the published results this scenario checks (:class:`~oversight_gym.analysis.claims.Claim`);
    #: their values stand beside ours in the table, and ``oversight-gym reproduce`` ledgers them
    claims: list[Claim] = field(default_factory=list)
    #: the options of the reproduction run (``oversight-gym reproduce NAME``), over the full
    #: mode's defaults: where the paper's setting needs other values, or a shorter run decides
    #: the claims as well
    reproduce: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_declarations(self.claims)

    def reproduction_params(self, quick: bool) -> dict[str, Any]:
        """The parameters ``reproduce`` runs with: the quick defaults, or the full ones with
        :attr:`reproduce` over them."""
        return self.resolve({} if quick else dict(self.reproduce), quick)

    def verdicts(self, measures: list[Measure], params: dict[str, Any], quick: bool, *,
                 every: bool = False) -> list[Verdict]:
        """Each claim that applies to ``params`` checked against ``measures``; under ``--quick``
        only the claims a quick run decides. With ``every``, the others are listed too, as not
        checked and why (the reproduction ledger lists every claim)."""
        out = []
        for c in self.claims:
            if not c.applies(params):
                if every:
                    out.append(not_checked(c, "the run's settings are not the paper's (see the claim's setting)"
                                           if not quick else "needs the full run (reproduce without --quick)",
                                           measures))
                continue
            out.append(check(c, measures) if c.quick or not quick else
                       not_checked(c, "needs the full run (reproduce without --quick)", measures))
        return out

    def defaults(self, quick: bool) -> dict[str, Any]:
        return {p.name: (p.quick_default if quick else p.default) for p in self.params}

    def resolve(self, given: dict[str, Any], quick: bool, *, cross_check: bool = True) -> dict[str, Any]:
        """Defaults for the mode, overridden by the parameters given: each value checked
        against its :class:`Param`'s declaration, then all of them by the scenario's ``check``
        (unless ``cross_check=False``: a sweep checks each cell of its grid instead, since a
        default a grid replaces need not suit the values given). A bad value raises
        ``ValueError`` naming its option as typed."""
        known = {p.name: p for p in self.params}
        unknown = sorted(set(given) - set(known))
        if unknown:
            raise ValueError(f"{self.name}: unknown parameter(s) {unknown}; parameters are {sorted(known)}")
        params = self.defaults(quick)
        for k, v in given.items():
            if v is not None:
                params[k] = known[k].parse(v)
        if self.check is not None and cross_check:
            self.check(params)
        return params

    def default_out(self, params: dict[str, Any], seed: int, quick: bool) -> Path:
        """The default output folder, keyed by the run's configuration:
        ``runs/NAME/quick``, ``runs/NAME/full``, or with the options that differ from the
        mode's defaults, ``runs/NAME/full,images=20,seed=1``; so that runs of different
        configurations never share a folder."""
        return Path("runs") / self.name / self.label(params, quick, seed, self.run_config(params, seed, quick))

    def label(self, params: dict[str, Any], quick: bool, seed: int = 0, config: Any = None) -> str:
        """A name for a configuration: the mode, then each option of ``params`` that differs
        from the mode's default, as typed (and the seed unless 0); see
        :func:`~oversight_gym.runner.records.run_label`."""
        from oversight_gym.runner.records import run_label

        defaults = self.defaults(quick)
        changed = [(p.name.replace("_", "-"), p.show(params[p.name]))
                   for p in self.params if p.name in params and params[p.name] != defaults[p.name]]
        if seed != 0:
            changed.append(("seed", str(seed)))
        return run_label("quick" if quick else "full", changed, config if config is not None else params)

    def run_config(self, params: dict[str, Any], seed: int, quick: bool) -> dict[str, Any]:
        """What a run's results depend on: the folder it writes into holds one of these."""
        return {"scenario": self.name, "params": params, "seed": seed, "quick": quick}

    def execute(self, given: dict[str, Any] | None = None, *, quick: bool = False, seed: int = 0,
                out: str | Path | None = None, workers: int | None = None, progress: bool = True,
                overwrite: bool = False) -> ScenarioResult:
        """Run the scenario into ``out`` (default :meth:`default_out`). A folder holding another
        configuration is refused unless ``overwrite`` (then its content is moved aside); a run
        of the same configuration resumes. Ctrl-C raises :class:`RunInterrupted`, which says how
        many records were kept."""
        from oversight_gym._version import __version__
        from oversight_gym.runner.episodes import worker_count
        from oversight_gym.runner.records import RunFolder

        params = self.resolve(given or {}, quick)
        seed = _check_seed(seed)
        n_workers = worker_count(workers)
        out_dir = Path(out) if out is not None else self.default_out(params, seed, quick)
        folder = RunFolder(out_dir, self.run_config(params, seed, quick), overwrite=overwrite)
        try:
            if folder.moved_to is not None:
                warnings.warn(f"{out_dir}: the previous results were moved to {folder.moved_to}", stacklevel=2)
            ctx = Context(out=out_dir, seed=seed, quick=quick, workers=n_workers, progress=progress)
            started = time.time()
            try:
                result = self.run(params, ctx)
            except KeyboardInterrupt:
                kept = folder.records_kept()
                folder.write(status="interrupted", version=__version__)
                raise RunInterrupted(out_dir, kept) from None
            if quick:
                result.notes.append(f"QUICK MODE: {self.quick_note}")
            applicable = [c for c in self.claims if c.applies(params)]
            result.measures = attach_published(result.measures, applicable)
            # the claims this run decides (a quick run leaves the full-run claims to the ledger)
            result.verdicts = [v for v in self.verdicts(result.measures, params, quick) if v.verdict != NOT_CHECKED]
            meta = {"scenario": self.name, "params": params, "seed": seed, "quick": quick,
                    "seconds": round(time.time() - started, 2)}
            figure = plot_measures(result.measures, ctx.path("measures.png"), result.title)
            if figure is not None:
                result.files.append(figure)
            summary = ctx.path("summary.json")
            result.files.append(summary)
            summary.write_text(json.dumps({**meta, **result.summary()}, indent=2, default=str))
            folder.write(status="complete", seconds=meta["seconds"], version=__version__, workers=n_workers)
            return result
        finally:
            folder.close()

    # --- command line ---------------------------------------------------------------
    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        for p in self.params:  # values are checked by Param.parse, so errors name the option as typed
            kw: dict[str, Any] = {"dest": p.name, "default": None,
                                  "help": f"{p.help}; {p.allowed()} (default {p.show(p.default)}; "
                                          f"--quick {p.show(p.quick_default)})".replace("%", "%%")}
            if p.choices is not None and not p.many:
                kw["metavar"] = "{" + ",".join(str(c) for c in p.choices) + "}"
            parser.add_argument(p.option, **kw)
        parser.add_argument("--quick", action="store_true", help="a small run (under a minute)")
        parser.add_argument("--seed", type=int, default=0, help="master seed (default 0)")
        parser.add_argument("--out", default=None,
                            help=f"output folder (default runs/{self.name}/ and a name made of the mode and the "
                                 "options that differ from its defaults, e.g. quick or full,seed=1)")
        parser.add_argument("--overwrite", action="store_true",
                            help="if the output folder holds another configuration, move its content aside "
                                 "(to NAME.old-N) and start again, instead of refusing")
        parser.add_argument("--workers", type=int, default=None,
                            help="processes to use (default: all cores; at most the cores there are)")
        parser.add_argument("--no-progress", action="store_true", help="hide progress bars")

    def main(self, argv: list[str] | None = None) -> int:
        parser = argparse.ArgumentParser(prog=self.name, description=self.description)
        self.add_arguments(parser)
        return self.run_from_args(parser.parse_args(argv), parser)

    def run_from_args(self, args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
        given = {p.name: getattr(args, p.name) for p in self.params}
        try:
            result = self.execute(given, quick=args.quick, seed=args.seed, out=args.out, workers=args.workers,
                                  progress=not args.no_progress, overwrite=args.overwrite)
        except RunInterrupted as e:
            print(f"\n{parser.prog}: {e}", file=sys.stderr)
            return 130
        except KeyboardInterrupt:  # after the records were complete (while drawing the figures)
            print(f"\n{parser.prog}: interrupted; the same command resumes from the records kept", file=sys.stderr)
            return 130
        except ValueError as e:
            parser.error(str(e))
        except ImportError as e:  # an optional extra the scenario needs is not installed
            print(f"{parser.prog}: error: {e}", file=sys.stderr)
            return 2
        print(result.table())
        return 0


#: packages whose modules each define a ``SCENARIO`` (the built-in ones register themselves)
_PACKAGES: list[str] = []
#: the entry-point group through which other installed packages add scenarios: each entry
#: point names a ``Scenario``, a module defining ``SCENARIO``, or a package of such modules
ENTRY_POINT_GROUP = "oversight_gym.scenarios"


def register_scenario_package(package: str) -> None:
    """Declare a package whose every public module (no leading ``_``) defines ``SCENARIO``."""
    if package not in _PACKAGES:
        _PACKAGES.append(package)


def scenario_dirs() -> list[Path]:
    """Folders of scenario scripts written by users: ``$OVERSIGHT_GYM_SCENARIOS`` (a path
    list) and ``./scenarios``."""
    dirs = [Path(d) for d in os.environ.get("OVERSIGHT_GYM_SCENARIOS", "").split(os.pathsep) if d]
    dirs.append(Path.cwd() / "scenarios")
    seen: list[Path] = []
    for d in dirs:
        if d.is_dir() and d.resolve() not in seen:
            seen.append(d.resolve())
    return seen


def _from_module(module: ModuleType) -> list[Scenario]:
    """The scenario a module defines, or those of every public module of a package."""
    if isinstance(getattr(module, "SCENARIO", None), Scenario):
        scenario = module.SCENARIO
        scenario.module = module.__name__
        return [scenario]
    if hasattr(module, "__path__"):
        found = []
        for info in sorted(pkgutil.iter_modules(module.__path__), key=lambda m: m.name):
            if not info.name.startswith("_"):
                found += _from_module(importlib.import_module(f"{module.__name__}.{info.name}"))
        return found
    raise ImportError(f"module {module.__name__} defines no SCENARIO = Scenario(...)")


def load_scenario_file(path: Path) -> Scenario:
    mod_name = f"_oversight_gym_scenario_{path.stem}"
    spec = importlib.util.spec_from_file_location(mod_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load scenario {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[mod_name] = module  # so worker processes can pickle its functions
    spec.loader.exec_module(module)
    scenario = getattr(module, "SCENARIO", None)
    if not isinstance(scenario, Scenario):
        raise ImportError(f"{path} defines no SCENARIO = Scenario(...)")
    scenario.path = path.resolve()
    return scenario


def _entry_point_scenarios() -> list[Scenario]:
    """The scenarios other installed packages add; one that fails to load is skipped with a
    warning naming its entry point."""
    import warnings

    found: list[Scenario] = []
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            obj = ep.load()
            found += [obj] if isinstance(obj, Scenario) else _from_module(obj)
        except Exception as err:  # noqa: BLE001 - any failure of someone else's package
            warnings.warn(f"scenario plug-in '{ep.name}={ep.value}' (entry-point group {ENTRY_POINT_GROUP}) was "
                          f"skipped: {type(err).__name__}: {err}", stacklevel=2)
    return found


def _user_scenarios() -> list[Scenario]:
    """The scenarios of users' script folders; a script that fails to load (a syntax error, an
    import that fails, no ``SCENARIO``) is skipped with a warning naming its file, so that one
    broken script does not break the others."""
    import warnings

    found = []
    for d in scenario_dirs():
        for path in sorted(d.glob("*.py")):
            if path.name.startswith("_"):
                continue
            try:
                found.append(load_scenario_file(path))
            except Exception as err:  # noqa: BLE001 - any failure of a user's script
                where = f" (line {err.lineno})" if isinstance(err, SyntaxError) and err.lineno else ""
                warnings.warn(f"scenario script {path}{where} was skipped: {type(err).__name__}: "
                              f"{getattr(err, 'msg', None) or err}", stacklevel=2)
    return found


def discover_scenarios() -> dict[str, Scenario]:
    """Name -> scenario: the registered packages' (the built-in ones first), those other
    installed packages add through the ``oversight_gym.scenarios`` entry-point group, and
    user scripts (``scenarios/*.py`` defining ``SCENARIO``, see :func:`scenario_dirs`).

    A name already taken is an error (:class:`ValueError` naming both), unless the later
    scenario sets ``override=True``; then it replaces the earlier one."""
    found: dict[str, Scenario] = {}

    def add(sc: Scenario) -> None:
        if sc.name in found and found[sc.name] is not sc and not sc.override:
            raise ValueError(f"{_origin(sc)} defines scenario {sc.name!r}, a name {_origin(found[sc.name])} "
                             "already uses; rename it, or set override=True in its Scenario(...) to replace "
                             "the other")
        found[sc.name] = sc

    for package in _PACKAGES:
        for sc in _from_module(importlib.import_module(package)):
            add(sc)
    for sc in [*_entry_point_scenarios(), *_user_scenarios()]:
        add(sc)
    return found


def _origin(sc: Scenario) -> str:
    if sc.path is not None:
        return f"scenario script {sc.path}"
    return f"module {sc.module}" if sc.module else "a scenario"


def get_scenario(name: str) -> Scenario:
    found = discover_scenarios()
    if name not in found:
        raise ValueError(f"scenario must be one of {sorted(found)}, got {name!r}")
    return found[name]
