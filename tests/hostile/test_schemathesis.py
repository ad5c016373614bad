"""Schemathesis against the OpenAPI document the server itself serves.

Every check schemathesis has is on (`--checks all`: server errors, status code,
content type, response headers and response schema conformance, negative and
positive data acceptance, unsupported methods, Allow headers, ...). The run is
bounded: at most HOSTILE_ST_EXAMPLES cases per operation (default 50) and
HOSTILE_ST_MAX_TIME seconds (default 60; fuzzing repeats until it is spent) in all, with a fixed seed so a CI
failure reproduces (HOSTILE_ST_SEED changes it). The stateful phase is off:
the document has no links, so it would only spend the time budget.

GET /api/telemetry/stream is left out: it is an endless SSE response that a
request/response fuzzer can only time out on; test_outages.py covers it.
POST /api/telemetry/fault is left out: by design it makes later requests fail,
hang or lose their connection; test_sdks.py covers it. The SDK endpoints
(/v1/*, /batch/, /capture/, /e/, /i/v0/e/) are left out: their request
schemas are the vendors' protocols, which teletop takes as leniently as the
vendors do; test_sdks.py drives them with the vendors' own SDKs.

The server stores to a tmp --db and has no --token.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = int(os.environ.get("HOSTILE_ST_EXAMPLES", "50"))
MAX_TIME = int(os.environ.get("HOSTILE_ST_MAX_TIME", "60"))
SEED = os.environ.get("HOSTILE_ST_SEED", "11")


def test_schemathesis_all_checks(serve, tmp_path):
    server = serve("--db", str(tmp_path / "events.sqlite"), "--retain-days", "0")
    cli = Path(sys.executable).with_name("schemathesis")
    report = tmp_path / "report"
    cmd = [
        str(cli), "--config-file", str(Path(__file__).with_name("schemathesis.toml")),
        "run", f"{server.base}/openapi.yaml",
        "--checks", "all",
        "--phases", "examples,coverage,fuzzing",
        "--max-examples", str(EXAMPLES),
        "--max-time", str(MAX_TIME),
        "--seed", SEED,
        "--workers", "2",
        "--request-timeout", "10",
        "--exclude-path", "/api/telemetry/stream",
        "--exclude-path", "/api/telemetry/fault",
        "--exclude-path-regex", "^/(v1/|batch/|capture/|e/|i/v0/e/)",
        "--generation-database", "none",
        "--suppress-health-check", "all",
        "--no-color",
        "--report", "junit,ndjson",
        "--report-dir", str(report),
    ]
    env = dict(os.environ, NO_COLOR="1", COLUMNS="120", SCHEMATHESIS_TELEMETRY="false")
    try:
        run = subprocess.run(cmd, cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                             timeout=MAX_TIME + 60)
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"schemathesis ran past {MAX_TIME + 60} s\n{(e.stdout or '')[-4000:]}") from None
    out = run.stdout + run.stderr
    (tmp_path / "schemathesis.txt").write_text(out)
    # Kept for triage when HOSTILE_ST_KEEP names a directory.
    keep = os.environ.get("HOSTILE_ST_KEEP")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        (Path(keep) / "schemathesis.txt").write_text(out)
        for f in report.glob("*"):
            (Path(keep) / f.name).write_bytes(f.read_bytes())
    if run.returncode != 0:
        pytest.fail(f"schemathesis reported failures (exit {run.returncode}):\n{out[-12000:]}", pytrace=False)
