#!/usr/bin/env bash
# Set up and run the main job on a real sample recording (CMU trial 16_01, a
# countermovement jump): the assessment report (keyframes, metrics against their
# targets, named faults with evidence). Extra arguments go to `sportsgpt analyze`
# (e.g. --format html --out report.html).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh dev >&2
file="$(.venv/bin/python -c 'from sportsgpt.tools.datasets import cmu_trial_path; print(cmu_trial_path("16_01"))')"
exec .venv/bin/sportsgpt analyze "$file" "$@"
