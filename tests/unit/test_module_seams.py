"""Seams between modules that a split must keep: no backend leans on another, no room
below the front door imports it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KB_BACKENDS = ("sportsgpt.graph_kb.embedded", "sportsgpt.graph_kb.neo4j_store")


def _imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, ``from a import b`` counted as ``a`` and ``a.b``."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


@pytest.mark.parametrize("backend", KB_BACKENDS)
def test_no_knowledge_backend_imports_another(backend: str) -> None:
    path = ROOT / "graph_kb" / f"{backend.rsplit('.', 1)[1]}.py"
    others = set(KB_BACKENDS) - {backend}
    assert not _imported_modules(path) & others


@pytest.mark.parametrize("folder", ["tools", "graph_kb", "sportsgpt/core"])
def test_nothing_below_the_front_door_imports_it(folder: str) -> None:
    bad = sorted(f"{path.relative_to(ROOT)}: {module}" for path in (ROOT / folder).rglob("*.py")
                 for module in _imported_modules(path)
                 if module == "sportsgpt" or module.startswith("sportsgpt.__"))
    assert not bad, bad
