#!/usr/bin/env bash
# Run a command with a throwaway Neo4j server: start it, export SPORTSGPT_NEO4J_URI,
# run the command, always stop the server, exit with the command's status.
#
#   scripts/ci-neo4j.sh .venv/bin/python -m pytest -q tests/contract tests/integration
#
# The server gets its own state folder and a fresh home (its own free port), so it does not
# clash with a developer's `scripts/neo4j-dev.sh start`. Needs Java 17 and Maven (the first
# run builds tests/neo4j with Maven). Exits 1 if the server cannot start (the command is
# then not run), 2 without a command.
set -uo pipefail

if [[ $# -eq 0 ]]; then
    echo "usage: $0 COMMAND [ARGS...]" >&2
    exit 2
fi

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEV="$ROOT/scripts/neo4j-dev.sh"
SPORTSGPT_NEO4J_DEV_DIR="$(mktemp -d "${TMPDIR:-/tmp}/sportsgpt-neo4j-ci.XXXXXX")"
export SPORTSGPT_NEO4J_DEV_DIR

stop_server() {
    "$DEV" stop || echo "ci-neo4j: stopping the Neo4j server failed (see above)" >&2
    rm -rf "$SPORTSGPT_NEO4J_DEV_DIR"
}
trap stop_server EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if ! exports="$("$DEV" start)"; then
    echo "ci-neo4j: the Neo4j dev server did not start; not running: $*" >&2
    for log in "$SPORTSGPT_NEO4J_DEV_DIR"/err.log "$SPORTSGPT_NEO4J_DEV_DIR"/out.log; do
        [[ -s "$log" ]] && { echo "--- $log" >&2; tail -n 40 "$log" >&2; }
    done
    exit 1
fi
eval "$exports"
export SPORTSGPT_NEO4J_URI
echo "ci-neo4j: SPORTSGPT_NEO4J_URI=$SPORTSGPT_NEO4J_URI" >&2

"$@"
status=$?
exit "$status"
