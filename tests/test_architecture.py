"""The layers of the package and what may import what (ARCHITECTURE.md): imports run downward
only. ``core`` imports nothing else of ours; the generic packages (``agents``, ``analysis``,
``runner``, ``testing``) import ``core`` and each other but never a family, a scenario or the
command line; a family (``envs/<family>``) imports generic code and its own folder, never
another family; scenarios import anything but the command line. Every import is read from
the source, including those inside functions, so a lazy import cannot hide a violation."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "oversight_gym"
GENERIC = ("agents", "analysis", "runner", "testing")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every ``oversight_gym`` module ``path`` imports, with the line (relative imports resolved)."""
    tree = ast.parse(path.read_text(), str(path))
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            out.append((node.lineno, base))
            # "from oversight_gym.envs import debate" imports the subpackage
            out += [(node.lineno, f"{base}.{a.name}") for a in node.names]
    return [(line, m) for line, m in out if m == "oversight_gym" or m.startswith("oversight_gym.")]


def _layer(module: str) -> tuple[str, str | None]:
    """``(layer, family)`` of a module: core, generic, family, scenarios, cli or root."""
    parts = module.split(".")
    if len(parts) == 1:
        return "root", None
    top = parts[1]
    if top == "_version":
        return "leaf", None
    if top == "core":
        return "core", None
    if top in GENERIC:
        return "generic", None
    if top == "envs":
        return ("family", parts[2]) if len(parts) > 2 else ("envs", None)
    if top == "scenarios":
        return "scenarios", None
    if top == "cli":
        return "cli", None
    return "other", None


def _allowed(src: str, dst: str) -> bool:
    (sl, sf), (dl, df) = _layer(src), _layer(dst)
    if dl == "leaf" or sl in ("root", "cli"):
        return sl != "leaf"
    if dl == "root":  # `import oversight_gym` (the version, or make) from below the top is a loop
        return False
    if sl == "core":
        return dl == "core"
    if sl == "generic":
        return dl in ("core", "generic")
    if sl == "envs":  # envs/__init__ imports the families to register them
        return dl in ("core", "generic", "family", "envs")
    if sl == "family":
        return dl in ("core", "generic") or (dl == "family" and df == sf)
    if sl == "scenarios":
        return dl != "cli"
    return False


SOURCES = sorted(p for p in ROOT.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_module_has_a_layer() -> None:
    unknown = [_module_name(p) for p in SOURCES if _layer(_module_name(p))[0] == "other"]
    assert not unknown, f"modules outside the layers of ARCHITECTURE.md: {unknown}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT.parent)))
def test_imports_run_downward_only(path: Path) -> None:
    src = _module_name(path)
    bad = [f"line {line}: {dst}" for line, dst in _imports(path) if not _allowed(src, dst)]
    assert not bad, f"{src} ({_layer(src)[0]}) imports what its layer may not: " + "; ".join(bad)


def test_the_rule_catches_violations() -> None:
    assert not _allowed("oversight_gym.agents.search.mcts", "oversight_gym.envs.debate.pixels")
    assert not _allowed("oversight_gym.envs.debate.pixels", "oversight_gym.envs.collusion.pricing")
    assert not _allowed("oversight_gym.core.registry", "oversight_gym.agents.base")
    assert not _allowed("oversight_gym.runner.sweep", "oversight_gym.cli")
    assert not _allowed("oversight_gym.scenarios.pixel_debate", "oversight_gym.cli")
    assert _allowed("oversight_gym.envs.debate.pixels", "oversight_gym.envs.debate.judge")
    assert _allowed("oversight_gym.scenarios.pixel_debate", "oversight_gym.envs.debate.pixel_runs")


BENCHMARKS = sorted((ROOT.parent / "benchmarks").glob("bench_*.py"))


@pytest.mark.parametrize("path", BENCHMARKS, ids=lambda p: p.name)
def test_benchmarks_import(path: Path) -> None:
    """Benchmarks are not run by the tests (they time things), but they must keep up with the
    layout: every benchmark script imports (its main is guarded)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"_bench_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
