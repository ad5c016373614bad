#!/usr/bin/env bash
# Issue 18's figures: stored and acknowledged HTTP ingest with wrk (Debian)
# against release `teletop serve` on loopback, in one run on this machine:
#   sqlite      one collector on its SQLite file (--db)
#   postgres    one collector on PostgreSQL (--store)
#   postgres×2  two collectors on one PostgreSQL, each under its own wrk
# Every 200 is sent after the event's batch committed. After each run the
# stored rows are counted and must equal the 200s wrk saw. CPU per mode is
# read from /proc: the collectors' and the PostgreSQL server's processes, so
# the bottleneck can be named. A private cluster (scripts/test-postgres.sh,
# its own folder) is started and stopped here.
# DURATION (10) seconds per mode; loopback only; stops what it started (by PID).
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${DURATION:-10}
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
if [[ -z ${BIN:-} ]]; then
    swift build -c release --product teletop >/dev/null 2>&1 || { echo "release build failed: run swift build -c release"; exit 1; }
fi
bin="${BIN:-$(swift build -c release --show-bin-path)/teletop}"
work="$(mktemp -d)"
export TELETOP_PG_STATE="/tmp/teletop-bench-postgres-$$"
servers=()
cleanup() {
    for pid in "${servers[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    scripts/test-postgres.sh stop
    rm -rf "$work"
}
trap cleanup EXIT
eval "$(scripts/test-postgres.sh start)"
pg_host_port=${TELETOP_TEST_POSTGRES#*@}; pg_host_port=${pg_host_port%%/*}
pg_port=${pg_host_port##*:}
psql_() { PGPASSWORD=teletop-secret psql -h 127.0.0.1 -p "$pg_port" -U teletop -X -q -t -A "$@"; }

cat > "$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"event_type": "ai_block_used", "payload": {"user_id": "user_123", "chapter_id": 1, "section_id": "what-is-physical-ai", "block_type": "ask-question", "query": "What is Physical AI?"}}'
LUA

ticks=$(getconf CLK_TCK)
# CPU ticks so far of the given PIDs and of every process of the PostgreSQL cluster.
cpu_of() { local sum=0; for pid in "$@"; do sum=$((sum + $(awk '{print $14 + $15}' "/proc/$pid/stat"))); done; echo "$sum"; }
pg_cpu() { local pids; pids=$(pgrep -u "$(stat -c %U "$TELETOP_PG_STATE/data")" postgres || true); [[ -z $pids ]] && { echo 0; return; }; cpu_of $pids; }

# Starts a collector (not in a subshell: its PID and port go into `servers` and `ports`).
start_serve() { # name, store flags...
    local name=$1; shift
    local port=$((20000 + RANDOM % 20000))
    "$bin" serve --port "$port" "$@" --log-file "$work/$name.log" > "$work/$name.out" 2>&1 &
    servers+=($!)
    ports+=("$port")
    for _ in $(seq 200); do curl -fsS "http://127.0.0.1:$port/api/telemetry/health" >/dev/null 2>&1 && break; sleep 0.05; done
}

echo "teletop fleet ingest ($(nproc) cores, $(date -u +%Y-%m-%d)), wrk -d${duration}s, contract example body, stored and acknowledged"
printf '%-12s %10s %8s %8s %12s %12s %10s\n' mode "req/s" p50 p99 "teletop CPU" "postgres CPU" "stored"
for mode in sqlite postgres postgres2; do
    servers=()
    ports=()
    case $mode in
        sqlite) start_serve a --db "$work/events.sqlite" ;;
        postgres|postgres2)
            db="bench_$mode"; psql_ -c "CREATE DATABASE $db" postgres
            url="postgres://teletop:teletop-secret@127.0.0.1:$pg_port/$db?sslmode=disable"
            start_serve a --store "$url"
            if [[ $mode == postgres2 ]]; then start_serve b --store "$url"; fi
            ;;
    esac
    conns=$((64 / ${#ports[@]}))
    # Warm-up (its 200s are stored too, and counted below), then the measured run.
    i=0; warm=()
    for p in "${ports[@]}"; do wrk -t1 -c"$conns" -d2s -s "$work/post.lua" "http://127.0.0.1:$p/api/telemetry/log" > "$work/warm-$mode-$i.txt" & warm+=($!); i=$((i + 1)); done
    wait "${warm[@]}"
    c0=$(cpu_of "${servers[@]}"); g0=$(pg_cpu)
    i=0; runs=()
    for p in "${ports[@]}"; do wrk -t1 -c"$conns" -d"${duration}s" --latency -s "$work/post.lua" "http://127.0.0.1:$p/api/telemetry/log" > "$work/wrk-$mode-$i.txt" & runs+=($!); i=$((i + 1)); done
    wait "${runs[@]}"
    c1=$(cpu_of "${servers[@]}"); g1=$(pg_cpu)
    total=0; answered=0; bad=0
    for f in "$work"/wrk-$mode-*.txt; do
        total=$(awk -v t="$total" '/Requests\/sec/ {printf "%.0f", t + $2}' "$f")
    done
    for f in "$work"/wrk-$mode-*.txt "$work"/warm-$mode-*.txt; do
        answered=$((answered + $(awk '/requests in/ {print $1}' "$f")))
        bad=$((bad + $(awk '/Non-2xx/ {n = $NF} END {print n + 0}' "$f")))
    done
    p50=$(awk '/ 50%/ {print $2}' "$work/wrk-$mode-0.txt"); p99=$(awk '/ 99%/ {print $2}' "$work/wrk-$mode-0.txt")
    for pid in "${servers[@]}"; do kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; done
    servers=()
    case $mode in
        sqlite) stored=$(sqlite3 "$work/events.sqlite" "SELECT sum(live) FROM event_block") ;;
        *) stored=$(psql_ -c "SELECT count(*) FROM event_row" "$db") ;;
    esac
    tele=$(awk -v a="$c0" -v b="$c1" -v t="$ticks" -v d="$duration" 'BEGIN {printf "%.0f%%", (b - a) / t / d * 100}')
    pg=$(awk -v a="$g0" -v b="$g1" -v t="$ticks" -v d="$duration" 'BEGIN {printf "%.0f%%", (b - a) / t / d * 100}')
    printf '%-12s %10s %8s %8s %12s %12s %10s\n' "$mode" "$total" "$p50" "$p99" "$tele" "$pg" "$stored"
    echo "  $mode: $answered answers (warm-up included), $bad not 2xx, $stored rows stored" >> "$work/notes"
done
cat "$work/notes"
