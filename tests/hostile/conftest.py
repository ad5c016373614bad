"""Fixtures of the hostile suite: a real `teletop serve` on a free loopback port.

The binary comes from $TELETOP_BIN (run.sh sets it). Every server is started
with `--log-file` in the test's tmp dir (stdout, where serve prints its summary,
goes to a file there too), waited for until GET /api/telemetry/health answers,
and stopped at teardown with SIGTERM, then SIGKILL after 10 s. Only processes
this suite started are ever signalled, by their PID.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

HOST = "127.0.0.1"
START_TIMEOUT = 30.0  # a DEBUG build restoring a big store can take a while
STOP_GRACE = 10.0


def binary() -> str:
    path = os.environ.get("TELETOP_BIN", "")
    if not path:
        pytest.fail("TELETOP_BIN is not set: run tests/hostile/run.sh BINARY", pytrace=False)
    if not os.access(path, os.X_OK):
        pytest.fail(f"TELETOP_BIN={path} is not an executable file", pytrace=False)
    return path


def free_port() -> int:
    """A port the kernel says is free now (bind to 0, read it, close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def contract_event(i: int = 0, **extra) -> dict:
    """A valid `ai_block_used` EventLogRequest (the contract's required fields)."""
    payload = {
        "user_id": f"user_{i % 5000}",
        "chapter_id": 1 + i % 12,
        "section_id": f"section-{i % 40}",
        "block_type": ("ask-question", "explain", "summarize", "quiz")[i % 4],
    }
    payload.update(extra)
    return {"event_type": "ai_block_used", "payload": payload}


def rss_bytes(pid: int) -> int:
    """VmRSS of a process, in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for pid {pid}")


class Response:
    def __init__(self, status: int, headers: dict[str, str], body: bytes):
        self.status = status
        self.headers = headers  # lower-cased names
        self.body = body

    def json(self):
        return json.loads(self.body)

    def __repr__(self) -> str:
        return f"<{self.status} {self.headers.get('content-type', '')} {self.body[:300]!r}>"


class Server:
    """One `teletop serve` process."""

    def __init__(self, args: list[str], workdir: Path, name: str = "serve"):
        self.args = args
        self.workdir = workdir
        self.name = name
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self.log_path = workdir / f"{name}.log"
        self.out_path = workdir / f"{name}.stdout"

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self) -> "Server":
        last = ""
        for _attempt in range(3):  # another process may take the port between pick and bind
            self.port = free_port()
            cmd = [binary(), "serve", "--host", HOST, "--port", str(self.port), "--log-file", str(self.log_path), *self.args]
            with open(self.out_path, "ab") as out:
                self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                             cwd=self.workdir, start_new_session=True)
            deadline = time.monotonic() + START_TIMEOUT
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                try:
                    self.request("GET", "/api/telemetry/health", timeout=2)
                    return self
                except OSError:
                    time.sleep(0.05)
            last = self.output()
            if self.proc.poll() is None:
                self.stop()
                pytest.fail(f"{self.name} did not answer /api/telemetry/health within {START_TIMEOUT:.0f} s\n{last}", pytrace=False)
            if "already in use" not in last:
                break
        pytest.fail(f"{self.name} exited with status {self.proc.returncode} at start: {' '.join(cmd[1:])}\n{last}", pytrace=False)

    def output(self) -> str:
        text = ""
        for p in (self.out_path, self.log_path):
            if p.exists():
                text += f"--- {p.name} (last 3000 chars) ---\n" + p.read_text(errors="replace")[-3000:] + "\n"
        return text

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(STOP_GRACE)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)

    # --- HTTP -------------------------------------------------------------

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
                timeout: float = 10.0) -> Response:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            data = r.read()
            return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, data)
        finally:
            conn.close()

    def post_json(self, path: str, value, timeout: float = 10.0) -> Response:
        body = json.dumps(value, separators=(",", ":")).encode()
        return self.request("POST", path, body, {"Content-Type": "application/json"}, timeout=timeout)

    def log_event(self, event: dict, timeout: float = 10.0) -> Response:
        return self.post_json("/api/telemetry/log", event, timeout=timeout)

    def health(self, timeout: float = 5.0) -> Response:
        return self.request("GET", "/api/telemetry/health", timeout=timeout)


@pytest.fixture
def serve(tmp_path):
    """Factory: serve(*args) starts `teletop serve --port N --log-file ... args`; all are stopped at teardown."""
    started: list[Server] = []

    def start(*args: str, name: str | None = None) -> Server:
        server = Server(list(args), tmp_path, name or f"serve{len(started)}")
        started.append(server)
        return server.start()

    yield start
    for server in reversed(started):
        server.stop()


def assert_retry_after(r: Response) -> None:
    value = r.headers.get("retry-after")
    assert value is not None, f"no Retry-After header on {r.status}: {r}"
    assert value.strip().isdigit() and int(value) >= 0, f"Retry-After is not delay-seconds: {value!r}"


def error_code(r: Response) -> str | None:
    try:
        return r.json().get("error")
    except (ValueError, AttributeError):
        return None


# --- raw sockets --------------------------------------------------------------

STREAM_PATH = "/api/telemetry/stream"


def raw_request(port: int, path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nAccept: */*\r\n\r\n".encode()


def read_head(s: socket.socket, timeout: float) -> tuple[int, dict[str, str]]:
    """Status and headers (lower-cased) of the response on s."""
    s.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            raise ConnectionError(f"closed before the headers ended: {data!r}")
        data += chunk
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    status = int(head[0].split()[1])
    headers = {}
    for line in head[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return status, headers


def open_stream(port: int, timeout: float = 5.0, rcvbuf: int | None = None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(timeout)
    s.connect((HOST, port))
    s.sendall(raw_request(port, STREAM_PATH))
    status, headers = read_head(s, timeout)
    return s, status, headers
