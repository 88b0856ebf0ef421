"""An installed copy works as a clone does: the wheel, installed in a fresh virtual environment
with no source tree in sight, lists the scenarios, games and agents and runs a ``--quick``
scenario; and the entry-point groups let another installed package add its own.

The fresh environment gets the dependencies of the test environment through a path file
(so nothing is downloaded), but not its editable install of this package: the package it
imports is the wheel's.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: int = 300) -> str:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    """``(python, bin folder, environment)`` of a fresh venv holding only the built wheel."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"  # build from a copy: pip writes build/ into the folder it builds
    shutil.copytree(ROOT / "oversight_gym", src / "oversight_gym",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    dist = tmp / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist), "."], src)
    (wheel,) = dist.glob("oversight_gym-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "oversight_gym/scenarios/pixel_debate.py" in names and not any(n.startswith("tests/") for n in names)

    env_dir = tmp / "venv"
    venv.create(env_dir, with_pip=True)
    bindir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / "python"
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp).strip())
    # the test environment's dependencies, without its editable install of this package
    (site / "_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)], tmp)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "OVERSIGHT_GYM_SCENARIOS")}
    return python, bindir, env


def test_the_wheel_runs_without_the_source_tree(installed: tuple[Path, Path, dict[str, str]],
                                                 tmp_path: Path) -> None:
    python, bindir, env = installed
    where = _run([str(python), "-c", "import oversight_gym; print(oversight_gym.__file__)"], tmp_path, env)
    assert str(ROOT) not in where and "site-packages" in where
    listing = _run([str(bindir / "oversight-gym"), "list"], tmp_path, env)
    for name in ("pixel-debate", "calvano2020", "debate/pixels-v0", "tree-honest", "mcts"):
        assert name in listing, name
    out = tmp_path / "out"
    table = _run([str(bindir / "oversight-gym"), "run", "task-decomposition", "--quick", "--no-progress",
                  "--out", str(out)], tmp_path, env)
    assert "root error" in table
    run = json.loads((out / "run.json").read_text())
    assert run["config"]["scenario"] == "task-decomposition" and run["config"]["quick"] is True
    assert run["status"] == "complete" and (out / "summary.json").exists()


PLUGIN = {
    "myplugin/__init__.py": "",
    "myplugin/games.py": """
        from oversight_gym.core.registry import register

        register("plugin/coin-v0", "oversight_gym.envs.debate.pixels:PixelDebateGame", "a plugin's game")
    """,
    "myplugin/scenario.py": """
        from oversight_gym.analysis.measures import Measure
        from oversight_gym.runner.scenario import Param, Scenario, ScenarioResult

        SCENARIO = Scenario("plugin-scenario", "a scenario another package adds", [Param("n", int, 3, "n")],
                            lambda params, ctx: ScenarioResult("plugin", [Measure("n", params["n"])]))
    """,
    "myplugin/broken.py": "raise RuntimeError('this plug-in is broken')\n",
    "myplugin-0.1.dist-info/METADATA": "Metadata-Version: 2.1\nName: myplugin\nVersion: 0.1\n",
    "myplugin-0.1.dist-info/entry_points.txt": """
        [oversight_gym.envs]
        games = myplugin.games
        broken = myplugin.broken

        [oversight_gym.scenarios]
        demo = myplugin.scenario
        broken = myplugin.broken
    """,
}


def test_another_package_adds_games_and_scenarios_through_entry_points(
        installed: tuple[Path, Path, dict[str, str]], tmp_path: Path) -> None:
    python, bindir, env = installed
    plugin = tmp_path / "plugin"
    for name, text in PLUGIN.items():
        (plugin / name).parent.mkdir(parents=True, exist_ok=True)
        (plugin / name).write_text(textwrap.dedent(text))
    env = {**env, "PYTHONPATH": str(plugin)}
    proc = subprocess.run([str(bindir / "oversight-gym"), "list"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "plugin/coin-v0" in proc.stdout and "plugin-scenario" in proc.stdout
    # a broken plug-in is skipped with a warning naming it; the others still load
    assert "games plug-in 'broken=myplugin.broken'" in proc.stderr and "this plug-in is broken" in proc.stderr
    assert "scenario plug-in 'broken=myplugin.broken'" in proc.stderr
    table = _run([str(bindir / "oversight-gym"), "run", "plugin-scenario", "--n", "7", "--out",
                  str(tmp_path / "o")], tmp_path, env)
    assert "plugin" in table and "7" in table
