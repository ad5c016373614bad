#!/usr/bin/env python3
"""Appends contract-sized JSON Lines events to FILE at RATE lines/s for SECONDS,
in batches every 10 ms, then prints how many it wrote. Used to measure how
`teletop --follow FILE` keeps up. Stops by itself."""
import json
import random
import sys
import time


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: append-jsonl.py FILE RATE SECONDS")
    path, rate, seconds = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
    rng = random.Random(1)
    # A pool of distinct lines, written round-robin: generating JSON per line
    # in Python would cap the rate well below what is being measured.
    pool = [
        json.dumps({"event_type": "ai_block_used", "payload": {
            "user_id": f"user_{rng.randint(100, 999)}", "chapter_id": rng.randint(1, 7),
            "section_id": "what-is-physical-ai", "block_type": "ask-question",
            "query": "What is Physical AI?"}}) + "\n"
        for _ in range(1000)
    ]
    written = 0
    start = time.monotonic()
    with open(path, "a", buffering=1 << 20) as f:
        while True:
            elapsed = time.monotonic() - start
            if elapsed >= seconds:
                break
            due = int(rate * elapsed) - written
            if due > 0:
                f.write("".join(pool[(written + i) % len(pool)] for i in range(due)))
                f.flush()
                written += due
            time.sleep(0.01)
    print(written)


if __name__ == "__main__":
    main()
