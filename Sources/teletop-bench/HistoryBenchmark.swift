import Foundation
import GRDB
import TeletopCore
import TeletopStore
import TeletopTUI

/// `teletop-bench history`: builds stores of 1M and 10M events spread over
/// the last 30 days, then times what reads them (every `/top` the analytics
/// view asks, in every window; a full analytics refresh; the per-minute
/// chart) and measures the file's bytes per event against the JSON line the
/// event exports as. The answers should cost the same at 1M as at 10M.
struct HistoryFigures {
    var events: Int
    var buildSeconds: Double
    var bytesPerEvent: Double
    var jsonLineBytes: Double
    /// Milliseconds: the slowest and the median /top over every question and window, each the median of its runs.
    var topWorst: (ms: Double, what: String)
    var topMedian: Double
    var refreshWorst: (ms: Double, window: AnalyticsWindow)
    var chartMs: Double
    /// Milliseconds for one user's timeline (the newest 500 of theirs): the most frequent user, and a rare one.
    var timelineCommon: (ms: Double, events: Int)
    var timelineRare: (ms: Double, events: Int)
}

/// A plausible history: three contract types (mostly blocks, some visits, a
/// few errors), 5,000 users with a skew, 12 chapters, 30 sections.
struct HistoryGenerator {
    var rng = SplitMix64(seed: 16)
    let builder = PayloadBuilder()
    static let sections = (0..<30).map { "section-\($0)-of-the-book" }
    static let blocks = ["ask-question", "explain", "summarize", "quiz", "translate"]
    static let errors = ["timeout", "rate_limited", "bad_request", "model_error", "network", "unknown"]

