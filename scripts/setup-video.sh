#!/usr/bin/env bash
# Video input (the `video` extra): a separate virtual environment for the pose estimator.
#
# MediaPipe 0.10.21 (its legacy Pose solution ships the pose model inside the wheel, so
# nothing is downloaded at run time) needs numpy<2, while SportsGPT's own environment has
# numpy 2.x. The two cannot share one environment, so the estimator lives in .venv-video
# and sportsgpt.tools.io.video runs its worker there as a subprocess; the keypoints come
# back as a MediaPipe landmark JSON file that the existing reader takes.
#
# Usage: scripts/setup-video.sh [PYTHON]   (PYTHON: a Python 3.9-3.12, default python3)
# Re-running it is cheap: it skips the install when the pinned versions are present.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${1:-python3}"
VENV=.venv-video
PINS=("mediapipe==0.10.21" "numpy>=1.26,<2")
if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -m venv "$VENV"
fi
if "$VENV/bin/python" - <<'PYCHECK' 2>/dev/null; then
import importlib.metadata as md, sys
ok = md.version("mediapipe") == "0.10.21" and md.version("numpy").startswith("1.")
import cv2, mediapipe  # noqa: F401
ok = ok and md.version("sports2d") == "0.8.34"
sys.exit(0 if ok else 1)
PYCHECK
    echo "$VENV is ready (mediapipe 0.10.21, numpy<2)"
    exit 0
fi
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet "${PINS[@]}"
# Test media only: sports2d ships a real demo video (BSD-3-Clause) that tests/integration/
# test_video.py cuts clips from; --no-deps keeps its own dependencies out.
"$VENV/bin/python" -m pip install --quiet --no-deps "sports2d==0.8.34"
"$VENV/bin/python" -c "import mediapipe, numpy, cv2; print('mediapipe', mediapipe.__version__, 'numpy', numpy.__version__, 'opencv', cv2.__version__)"
echo "$VENV is ready"
