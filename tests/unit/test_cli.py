from __future__ import annotations

import json
from pathlib import Path

import pytest

from sportsgpt.cli import EXIT_USER_ERROR, main


def test_inspect_amc_text(cmu_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", str(cmu_dir / "16_01.amc")]) == 0
    out = capsys.readouterr().out
    assert "format:      amc" in out
    assert "frame rate:  120 Hz" in out
    assert "left_knee" in out
    assert "missing:" in out


def test_inspect_json_has_the_summary_fields(cmu_dir: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", str(cmu_dir / "16_02.amc"), "--format", "json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["format"] == "amc" and rep["fps"] == 120.0 and rep["units"] == "m"
    assert rep["n_frames"] > 100
    assert rep["duration_s"] == pytest.approx(rep["n_frames"] / 120.0)
    assert "pelvis" in rep["joints"]
    assert {"missing_pct", "usable_views"} <= set(rep["quality"])


def test_inspect_angles_file(opencap_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", str(opencap_dir / "jump2.mot"), "--format", "json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["kind"] == "angles" and rep["fps"] == pytest.approx(240.0)
    assert "knee_flexion_right" in rep["channels"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.amc", None, "file not found"),
        ("empty.bvh", b"", "empty"),
        ("garbage.xyz", b"\x00\x01garbage", "unrecognised format"),
        ("broken.bvh", b"HIERARCHY\nROOT Hips\n{\n  OFFSET 0 0", "broken.bvh"),
    ],
    ids=["missing", "empty", "unknown-format", "truncated"],
)
def test_bad_input_is_one_line_on_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         name: str, content: bytes | None, message: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    assert main(["inspect", str(path)]) == EXIT_USER_ERROR
    captured = capsys.readouterr()
    assert captured.out == ""
    err_lines = captured.err.strip().splitlines()
    assert len(err_lines) == 1, captured.err
    assert err_lines[0].startswith("sportsgpt: error:")
    assert message in err_lines[0]
    assert "Traceback" not in captured.err


def test_wrong_option_for_format_is_a_user_error(cmu_dir: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", str(cmu_dir / "16_01.amc"), "--image-size", "640", "480"]) == 2
    assert "do not apply" in capsys.readouterr().err
