#!/usr/bin/env bash
# A throwaway Neo4j 5.26 Community server for SportsGPT's tests, CI and local work,
# started without Docker (embedded DBMS from Maven Central, Bolt on 127.0.0.1, no auth).
#
#   scripts/neo4j-dev.sh start    build if needed, start on a free port with a fresh
#                                 temporary home, wait until it is ready; prints
#                                 `export SPORTSGPT_NEO4J_URI=bolt://127.0.0.1:PORT`
#                                 (so: eval "$(scripts/neo4j-dev.sh start)")
#   scripts/neo4j-dev.sh stop     stop it cleanly (SIGTERM, shutdown hook) and delete its home
#   scripts/neo4j-dev.sh status   exit 0 and print the export line if running, else exit 3
#   scripts/neo4j-dev.sh build    only build (mvn dependency:copy-dependencies package)
#
# Environment (all optional):
#   SPORTSGPT_NEO4J_DEV_DIR        state folder (pid, uri, logs); default
#                                  ${TMPDIR:-/tmp}/sportsgpt-neo4j-dev-$UID. One server per folder.
#   SPORTSGPT_NEO4J_PORT           Bolt port; default: a free port picked at start
#   SPORTSGPT_NEO4J_HEAP           JVM -Xmx; default 768m
#   SPORTSGPT_NEO4J_PAGECACHE_MB   page cache in MiB; default 64
#   SPORTSGPT_NEO4J_START_TIMEOUT  seconds to wait for READY; default 180
#   JAVA_HOME                      Java 17 or 21 (Neo4j 5.26 supports only these)
#
# Needs Java 17+ and Maven; jars go to ~/.m2 and tests/neo4j/target/ (ignored by git).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
POM="$ROOT/tests/neo4j/pom.xml"
TARGET="$ROOT/tests/neo4j/target"
JAR="$TARGET/neo4j-dev-server.jar"
MAIN_CLASS="org.sportsgpt.neo4j.DevServer"
STATE="${SPORTSGPT_NEO4J_DEV_DIR:-${TMPDIR:-/tmp}/sportsgpt-neo4j-dev-$(id -u)}"
HEAP="${SPORTSGPT_NEO4J_HEAP:-768m}"
PAGECACHE_MB="${SPORTSGPT_NEO4J_PAGECACHE_MB:-64}"
START_TIMEOUT="${SPORTSGPT_NEO4J_START_TIMEOUT:-180}"
STOP_TIMEOUT=60

