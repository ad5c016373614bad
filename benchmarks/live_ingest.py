#!/usr/bin/env python3
"""Live ingest side by side: teletop, GoAccess and lnav each follow a JSON
Lines file in a 160x45 tmux pane while benchmarks/feed_jsonl.py appends the
same stream at a fixed rate. For each run it reports:

  counted  lines the tool shows as read when the stream stops, and 2 s later,
           as a share of those written (teletop: events in its header;
           GoAccess: Total Requests; lnav: the highest "seq" on screen + 1)
  lag      time from a line being appended (flushed) to the screen showing it
           counted, from captures every ~30 ms: every line carries its sequence
           number, so each capture says how far behind the screen is
  marker   time from appending the one chapter_visit line (from user MARKER,
           written mid-stream) to the screen showing it: teletop's counters,
           GoAccess's Requested Files (lnav cannot be asked: it scrolls away)
  CPU      of the tool, over the stream and the 2 s after; peak RSS

Usage: live_ingest.py TELETOP_BIN RATES SECONDS ROUNDS OUT_JSON
Runs contenders alternately, in a private tmux server it kills at the end;
loopback-free, bounded in time. Prints one line per run and writes all runs
as JSON for scripts/bench.sh to summarise."""
import json
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOCKET = "teletop-live-%d" % os.getpid()
TICKS = os.sysconf("SC_CLK_TCK")
# Between captures; a capture itself takes a few ms, so a figure is late by at most ~30 ms.
POLL = 0.025


def tmux(*args, check=True):
    return subprocess.run(["tmux", "-L", SOCKET, "-f", "/dev/null", *args], check=check,
                          capture_output=True, text=True).stdout


def capture(session):
    return tmux("capture-pane", "-p", "-t", session, check=False)


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def peak_rss_mib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM"):
                return int(line.split()[1]) / 1024
    return 0.0


def number(text):
    return int(text.replace(",", ""))


def teletop_count(screen):
    m = re.search(r"([0-9,]+) events", screen.split("\n", 1)[0])
    return number(m.group(1)) if m else 0


def goaccess_count(screen):
    m = re.search(r"Total Requests\s+([0-9]+)", screen)
    return number(m.group(1)) if m else 0


def lnav_count(screen):
    seqs = [int(s) for s in re.findall(r'"seq": ([0-9]+)', screen)]
    return max(seqs) + 1 if seqs else 0


def contenders(teletop, path, work):
    goaccess_format = '{"event_type":"%U","payload":{"user_id":"%h"},"timestamp":"%dT%t.%^"}'
    return {
        # As users run it: the durable store on (in a scratch folder), no simulator.
        "teletop": ([teletop, "--no-sim", "--no-http", "--follow", path, "--log-file", work + "/teletop.log"],
                    {"XDG_DATA_HOME": work + "/data"}, teletop_count, lambda s: re.search(r"chapter_visit +1 ", s) is not None),
        # user_id as the visitor (%h, hence --no-ip-validation), event_type as the URL.
        "goaccess": (["goaccess", path, "--log-format=" + goaccess_format, "--date-format=%Y-%m-%d",
                      "--time-format=%H:%M:%S", "--no-ip-validation"], {}, goaccess_count,
                     lambda s: re.search(r"\bchapter_visit\b", s) is not None),
        "lnav": (["lnav", path], {}, lnav_count, None),
    }


def run_one(name, teletop, rate, seconds):
    work = tempfile.mkdtemp(prefix="teletop-live-")
    path = work + "/stream.jsonl"
    open(path, "w").close()
    argv, env, count, marker_seen = contenders(teletop, path, work)[name]
    session = "%s-%d" % (name, rate)
    tmux("new-session", "-d", "-s", session, "-x", "160", "-y", "45",
         "env", "-u", "NO_COLOR", "TERM=tmux-256color", *["%s=%s" % kv for kv in env.items()], *argv)
    time.sleep(2)
    pid = int(tmux("display", "-p", "-t", session, "#{pane_pid}").strip())
    c0 = cpu_ticks(pid)
    log = work + "/writes.log"
    writer = subprocess.Popen([sys.executable, HERE + "/feed_jsonl.py", path, str(rate), str(seconds), str(seconds / 2)],
                              stdout=subprocess.PIPE, text=True)
    # The writer's schedule: line N is appended at start + N / rate.
    start = json.loads(writer.stdout.readline())["start"]
    lags, marker_at_screen = [], None
    while writer.poll() is None:
        screen = capture(session)
        now = time.time()
        seen = count(screen)
        if seen > 0:
            # Line number `seen` was due at start + seen / rate (written in 10 ms batches).
            lags.append(max(0.0, now - (start + seen / rate)))
        if marker_seen and marker_at_screen is None and marker_seen(screen):
            marker_at_screen = now
        time.sleep(POLL)
    summary = json.loads(writer.stdout.read())
    counted_at_stop = count(capture(session))
    deadline = time.time() + 2
    while time.time() < deadline:
        screen = capture(session)
        if marker_seen and marker_at_screen is None and marker_seen(screen):
            marker_at_screen = time.time()
        time.sleep(POLL)
    counted_later = count(capture(session))
    c1 = cpu_ticks(pid)
    rss = peak_rss_mib(pid)
    tmux("kill-session", "-t", session, check=False)
    subprocess.run(["rm", "-rf", work])
    written = summary["written"]
    # lnav's count is by sequence number, which the marker line does not have.
    total = summary["last_seq"] + 1 if name == "lnav" else written
    lags.sort()
    marker = None
    if marker_at_screen and summary["marker_written_at"]:
        marker = max(0.0, marker_at_screen - summary["marker_written_at"])
    return {
        "tool": name, "rate": rate, "seconds": seconds, "written": total,
        "counted_at_stop": min(1.0, counted_at_stop / total), "counted_2s_later": min(1.0, counted_later / total),
        "lag_median_s": lags[len(lags) // 2] if lags else None,
        "lag_p95_s": lags[int(len(lags) * 0.95)] if lags else None,
        "marker_s": marker,
        "cpu_percent": 100.0 * (c1 - c0) / TICKS / (seconds + 2), "peak_rss_mib": rss,
    }


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    teletop, rates, seconds, rounds, out = sys.argv[1], [int(r) for r in sys.argv[2].split(",")], float(sys.argv[3]), \
        int(sys.argv[4]), sys.argv[5]
    tmux("new-session", "-d", "-s", "keep", "sleep", "3600")
    results = []
    try:
        for rate in rates:
            for r in range(rounds):
                # Alternate the order each round, so no tool always runs first.
                order = ["teletop", "goaccess", "lnav"]
                order = order[r % 3:] + order[:r % 3]
                for name in order:
                    res = run_one(name, teletop, rate, seconds)
                    results.append(res)
                    print("  %-8s %6d lines/s round %d: counted %5.1f%% at stop, %5.1f%% 2 s later; lag median %s, p95 %s; "
                          "marker %s; CPU %3.0f%%; RSS %.1f MiB" % (
                              name, rate, r + 1, 100 * res["counted_at_stop"], 100 * res["counted_2s_later"],
                              fmt(res["lag_median_s"]), fmt(res["lag_p95_s"]), fmt(res["marker_s"]),
                              res["cpu_percent"], res["peak_rss_mib"]), flush=True)
    finally:
        tmux("kill-server", check=False)
    with open(out, "w") as f:
        json.dump(results, f, indent=1)


def fmt(seconds):
    return "-" if seconds is None else ("%.0f ms" % (seconds * 1000) if seconds < 1 else "%.1f s" % seconds)


if __name__ == "__main__":
    main()
