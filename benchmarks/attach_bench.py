#!/usr/bin/env python3
"""Attached dashboards against one collector, on loopback.

    benchmarks/attach_bench.py BINARY [--rate 50000] [--dashboards 1] [--seconds 10]

Starts `teletop serve --in-memory --sim-rate RATE` (the simulator makes the
load inside the collector, so no client competes for the cores), measures the
collector's CPU for SECONDS alone, then with DASHBOARDS `teletop attach`
sessions in tmux (160x45) for SECONDS more, and prints, as one JSON line:
the collector's CPU alone and attached (percent of one core), each
dashboard's CPU, events the collector's stream could not send
(`dropped_by_consumer["http stream"]` over the attached window), and the
worst link lag each dashboard showed (collector stamp to arrival, sampled
from its header every second). Only processes it started are stopped, by PID.
"""

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stats(port: int) -> dict:
    return json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/api/telemetry/stats", timeout=5))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("binary")
    p.add_argument("--rate", type=int, default=50_000)
    p.add_argument("--dashboards", type=int, default=1)
    p.add_argument("--seconds", type=float, default=10)
    a = p.parse_args()
    work = tempfile.mkdtemp(prefix="teletop-attach-bench-")
    port = free_port()
    sock = f"attach-bench-{os.getpid()}"
    tmux = ["tmux", "-L", sock, "-f", "/dev/null"]
    collector = subprocess.Popen([a.binary, "serve", "--port", str(port), "--in-memory", "--sim-rate", str(a.rate),
                                  "--log-file", f"{work}/serve.log"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                stats(port)
                break
            except OSError:
                time.sleep(0.1)
        time.sleep(2)
        t0, c0 = time.monotonic(), cpu_seconds(collector.pid)
        time.sleep(a.seconds)
        alone = (cpu_seconds(collector.pid) - c0) / (time.monotonic() - t0) * 100
        subprocess.run(tmux + ["new-session", "-d", "-s", "keep", "sleep", "3600"], check=True)
        for i in range(a.dashboards):
            subprocess.run(tmux + ["new-session", "-d", "-s", f"d{i}", "-x", "160", "-y", "45", "env", "TERM=tmux-256color", a.binary,
                                   "attach", "--log-file", f"{work}/attach{i}.log", f"c=http://127.0.0.1:{port}"], check=True)
        time.sleep(3)
        pids = [int(subprocess.run(tmux + ["display", "-p", "-t", f"d{i}", "#{pane_pid}"], capture_output=True, text=True).stdout)
                for i in range(a.dashboards)]
        dropped0 = stats(port)["dropped_by_consumer"].get("http stream", 0)
        t0 = time.monotonic()
        c0 = cpu_seconds(collector.pid)
        d0 = [cpu_seconds(pid) for pid in pids]
        lags = [0] * a.dashboards
        connected = [True] * a.dashboards
        deadline = t0 + a.seconds
        while time.monotonic() < deadline:
            time.sleep(1)
            for i in range(a.dashboards):
                head = subprocess.run(tmux + ["capture-pane", "-p", "-t", f"d{i}"], capture_output=True, text=True).stdout.split("\n")[0]
                m = re.search(r"lag ([0-9]+) ms", head)
                if m:
                    lags[i] = max(lags[i], int(m.group(1)))
                if "c connected" not in head:
                    connected[i] = False
        elapsed = time.monotonic() - t0
        attached = (cpu_seconds(collector.pid) - c0) / elapsed * 100
        dash = [round((cpu_seconds(pid) - d) / elapsed * 100, 1) for pid, d in zip(pids, d0)]
        after = stats(port)
        dropped = after["dropped_by_consumer"].get("http stream", 0) - dropped0
        print(json.dumps({"rate": a.rate, "dashboards": a.dashboards, "collector_alone_pct": round(alone, 1),
                          "collector_attached_pct": round(attached, 1), "collector_extra_pct": round(attached - alone, 1),
                          "dashboard_pct": dash, "stream_dropped": dropped, "worst_lag_ms": lags, "stayed_connected": connected,
                          "collector_rate_1s": after.get("rate_1s")}))
    finally:
        subprocess.run(tmux + ["kill-server"], stderr=subprocess.DEVNULL)
        collector.send_signal(signal.SIGTERM)
        try:
            collector.wait(10)
        except subprocess.TimeoutExpired:
            collector.kill()


if __name__ == "__main__":
    main()
