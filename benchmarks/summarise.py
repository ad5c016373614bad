#!/usr/bin/env python3
"""Prints scripts/bench.sh's one table: medians of every round, and ratios.
Arguments: HTTP_RESULTS LIVE_JSON INPROCESS_TXT IDLE_TXT DURATION ROUNDS."""
import json
import re
import statistics
import sys


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def ms(seconds):
    if seconds is None:
        return "never"
    return "%.0f ms" % (seconds * 1000) if seconds < 1 else "%.1f s" % seconds


def main():
    http_path, live_path, inprocess_path, idle_path, duration, rounds = sys.argv[1:7]
    rows = [line.split() for line in open(http_path).read().splitlines()[1:]]
    names = ["teletop", "teletop-mem", "fastapi-1", "fastapi-2"]
    http = {n: [median([float(r[i]) for r in rows if r[1] == n]) for i in range(2, 7)] for n in names}
    live = json.load(open(live_path))
    inprocess = open(inprocess_path).read()
    idle_cpu, idle_rss, retained_rss = (float(x) for x in open(idle_path).read().split())

    out = []
    def row(what, teletop, others, verdict=""):
        out.append("| %s | %s | %s | %s |" % (what, teletop, others, verdict))

    out.append("| comparison | teletop | others | teletop vs the best other |")
    out.append("|---|---|---|---|")
    labels = {"teletop": "teletop (store on)", "teletop-mem": "teletop --in-memory",
              "fastapi-1": "FastAPI 1 worker", "fastapi-2": "FastAPI 2 workers"}
    t, m, f1, f2 = (http[n] for n in names)
    row("HTTP req/s (wrk -t2 -c64, %s s)" % duration, "%.0f stored and acknowledged; %.0f in memory" % (t[0], m[0]),
        "%.0f (1 worker), %.0f (2 workers), storing nothing" % (f1[0], f2[0]),
        "%.1fx with the store (target >= 1.5x), %.1fx in memory (target >= 3x)" % (t[0] / f2[0], m[0] / f2[0]))
    row("HTTP p50 / p99", "%.2f / %.2f ms stored; %.2f / %.2f ms in memory" % (t[1], t[2], m[1], m[2]),
        "%.2f / %.2f ms (1), %.2f / %.2f ms (2)" % (f1[1], f1[2], f2[1], f2[2]),
        "p99 %.1fx lower stored, %.1fx lower in memory" % (f2[2] / t[2], f2[2] / m[2]))
    row("HTTP server CPU per request", "%.0f µs stored; %.0f µs in memory" % (t[3], m[3]),
        "%.0f µs (1), %.0f µs (2)" % (f1[3], f2[3]), "%.1fx less stored, %.1fx less in memory" % (f2[3] / t[3], f2[3] / m[3]))
    row("HTTP server RSS after the run", "%.0f MiB stored; %.0f MiB in memory" % (t[4], m[4]),
        "%.0f MiB (1), %.0f MiB (2)" % (f1[4], f2[4]), "")

    for rate in sorted({r["rate"] for r in live}):
        def stat(tool, key):
            return median([r[key] for r in live if r["tool"] == tool and r["rate"] == rate])
        def pct(x):
            return "%.1f%%" % (100 * x) if x is not None else "-"
        tools = ["teletop", "goaccess", "lnav"]
        counted = {tool: (stat(tool, "counted_at_stop"), stat(tool, "counted_2s_later")) for tool in tools}
        lag = {tool: (stat(tool, "lag_median_s"), stat(tool, "lag_p95_s")) for tool in tools}
        row("live: share counted at %dk lines/s, at stop / 2 s later" % (rate // 1000),
            "%s / %s" % tuple(pct(x) for x in counted["teletop"]),
            "GoAccess %s / %s; lnav %s / %s" % (*(pct(x) for x in counted["goaccess"]), *(pct(x) for x in counted["lnav"])),
            "target 100%")
        best_other = min(x for x in (lag["goaccess"][0], lag["lnav"][0]) if x is not None)
        row("live: append-to-screen lag at %dk lines/s, median / p95" % (rate // 1000), "%s / %s" % (ms(lag["teletop"][0]), ms(lag["teletop"][1])),
            "GoAccess %s / %s; lnav %s / %s" % (ms(lag["goaccess"][0]), ms(lag["goaccess"][1]), ms(lag["lnav"][0]), ms(lag["lnav"][1])),
            "%.0fx less (target < 50 ms)" % (best_other / lag["teletop"][0]) if lag["teletop"][0] else "")
        row("live: marker line to screen at %dk lines/s" % (rate // 1000), ms(stat("teletop", "marker_s")),
            "GoAccess %s; lnav cannot show it (it scrolls past)" % ms(stat("goaccess", "marker_s")), "")
        row("live: CPU and peak RSS at %dk lines/s" % (rate // 1000),
            "%.0f%%, %.0f MiB" % (stat("teletop", "cpu_percent"), stat("teletop", "peak_rss_mib")),
            "GoAccess %.0f%%, %.0f MiB; lnav %.0f%%, %.0f MiB" % (stat("goaccess", "cpu_percent"), stat("goaccess", "peak_rss_mib"),
                                                               stat("lnav", "cpu_percent"), stat("lnav", "peak_rss_mib")), "")

    for line in inprocess.splitlines()[2:]:
        m = re.match(r"(.+?)\s{2,}([0-9.,]+ \S+)\s*(.*)", line)
        if m:
            row("in-process: " + m.group(1).strip(), m.group(2), "", m.group(3).strip() and "target " + m.group(3).strip())
    row("idle dashboard CPU, 30 s, no events", "%.2f%% of a core" % idle_cpu, "", "target <= 1%")
    row("idle dashboard peak RSS", "%.1f MiB" % idle_rss, "", "")
    row("dashboard RSS, 100,000 events retained (--ring 100000)", "%.1f MiB" % retained_rss, "", "target <= 64 MiB")
    print("Medians of %s rounds." % rounds)
    print("\n".join(out))


if __name__ == "__main__":
    main()
