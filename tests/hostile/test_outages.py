"""The outages of issue 11, made to happen for real against `teletop serve`.

- lock and release: another process holds BEGIN EXCLUSIVE on the store for 4 s;
  afterwards, with no traffic at all, the collector must come back by itself.
- full disk and free: a 512 KiB tmpfs fills up, then grows to 16 MiB; the same.
- abandoned analytics queries: /top requests whose clients left must not make an
  honest one wait behind them; a burst is bounded (429/503 with Retry-After).
- stream slots: a client that connects and leaves frees its slot at once;
  too_many_streams says when to come back (Retry-After).
"""

from __future__ import annotations

import http.client
import os
import socket
import sqlite3
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing

import pytest

from conftest import (HOST, STREAM_PATH, Response, assert_retry_after, binary, contract_event, error_code, open_stream,
                      raw_request, read_head)

# --- lock and release -----------------------------------------------------------


def wait_for_store(path, timeout=15.0):
    """Until the store file exists with its event table (made by the server at start)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            try:
                with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)) as c:
                    if c.execute("SELECT 1 FROM sqlite_master WHERE name = 'event'").fetchone():
                        return
            except sqlite3.Error:
                pass
        time.sleep(0.05)
    raise AssertionError(f"the server did not make the store {path} within {timeout} s")


def assert_recovered(server, what):
    """After 6 s of silence: health not unhealthy, and a write is stored (200)."""
    time.sleep(6)
    h = server.health()
    assert h.status != 503 and h.json().get("status") != "unhealthy", \
        f"{what}, then 6 s with no traffic: health is still {h}"
    r = server.log_event(contract_event(99), timeout=10)
    assert r.status == 200, f"{what}, then 6 s with no traffic: a POST /log got {r}"


def test_lock_held_then_released(serve, tmp_path):
    db = tmp_path / "events.sqlite"
    server = serve("--db", str(db))
    wait_for_store(db)
    first = server.log_event(contract_event(0))
    assert first.status == 200, f"a write before any lock: {first}"

    locker = sqlite3.connect(db, timeout=10, isolation_level=None)
    try:
        locker.execute("BEGIN EXCLUSIVE")
        locked_at = time.monotonic()
        try:
            during = server.log_event(contract_event(1), timeout=10)
        finally:
            time.sleep(max(0.0, 4.0 - (time.monotonic() - locked_at)))
            locker.execute("COMMIT")
    finally:
        locker.close()
    assert during.status == 503, f"a write while another process holds the lock: {during}"
    assert error_code(during) == "store_unavailable", during
    assert_retry_after(during)

    assert_recovered(server, "lock held 4 s and released")


# --- full disk and free --------------------------------------------------------------


@pytest.fixture
def small_tmpfs(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a tmpfs")
    mnt = tmp_path / "tmpfs"
    mnt.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k,mode=0755", "tmpfs", str(mnt)],
                          capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"mount -t tmpfs does not work here: {made.stderr.strip()}")
    yield mnt
    for _ in range(20):
        if subprocess.run(["umount", str(mnt)], capture_output=True).returncode == 0:
            return
        time.sleep(0.25)
    subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def test_disk_full_then_room(small_tmpfs, serve):
    db = small_tmpfs / "events.sqlite"
    server = serve("--db", str(db))
    try:
        wait_for_store(db)
        filler = "f" * 3990
        full = None
        answers: dict[int, int] = {}
        deadline = time.monotonic() + 60
        for i in range(2000):
            r = server.log_event(contract_event(i, query=f"{i:09d} {filler}"), timeout=10)
            answers[r.status] = answers.get(r.status, 0) + 1
            if r.status == 503 and error_code(r) == "store_unavailable":
                full = r
                break
            assert r.status == 200, f"post {i} on a filling disk: {r}"
            if time.monotonic() > deadline:
                break
        assert full is not None, f"a 512 KiB store never refused a write: answers {answers}"
        assert_retry_after(full)

        grown = subprocess.run(["mount", "-o", "remount,size=16m", str(small_tmpfs)], capture_output=True, text=True)
        assert grown.returncode == 0, f"remount: {grown.stderr}"
        assert_recovered(server, "disk full, then room again")
    finally:
        server.stop()  # before the tmpfs is unmounted


# --- abandoned analytics queries --------------------------------------------------------

STORE_EVENTS = int(os.environ.get("HOSTILE_TOP_EVENTS", "200000"))
TOP_PATH = "/api/telemetry/top?field=user_id&window=all"


@pytest.fixture(scope="module")
def big_store(tmp_path_factory):
    """A store of STORE_EVENTS valid ai_block_used events, made by `serve --stdin --no-http`."""
    d = tmp_path_factory.mktemp("bigstore")
    lines = d / "events.jsonl"
    with open(lines, "w") as f:
        for i in range(STORE_EVENTS):
            p = contract_event(i)["payload"]
            # user ids skewed a little, so GROUP BY has real work: 5,000 distinct.
            f.write('{"event_type":"ai_block_used","payload":{"user_id":"%s","chapter_id":%d,"section_id":"%s","block_type":"%s"}}\n'
                    % (f"user_{(i * 7919) % 5000}", p["chapter_id"], p["section_id"], p["block_type"]))
    db = d / "events.sqlite"
    with open(lines, "rb") as stdin, open(d / "ingest.stdout", "wb") as out:
        done = subprocess.run([binary(), "serve", "--stdin", "--no-http", "--db", str(db), "--retain-days", "0",
                               "--log-file", str(d / "ingest.log")],
                              stdin=stdin, stdout=out, stderr=subprocess.STDOUT, timeout=180)
    summary = (d / "ingest.stdout").read_text(errors="replace")
    assert done.returncode == 0, f"serve --stdin exited {done.returncode}\n{summary[-3000:]}"
    with closing(sqlite3.connect(db)) as c:
        stored = c.execute("SELECT count(*) FROM event").fetchone()[0]
    assert stored == STORE_EVENTS, f"{stored} of {STORE_EVENTS} stored\n{summary[-3000:]}"
    return db


def send_and_close(port: int, path: str, n: int) -> None:
    """n clients that each send the request and close at once."""
    req = raw_request(port, path)
    for _ in range(n):
        s = socket.create_connection((HOST, port), timeout=5)
        try:
            s.sendall(req)
        finally:
            s.close()


def timed_top(server, timeout: float):
    t0 = time.monotonic()
    r = server.request("GET", TOP_PATH, timeout=timeout)
    return r, time.monotonic() - t0


def test_abandoned_top_queries_do_not_delay_an_honest_one(big_store, serve):
    server = serve("--db", str(big_store), "--retain-days", "0")
    r, t = timed_top(server, timeout=60)
    assert r.status == 200, f"the first honest /top: {r}"
    assert r.json()["total"] == STORE_EVENTS, r

    send_and_close(server.port, TOP_PATH, 40)
    budget = 3 * t + 2
    try:
        r, elapsed = timed_top(server, timeout=budget)
    except (TimeoutError, socket.timeout):
        pytest.fail(f"after 40 abandoned /top, an honest one had no answer within 3T+2 = {budget:.2f} s (T = {t:.2f} s)")
    assert r.status == 200, f"after 40 abandoned /top: {r}"
    assert elapsed <= budget, f"after 40 abandoned /top, an honest one took {elapsed:.2f} s > 3T+2 = {budget:.2f} s (T = {t:.2f} s)"


def test_concurrent_top_queries_are_bounded(big_store, serve):
    server = serve("--db", str(big_store), "--retain-days", "0")
    t0 = time.monotonic()
    assert server.request("GET", TOP_PATH, timeout=30).status == 200
    single = time.monotonic() - t0
    # One query runs at a time, four wait in the queue and at most five more wait
    # briefly for a place: whoever is answered 200 is answered within ten query
    # times (and the place wait); the others are told to come back.
    bound = 10 * single + 2
    n = 20
    start = threading.Barrier(n)

    def one(_):
        start.wait(10)
        t0 = time.monotonic()
        try:
            r = server.request("GET", TOP_PATH, timeout=30)
            return r, time.monotonic() - t0, None
        except (OSError, http.client.HTTPException) as e:
            return None, time.monotonic() - t0, e

    with ThreadPoolExecutor(n) as pool:
        results = list(pool.map(one, range(n)))
    problems = []
    for i, (r, elapsed, err) in enumerate(results):
        if err is not None:
            problems.append(f"#{i}: {type(err).__name__} {err} after {elapsed:.1f} s")
        elif r.status == 200:
            if elapsed > bound:
                problems.append(f"#{i}: 200 after {elapsed:.1f} s, past {bound:.1f} s (one query takes {single:.2f} s)")
        elif r.status in (429, 503) and r.headers.get("retry-after", "").strip().isdigit():
            continue
        else:
            problems.append(f"#{i}: {r} after {elapsed:.1f} s")
    slowest = max(e for _, e, _ in results)
    assert not problems, f"20 concurrent /top (slowest {slowest:.1f} s):\n" + "\n".join(problems)
    refused = sum(1 for r, _, _ in results if r is not None and r.status == 429)
    # Since issue 16 a /top reads aggregates and takes about a millisecond, so
    # places come free while the burst is still arriving and more than ten of
    # twenty may be served. Only when one query outlasts the burst's arrival
    # must the rest be refused; the bound itself is tested in-process with a
    # query held until released (HardeningRoutesTests).
    if single > 0.5:
        assert refused >= n - 10, f"only {refused} of {n} concurrent /top were told to wait (5 in the queue, 5 waiting for a place)"


# --- stream slots --------------------------------------------------------------------

STREAM_LIMIT = 32


def leave_streams(port: int, n: int, after_head: bool) -> None:
    """n stream clients that leave: right after sending, or right after the 200's head (a client that saw it start)."""
    req = raw_request(port, STREAM_PATH)
    for i in range(n):
        s = socket.create_connection((HOST, port), timeout=5)
        try:
            s.sendall(req)
            if after_head:
                status, headers = read_head(s, 5)
                assert status == 200, f"stream client {i + 1} of {n}: {status} {headers}"
        finally:
            s.close()


