#!/usr/bin/env bash
# Measures the real dashboard as a user runs it: release build, 210x50 tmux
# pane (200 columns or more: narrower, the health pane sits under the feed and
# its frame and lag line may not fit), figures read from /proc and from
# teletop's own health pane.
#   idle:   CPU over 30 s with no events (--no-sim)            target ~0% (<= 1% of a core)
#   100k/s: simulator at 100,000 events/s for 20 s: the rate    target: keeps up, lag < 50 ms
#           reached, frame time and ingest-to-screen lag as the
#           dashboard reports them each second, CPU, peak RSS
#   follow: --follow FILE while benchmarks/feed_jsonl.py appends  target: 100% counted, lag < 50 ms
#           100,000 lines/s for 20 s: lines counted when it stops
#           and 2 s later, lag, CPU
#   analytics: with ANALYTICS_DB=store.sqlite (a big store, e.g. kept by
#           TELETOP_BENCH_KEEP=1 teletop-bench history): --no-sim on a copy of
#           it, the analytics view open (refreshing every 5 s), CPU over 30 s    target <= 1% of a core
# The store is on, as users run it, in a scratch XDG_DATA_HOME (never yours).
# Loopback-free, bounded (~100 s), stops what it started. Needs tmux.
set -euo pipefail
cd "$(dirname "$0")/.."
idle_seconds=${IDLE_SECONDS:-30}
load_seconds=${LOAD_SECONDS:-20}

