#!/usr/bin/env bash
# Side-by-side figures against what a user would pick instead, in one run:
#  1. HTTP ingest of the contract's example body: teletop `serve` with its
#     durable store (as users run it) and with --in-memory, against the
#     reference FastAPI + uvicorn service (benchmarks/reference/app.py, stores
#     nothing) with 1 and 2 workers; wrk -t2 -c64, DURATION s (10) each.
#  2. Live ingest into a dashboard: teletop, GoAccess and lnav each follow a
#     JSON Lines file in tmux at 160x45 while it grows at 20k and 100k lines/s
#     for LIVE_SECONDS (20) (benchmarks/live_ingest.py).
#  3. In-process: teletop-bench's log(), parse, bytes per event and frame.
#  4. Idle: the dashboard's CPU over 30 s without events, and its RSS with
#     100,000 events retained.
#  5. A fleet: stored HTTP ingest with one collector on SQLite, one on
#     PostgreSQL and two on one PostgreSQL (scripts/bench-fleet.sh, which
#     starts a private cluster from Debian's postgresql).
# Every comparison runs ROUNDS times (3), alternating the contenders; the
# table gives medians and ratios. Loopback only, bounded (~14 min), stops
# everything it started. Not part of .ci/run. Installs wrk, goaccess, lnav
# and tmux (Debian) and fastapi/uvicorn (a venv in .bench-venv).
set -euo pipefail
cd "$(dirname "$0")/.."
began=$SECONDS
rounds=${ROUNDS:-3}
duration=${DURATION:-10}
live_seconds=${LIVE_SECONDS:-20}

missing=()
for tool in wrk goaccess lnav tmux; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if ((${#missing[@]})); then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [[ ! -x .bench-venv/bin/uvicorn ]]; then
  python3 -m venv .bench-venv
  .bench-venv/bin/pip install -q fastapi 'uvicorn[standard]'
fi
swift build -c release --product teletop >/dev/null 2>&1 && swift build -c release --product teletop-bench >/dev/null 2>&1 \
  || { echo "release build failed: run swift build -c release"; exit 1; }
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
    teletop) rm -f "$work"/store.sqlite*
             "$bin" serve --port "$2" --db "$work/store.sqlite" --log-file "$work/teletop.log" > /dev/null 2>&1 & ;;
    teletop-mem) "$bin" serve --port "$2" --in-memory --log-file "$work/teletop.log" > /dev/null 2>&1 & ;;
    fastapi-1) .bench-venv/bin/uvicorn --app-dir benchmarks/reference app:app --port "$2" --workers 1 --log-level warning --no-access-log > /dev/null 2>&1 & ;;
    fastapi-2) .bench-venv/bin/uvicorn --app-dir benchmarks/reference app:app --port "$2" --workers 2 --log-level warning --no-access-log > /dev/null 2>&1 & ;;
  esac
  server=$!
  for _ in $(seq 200); do curl -fsS "http://127.0.0.1:$2/api/telemetry/health" > /dev/null 2>&1 && return 0; sleep 0.05; done
  echo "bench.sh: $1 did not start" >&2; return 1
}

echo "teletop side-by-side benchmarks: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(date -u +%Y-%m-%d)"
echo "1/5 HTTP ingest ($rounds rounds)"
contenders=(teletop teletop-mem fastapi-1 fastapi-2)
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

echo "2/5 live ingest into a dashboard ($rounds rounds, ${live_seconds} s each)"
python3 benchmarks/live_ingest.py "$bin" 20000,100000 "$live_seconds" "$rounds" "$work/live.json"

echo "3/5 in-process (teletop-bench)"
"$(swift build -c release --show-bin-path)/teletop-bench" log1 log2 parse bytes frame | tee "$work/inprocess.txt" | tail -n +3

echo "4/5 idle dashboard and RSS with 100,000 events retained"
socket="teletop-bench-$$"
tmux_() { tmux -L "$socket" -f /dev/null "$@"; }
tmux_ new-session -d -s keep sleep 3600
tmux_ new-session -d -s idle -x 160 -y 45 env XDG_DATA_HOME="$work/data-idle" "$bin" --no-sim --port 0 --log-file "$work/idle.log"
sleep 2
pid=$(tmux_ display -p -t idle '#{pane_pid}')
c0=$(awk '{print $14 + $15}' "/proc/$pid/stat"); sleep 30; c1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
idle_cpu=$(awk -v t=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", 100 * t / hz / 30 }')
idle_rss=$(awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status")
tmux_ send-keys -t idle q
python3 benchmarks/feed_jsonl.py "$work/100k.jsonl" 1000000 0.2 > /dev/null   # ~100-200k lines at once
head -n 100000 "$work/100k.jsonl" > "$work/retained.jsonl"
tmux_ new-session -d -s retained -x 160 -y 45 env XDG_DATA_HOME="$work/data-retained" "$bin" --no-sim --port 0 --ring 100000 \
  --follow "$work/retained.jsonl" --log-file "$work/retained.log"
for _ in $(seq 300); do tmux_ capture-pane -p -t retained | head -1 | grep -q '100,000 events' && break; sleep 0.1; done
sleep 2
pid=$(tmux_ display -p -t retained '#{pane_pid}')
retained_rss=$(awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status")
tmux_ send-keys -t retained q
sleep 1
tmux_ kill-server 2>/dev/null || true
echo "$idle_cpu $idle_rss $retained_rss" > "$work/idle.txt"

echo
python3 benchmarks/summarise.py "$work/results" "$work/live.json" "$work/inprocess.txt" "$work/idle.txt" "$duration" "$rounds"
echo
echo "5/5 a fleet: one collector on SQLite, one on PostgreSQL, two on one PostgreSQL"
BIN="$bin" DURATION="$duration" scripts/bench-fleet.sh
echo "bench.sh took $(( (SECONDS - began) / 60 )) min $(( (SECONDS - began) % 60 )) s"
