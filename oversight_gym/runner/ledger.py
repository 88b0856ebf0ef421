"""The reproduction ledger: every scenario's published claims checked by running it.

``oversight-gym reproduce [NAME ...] [--quick] [--out DIR]`` runs each named scenario (all by
default) at its reproduction settings (:meth:`Scenario.reproduction_params`), checks its
claims (:mod:`oversight_gym.analysis.claims`) against the measures the run returned, and
writes, in ``DIR`` (default ``runs/ledger/full`` or ``runs/ledger/quick``):

* ``ledger.txt``: per scenario, its wall time and a table of its claims (claim, paper, ours
  with its interval, tolerance, verdict), and why each claim not reproduced differs;
* ``ledger.jsonl``: one record per claim, with the scenario's name and wall time;
* ``provenance.json``: the package version, the git commit when run from a checkout, Python
  and the key libraries' versions, the seeds and parameters of every run, the cores, the
  exact command, and when;
* ``ledger.html``: one self-contained page with the tables and every scenario's figures;
* ``runs/NAME/``: each scenario's own run folder (records, figures, ``summary.json``), so a
  ledger that was interrupted resumes from what it had computed.

Under ``--quick`` only the claims a quick run decides (direction and order claims, mostly) are
checked; a scenario with none is not run, and its claims are listed as not checked. The exit
status is 1 when a claim marked must-hold is not reproduced. :func:`readme_section` turns a
ledger file into the results section of the README.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import json
import os
import platform
import shlex
import subprocess
import sys
import textwrap
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from oversight_gym.analysis.claims import (
    DIFFERS,
    DIRECTION_ONLY,
    NOT_CHECKED,
    REPRODUCED,
    VERDICTS,
    Verdict,
    claims_table,
    not_checked,
)
from oversight_gym.analysis.measures import WIDTH
from oversight_gym.runner.scenario import Scenario, discover_scenarios

#: the libraries whose versions the provenance records (those installed)
KEY_LIBRARIES = ("numpy", "scipy", "scikit-learn", "gymnasium", "pettingzoo", "networkx", "matplotlib", "numba",
                 "torch", "open_spiel", "stable-baselines3", "ray")
#: the seed every reproduction runs with
SEED = 0
#: markers around the README's generated results section
README_START = "<!-- results generated from the committed ledger"
README_END = "<!-- end of the generated results -->"


@dataclass
class Entry:
    """One scenario of a ledger: its run's parameters, wall time, verdicts and figures."""

    scenario: str
    title: str
    params: dict[str, Any]
    seconds: float
    verdicts: list[Verdict]
    figures: list[Path] = field(default_factory=list)
    out: Path | None = None
    error: str | None = None
    ran: bool = True


@dataclass
class Ledger:
    entries: list[Entry]
    quick: bool
    provenance: dict[str, Any]

    @property
    def verdicts(self) -> list[tuple[str, Verdict]]:
        return [(e.scenario, v) for e in self.entries for v in e.verdicts]

    @property
    def failed(self) -> list[tuple[str, Verdict]]:
        """The must-hold claims that were checked and not reproduced."""
        return [(s, v) for s, v in self.verdicts if v.failed]

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(VERDICTS, 0)
        for _, v in self.verdicts:
            out[v.verdict] += 1
        return out


