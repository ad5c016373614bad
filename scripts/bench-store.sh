#!/usr/bin/env bash
# Store figures with the real binary (release):
#   ingest: `teletop serve --stdin --db` of N contract-sized JSON Lines (1,000,000):
#           lines/s into the durable store, and the events stored afterwards
#   export: `teletop export` (jsonl and csv) of all N: events/s and peak RSS,
#           next to the peak RSS of exporting a tenth as many, to show that
#           memory does not grow with the number exported
# Bounded (well under a minute for 1M), local files only, leaves nothing behind.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${EVENTS:-1000000}
swift build -c release --product teletop >/dev/null 2>&1 || { echo "release build failed: run swift build -c release"; exit 1; }
bin="$(swift build -c release --show-bin-path)/teletop"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python3 - "$work/in.jsonl" "$n" <<'PY'
import sys
path, n = sys.argv[1], int(sys.argv[2])
with open(path, "w") as f:
    for i in range(n):
        f.write('{"event_type": "ai_block_used", "payload": {"user_id": "user_%d", "chapter_id": %d, '
                '"section_id": "what-is-physical-ai", "block_type": "ask-question", "query": "What is Physical AI?"}}\n'
                % (100 + i % 900, 1 + i % 7))
PY

# timed NAME CMD...: runs CMD with GNU time; sets seconds and rss_mib.
timed() {
  /usr/bin/time -f "%e %M" -o "$work/time" "$@"
  read -r seconds rss_kib < "$work/time"
  rss_mib=$(awk -v k="$rss_kib" 'BEGIN { printf "%.1f", k / 1024 }')
}

echo "teletop store figures ($(nproc) cores, $(date -u +%Y-%m-%d)), $n contract-sized events"
timed "$bin" serve --no-http --db "$work/big.sqlite" --retain-events 0 --stdin < "$work/in.jsonl" > "$work/serve.txt" 2>/dev/null
stored=$(grep -oE '[0-9,]+ stored' "$work/serve.txt" | tr -d ',')
awk -v n="$n" -v s="$seconds" -v st="$stored" -v r="$rss_mib" \
  'BEGIN { printf "serve --stdin into the store:   %.0f k lines/s (%s of %d in %.2f s), peak RSS %s MiB\n", n / s / 1000, st, n, s, r }'
echo "store file:                     $(du -h "$work/big.sqlite" | cut -f1)"

for format in jsonl csv; do
  timed "$bin" export --db "$work/big.sqlite" --format "$format" -o "$work/out.$format" 2>/dev/null
  lines=$(wc -l < "$work/out.$format")
  awk -v n="$n" -v s="$seconds" -v r="$rss_mib" -v f="$format" -v l="$lines" \
    'BEGIN { printf "export %-5s all:               %.0f k events/s (%d lines in %.2f s), peak RSS %s MiB\n", f, n / s / 1000, l, s, r }'
done

head -n $((n / 10)) "$work/in.jsonl" > "$work/small.jsonl"
"$bin" serve --no-http --db "$work/small.sqlite" --stdin < "$work/small.jsonl" > /dev/null 2>&1
timed "$bin" export --db "$work/small.sqlite" -o "$work/small.out" 2>/dev/null
echo "export jsonl of $((n / 10)):         peak RSS $rss_mib MiB (flat: memory does not follow the count)"
