"""Issue 18: a fleet of collectors on one PostgreSQL, made to fail for real.

Needs a server: `eval "$(scripts/test-postgres.sh start)"` (`.ci/run` does it)
sets TELETOP_TEST_POSTGRES (the address of a role that may create databases)
and TELETOP_TEST_PGCTL (stops and starts that server). Each test makes its own
database. Without them the tests are skipped, except under CI, where they fail.

- two collectors under concurrent load, one killed with SIGKILL part way:
  every event answered 200 by either is stored exactly once, and the
  aggregates equal counts from the rows;
- PostgreSQL stopped under load, then started: 503 with Retry-After while it
  is down, nothing acknowledged lost, nothing refused stored, writes resume
  with no restart;
- two collectors starting at once on an empty database: one schema, no error;
- bad addresses, a wrong password, a database that does not exist: a message
  naming what is wrong, exit status 2, never a crash.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shlex
import signal
import subprocess
import threading
import time
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest

from conftest import HOST, Server, assert_retry_after, binary, contract_event, error_code

BASE = os.environ.get("TELETOP_TEST_POSTGRES", "")
PGCTL = os.environ.get("TELETOP_TEST_PGCTL", "")

if not BASE:
    if os.environ.get("CI"):
        pytest.fail("TELETOP_TEST_POSTGRES is not set under CI: .ci/run starts the cluster (scripts/test-postgres.sh)", pytrace=False)
    pytestmark = pytest.mark.skip(reason="no PostgreSQL: eval \"$(scripts/test-postgres.sh start)\" first")


def psql(sql: str, database: str | None = None) -> str:
    u = urlsplit(BASE)
    db = database or u.path.lstrip("/")
    env = dict(os.environ, PGPASSWORD=u.password or "")
    out = subprocess.run(["psql", "-h", u.hostname, "-p", str(u.port), "-U", u.username, "-d", db, "-X", "-q", "-t", "-A",
                          "-v", "ON_ERROR_STOP=1", "-c", sql], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, f"psql failed: {out.stderr}"
    return out.stdout.strip()


def new_database() -> tuple[str, str]:
    """A fresh database on the test server: (its name, its teletop --store address)."""
    name = "teletop_f_" + uuid.uuid4().hex[:8]
    psql(f"CREATE DATABASE {name}")
    u = urlsplit(BASE)
    return name, urlunsplit((u.scheme, u.netloc, "/" + name, u.query, ""))


def pgctl(action: str) -> None:
    subprocess.run([*shlex.split(PGCTL), action], check=True, timeout=60)


def event(nonce: int) -> dict:
    return contract_event(nonce, nonce=nonce)


class Load:
    """Threads posting events with unique nonces to the servers, each on a kept-alive connection."""

    def __init__(self, servers: list[Server], threads: int = 6):
        self.servers = servers
        self.threads = threads
        self.lock = threading.Lock()
        self.next = 0
        self.acked: dict[int, str] = {}  # nonce -> server name
        self.refused: set[int] = set()  # answered 503
        self.unanswered: set[int] = set()  # the connection broke before an answer
        self.statuses: dict[int, int] = {}
        self.retry_after_missing = 0
        self.stop = threading.Event()
        self.workers = [threading.Thread(target=self.run, args=(i,), daemon=True) for i in range(threads)]

    def take(self) -> int:
        with self.lock:
            self.next += 1
            return self.next

    def run(self, worker: int) -> None:
        server = self.servers[worker % len(self.servers)]
        conn = None
        while not self.stop.is_set():
            nonce = self.take()
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(HOST, server.port, timeout=15)
                body = json.dumps(event(nonce)).encode()
                conn.request("POST", "/api/telemetry/log", body=body, headers={"Content-Type": "application/json"})
                r = conn.getresponse()
                r.read()
                with self.lock:
                    self.statuses[r.status] = self.statuses.get(r.status, 0) + 1
                    if r.status == 200:
                        self.acked[nonce] = server.name
                    elif r.status == 503:
                        self.refused.add(nonce)
                        if r.getheader("Retry-After") is None:
                            self.retry_after_missing += 1
                if r.status != 200:
                    time.sleep(0.02)
            except (OSError, http.client.HTTPException):
                with self.lock:
                    self.unanswered.add(nonce)
                conn = None
                time.sleep(0.05)

    def __enter__(self) -> "Load":
        for w in self.workers:
            w.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for w in self.workers:
            w.join(30)

    def count_acked(self) -> int:
        with self.lock:
            return len(self.acked)

    def wait_acked(self, n: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.count_acked() < n:
            assert time.monotonic() < deadline, f"only {self.count_acked()} of {n} events acknowledged in {timeout} s; {self.statuses}"
            time.sleep(0.05)


def stored_nonces(db: str) -> dict[int, int]:
    rows = psql("SELECT payload->>'nonce', count(*) FROM event_row WHERE payload->>'nonce' IS NOT NULL GROUP BY 1", db)
    out = {}
    for line in rows.splitlines():
        nonce, n = line.split("|")
        out[int(nonce)] = int(n)
    return out


def assert_aggregates_match_rows(db: str) -> None:
    total = int(psql("SELECT count(*) FROM event_row", db))
    lifetime = int(psql("SELECT coalesce(sum(n), 0) FROM agg_count WHERE level = 3", db))
    assert lifetime == total, f"lifetime aggregates count {lifetime} events, the rows {total}"
    for level, width in ((0, 1), (1, 60), (2, 1440)):
        mismatches = psql(f"""
            WITH r AS (SELECT (floor(ts / 60000.0 / {width}) * {width})::int8 AS bucket, payload->>'chapter_id' AS v FROM event_row),
            brute AS (SELECT bucket, v, count(*) AS n FROM r GROUP BY 1, 2),
            agg AS (SELECT bucket, value AS v, sum(n) AS n FROM agg_value WHERE level = {level} AND field = 'chapter_id' GROUP BY 1, 2)
            SELECT count(*) FROM brute FULL JOIN agg USING (bucket, v) WHERE brute.n IS DISTINCT FROM agg.n""", db)
        assert mismatches == "0", f"{mismatches} chapter_id aggregates of level {level} differ from the rows"


def test_two_collectors_one_killed_every_acknowledged_event_stored_once(serve):
    db, url = new_database()
    a = serve("--store", url, name="a")
    b = serve("--store", url, name="b")
    with Load([a, b]) as load:
        load.wait_acked(600, timeout=60)
        os.kill(b.pid, signal.SIGKILL)
        b.proc.wait(10)
        seen = load.count_acked()
        load.wait_acked(seen + 600, timeout=60)
    stored = stored_nonces(db)
    print(f"answers {load.statuses}, {len(load.unanswered)} unanswered, {len(stored)} stored")
    lost = [n for n in load.acked if n not in stored]
    assert not lost, f"{len(lost)} acknowledged events are not stored, e.g. {lost[:5]}"
    twice = {n: c for n, c in stored.items() if c > 1}
    assert not twice, f"events stored more than once: {list(twice.items())[:5]}"
    by_b = sum(1 for s in load.acked.values() if s == "b")
    assert by_b > 0, "b acknowledged nothing before it was killed"
    assert_aggregates_match_rows(db)
    # The survivor answers for the fleet: its /top counts b's events too.
    top = a.request("GET", "/api/telemetry/top?field=chapter_id&window=all").json()
    assert top["total"] == len(stored), f"a's /top counts {top['total']} events, the database holds {len(stored)}"


@pytest.mark.skipif(not PGCTL, reason="TELETOP_TEST_PGCTL is not set")
def test_postgres_stopped_under_load_then_started(serve):
    db, url = new_database()
    # The simulator too: its events are logged first and written later, so they wait in memory through the outage.
    a = serve("--store", url, "--sim-rate", "200", name="a")
    stopped = False
    try:
        with Load([a], threads=4) as load:
            load.wait_acked(300, timeout=60)
            pgctl("stop")
            stopped = True
            down_at = time.monotonic()
            # While it is down: a new request is refused at once, with Retry-After, and
            # health says why. (The load's own clients may all be waiting in a batch whose
            # COMMIT got no answer: they are answered once the database says whether it is in.)
            deadline = time.monotonic() + 20
            refused_here = 0
            while refused_here < 20:
                assert time.monotonic() < deadline, f"no 503s while PostgreSQL was down: {load.statuses}, {refused_here} here"
                nonce = load.take()
                r = a.log_event(event(nonce), timeout=15)
                if r.status == 200:
                    with load.lock:
                        load.acked[nonce] = a.name
                elif r.status == 503:
                    assert_retry_after(r)
                    assert error_code(r) == "store_unavailable", r
                    with load.lock:
                        load.refused.add(nonce)
                    refused_here += 1
                time.sleep(0.05)
            health = a.health().json()
            assert health["status"] != "healthy", health
            time.sleep(max(0.0, 3 - (time.monotonic() - down_at)))
            acked_while_down = load.count_acked()
            pgctl("start")
            stopped = False
            load.wait_acked(acked_while_down + 300, timeout=30)
    finally:
        if stopped:
            pgctl("start")
    assert load.retry_after_missing == 0, f"{load.retry_after_missing} 503s without Retry-After"
    assert not load.unanswered, f"{len(load.unanswered)} requests got no answer (a held batch must be answered once settled)"
    stored = stored_nonces(db)
    print(f"answers {load.statuses}, {len(load.unanswered)} unanswered, {len(stored)} stored")
    lost = [n for n in load.acked if n not in stored]
    assert not lost, f"{len(lost)} acknowledged events are not stored, e.g. {lost[:5]}"
    behind = [n for n in load.refused if n in stored]
    assert not behind, f"{len(behind)} events answered 503 were stored anyway, e.g. {behind[:5]}"
    twice = {n: c for n, c in stored.items() if c > 1}
    assert not twice, f"events stored more than once: {list(twice.items())[:5]}"
    assert a.health().json()["status"] == "healthy"
    # Everything this run accepted is stored once it stops: the simulator's events waited for the database.
    a.stop()
    summary = a.out_path.read_text()
    accepted = int(re.search(r"after [0-9.]+ s: ([0-9,]+) events accepted", summary).group(1).replace(",", ""))
    rows = int(psql("SELECT count(*) FROM event_row", db))
    sim_rows = int(psql("SELECT count(*) FROM event_row WHERE source = 0", db))
    assert rows == accepted, f"{accepted} events accepted, {rows} stored\n{summary}"
    assert sim_rows > 0, "no simulated events stored"
    assert_aggregates_match_rows(db)


def test_two_collectors_starting_at_once_make_one_schema(tmp_path):
    db, url = new_database()
    servers = [Server(["--store", url], tmp_path, name=f"s{i}") for i in range(2)]
    threads = [threading.Thread(target=s.start) for s in servers]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        for s in servers:
            assert s.proc is not None and s.proc.poll() is None, s.output()
            r = s.log_event(contract_event(1))
            assert r.status == 200, (r, s.output())
        assert psql("SELECT count(*), count(DISTINCT version) FROM teletop_migration", db) == "2|2", "each migration once"
        assert psql("SELECT count(*) FROM teletop_writer", db) == "2"
        assert psql("SELECT count(*) FROM event_row", db) == "2"
    finally:
        for s in servers:
            s.stop()


def bad_store_run(tmp_path, address: str) -> subprocess.CompletedProcess:
    return subprocess.run([binary(), "serve", "--port", "0", "--store", address, "--log-file", str(tmp_path / "bad.log")],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("address, expected", [
    ("postgres://db.example/events", "no user"),
    ("postgres://ann@db.example:99999/events", "the port: expected a number from 1 to 65535, got \"99999\""),
    ("postgres://ann@localhost/events?sslmode=sometimes", "sslmode: expected disable, prefer, require or verify-full"),
])
def test_a_bad_address_is_named_and_exits_2(tmp_path, address, expected):
    out = bad_store_run(tmp_path, address)
    assert out.returncode == 2, (out.returncode, out.stderr)
    assert expected in out.stderr, out.stderr
    assert "Fatal error" not in out.stderr and "crashed" not in out.stderr


def test_a_wrong_password_is_named_and_exits_2(tmp_path):
    u = urlsplit(BASE)
    netloc = f"{u.username}:wrong-{uuid.uuid4().hex[:6]}@{u.hostname}:{u.port}"
    out = bad_store_run(tmp_path, urlunsplit((u.scheme, netloc, u.path, u.query, "")))
    assert out.returncode == 2, (out.returncode, out.stderr)
    assert f"PostgreSQL refused the login of user {u.username}" in out.stderr, out.stderr
    assert "wrong-" not in out.stderr, "the password was printed"


def test_a_missing_database_is_named_and_exits_2(tmp_path):
    u = urlsplit(BASE)
    out = bad_store_run(tmp_path, urlunsplit((u.scheme, u.netloc, "/teletop_none_here", u.query, "")))
    assert out.returncode == 2, (out.returncode, out.stderr)
    assert "the database teletop_none_here does not exist" in out.stderr, out.stderr


def test_every_collector_answers_for_the_fleet(serve):
    db, url = new_database()
    a = serve("--store", url, name="a")
    b = serve("--store", url, name="b")
    for i in range(30):
        assert a.log_event(contract_event(i)).status == 200
    for i in range(20):
        assert b.log_event(contract_event(100 + i)).status == 200
    fleets = {s.request("GET", "/api/telemetry/stats").json()["fleet"] for s in (a, b)}
    assert len(fleets) == 1 and None not in fleets, fleets
    # Each collector's lifetime totals grow by the other's events too (read back once a second).
    deadline = time.monotonic() + 15
    while True:
        logged = [s.request("GET", "/api/telemetry/stats").json()["events_logged"] for s in (a, b)]
        if logged == [50, 50]:
            break
        assert time.monotonic() < deadline, f"lifetime totals are {logged}, not the fleet's 50"
        time.sleep(0.2)
    for s in (a, b):
        top = s.request("GET", "/api/telemetry/top?field=chapter_id&window=all").json()
        assert top["total"] == 50, top
        series = s.request("GET", "/api/telemetry/series?bucket=minute&window=5m").json()
        assert series["total"] == 50, series
    # A third collector started later restores the fleet's totals.
    c = serve("--store", url, name="c")
    assert c.request("GET", "/api/telemetry/stats").json()["events_logged"] == 50
