#!/usr/bin/env bash
# mypy cannot follow setuptools' package-dir mapping (tools/ -> sportsgpt.tools),
# so lay the installed package's shape out as symlinks and check that tree.
set -euo pipefail
cd "$(dirname "$0")/.."
tree=.typecheck/sportsgpt
rm -rf .typecheck && mkdir -p "$tree"
for f in sportsgpt/*; do ln -s "../../$f" "$tree/$(basename "$f")"; done
for sub in tools agents graph_kb prompts evals; do ln -s "../../$sub" "$tree/$sub"; done
exec "${PYTHON:-python}" -m mypy "$@" "$tree"
