#!/usr/bin/env bash
# Regenerates screenshots/*.png from the real program: teletop runs in a
# private tmux server, each scene is captured with its colours
# (capture-pane -e), turned into HTML by aha and photographed by headless
# Chromium. Needs: tmux aha chromium fonts-dejavu-core fonts-noto-cjk (Debian
# packages; fonts-noto-color-emoji too, for emoji in colour).
# Each scene keeps its store in a scratch XDG_DATA_HOME, never yours.
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in tmux aha chromium; do
  command -v "$tool" >/dev/null || { echo "screenshots.sh: needs $tool (apt-get install tmux aha chromium fonts-dejavu-core fonts-noto-cjk)" >&2; exit 1; }
done

swift build --product teletop >/dev/null
bin="$(swift build --show-bin-path)/teletop"
work="$(mktemp -d)"
socket="teletop-shots-$$"
tmux_() { tmux -L "$socket" -f /dev/null "$@"; }
cleanup() { tmux_ kill-server 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# Waits until the pane shows $2 (a grep -E pattern), at most $3 seconds (20).
wait_for() {
  for _ in $(seq $(( ${3:-20} * 10 ))); do
    tmux_ capture-pane -p -t "$1" | grep -Eq "$2" && return 0
    sleep 0.1
  done
  echo "screenshots.sh: '$2' never appeared in $1" >&2
  tmux_ capture-pane -p -t "$1" >&2
  return 1
}

# start NAME WIDTH HEIGHT ARGS...: a fresh teletop in its own session.
start() {
  local name=$1 w=$2 h=$3; shift 3
  tmux_ new-session -d -s "$name" -x "$w" -y "$h" \
    env -u NO_COLOR TERM=tmux-256color XDG_DATA_HOME="$work/data-$name" "$bin" --port 0 --log-file "$work/$name.log" "$@"
}

# shoot SESSION FILE: the pane as it is now, to screenshots/FILE.png.
shoot() {
  local session=$1 file=$2 w h
  w=$(tmux_ display -p -t "$session" '#{pane_width}')
  h=$(tmux_ display -p -t "$session" '#{pane_height}')
  # aha drops attributes combined with a reset ("\e[0;7m") and undoes reverse video on a
  # following "default colours": split every SGR into one per parameter, drop those defaults.
  tmux_ capture-pane -p -e -t "$session" \
    | perl -pe 's{\e\[([0-9;]+)m}{join("", map { "\e[${_}m" } ($1 =~ m/([34]8;5;\d+|[34]8;2;\d+;\d+;\d+|\d+)/g))}ge' \
    | perl -pe 's{(\e\[0m(?:\e\[\d+m)*)\e\[39m\e\[49m}{$1}g' > "$work/$file.ansi"
  aha --black --title "teletop: $file" \
    --style "font-family:'DejaVu Sans Mono','Noto Sans Mono CJK SC','Noto Color Emoji',monospace;font-size:14px;line-height:17px;margin:8px" \
    < "$work/$file.ansi" > "$work/$file.html"
  # 8.43 px per DejaVu Sans Mono cell at 14 px, 17 px per line, 8 px margins.
  chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --window-size="$(( w * 843 / 100 + 24 )),$(( h * 17 + 24 ))" \
    --screenshot="$PWD/screenshots/$file.png" "file://$work/$file.html" >/dev/null 2>&1
  echo "screenshots/$file.png (${w}x${h})"
}

mkdir -p screenshots
# Keeps the private server up between scenes (it exits with its last session).
tmux_ new-session -d -s keep sleep 3600

# The first thing a new user sees: the simulator at a lively rate.
start main 160 45 --seed 7 --sim-rate 40
sleep 8
wait_for main 'HEALTHY'
shoot main dashboard

# Paused, a line selected, its detail popup open.
tmux_ send-keys -t main Space k k k k Enter
wait_for main '─ Event '
shoot main detail
tmux_ send-keys -t main Escape '?'
wait_for main 'Keys'
shoot main help
tmux_ send-keys -t main Escape Space

# The / filter with a query, half typed: where and what, the last good one applied.
tmux_ send-keys -t main / 'chapter_id=3 and latency_ms>'
wait_for main 'expected a value'
shoot main query-error
tmux_ send-keys -t main Escape

# The new-event form with a wrong value marked under its field.
tmux_ send-keys -t main n
wait_for main 'choose a type'
tmux_ send-keys -t main Enter
wait_for main 'New event: ai_block_used'
tmux_ send-keys -t main user_42 Tab one Tab what-is-physical-ai Tab ask-question Enter
wait_for main 'rejected: 1 problem'
tmux_ send-keys -t main F2
wait_for main 'curl -sS'
shoot main form-error
tmux_ send-keys -t main BTab BTab C-u 1 Enter
wait_for main 'accepted at'
shoot main form-accepted
tmux_ send-keys -t main Escape

# An error storm: health goes to degraded (the watched app's errors never make
# the collector unhealthy), shot as it starts and at its height.
tmux_ send-keys -t main e
wait_for main '▲ DEGRADED' 30
shoot main error-storm-degraded
wait_for main 'were error_event' 30
sleep 8
shoot main error-storm

# The analytics view over what this session stored, error storm included.
tmux_ send-keys -t main a
wait_for main 'from the store in'
shoot main analytics
tmux_ send-keys -t main Escape

# One user's timeline: from memory and the store, with the gaps between events
# (on an ai_block_used event, which has a user_id: the error storm's have none).
tmux_ send-keys -t main t
wait_for main 'type=ai_block_used'
tmux_ send-keys -t main k k T
wait_for main 'older from the store in'
shoot main timeline
tmux_ send-keys -t main q Escape G

# The numbers: percentiles of the payloads' numeric fields.
tmux_ send-keys -t main %
wait_for main 'latency_ms'
sleep 1
shoot main numbers
tmux_ send-keys -t main q

# The flow view with a burst going through it.
tmux_ send-keys -t main p b
wait_for main 'burst'
sleep 2
shoot main flow
tmux_ send-keys -t main q q

# An alert rule firing on the error storm: the header's banner, then the alerts view.
start alerts 160 45 --seed 7 --sim-rate 40 --no-bell --alert health --alert 'error_event rate > 3/s for 5s' --alert 'new type'
wait_for alerts 'HEALTHY'
tmux_ send-keys -t alerts e
wait_for alerts 'ALERT: error_event at' 30
shoot alerts alert-firing
tmux_ send-keys -t alerts '!'
wait_for alerts 'Alerts \(Enter'
sleep 1
shoot alerts alerts-view
tmux_ send-keys -t alerts q q

# The smallest supported size, and the message below it.
start small 80 24 --seed 7 --sim-rate 20
sleep 4
wait_for small 'HEALTHY'
shoot small dashboard-80x24
tmux_ resize-window -t small -x 64 -y 18
wait_for small 'Enlarge'
shoot small too-small
tmux_ send-keys -t small q

# A store that cannot be used: health says why, and HTTP writes get 503 meanwhile.
head -c 8192 /dev/zero | tr '\0' 'A' > "$work/not-a-database.sqlite"
start broken 160 45 --seed 7 --sim-rate 20 --db "$work/not-a-database.sqlite"
wait_for broken 'UNHEALTHY'
sleep 3
shoot broken store-failing
tmux_ send-keys -t broken q

# Events from the real SDKs (Segment, PostHog, OpenTelemetry), then with a
# fault mode on: needs their Python packages (tests/hostile/run.sh makes the venv).
python="${SDK_PYTHON:-.hostile-venv/bin/python}"
if "$python" -c 'import segment.analytics, posthog, opentelemetry.sdk' 2>/dev/null; then
  start sdk 160 45 --no-sim --in-memory --accept-unplanned
  wait_for sdk 'HTTP 127'
  port=$(tmux_ capture-pane -p -t sdk | grep -Eo 'HTTP 127\.0\.0\.1:[0-9]+' | head -1 | cut -d: -f2)
  "$python" scripts/sdk-demo.py "http://127.0.0.1:$port" --rounds 4
  wait_for sdk 'payment.captured'
  shoot sdk sdk-feed
  tmux_ send-keys -t sdk k k k Enter
  wait_for sdk 'SDK sent it'
  shoot sdk sdk-detail
  tmux_ send-keys -t sdk Escape G F F F F
  wait_for sdk 'FAULT MODE: dropped'
  # Half the requests lose their answer: send until one did, and its retry shows.
  for _ in 1 2 3 4 5 6 7 8; do
    "$python" scripts/sdk-demo.py "http://127.0.0.1:$port" --rounds 1 --only segment
    tmux_ capture-pane -p -t sdk | grep -q DUP && break
  done
  wait_for sdk 'DUP' 30
  shoot sdk sdk-fault
  tmux_ send-keys -t sdk q
else
  echo "screenshots.sh: no SDK packages for $python: the SDK scenes are skipped (run tests/hostile/run.sh first)" >&2
fi

# Attached to two headless collectors, one of them killed: reconnecting.
eu_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
us_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
XDG_DATA_HOME="$work/data-eu" "$bin" serve --port "$eu_port" --sim-rate 30 --seed 7 --log-file "$work/eu.log" > /dev/null 2>&1 & eu_pid=$!
XDG_DATA_HOME="$work/data-us" "$bin" serve --port "$us_port" --sim-rate 12 --seed 9 --in-memory --log-file "$work/us.log" > /dev/null 2>&1 & us_pid=$!
sleep 1.5
tmux_ new-session -d -s attach -x 160 -y 45 env -u NO_COLOR TERM=tmux-256color "$bin" attach --log-file "$work/attach.log" \
  "eu=http://127.0.0.1:$eu_port" "us=http://127.0.0.1:$us_port"
wait_for attach 'us connected'
sleep 6
kill "$us_pid"; wait "$us_pid" 2>/dev/null || true
wait_for attach 'us reconnecting'
sleep 1
shoot attach attach
tmux_ send-keys -t attach q
kill "$eu_pid"; wait "$eu_pid" 2>/dev/null || true

# NO_COLOR and a non-UTF-8 locale: monochrome, ASCII borders and sparklines.
tmux_ new-session -d -s plain -x 160 -y 45 \
  env NO_COLOR=1 LC_ALL=C LANG=C XDG_DATA_HOME="$work/data-plain" "$bin" --port 0 --log-file "$work/plain.log" --seed 7 --sim-rate 40
sleep 6
wait_for plain 'HEALTHY'
shoot plain monochrome-ascii
tmux_ send-keys -t plain q
