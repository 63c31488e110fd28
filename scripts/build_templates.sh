#!/usr/bin/env bash
# Rebuild the shipped MotionDTW templates from the shared data (see README, "Templates").
set -euo pipefail
cd "$(dirname "$0")/.."
out=graph_kb/movements  # one folder per movement: <id>/template.json
cmu="$(.venv/bin/python -c 'from sportsgpt.tools.datasets import data_home; print(data_home("cmu-mocap-jumps"))')"
prmd="$(.venv/bin/python -c 'from sportsgpt.tools.datasets import data_home; print(data_home("ui-prmd"))')"
.venv/bin/sportsgpt template build --movement countermovement_jump \
  "$cmu/16_01.amc" "$cmu/16_02.amc" --out "$out/countermovement_jump/template.json"
.venv/bin/sportsgpt template build --movement standing_long_jump \
  "$cmu"/118_*.amc --out "$out/standing_long_jump/template.json"
.venv/bin/sportsgpt template build --movement deep_squat \
  "$prmd/Segmented Movements/Vicon/Positions"/m01_*_positions.txt.gz --out "$out/deep_squat/template.json"
dj="$(.venv/bin/python -c 'from sportsgpt.tools.datasets import data_home; print(data_home("opencap-dropjumps"))')"
.venv/bin/sportsgpt template build --movement drop_jump \
  "$dj"/markers/DJ1.trc "$dj"/markers/DJ2.trc "$dj"/markers/DJ3.trc --out "$out/drop_jump/template.json"