def real_stream_within(port: int, seconds: float):
    """None when a real client gets 200 text/event-stream within `seconds`; else what it got last."""
    deadline = time.monotonic() + seconds
    last = None
    while True:
        try:
            s, status, headers = open_stream(port, timeout=max(0.1, deadline - time.monotonic()))
            s.close()
            last = (status, headers)
            if status == 200 and headers.get("content-type", "").startswith("text/event-stream"):
                return None
        except OSError as e:
            last = e
        if time.monotonic() >= deadline:
            return last
        time.sleep(0.05)


@pytest.mark.parametrize("after_head", [False, True], ids=["close-after-send", "close-after-head"])
def test_stream_slot_freed_when_client_leaves(serve, after_head):
    server = serve("--in-memory")
    leave_streams(server.port, STREAM_LIMIT, after_head)
    last = real_stream_within(server.port, 1.0)
    how = "the response head" if after_head else "sending"
    assert last is None, f"{STREAM_LIMIT} clients left {STREAM_PATH} right after {how}; 1 s later a real client still gets {last}"


def test_too_many_streams_says_retry_after(serve):
    server = serve("--in-memory")
    held = []
    try:
        for i in range(STREAM_LIMIT):
            s, status, headers = open_stream(server.port)
            held.append(s)
            assert status == 200, f"stream client {i + 1} of {STREAM_LIMIT}: {status} {headers}"
        conn = http.client.HTTPConnection(HOST, server.port, timeout=5)
        try:
            conn.request("GET", STREAM_PATH)
            answer = conn.getresponse()
            headers = {k.lower(): v for k, v in answer.getheaders()}
            # A 200 here is an endless stream: judge it by its head, do not read it.
            body = answer.read() if answer.status != 200 else b""
        finally:
            conn.close()
        r = Response(answer.status, headers, body)
        assert r.status == 503, f"stream client {STREAM_LIMIT + 1}: {r}"
        assert error_code(r) == "too_many_streams", r
        assert_retry_after(r)
    finally:
        for s in held:
            s.close()