    mutating func event(_ i: Int, at stamp: Timestamp) -> LoggedEvent {
        func pick(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
        let u = Double(rng.next() >> 11) / Double(1 << 53)
        let user = "user_\(100 + Int(u * u * u * 5_000))"
        builder.reset()
        let type: String
        switch pick(20) {
        case 0:
            type = "error_event"
            builder.add("error_type", Self.errors[pick(Self.errors.count)])
            builder.add("error_message", "the model did not answer in time")
        case 1...5:
            type = "chapter_visit"
            builder.add("user_id", user)
            builder.add("chapter_id", 1 + pick(12))
        default:
            type = "ai_block_used"
            builder.add("user_id", user)
            builder.add("chapter_id", 1 + pick(12))
            builder.add("section_id", Self.sections[pick(Self.sections.count)])
            builder.add("block_type", Self.blocks[pick(Self.blocks.count)])
        }
        return LoggedEvent(sequence: UInt64(i + 1), eventType: type, timestamp: stamp, source: .http, unplanned: false,
                           packedPayload: builder.build())
    }
}

func historyFigures(events: Int, now: Timestamp) -> HistoryFigures {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("teletop-bench-history-\(UUID())")
    // TELETOP_BENCH_KEEP=1 leaves the store behind (its path is printed) for a look with sqlite3.
    let keep = ProcessInfo.processInfo.environment["TELETOP_BENCH_KEEP"] != nil
    defer { if !keep { try? FileManager.default.removeItem(at: dir) } }
    let path = dir.appendingPathComponent("events.sqlite").path
    if keep { print("history: store at \(path)") }
    let store = try! EventStore(path: path)
    let span: Int64 = 30 * 86_400_000
    var generator = HistoryGenerator()
    var jsonBytes = 0
    var batch: [LoggedEvent] = []
    batch.reserveCapacity(4_096)
    let clock = ContinuousClock()
    let started = clock.now
    var batches = 0
    var json: [UInt8] = []
    var insertTime = Duration.zero, foldTime = Duration.zero
    for i in 0..<events {
        let stamp = now.adding(milliseconds: -span + span * Int64(i) / Int64(events))
        let e = generator.event(i, at: stamp)
        if i % 64 == 0 {
            // The JSON line `teletop export` writes, sampled.
            json.removeAll(keepingCapacity: true)
            e.packedPayload.writeJSON(into: &json)
            jsonBytes += #"{"event_type":"","payload":,"timestamp":""}"#.utf8.count + 1 + e.eventType.utf8.count + json.count + 24
        }
        batch.append(e)
        if batch.count == 4_096 {
            let t = clock.now
            try! store.insertBlocking(batch)
            insertTime += clock.now - t
            batch.removeAll(keepingCapacity: true)
            batches += 1
            // The writer folds every 5 s; at this rate, about every 300 batches.
            if batches % 300 == 0 {
                let t = clock.now
                while try! store.foldBlocking(now: stamp) > 0 {}
                foldTime += clock.now - t
            }
        }
    }
    try! store.insertBlocking(batch)
    let t = clock.now
    while try! store.foldBlocking(now: now) > 0 {}
    // As the writer's housekeeping does: minute buckets go after a day.
    try! store.pruneAggregatesBlocking(now: now, days: 400)
    foldTime += clock.now - t
    let buildSeconds = seconds(clock.now - started)
    print("history \(events): build \(fmt(buildSeconds, 1)) s: insert \(fmt(seconds(insertTime), 1)) s, fold and prune \(fmt(seconds(foldTime), 1)) s")
    precondition(try! store.count() == events, "events lost")
    let bytes = store.compactedSize()

    func ms(_ body: () -> Void) -> Double {
        var runs: [Double] = []
        for _ in 0..<5 {
            let t = clock.now
            body()
            runs.append(seconds(clock.now - t) * 1000)
        }
        return median(runs)
    }
    var tops: [(Double, String)] = []
    for window in AnalyticsWindow.allCases {
        for q in AnalyticsReport.questions {
            let t = ms { _ = try! store.top(TopQuery(eventType: q.eventType, field: q.field, windowSeconds: window.seconds, now: now)) }
            tops.append((t, "\(q.field) \(window.rawValue)"))
        }
    }
    let refreshes = AnalyticsWindow.allCases.map { w in (ms { _ = AnalyticsReport.load(from: store, window: w, now: now) }, w) }
    let chart = ms { _ = try! store.perMinute(minutes: 60, now: now) }
    func timeline(_ user: String) -> (ms: Double, events: Int) {
        var n = 0
        let t = ms { n = try! store.timeline(TimelineQuery(field: "user_id", value: .string(user))).events.count }
        return (t, n)
    }
    // The generator's skew makes user_100 the most frequent and user_5000 about the rarest.
    let worstTop = tops.max { $0.0 < $1.0 }!
    let worstRefresh = refreshes.max { $0.0 < $1.0 }!
    return HistoryFigures(events: events, buildSeconds: buildSeconds, bytesPerEvent: Double(bytes) / Double(events),
                          jsonLineBytes: Double(jsonBytes) / Double((events + 63) / 64),
                          topWorst: (worstTop.0, worstTop.1), topMedian: median(tops.map(\.0)),
                          refreshWorst: (worstRefresh.0, worstRefresh.1), chartMs: chart,
                          timelineCommon: timeline("user_100"), timelineRare: timeline("user_5000"))
}

extension EventStore {
    /// The file's size once its write-ahead log is checkpointed into it.
    func compactedSize() -> Int64 {
        let queue = try! DatabaseQueue(path: path)
        _ = try! queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        return sizeOnDisk
    }
}

func printHistory(sizes: [Int]) {
    let now = Timestamp(millisecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1000))
    for n in sizes {
        let f = historyFigures(events: n, now: now)
        let label = n >= 1_000_000 ? "\(n / 1_000_000)M" : "\(n / 1_000)k"
        print("history \(label): build with aggregates       \(fmt(Double(n) / f.buildSeconds / 1e3, 0)) k events/s")
        print("history \(label): file bytes per event        \(fmt(f.bytesPerEvent, 0)) B        <= JSON line (\(fmt(f.jsonLineBytes, 0)) B)")
        print("history \(label): /top, slowest of 30         \(fmt(f.topWorst.ms, 2)) ms     <= 5 ms  (\(f.topWorst.what))")
        print("history \(label): /top, median of 30          \(fmt(f.topMedian, 2)) ms")
        print("history \(label): full analytics refresh      \(fmt(f.refreshWorst.ms, 2)) ms     <= 20 ms (slowest window: \(f.refreshWorst.window.rawValue))")
        print("history \(label): per-minute chart            \(fmt(f.chartMs, 2)) ms")
        print("history \(label): a user's timeline           \(fmt(f.timelineCommon.ms, 2)) ms     <= 50 ms (user_100: newest \(f.timelineCommon.events))")
        print("history \(label): a rare user's timeline      \(fmt(f.timelineRare.ms, 2)) ms     <= 50 ms (user_5000: \(f.timelineRare.events) events)")
    }
}
