#!/usr/bin/env bash
# HTTP ingest figures: wrk (Debian) posts the contract's example body to a
# release `teletop serve` on loopback, -t2 -c64 for DURATION seconds (10).
# Prints req/s, p50/p99 latency and the server's CPU per request.
# Targets on a 2-core machine: >= 30k req/s, p99 <= 5 ms, <= 50 µs CPU/request.
# Bounded in time, loopback only; stops the server it started (by PID).
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${DURATION:-10}
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }

swift build -c release --product teletop >/dev/null
bin="$(swift build -c release --show-bin-path)/teletop"
work="$(mktemp -d)"
port=$((20000 + RANDOM % 20000))
"$bin" serve --port "$port" --log-file "$work/serve.log" > "$work/summary.txt" 2>&1 &
server=$!
cleanup() { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$port/api/telemetry/health" >/dev/null 2>&1 && break; sleep 0.05; done

cat > "$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"event_type": "ai_block_used", "payload": {"user_id": "user_123", "chapter_id": 1, "section_id": "what-is-physical-ai", "block_type": "ask-question", "query": "What is Physical AI?"}}'
LUA

# Warm-up, then the measured run.
wrk -t2 -c64 -d2s -s "$work/post.lua" "http://127.0.0.1:$port/api/telemetry/log" >/dev/null
ticks=$(getconf CLK_TCK)
c0=$(awk '{print $14 + $15}' "/proc/$server/stat")
wrk -t2 -c64 -d"${duration}s" --latency -s "$work/post.lua" "http://127.0.0.1:$port/api/telemetry/log" > "$work/wrk.txt"
c1=$(awk '{print $14 + $15}' "/proc/$server/stat")

requests=$(awk '/requests in/ {print $1}' "$work/wrk.txt")
rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")
p50=$(awk '$1 == "50%" {print $2}' "$work/wrk.txt")
p99=$(awk '$1 == "99%" {print $2}' "$work/wrk.txt")
errors=$(grep -E "Non-2xx|Socket errors" "$work/wrk.txt" || true)
echo "teletop HTTP ingest ($(nproc) cores, $(date -u +%Y-%m-%d)), wrk -t2 -c64 -d${duration}s, contract example body"
echo "requests/s:            $rps   (target >= 30k)"
echo "latency p50 / p99:     $p50 / $p99   (target p99 <= 5 ms)"
awk -v t=$((c1 - c0)) -v hz="$ticks" -v n="$requests" \
  'BEGIN { printf "server CPU per request: %.1f µs   (target <= 50 µs)\n", 1e6 * t / hz / n }'
echo "server's events_logged: $(curl -fsS "http://127.0.0.1:$port/api/telemetry/health" | grep -oE '"events_logged":[0-9]+' | cut -d: -f2)"
[[ -n $errors ]] && echo "wrk reported: $errors"
exit 0