swift build -c release --product teletop >/dev/null 2>&1 || { echo "release build failed: run swift build -c release"; exit 1; }
bin="$(swift build -c release --show-bin-path)/teletop"
work="$(mktemp -d)"
socket="teletop-measure-$$"
tmux_() { tmux -L "$socket" -f /dev/null "$@"; }
cleanup() { tmux_ kill-server 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
tmux_ new-session -d -s keep sleep 3600
ticks=$(getconf CLK_TCK)

# start NAME ARGS...: teletop as the pane's own process; prints its PID.
start() {
  local name=$1; shift
  tmux_ new-session -d -s "$name" -x 210 -y 50 \
    env -u NO_COLOR TERM=tmux-256color XDG_DATA_HOME="$work/data-$name" "$bin" --port 0 --log-file "$work/$name.log" "$@"
  sleep 2
  tmux_ display -p -t "$name" '#{pane_pid}'
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
peak_rss_mib() { awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
screen() { tmux_ capture-pane -p -t "$1"; }

echo "teletop dashboard figures ($(nproc) cores, $(date -u +%Y-%m-%d))"

pid=$(start idle --no-sim)
c0=$(cpu_ticks "$pid"); sleep "$idle_seconds"; c1=$(cpu_ticks "$pid")
awk -v t=$((c1 - c0)) -v hz="$ticks" -v s="$idle_seconds" \
  'BEGIN { printf "idle (--no-sim), %d s:           CPU %.2f%% of a core\n", s, 100 * t / hz / s }'
echo "idle peak RSS:                     $(peak_rss_mib "$pid") MiB"
tmux_ send-keys -t idle q

pid=$(start load --sim-rate 100000 --seed 1)
c0=$(cpu_ticks "$pid")
lags=(); frames=()
for _ in $(seq "$load_seconds"); do
  sleep 1
  s=$(screen load)
  lag=$(grep -oE 'ingest-to-screen lag [0-9.]+' <<<"$s" | awk '{print $3}' || true)
  frame=$(grep -oE 'frame [0-9.]+ ms' <<<"$s" | awk '{print $2}' || true)
  [[ -n $lag ]] && lags+=("$lag")
  [[ -n $frame ]] && frames+=("$frame")
done
c1=$(cpu_ticks "$pid")
s=$(screen load)
header=$(head -1 <<<"$s")
rate=$(grep -oE '│ [0-9,.]+k?/s' <<<"$header" | tail -1 | cut -c5- || true)
dropped=$(grep -oE 'dropped +[0-9,]+' <<<"$s" | awk '{print $2}' || true)
evicted=$(grep -oE 'evicted +[0-9,]+' <<<"$s" | awk '{print $2}' || true)
total=$(grep -oE '[0-9,]+ events' <<<"$header" | head -1 || true)
stats() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {printf "median %.1f ms, worst %.1f ms (%d samples)", a[int((NR+1)/2)], a[NR], NR}'; }
echo "100k/s for ${load_seconds} s:               header rate now $rate, $total, dropped $dropped, evicted $evicted"
awk -v t=$((c1 - c0)) -v hz="$ticks" -v s="$load_seconds" \
  'BEGIN { printf "100k/s CPU (sim + dashboard):    %.0f%% of a core\n", 100 * t / hz / s }'
echo "100k/s frame time:               $(stats "${frames[@]}")"
echo "100k/s ingest-to-screen lag:     $(stats "${lags[@]}")  target < 50 ms"
echo "100k/s peak RSS:                 $(peak_rss_mib "$pid") MiB"
stored=$(grep -oE 'STORE +[0-9,]+ events' <<<"$s" | grep -oE '[0-9,]+ events' || true)
echo "100k/s stored by then:           $stored (of $total; the store keeps the newest 1,000,000 by default)"
newest=$(grep -E '^│[0-9]{2}:[0-9]{2}:' <<<"$s" | tail -1 | cut -c4-15 || true)
echo "newest feed line at capture:     $newest (capture taken $(date -u +%H:%M:%S.%3N))"
tmux_ send-keys -t load q

# JSON Lines appended to a followed file at 100k lines/s.
jsonl="$work/follow.jsonl"
: > "$jsonl"
pid=$(start follow --no-sim --follow "$jsonl")
c0=$(cpu_ticks "$pid")
python3 benchmarks/feed_jsonl.py "$jsonl" 100000 "$load_seconds" \
  | tail -1 | python3 -c 'import json, sys; print(json.load(sys.stdin)["written"])' > "$work/written" &
writer=$!
lags=()
for _ in $(seq "$load_seconds"); do
  sleep 1
  lag=$(screen follow | grep -oE 'ingest-to-screen lag [0-9.]+' | awk '{print $3}' || true)
  [[ -n $lag ]] && lags+=("$lag")
done
wait "$writer"
written=$(cat "$work/written")
counted_now=$(head -1 <<<"$(screen follow)" | grep -oE '[0-9,]+ events' | tr -d ', events' || true)
sleep 2
c1=$(cpu_ticks "$pid")
counted_later=$(head -1 <<<"$(screen follow)" | grep -oE '[0-9,]+ events' | tr -d ', events' || true)
echo "follow 100k lines/s, ${load_seconds} s:      written $written; counted $counted_now when the writer stopped, $counted_later 2 s later"
awk -v t=$((c1 - c0)) -v hz="$ticks" -v s="$((load_seconds + 2))" \
  'BEGIN { printf "follow CPU (reader + dashboard):  %.0f%% of a core\n", 100 * t / hz / s }'
echo "follow ingest-to-screen lag:     $(stats "${lags[@]}")  target < 50 ms"
echo "follow peak RSS:                 $(peak_rss_mib "$pid") MiB"
tmux_ send-keys -t follow q

# The analytics view open on a big store, nothing arriving.
if [[ -n ${ANALYTICS_DB:-} ]]; then
  cp "$ANALYTICS_DB" "$work/analytics.sqlite"
  events=$(sqlite3 "$work/analytics.sqlite" 'SELECT sum(live) FROM event_block' 2>/dev/null || echo '?')
  pid=$(start analytics --no-sim --db "$work/analytics.sqlite" --retain-events 0 --retain-days 0)
  tmux_ send-keys -t analytics a
  sleep 6
  c0=$(cpu_ticks "$pid"); sleep "$idle_seconds"; c1=$(cpu_ticks "$pid")
  note=$(screen analytics | grep -oE 'from the store in [0-9.]+ ms' | head -1 || true)
  awk -v t=$((c1 - c0)) -v hz="$ticks" -v s="$idle_seconds" -v n="$events" \
    'BEGIN { printf "analytics view open, %s events stored, %d s: CPU %.2f%% of a core\n", n, s, 100 * t / hz / s }'
  echo "analytics refresh as the view reports it: $note"
  tmux_ send-keys -t analytics q; sleep 0.5; tmux_ send-keys -t analytics q  # the view, then the dashboard
fi
