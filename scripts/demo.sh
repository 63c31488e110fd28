#!/usr/bin/env bash
# Set up and run the main job on a real sample recording (CMU trial 16_01, a
# countermovement jump): "what's wrong with my jump?" answered with the measured findings
# (keyframes, metrics against their targets, named faults) and cited training guidance.
# Extra arguments go to `sportsgpt coach` (e.g. --format json, or --backend openai).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >&2
file="$(.venv/bin/python -c 'from sportsgpt.tools.datasets import cmu_trial_path; print(cmu_trial_path("16_01"))')"
exec .venv/bin/sportsgpt coach "$file" --question "What's wrong with my jump?" "$@"
