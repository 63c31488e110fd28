"""Video reader plumbing that needs no video environment: detection and the setup message."""

from __future__ import annotations

from pathlib import Path

import pytest

from sportsgpt.core.errors import MissingDependencyError, MotionFileError
from sportsgpt.tools.io import FORMATS, detect_format, read_motion
from sportsgpt.tools.io.video import VideoEnvironmentError, sniff_video

MP4_HEAD = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41"
AVI_HEAD = b"RIFF\x10\x00\x00\x00AVI LIST"


@pytest.mark.parametrize(("head", "is_video"), [
    (MP4_HEAD, True), (AVI_HEAD, True), (b'{"frames": []}', False), (b"RIFF\0\0\0\0WAVE", False),
], ids=["mp4", "avi", "json", "wav"])
def test_sniff_video(head: bytes, is_video: bool) -> None:
    assert sniff_video(head) is is_video


@pytest.mark.parametrize("suffix", [".mp4", ".mov", ".avi"])
def test_video_extensions_detected(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"clip{suffix}"
    path.write_bytes(AVI_HEAD if suffix == ".avi" else MP4_HEAD)
    assert detect_format(path) is FORMATS["video"]


def test_missing_video_environment_names_the_setup_command(tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(MP4_HEAD)
    missing = tmp_path / "no-env" / "bin" / "python"
    with pytest.raises(VideoEnvironmentError, match=r"scripts/setup-video\.sh") as info:
        read_motion(path, video_python=missing)
    assert isinstance(info.value, MissingDependencyError)
    assert str(missing) in str(info.value)


def test_max_frames_must_be_positive(tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(MP4_HEAD)
    with pytest.raises(MotionFileError, match="max_frames"):
        read_motion(path, max_frames=0)
