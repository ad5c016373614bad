#!/usr/bin/env bash
# Attached dashboards against one collector (issue 13's targets), loopback
# only, bounded (about 1 minute), stopping everything it started:
#   one dashboard on a collector taking 50,000 events/s: no events dropped on
#   the stream, link lag under 100 ms, the collector's extra CPU for the stream;
#   ten dashboards on a collector taking 10,000 events/s: all keep up.
# Release build; figures as JSON lines (benchmarks/attach_bench.py says what each is).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v tmux >/dev/null || { echo "bench-attach.sh: needs tmux" >&2; exit 1; }
swift build -c release --product teletop >/dev/null 2>&1 || { echo "release build failed: run swift build -c release" >&2; exit 1; }
bin="$(swift build -c release --show-bin-path)/teletop"
seconds=${SECONDS_EACH:-10}
python3 benchmarks/attach_bench.py "$bin" --rate 50000 --dashboards 1 --seconds "$seconds"
python3 benchmarks/attach_bench.py "$bin" --rate 10000 --dashboards 10 --seconds "$seconds"
