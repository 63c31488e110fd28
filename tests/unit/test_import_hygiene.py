"""Architecture rules that can be checked: light imports, one-way dependencies."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "transformers", "sentence_transformers", "gradio", "langchain", "langgraph")


@pytest.mark.parametrize("module", [
    "sportsgpt.cli", "sportsgpt.api", "sportsgpt.tools.io", "sportsgpt.tools.kismam.assess",
    "sportsgpt.tools.knowledge", "sportsgpt.graph_kb.build", "sportsgpt.graph_kb.neo4j_store",
])
def test_no_heavy_import_on_the_fast_path(module: str) -> None:
    code = (f"import sys, {module}\n"
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.strip() == "", f"{module} pulls in {out.stdout.strip()}"


def _imports(folder: str) -> set[str]:
    found: set[str] = set()
    for path in (ROOT / folder).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
    return found


@pytest.mark.parametrize(("folder", "forbidden"), [
    ("sportsgpt/core", ("sportsgpt.tools", "sportsgpt.graph_kb", "sportsgpt.api",
                        "sportsgpt.cli", "sportsgpt.agents", "sportsgpt.evals")),
    ("graph_kb", ("sportsgpt.tools", "sportsgpt.api", "sportsgpt.cli", "sportsgpt.agents",
                  "langchain", "langgraph")),
    ("tools", ("sportsgpt.api", "sportsgpt.cli", "sportsgpt.agents", "sportsgpt.evals",
               "langchain", "langgraph")),
], ids=["core", "graph_kb", "tools"])
def test_dependencies_run_one_way(folder: str, forbidden: tuple[str, ...]) -> None:
    bad = sorted(m for m in _imports(folder) if m.startswith(forbidden))
    assert not bad, f"{folder} imports {bad}"
