#!/usr/bin/env bash
# Create (or update) the project's virtual environment in .venv with pinned versions.
# Usage: scripts/setup.sh [EXTRAS]   (default extras: dev,kb — kb brings torch for the embedding model)
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-dev,kb}"
py="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$py" -m venv .venv
fi
# pip's own cache (~/.cache/pip) is kept between runs on this project's machines.
.venv/bin/python -m pip install --quiet --upgrade "pip>=24"
.venv/bin/python -m pip install --quiet -c requirements/constraints.txt -e ".[${extras}]"
