#!/usr/bin/env bash
# Create (or update) the project's virtual environment in .venv with pinned versions.
# Usage: scripts/setup.sh [EXTRAS]   (default extras: c3d,kb,agents — everything the README's
# commands use; kb brings torch for the embedding model, a large download the first time)
#
# Nothing is reinstalled when pyproject.toml, the constraints, the extras and the Python
# version are unchanged since the last successful run (a stamp in .venv records them).
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-c3d,kb,agents}"
py="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$py" -m venv .venv
fi
stamp=.venv/.sportsgpt-setup
want="$( (cat pyproject.toml requirements/constraints.txt; echo "$extras";
          .venv/bin/python --version) | sha256sum | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] \
   && .venv/bin/python -c 'import sportsgpt' 2>/dev/null; then
  exit 0
fi
echo "setup: installing sportsgpt[${extras}] into .venv (pinned versions)" >&2
# setuptools warns on every editable install that folders named like subpackages sit in the
# working directory: that is this project's layout (package-dir mapping), not a problem.
export PYTHONWARNINGS="ignore::UserWarning"
# pip's own cache (~/.cache/pip) is kept between runs on this project's machines.
.venv/bin/python -m pip install --quiet --upgrade "pip>=24"
.venv/bin/python -m pip install --quiet -c requirements/constraints.txt -e ".[${extras}]"
echo "$want" > "$stamp"
