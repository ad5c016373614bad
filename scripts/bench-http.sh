#!/usr/bin/env bash
# HTTP ingest figures: wrk (Debian) posts the contract's example body to a
# release `teletop serve` on loopback, -t2 -c64 for DURATION seconds (10),
# once with the durable store (every 200 is sent after its batch committed
# to SQLite with synchronous=FULL) and once with --in-memory.
# Prints req/s, p50/p99 latency, the server's CPU per request, and for the
# store, how many events are on disk afterwards (must equal the 200s).
# Targets on a 2-core machine: in memory >= 30k req/s, p99 <= 5 ms, <= 50 µs
# CPU/request; stored and acknowledged >= 20k req/s, p99 <= 20 ms.
# Bounded in time, loopback only; stops the servers it started (by PID).
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${DURATION:-10}
modes=${MODES:-"store memory"}
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
command -v sqlite3 >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sqlite3 >/dev/null; }

# BIN=path measures another build (an older teletop beside this one, say).
if [[ -z ${BIN:-} ]]; then
    swift build -c release --product teletop >/dev/null 2>&1 || { echo "release build failed: run swift build -c release"; exit 1; }
fi
bin="${BIN:-$(swift build -c release --show-bin-path)/teletop}"
work="$(mktemp -d)"
server=""
cleanup() { [[ -n $server ]] && { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; }; rm -rf "$work"; }
trap cleanup EXIT

cat > "$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"event_type": "ai_block_used", "payload": {"user_id": "user_123", "chapter_id": 1, "section_id": "what-is-physical-ai", "block_type": "ask-question", "query": "What is Physical AI?"}}'
LUA

# ROUNDS=N (1) runs the modes N times in turn, so that a slow minute of a
# shared VM falls on both; the stored/in-memory ratio of each round and
# their median are printed last (the ratio is steadier than either rate).
rounds=${ROUNDS:-1}
ratios=()
echo "teletop HTTP ingest ($(nproc) cores, $(date -u +%Y-%m-%d)), wrk -t2 -c64 -d${duration}s, contract example body"
for round in $(seq "$rounds"); do
declare -A rate=()
for mode in $modes; do
    port=$((20000 + RANDOM % 20000))
    db="$work/events-$mode.sqlite"
    case $mode in
        store) flags=(--db "$db") ;;
        memory) flags=(--in-memory) ;;
        *) echo "unknown mode $mode (store or memory)"; exit 2 ;;
    esac
    "$bin" serve --port "$port" "${flags[@]}" --log-file "$work/serve-$mode.log" > "$work/summary-$mode.txt" 2>&1 &
    server=$!
    for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$port/api/telemetry/health" >/dev/null 2>&1 && break; sleep 0.05; done
    # Warm-up, then the measured run.
    wrk -t2 -c64 -d2s -s "$work/post.lua" "http://127.0.0.1:$port/api/telemetry/log" > "$work/warm-$mode.txt"
    warm=$(awk '/requests in/ {print $1}' "$work/warm-$mode.txt")
    ticks=$(getconf CLK_TCK)
    c0=$(awk '{print $14 + $15}' "/proc/$server/stat")
    wrk -t2 -c64 -d"${duration}s" --latency -s "$work/post.lua" "http://127.0.0.1:$port/api/telemetry/log" > "$work/wrk-$mode.txt"
    c1=$(awk '{print $14 + $15}' "/proc/$server/stat")
    rss=$(awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$server/status")
    kill "$server"; wait "$server" 2>/dev/null || true; server=""
    f="$work/wrk-$mode.txt"
    requests=$(awk '/requests in/ {print $1}' "$f")
    non2xx=$(awk '/Non-2xx/ {print $NF}' "$f"); non2xx=${non2xx:-0}
    echo
    rate[$mode]=$(awk '/Requests\/sec/ {print $2}' "$f")
    echo "[$mode]$( ((rounds > 1)) && echo " round $round")"
    echo "requests/s:             ${rate[$mode]}"
    echo "latency p50 / p99:      $(awk '$1 == "50%" {print $2}' "$f") / $(awk '$1 == "99%" {print $2}' "$f")"
    awk -v t=$((c1 - c0)) -v hz="$ticks" -v n="$requests" 'BEGIN { printf "server CPU per request: %.1f µs\n", 1e6 * t / hz / n }'
    echo "peak RSS:               $rss MiB"
    grep -E "Socket errors" "$f" || true
    echo "non-2xx answers:        $non2xx"
    if [[ $mode == store ]]; then
        stored=$(sqlite3 "$db" "SELECT count(*) FROM event")
        echo "events on disk:         $stored (answered 200: $((warm + requests - non2xx)); file $(du -h "$db" | cut -f1))"
    fi
done
if [[ -n ${rate[store]:-} && -n ${rate[memory]:-} ]]; then
    ratios+=("$(awk -v s="${rate[store]}" -v m="${rate[memory]}" 'BEGIN { printf "%.0f", 100 * s / m }')")
fi
unset rate
done
if ((${#ratios[@]})); then
    median=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')
    echo
    echo "stored / in memory:     ${ratios[*]/%/%} (median ${median}%; target >= 70%)"
fi