log() { echo "neo4j-dev: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

java_bin() {
    if [[ -n "${JAVA_HOME:-}" ]]; then echo "$JAVA_HOME/bin/java"; else echo "java"; fi
}

check_java() {
    local java version major
    java="$(java_bin)"
    command -v "$java" >/dev/null 2>&1 \
        || die "java not found: install Java 17 (e.g. apt-get install openjdk-17-jdk-headless) or set JAVA_HOME"
    version="$("$java" -version 2>&1 | head -n 1)"
    major="$(sed -E 's/.*version "([0-9]+).*/\1/' <<<"$version")"
    [[ "$major" == "17" || "$major" == "21" ]] \
        || die "Neo4j 5.26 needs Java 17 or 21, found: $version (set JAVA_HOME)"
}

needs_build() {
    [[ -f "$JAR" && -d "$TARGET/dependency" ]] || return 0
    [[ "$POM" -nt "$JAR" ]] && return 0
    [[ -n "$(find "$ROOT/tests/neo4j/src" -newer "$JAR" -type f -print -quit)" ]] && return 0
    return 1
}

build() {
    command -v mvn >/dev/null 2>&1 \
        || die "mvn not found: install Maven (e.g. apt-get install maven) to build the dev server"
    log "building the dev server (mvn -q -f tests/neo4j/pom.xml dependency:copy-dependencies package)"
    local t0=$SECONDS
    rm -rf "$TARGET/dependency"
    mvn -B -q -f "$POM" dependency:copy-dependencies package >&2 \
        || die "the Maven build failed (see above); it needs Maven Central or a filled ~/.m2"
    log "built in $((SECONDS - t0)) s"
}

pid_alive() {  # our DevServer, not a recycled pid
    local pid="$1"
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null \
        && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "$MAIN_CLASS"
}

running_pid() {
    local pid
    [[ -f "$STATE/pid" ]] || return 1
    pid="$(cat "$STATE/pid")"
    pid_alive "$pid" || return 1
    echo "$pid"
}

free_port() {
    python3 - <<'EOF'
import socket
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
EOF
}

cleanup_state() {
    local home=""
    [[ -f "$STATE/home" ]] && home="$(cat "$STATE/home")"
    if [[ -n "$home" && -d "$home" && "$(basename "$home")" == sportsgpt-neo4j-home.* ]]; then
        rm -rf "$home"
    fi
    rm -f "$STATE/pid" "$STATE/uri" "$STATE/home"
}

wait_exit() {  # wait_exit PID: wait up to STOP_TIMEOUT for it to exit, then SIGKILL (status 1)
    local pid="$1" deadline=$((SECONDS + STOP_TIMEOUT))
    while kill -0 "$pid" 2>/dev/null; do
        if ((SECONDS >= deadline)); then
            log "pid $pid still running ${STOP_TIMEOUT}s after SIGTERM; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            sleep 0.5
            return 1
        fi
        sleep 0.1
    done
    return 0
}

launch() {  # launch PORT: start the JVM and wait; 0 ready, 1 exited early, 2 timed out
    local port="$1" home java pid
    home="$(mktemp -d "${TMPDIR:-/tmp}/sportsgpt-neo4j-home.XXXXXX")"
    echo "$home" >"$STATE/home"
    java="$(java_bin)"
    : >"$STATE/out.log"
    : >"$STATE/err.log"
    # The flags bin/neo4j would add (see shared/docs/NEO4J.md) and a bounded heap.
    nohup "$java" "-Xmx$HEAP" \
        --add-opens=java.base/java.nio=ALL-UNNAMED \
        --add-opens=java.base/java.io=ALL-UNNAMED \
        --add-opens=java.base/sun.nio.ch=ALL-UNNAMED \
        --enable-native-access=ALL-UNNAMED \
        -Dio.netty.tryReflectionSetAccessible=true \
        -cp "$JAR:$TARGET/dependency/*" "$MAIN_CLASS" "$port" "$home" "$PAGECACHE_MB" \
        >"$STATE/out.log" 2>"$STATE/err.log" </dev/null &
    pid=$!
    echo "$pid" >"$STATE/pid"
    local deadline=$((SECONDS + START_TIMEOUT))
    until grep -q '^READY ' "$STATE/out.log"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            return 1
        fi
        if ((SECONDS >= deadline)); then
            kill -TERM "$pid" 2>/dev/null || true
            wait_exit "$pid" || true
            return 2
        fi
        sleep 0.2
    done
    return 0
}

start() {
    local pid
    if pid="$(running_pid)"; then
        log "already running (pid $pid)"
        echo "export SPORTSGPT_NEO4J_URI=$(cat "$STATE/uri")"
        return 0
    fi
    check_java
    if needs_build; then build; fi
    mkdir -p "$STATE"
    cleanup_state
    local port t0 attempt rc
    t0=$(date +%s%N)
    for attempt in 1 2 3; do
        port="${SPORTSGPT_NEO4J_PORT:-$(free_port)}"
        rc=0
        launch "$port" || rc=$?
        if ((rc == 0)); then break; fi
        if ((rc == 2)); then
            tail -n 30 "$STATE/err.log" >&2
            cleanup_state
            die "Neo4j dev server not ready after ${START_TIMEOUT}s (logs in $STATE; raise SPORTSGPT_NEO4J_START_TIMEOUT)"
        fi
        # Another process may have taken the free port between picking and binding it.
        if [[ -z "${SPORTSGPT_NEO4J_PORT:-}" && $attempt -lt 3 ]] \
                && grep -q 'PortBindException' "$STATE/err.log"; then
            log "port $port was taken meanwhile; trying another"
            cleanup_state
            continue
        fi
        log "the server exited before it was ready; its error output:"
        tail -n 30 "$STATE/err.log" >&2
        cleanup_state
        die "Neo4j dev server did not start (logs in $STATE)"
    done
    local uri="bolt://127.0.0.1:$port"
    echo "$uri" >"$STATE/uri"
    log "ready at $uri (pid $(cat "$STATE/pid")) in $(( ($(date +%s%N) - t0) / 1000000 )) ms; home $(cat "$STATE/home")"
    echo "export SPORTSGPT_NEO4J_URI=$uri"
}

stop() {
    local pid
    if ! pid="$(running_pid)"; then
        log "not running"
        cleanup_state
        return 0
    fi
    local t0
    t0=$(date +%s%N)
    kill -TERM "$pid"
    if ! wait_exit "$pid"; then
        cleanup_state
        die "Neo4j dev server did not stop cleanly (logs in $STATE)"
    fi
    if grep -q '^STOPPED' "$STATE/out.log"; then
        log "stopped cleanly in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
    else
        log "stopped, but without its STOPPED line; error output:"
        tail -n 30 "$STATE/err.log" >&2
    fi
    cleanup_state
}

status() {
    local pid
    if pid="$(running_pid)"; then
        log "running (pid $pid)"
        echo "export SPORTSGPT_NEO4J_URI=$(cat "$STATE/uri")"
        return 0
    fi
    log "not running"
    return 3
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    build) check_java; build ;;
    *) echo "usage: $0 start|stop|status|build" >&2; exit 2 ;;
esac
