#!/usr/bin/env bash
# Set up and run the main job on a real sample recording (CMU trial 16_01, a
# countermovement jump). Extra arguments go to the command.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh dev >&2
file="$(.venv/bin/python -c 'from sportsgpt.tools.datasets import cmu_trial_path; print(cmu_trial_path("16_01"))')"
exec .venv/bin/sportsgpt inspect "$file" "$@"
