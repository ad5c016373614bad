#!/usr/bin/env bash
# The cost of following a file with the store on, headless: `teletop serve
# --follow --db` (release) while benchmarks/feed_jsonl.py appends contract
# events at RATE lines/s (100,000) for SECONDS (12). Prints the process's CPU
# over the middle 10 s as a share of one core, and its busiest threads (one
# reads and parses the file, one writes the store: SQLite's work and the
# aggregates), then how many events were stored. ROUNDS (3) runs.
# Local files only, no network, bounded (about 16 s a round), stops by itself
# and ends only the processes it started.
set -euo pipefail
cd "$(dirname "$0")/.."
rate=${RATE:-100000}
seconds=${SECONDS_FED:-12}
rounds=${ROUNDS:-3}
# BIN=path measures another build (an older teletop beside this one, say).
if [[ -z ${BIN:-} ]]; then
  swift build -c release --product teletop >/dev/null 2>&1 || { echo "release build failed: run swift build -c release"; exit 1; }
fi
bin="${BIN:-$(swift build -c release --show-bin-path)/teletop}"
work="$(mktemp -d)"
serve_pid=""
trap '[ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null; rm -rf "$work"' EXIT

# ticks PID: "tid ticks" per thread (user + system, in 1/100 s).
ticks() { for t in /proc/"$1"/task/*; do echo "$(basename "$t") $(awk '{print $14 + $15}' "$t/stat")"; done | sort; }

for round in $(seq "$rounds"); do
  rm -f "$work"/feed.jsonl "$work"/events.sqlite*
  touch "$work/feed.jsonl"
  "$bin" serve --follow "$work/feed.jsonl" --no-http --db "$work/events.sqlite" >"$work/serve.out" 2>"$work/serve.err" &
  serve_pid=$!
  sleep 1
  python3 benchmarks/feed_jsonl.py "$work/feed.jsonl" "$rate" "$seconds" >/dev/null &
  feed_pid=$!
  sleep 1
  ticks "$serve_pid" >"$work/t0"
  sleep 10
  ticks "$serve_pid" >"$work/t1"
  wait "$feed_pid"
  sleep 2
  kill -INT "$serve_pid"; wait "$serve_pid" || true
  serve_pid=""
  # Over 10 s, a thread's ticks / 10 is its share of one core in percent.
  threads=$(join "$work/t0" "$work/t1" | awk '{print $3 - $2}' | sort -rn | head -2 | awk '{printf "%s%d%%", (NR > 1 ? ", " : ""), $1 / 10}')
  total=$(join "$work/t0" "$work/t1" | awk '{t += $3 - $2} END {printf "%d%%", t / 10}')
  stored=$(grep -o 'store [^:]*: [0-9,]* written' "$work/serve.out" | grep -o '[0-9,]* written' || echo "nothing written")
  echo "round $round: ${rate} lines/s for ${seconds} s: CPU ${total} of a core (busiest threads ${threads}); ${stored}"
done
