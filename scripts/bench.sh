#!/usr/bin/env bash
# Side-by-side figures against what a user would pick instead (issue 7).
# So far: HTTP ingest of the contract's example body, teletop `serve` against
# the reference FastAPI + uvicorn service (benchmarks/reference/app.py) with 1
# and 2 workers: wrk -t2 -c64, ROUNDS rounds (3) alternating the contenders,
# DURATION seconds each (10). Prints medians and ratios.
# Loopback only, bounded (~2 min), stops every server it started (by PID).
# Not part of .ci/run. Installs wrk (Debian) and fastapi/uvicorn (a venv in .bench-venv).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-3}
duration=${DURATION:-10}

command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
if [[ ! -x .bench-venv/bin/uvicorn ]]; then
  python3 -m venv .bench-venv
  .bench-venv/bin/pip install -q fastapi 'uvicorn[standard]'
fi
swift build -c release --product teletop >/dev/null
bin="$(swift build -c release --show-bin-path)/teletop"
work="$(mktemp -d)"
server=""
stop_server() {
  if [[ -n $server ]]; then
    pkill -TERM -P "$server" 2>/dev/null || true
    kill -TERM "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    server=""
  fi
}
trap 'stop_server; rm -rf "$work"' EXIT

cat > "$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"event_type": "ai_block_used", "payload": {"user_id": "user_123", "chapter_id": 1, "section_id": "what-is-physical-ai", "block_type": "ask-question", "query": "What is Physical AI?"}}'
LUA

# CPU ticks of a process and its children (uvicorn workers).
tree_ticks() {
  local total=0 p
  for p in "$1" $(pgrep -P "$1" || true); do
    [[ -r /proc/$p/stat ]] && total=$((total + $(awk '{print $14 + $15}' "/proc/$p/stat")))
  done
  echo "$total"
}
tree_rss_kib() {
  local total=0 p
  for p in "$1" $(pgrep -P "$1" || true); do
    [[ -r /proc/$p/status ]] && total=$((total + $(awk '/VmRSS/ {print $2}' "/proc/$p/status")))
  done
  echo "$total"
}

start() {  # start NAME PORT
  case $1 in
    teletop) "$bin" serve --port "$2" --log-file "$work/teletop.log" > /dev/null 2>&1 & ;;
    fastapi-1) .bench-venv/bin/uvicorn --app-dir benchmarks/reference app:app --port "$2" --workers 1 --log-level warning --no-access-log > /dev/null 2>&1 & ;;
    fastapi-2) .bench-venv/bin/uvicorn --app-dir benchmarks/reference app:app --port "$2" --workers 2 --log-level warning --no-access-log > /dev/null 2>&1 & ;;
  esac
  server=$!
  for _ in $(seq 200); do curl -fsS "http://127.0.0.1:$2/api/telemetry/health" > /dev/null 2>&1 && return 0; sleep 0.05; done
  echo "bench.sh: $1 did not start" >&2; return 1
}

contenders=(teletop fastapi-1 fastapi-2)
echo "round contender rps p50_ms p99_ms cpu_us_per_req rss_mib" > "$work/results"
for round in $(seq "$rounds"); do
  for name in "${contenders[@]}"; do
    port=$((20000 + RANDOM % 20000))
    start "$name" "$port"
    wrk -t2 -c64 -d2s -s "$work/post.lua" "http://127.0.0.1:$port/api/telemetry/log" > /dev/null  # warm-up
    c0=$(tree_ticks "$server")
    wrk -t2 -c64 -d"${duration}s" --latency -s "$work/post.lua" "http://127.0.0.1:$port/api/telemetry/log" > "$work/wrk.txt"
    c1=$(tree_ticks "$server")
    rss=$(tree_rss_kib "$server")
    stop_server
    awk -v round="$round" -v name="$name" -v ticks=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" -v rss="$rss" '
      function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
      /requests in/ { n = $1 }
      /Requests\/sec/ { rps = $2 }
      $1 == "50%" { p50 = ms($2) }
      $1 == "99%" { p99 = ms($2) }
      END { printf "%s %s %.0f %.2f %.2f %.1f %.1f\n", round, name, rps, p50, p99, 1e6 * ticks / hz / n, rss / 1024 }
    ' "$work/wrk.txt" >> "$work/results"
  done
done

echo "HTTP ingest: wrk -t2 -c64 -d${duration}s, contract example body, loopback; median of $rounds rounds ($(nproc) cores, $(date -u +%Y-%m-%d))"
python3 - "$work/results" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]).read().splitlines()[1:]]
names = ["teletop", "fastapi-1", "fastapi-2"]
med = {n: [statistics.median(float(r[i]) for r in rows if r[1] == n) for i in range(2, 7)] for n in names}
print(f"{'contender':<12}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'CPU µs/req':>12}{'RSS MiB':>9}")
for n in names:
    rps, p50, p99, cpu, rss = med[n]
    print(f"{n:<12}{rps:>10.0f}{p50:>9.2f}{p99:>9.2f}{cpu:>12.1f}{rss:>9.1f}")
t = med["teletop"]
for n in ["fastapi-1", "fastapi-2"]:
    o = med[n]
    print(f"teletop vs {n}: {t[0] / o[0]:.1f}x req/s, p99 {o[2] / t[2]:.1f}x lower, {o[3] / t[3]:.1f}x less CPU per request")
PY
