"""Every ```python block of README.md and docs/*.md runs, so the documentation cannot rot.

The blocks of one file run in order in one namespace (a tutorial builds on its earlier
blocks), inside a temporary working directory. Trained judges go to the session's
temporary cache (``tests/conftest.py`` points ``OVERSIGHT_GYM_CACHE`` there), so the
tests neither read nor fill the user's cache. The games and agents a tutorial registers
are unregistered afterwards, so that other tests in the same process see only the
library's own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# a fence opening with ```python (nothing else on the line), up to the next closing fence
BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)


def python_blocks(path: Path) -> list[tuple[int, str]]:
    """``(line number, code)`` of every ```python block of ``path``."""
    text = path.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start()) + 2, m.group(1)) for m in BLOCK.finditer(text)]


def test_extractor_finds_blocks_and_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "sample.md"
    path.write_text("intro\n```python\nx = 1\n```\ntext\n```bash\nls\n```\n```python\ny = x + 1\n```\n")
    assert python_blocks(path) == [(3, "x = 1\n"), (10, "y = x + 1\n")]


@pytest.fixture
def restore_registries() -> Iterator[None]:
    from oversight_gym.agents import base as agents_base
    from oversight_gym.core import registry

    agents_base.registered_agents()  # imports the agent modules, which register their classes
    envs, agents = dict(registry._REGISTRY), dict(agents_base._AGENTS)
    yield
    registry._REGISTRY.clear()
    registry._REGISTRY.update(envs)
    agents_base._AGENTS.clear()
    agents_base._AGENTS.update(agents)


@pytest.mark.parametrize("path", [p for p in DOC_FILES if p.exists()], ids=lambda p: str(p.relative_to(ROOT)))
@pytest.mark.usefixtures("restore_registries")
def test_doc_snippets_run(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = python_blocks(path)
    if not blocks:
        pytest.skip(f"{path.name} has no python blocks")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": f"docs_{path.stem.replace('-', '_')}"}
    for line, code in blocks:
        # padded so that a traceback names the line of the markdown file
        compiled = compile("\n" * (line - 1) + code, str(path), "exec")
        exec(compiled, namespace)  # running our own documentation is the point


TUTORIALS = ("run-a-scenario.md", "add-a-game.md", "your-own-agent.md", "property-testing.md", "recursive-debate.md",
             "collusion-games.md", "language-model-seats.md")


@pytest.mark.parametrize("name", TUTORIALS)
def test_each_tutorial_exists_and_has_code(name: str) -> None:
    path = ROOT / "docs" / name
    assert path.exists(), f"docs/{name} is missing"
    assert python_blocks(path), f"docs/{name} has no ```python block to run"


@pytest.mark.parametrize("path", [p for p in DOC_FILES if p.exists()], ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(path: Path) -> None:
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", path.read_text(encoding="utf-8"))
    local = [link for link in links if "://" not in link and not link.startswith("mailto:")]
    missing = [link for link in local if not (path.parent / link).exists()]
    assert not missing, f"{path.name} links to missing files: {missing}"
