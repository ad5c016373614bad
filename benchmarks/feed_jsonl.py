#!/usr/bin/env python3
"""Appends contract-sized JSON Lines events to FILE at RATE lines/s for
SECONDS, in batches every 10 ms, then prints a JSON summary. Each line is an
AnalyticsEvent whose payload starts with "seq": N (N = 0, 1, 2, ...), so a
viewer's screen tells how far it has read. At MARKER_AT seconds it appends
one marker line (a chapter_visit from user MARKER, the only chapter_visit in
the stream) and notes the wall-clock time it was flushed.
Stops by itself; used by benchmarks/live_ingest.py."""
import json
import sys
import time


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit("usage: feed_jsonl.py FILE RATE SECONDS [MARKER_AT]")
    path, rate, seconds = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
    marker_at = float(sys.argv[4]) if len(sys.argv) == 5 else None
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    # String pieces, not json.dumps per line: Python would otherwise be the bottleneck.
    tails = [
        ', "user_id": "user_%d", "chapter_id": %d, "section_id": "what-is-physical-ai", "block_type": "ask-question", '
        '"query": "What is Physical AI?"}, "timestamp": "%s"}\n' % (100 + (i * 37) % 900, 1 + i % 7, stamp)
        for i in range(1000)
    ]
    head = '{"event_type": "ai_block_used", "payload": {"seq": '
    marker = json.dumps({"event_type": "chapter_visit", "payload": {
        "seq": -1, "user_id": "MARKER", "chapter_id": 1, "timestamp": stamp}, "timestamp": stamp}) + "\n"
    written = 0
    marker_written = None
    # The schedule's origin, first: line N is appended at start + N / RATE (within a 10 ms batch).
    print(json.dumps({"start": time.time()}), flush=True)
    start = time.monotonic()
    with open(path, "a", buffering=1 << 20) as f:
        while True:
            elapsed = time.monotonic() - start
            if elapsed >= seconds:
                break
            due = int(rate * elapsed) - written
            if due > 0:
                f.write("".join(head + str(n) + tails[n % 1000] for n in range(written, written + due)))
                f.flush()
                written += due
            if marker_at is not None and marker_written is None and elapsed >= marker_at:
                f.write(marker)
                f.flush()
                marker_written = time.time()
            time.sleep(0.01)
    print(json.dumps({"written": written + (1 if marker_written else 0), "last_seq": written - 1,
                      "marker_written_at": marker_written}))


if __name__ == "__main__":
    main()