# --- provenance --------------------------------------------------------------------------------
def git_commit(path: Path | None = None) -> str | None:
    """The commit of the checkout the package runs from (with ``+dirty`` when files differ
    from it), or None for an installed copy."""
    here = Path(path or Path(__file__).resolve().parents[2])
    if not (here / ".git").exists():
        return None
    try:
        commit = subprocess.run(["git", "-C", str(here), "rev-parse", "HEAD"], capture_output=True, text=True,
                                timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(here), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return commit + ("+dirty" if dirty else "")


def library_versions() -> dict[str, str]:
    out = {}
    for name in KEY_LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def provenance(command: Sequence[str] | None, workers: int | None) -> dict[str, Any]:
    from oversight_gym._version import __version__
    from oversight_gym.runner.episodes import worker_count

    return {"package": "oversight-gym", "version": __version__, "git_commit": git_commit(),
            "python": platform.python_version(), "implementation": platform.python_implementation(),
            "platform": platform.platform(), "machine": platform.machine(), "cores": os.cpu_count(),
            "workers": worker_count(workers), "libraries": library_versions(), "seed": SEED,
            "command": shlex.join(["oversight-gym", *command]) if command is not None else None,
            "started": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")}


# --- running -----------------------------------------------------------------------------------
def _select(names: Sequence[str]) -> list[Scenario]:
    found = discover_scenarios()
    unknown = [n for n in names if n not in found]
    if unknown:
        raise ValueError(f"scenario must be one of {sorted(found)}, got {', '.join(map(repr, unknown))}")
    return [found[n] for n in dict.fromkeys(names or sorted(found))]


def run_ledger(names: Sequence[str] = (), *, quick: bool = False, out: str | Path | None = None,
               workers: int | None = None, progress: bool = True, overwrite: bool = False,
               command: Sequence[str] | None = None, echo: Any = None) -> Ledger:
    """Run the named scenarios (all by default) at their reproduction settings, check their
    claims and write the ledger into ``out`` (see the module's docstring). A scenario whose run
    raises is recorded with its claims as "differs" and the error, and the others still run."""
    scenarios = _select(names)
    out_dir = Path(out) if out is not None else default_out(quick)
    prov = provenance(command, workers)
    entries = []
    started = time.time()
    for sc in scenarios:
        params = sc.reproduction_params(quick)
        if quick and not any(c.quick and c.applies(params) for c in sc.claims):
            entries.append(Entry(sc.name, sc.description, params, 0.0,
                                 [not_checked(c, "needs the full run (reproduce without --quick); no claim of "
                                                 "this scenario is decided by a quick run, so it was not run")
                                  for c in sc.claims], ran=False))
            continue
        if echo is not None:
            echo(f"{sc.name}: running ({'quick' if quick else 'reproduction'} settings) ...")
        t0 = time.time()
        run_dir = out_dir / "runs" / sc.name
        try:
            result = sc.execute(params, quick=quick, seed=SEED, out=run_dir, workers=workers, progress=progress,
                                overwrite=overwrite)
        except (KeyboardInterrupt, ValueError):
            raise
        except Exception as err:  # noqa: BLE001 - a scenario's failure is recorded, the others still run
            seconds = time.time() - t0
            why = f"the run failed: {type(err).__name__}: {err}"
            verdicts = [Verdict(c, DIFFERS, "—", str(c.published), "", why) for c in sc.claims]
            entries.append(Entry(sc.name, sc.description, params, seconds, verdicts, out=run_dir, error=why))
            continue
        seconds = time.time() - t0
        verdicts = sc.verdicts(result.measures, params, quick, every=True)
        figures = sorted(run_dir.glob("*.png"))
        entries.append(Entry(sc.name, result.title, params, seconds, verdicts, figures, run_dir))
    prov["seconds"] = round(time.time() - started, 1)
    prov["runs"] = {e.scenario: {"params": e.params, "seed": SEED, "seconds": round(e.seconds, 1), "ran": e.ran}
                    for e in entries}
    ledger = Ledger(entries, quick, prov)
    write_ledger(ledger, out_dir)
    return ledger


def default_out(quick: bool) -> Path:
    return Path("runs") / "ledger" / ("quick" if quick else "full")


# --- the files ---------------------------------------------------------------------------------
def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.1f} min"


def _share(e: Entry, total: float) -> str:
    if not e.ran:
        return "not run (no claim a quick run decides)"
    share = f", {100 * e.seconds / total:.0f}% of the ledger" if total > 0 else ""
    return f"{_duration(e.seconds)}{share}"


def ledger_text(ledger: Ledger, width: int = WIDTH) -> str:
    p = ledger.provenance
    total = sum(e.seconds for e in ledger.entries)
    commit = p.get("git_commit") or "not a git checkout"
    out = textwrap.wrap(f"Reproduction ledger ({'quick' if ledger.quick else 'full'}): oversight-gym {p['version']}, "
                        f"commit {commit}, Python {p['python']}, {p['cores']} cores ({p['workers']} used), "
                        f"seed {p['seed']}; {_duration(total)} in all.", width)
    if p.get("command"):
        out += textwrap.wrap(f"command: {p['command']}", width, subsequent_indent="  ")
    for e in ledger.entries:
        out += ["", "=" * min(width, 80)]
        out += textwrap.wrap(f"{e.scenario}: {_share(e, total)}", width)
        out += textwrap.wrap(e.title, width)
        if e.error:
            out += textwrap.wrap(e.error, width, subsequent_indent="  ")
        out += ["", claims_table(e.verdicts, width) if e.verdicts else "(no published number to compare with)"]
    counts = ledger.counts()
    out += ["", "=" * min(width, 80)]
    out += textwrap.wrap("Claims: " + ", ".join(f"{n} {k}" for k, n in counts.items() if n) + ".", width)
    failed = ledger.failed
    if failed:
        out += textwrap.wrap(f"FAILED: {len(failed)} must-hold claim(s) not reproduced: "
                             + "; ".join(f"{s}/{v.claim.id}" for s, v in failed), width, subsequent_indent="  ")
    else:
        out.append("Every must-hold claim checked was reproduced.")
    return "\n".join(out)


def ledger_records(ledger: Ledger) -> list[dict[str, Any]]:
    """One JSON record per claim: the scenario, its wall time, the claim and the verdict
    (``quick`` is the claim's flag; the ledger's settings are the runs' params in the provenance)."""
    return [{"scenario": e.scenario, "scenario_seconds": round(e.seconds, 1), "ran": e.ran, **v.as_dict()}
            for e in ledger.entries for v in e.verdicts]


def write_ledger(ledger: Ledger, out: Path) -> dict[str, Path]:
    """Write ``ledger.txt``, ``ledger.jsonl``, ``provenance.json`` and ``ledger.html`` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {name: out / name for name in ("ledger.txt", "ledger.jsonl", "provenance.json", "ledger.html")}
    paths["ledger.txt"].write_text(ledger_text(ledger) + "\n")
    paths["ledger.jsonl"].write_text("".join(json.dumps(r, default=str) + "\n" for r in ledger_records(ledger)))
    paths["provenance.json"].write_text(json.dumps(ledger.provenance, indent=2, default=str) + "\n")
    paths["ledger.html"].write_text(ledger_html(ledger))
    return paths


_COLOURS = {REPRODUCED: "#d8f0d8", DIRECTION_ONLY: "#fff2c6", DIFFERS: "#f7d4d0", NOT_CHECKED: "#eeeeee"}
_CSS = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;width:100%;margin:.5em 0 1em}th,td{border:1px solid #ccc;padding:4px 6px;
vertical-align:top;font-size:14px}th{background:#f4f4f4;text-align:left}td.v{white-space:nowrap}
img{max-width:100%;border:1px solid #ddd;margin:.4em 0}pre{background:#f7f7f7;padding:.6em;overflow-x:auto}
.why{font-size:13px;color:#444}h2{border-top:2px solid #ddd;padding-top:.6em}"""


def _img(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<figure><img alt="{html.escape(path.name)}" src="data:image/png;base64,{data}">' \
           f"<figcaption>{html.escape(path.name)}</figcaption></figure>"


def ledger_html(ledger: Ledger) -> str:
    """The ledger as one self-contained HTML page: every table, every figure (embedded), the
    provenance."""
    e_ = html.escape
    p = ledger.provenance
    total = sum(e.seconds for e in ledger.entries)
    counts = ledger.counts()
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>oversight-gym reproduction ledger</title>"
             f"<style>{_CSS}</style></head><body>",
             f"<h1>Reproduction ledger ({'quick' if ledger.quick else 'full'})</h1>",
             f"<p>oversight-gym {e_(str(p['version']))}, commit {e_(str(p.get('git_commit') or 'none'))}; "
             f"{_duration(total)} on {p['cores']} cores. Claims: "
             + ", ".join(f"{n} {e_(k)}" for k, n in counts.items() if n) + ".</p>",
             "<table><tr><th>scenario</th><th>claim</th><th>paper</th><th>ours</th><th>tolerance</th>"
             "<th>verdict</th><th>wall time</th></tr>"]
    for e in ledger.entries:
        for i, v in enumerate(e.verdicts):
            colour = _COLOURS.get(v.verdict, "#fff")
            must = " (must hold)" if v.claim.must_hold else ""
            parts.append(
                f"<tr><td>{e_(e.scenario) if i == 0 else ''}</td><td>{e_(v.claim.text)}</td>"
                f"<td>{e_(v.published)}<br><span class='why'>{e_(v.claim.source)}</span></td>"
                f"<td>{e_(v.ours)}</td><td>{e_(v.tolerance)}</td>"
                f"<td class='v' style='background:{colour}'>{e_(v.verdict + must)}</td>"
                f"<td>{e_(_share(e, total)) if i == 0 else ''}</td></tr>")
    parts.append("</table>")
    for e in ledger.entries:
        parts.append(f"<h2 id='{e_(e.scenario)}'>{e_(e.scenario)}</h2><p>{e_(e.title)}<br>wall time: "
                     f"{e_(_share(e, total))}</p>")
        if e.error:
            parts.append(f"<p class='why'>{e_(e.error)}</p>")
        whys = [v for v in e.verdicts if v.verdict != REPRODUCED]
        if whys:
            parts.append("<ul class='why'>" + "".join(
                f"<li><b>{e_(v.claim.text)}</b>: {e_(v.verdict)}: {e_(v.detail)}"
                + (f". {e_(v.claim.reason)}" if v.claim.reason else "") + "</li>" for v in whys) + "</ul>")
        parts += [_img(f) for f in e.figures if f.exists()]
    parts.append("<h2>Provenance</h2><pre>" + e_(json.dumps(p, indent=2, default=str)) + "</pre></body></html>")
    return "\n".join(parts)


# --- the README's results section ----------------------------------------------------------------
def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def readme_section(records: Sequence[dict[str, Any]], provenance_: dict[str, Any] | None = None) -> str:
    """The README's results section, in Markdown, from a ledger's records: per scenario its
    wall time and a table of its claims with their verdicts. Nothing in it is typed in."""
    by: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        by.setdefault(r["scenario"], []).append(r)
    # the scenarios that ran without a claim (no published number to compare with) are listed too
    runs = (provenance_ or {}).get("runs", {})
    seconds = {name: float(run.get("seconds", 0.0)) for name, run in runs.items()}
    seconds.update({name: rs[0]["scenario_seconds"] for name, rs in by.items()})
    for name in runs:
        by.setdefault(name, [])
    total = sum(seconds.values())
    counts = dict.fromkeys(VERDICTS, 0)
    for r in records:
        counts[r["verdict"]] += 1
    out = []
    where = ""
    if provenance_:
        where = (f" on {provenance_.get('cores')} cores, oversight-gym {provenance_.get('version')}, commit "
                 f"{str(provenance_.get('git_commit') or 'none')[:12]}")
    out.append(f"`oversight-gym reproduce` ran every scenario at its reproduction settings in "
               f"{_duration(total)}{where}. Claims: " + ", ".join(f"{n} {k}" for k, n in counts.items() if n)
               + ". A claim marked **must hold** fails the command when it is not reproduced; the ledger "
               "(`ledger/ledger.txt`, and `ledger/ledger.html` with the figures) says why each other claim differs.")
    sources: list[str] = []
    for name, rs in sorted(by.items()):
        out += ["", f"**{name}** ({_duration(seconds[name])}; `oversight-gym reproduce {name}`)", ""]
        if not rs:
            out.append("No published number to compare with: the run's own figures are in the ledger.")
            continue
        out += ["| claim | paper | ours | tolerance | verdict |", "|---|---|---|---|---|"]
        for r in rs:
            if r["source"] not in sources:
                sources.append(r["source"])
            verdict = r["verdict"] + (" (**must hold**)" if r["must_hold"] else "")
            out.append(f"| {_md(r['claim'])} | {_md(r['published_text'])} [{sources.index(r['source']) + 1}] | "
                       f"{_md(r['ours_text'])} | {_md(r['tolerance_text'])} | {verdict} |")
        whys = [r for r in rs if r["verdict"] != REPRODUCED]
        if whys:
            out.append("")
            out += [f"- {_md(r['claim'])}: {_md(r['detail'])}" + (f". {_md(r['reason'])}" if r["reason"] else "")
                    for r in whys]
    out += ["", *[f"[{i}] {s}  " for i, s in enumerate(sources, 1)]]
    return "\n".join(out).rstrip() + "\n"


def read_ledger(folder: str | Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    folder = Path(folder)
    records = [json.loads(line) for line in (folder / "ledger.jsonl").read_text().splitlines() if line.strip()]
    prov_path = folder / "provenance.json"
    prov = json.loads(prov_path.read_text()) if prov_path.exists() else {}
    return records, prov


def readme_with_results(readme: str, records: Sequence[dict[str, Any]], prov: dict[str, Any] | None) -> str:
    """``readme`` with the text between its results markers replaced by :func:`readme_section`."""
    start, end = readme.find(README_START), readme.find(README_END)
    if start < 0 or end < start:
        raise ValueError(f"the README has no results markers ({README_START!r} ... {README_END!r})")
    head_end = readme.index("\n", start) + 1
    return readme[:head_end] + readme_section(records, prov) + readme[end:]


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m oversight_gym.runner.ledger --readme README.md [--ledger ledger]``: write the
    README's results section from the committed ledger."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m oversight_gym.runner.ledger",
                                     description="Write the README's results section from a ledger folder.")
    parser.add_argument("--readme", required=True, help="the README to update (between its results markers)")
    parser.add_argument("--ledger", default="ledger", help="the ledger folder (default: ledger)")
    args = parser.parse_args(argv)
    records, prov = read_ledger(args.ledger)
    path = Path(args.readme)
    path.write_text(readme_with_results(path.read_text(), records, prov))
    print(f"{path}: results section written from {args.ledger}/ledger.jsonl ({len(records)} claims)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
