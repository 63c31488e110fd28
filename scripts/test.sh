#!/usr/bin/env bash
# Set up the environment and run every check: ruff, mypy, then the test suite.
# Extra arguments go to pytest (e.g. scripts/test.sh -m "not integration").
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh dev,c3d,kb,agents,llm-test,web-test,engine,docs
echo "== ruff"
.venv/bin/ruff check .
echo "== mypy"
PYTHON=.venv/bin/python scripts/typecheck.sh
echo "== pytest"
.venv/bin/python -m pytest "$@"
