import Foundation
import GRDB
import PropertyBased
import Synchronization
import Testing
import TeletopCore
@testable import TeletopStore

/// Issue 16: the aggregates, written with the rows, against brute-force counts.
@Suite("Aggregates")
struct AggregateTests {
    static let now = Timestamp(year: 2025, month: 1, day: 27).adding(milliseconds: 13 * 3_600_000 + 17 * 60_000)
    static let types = ["ai_block_used", "chapter_visit", "error_event"]
    static let users = ["user_1", "user_2", "user_3", "user_4", "user_5"]
    static let long = String(repeating: "q", count: AggregateLimits.valueBytes + 1)

    /// One event as the model sees it.
    struct Fact {
        var type: String
        var minute: Int64
        var fields: [(String, String)]  // field, value JSON ('' when it counts as other)
    }

    static func event(_ i: Int, type: String, at stamp: Timestamp, _ rng: inout SplitMix64) -> (LoggedEvent, Fact) {
        func pick(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
        var payload = JSONObject()
        var fields: [(String, String)] = []
        let user = users[pick(users.count)]
        payload["user_id"] = .string(user)
        fields.append(("user_id", "\"\(user)\""))
        if pick(4) > 0 {
            let chapter = Int64(pick(4))
            payload["chapter_id"] = .int(chapter)
            fields.append(("chapter_id", "\(chapter)"))
        }
        switch pick(6) {
        case 0: payload["note"] = .string(long); fields.append(("note", ""))
        case 1: payload["note"] = .object(["a": 1]); fields.append(("note", ""))
        case 2: payload["note"] = .bool(true); fields.append(("note", "true"))
        default: break
        }
        let e = LoggedEvent(sequence: UInt64(i), eventType: type, timestamp: stamp, source: .sim, unplanned: false, packedPayload: PackedPayload(payload))
        return (e, Fact(type: type, minute: AggregateTally.minute(of: stamp), fields: fields))
    }

    /// Every aggregate row, as `level/bucket/type/field/value -> n`, with types and fields by name.
    static func valueRows(_ store: EventStore) throws -> [String: Int] {
        try store.pool.read { db in
            var out: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT v.level, v.bucket, t.name, f.name, v.value, v.n FROM agg_value v
                JOIN event_type t ON t.id = v.type_id JOIN field f ON f.id = v.field_id
                """) {
                let key = "\(row[0] as Int64)/\(row[1] as Int64)/\(row[2] as String)/\(row[3] as String)/\(row[4] as String)"
                out[key] = row[5]
            }
            return out
        }
    }

    static func countRows(_ store: EventStore) throws -> [String: Int] {
        try store.pool.read { db in
            var out: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT c.level, c.bucket, t.name, c.n FROM agg_count c JOIN event_type t ON t.id = c.type_id") {
                out["\(row[0] as Int64)/\(row[1] as Int64)/\(row[2] as String)"] = row[3]
            }
            return out
        }
    }

    /// What the rows say, counted by brute force per level once every minute is folded.
    static func expected(_ facts: [Fact], minuteLevelSince: Int64) -> (values: [String: Int], counts: [String: Int]) {
        var values: [String: Int] = [:], counts: [String: Int] = [:]
        for f in facts {
            for level in [AggregateLevel.minute, .hour, .day] {
                if level == .minute && f.minute < minuteLevelSince { continue }
                let bucket = level.bucket(of: f.minute)
                counts["\(level.rawValue)/\(bucket)/\(f.type)", default: 0] += 1
                for (field, value) in f.fields { values["\(level.rawValue)/\(bucket)/\(f.type)/\(field)/\(value)", default: 0] += 1 }
            }
        }
        return (values, counts)
    }

    static func counts(of field: String, in facts: [Fact]) -> [String: Int] {
        var out: [String: Int] = [:]
        for f in facts {
            for pair in f.fields where pair.0 == field { out[pair.1, default: 0] += 1 }
        }
        return out
    }

    /// The window sums, as `win/type/field/value -> n` (type "*": every type), with their totals under value "#".
    static func windowRows(_ store: EventStore) throws -> [String: Int] {
        try store.pool.read { db in
            var names: [Int64: String] = [0: "*"]
            for row in try Row.fetchAll(db, sql: "SELECT id, name FROM event_type") { names[row[0]] = row[1] }
            var fields: [Int64: String] = [0: "-"]
            for row in try Row.fetchAll(db, sql: "SELECT id, name FROM field") { fields[row[0]] = row[1] }
            var out: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT win, type_id, field_id, value, n FROM agg_window") {
                out["\(row[0] as Int64)/\(names[row[1]]!)/\(fields[row[2]]!)/\(row[3] as String)"] = row[4]
            }
            for row in try Row.fetchAll(db, sql: "SELECT win, type_id, field_id, n FROM agg_window_total WHERE n > 0") {
                out["\(row[0] as Int64)/\(names[row[1]]!)/\(fields[row[2]]!)/#"] = row[3]
            }
            return out
        }
    }

    /// Brute force: each window's sum holds the events of its buckets from
    /// `AggregateWindow.first` on (all folded); the lifetime's, all of them.
    static func expectedWindows(_ facts: [Fact], nowMinute: Int64) -> [String: Int] {
        var out: [String: Int] = [:]
        for f in facts {
            for w in AggregateWindow.allCases {
                if w != .lifetime {
                    let b = w.level.bucket(of: f.minute)
                    guard b >= w.first(at: nowMinute) else { continue }
                }
                for type in [f.type, "*"] {
                    out["\(w.rawValue)/\(type)/-/#", default: 0] += 1
                    for (field, value) in f.fields {
                        out["\(w.rawValue)/\(type)/\(field)/\(value)", default: 0] += 1
                        out["\(w.rawValue)/\(type)/\(field)/#", default: 0] += 1
                    }
                }
            }
        }
        return out
    }

    /// After random inserts (in and out of order, over two days), retention
    /// passes, folds at random moments and reopenings, every aggregate equals
    /// a brute-force count of every event written: the rows that survive plus
    /// those retention removed, which the aggregates keep counting.
    @Test func everyAggregateEqualsABruteForceCountOfTheRows() async throws {
        await propertyCheck(count: 12, input: Gen.int(in: 0...Int.max)) { seed in
            let failed = try! await offPool { Self.checkAgainstBruteForce(seed: seed) }
            #expect(failed.isEmpty, "seed \(seed): \(failed)")
        }
    }

    /// The property, as a list of the lines whose check failed (empty: it held), so it can run off the shared threads.
    static func checkAgainstBruteForce(seed: Int) -> [String] {
        var failed: [String] = []
        func check(_ ok: Bool, _ what: @autoclosure () -> String = "", line: Int = #line) {
            if !ok { failed.append("AggregateTests.swift:\(line) \(what())") }
        }
        do {
            var rng = SplitMix64(seed: UInt64(seed))
            func pick(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
            let dir = TempDir()
            var store = try! EventStore(path: dir.file())
            var facts: [Fact] = []
            var sequence = 0
            for _ in 0..<(3 + pick(5)) {
                var batch: [LoggedEvent] = []
                for _ in 0..<(1 + pick(300)) {
                    sequence += 1
                    // Mostly the last few minutes; now and then a replayed event up to two days old.
                    let back = pick(5) == 0 ? Int64(pick(2 * 86_400_000)) : Int64(pick(10 * 60_000))
                    let (e, f) = Self.event(sequence, type: Self.types[pick(3)], at: Self.now.adding(milliseconds: -back), &rng)
                    batch.append(e)
                    facts.append(f)
                }
                try! store.insertBlocking(batch)
                switch pick(4) {
                case 0: try! store.foldBlocking(now: Self.now.adding(milliseconds: -Int64(pick(3_600_000))))
                case 1:
                    let keep = 50 + pick(200)
                    _ = try! blocking { [store] in try await store.prune(keep: keep, before: nil, chunk: 64) }
                case 2: store = try! EventStore(path: dir.file())  // a restart
                default: break
                }
            }
            // Before the last fold, answers already count everything (the unfolded part is added).
            let all = try! store.top(TopQuery(eventType: nil, field: "user_id", windowSeconds: nil, limit: 10, now: Self.now))
            check(all.total == facts.count && all.withField == facts.count && all.other == 0)
            var byUser: [String: Int] = [:]
            for f in facts { byUser[f.fields[0].1, default: 0] += 1 }
            check(Dictionary(uniqueKeysWithValues: all.values.map { ($0.value, $0.count) }) == byUser)
            let hour = try! store.top(TopQuery(eventType: nil, field: "note", windowSeconds: 3_600, limit: 10, now: Self.now))
            let since = AggregateTally.minute(of: Self.now.adding(milliseconds: -3_600_000))
            let recent = facts.filter { $0.minute >= since }
            check(hour.total == recent.count)
            check(hour.other == recent.filter { $0.fields.contains { $0.0 == "note" && $0.1.isEmpty } }.count)
            check(hour.values.map(\.count).reduce(0, +) == recent.filter { $0.fields.contains { $0 == ("note", "true") } }.count)

            while try! store.foldBlocking(now: Self.now) > 0 {}
            let nowMinute = AggregateTally.minute(of: Self.now)
            check(try! Self.windowRows(store) == Self.expectedWindows(facts, nowMinute: nowMinute))
            // Answers from the sums agree with the brute force too.
            let day = try! store.top(TopQuery(eventType: "ai_block_used", field: "chapter_id", windowSeconds: 86_400, limit: 10, now: Self.now))
            let dayStart = AggregateLevel.hour.bucket(of: AggregateTally.minute(of: Self.now.adding(milliseconds: -86_400_000)))
            let inDay = facts.filter { $0.type == "ai_block_used" && $0.minute >= dayStart }
            check(day.total == inDay.count)
            let byChapter = Self.counts(of: "chapter_id", in: inDay)
            check(Dictionary(uniqueKeysWithValues: day.values.map { ($0.value, $0.count) }) == byChapter)
            try! store.pruneAggregatesBlocking(now: Self.now, days: 400)
            let want = Self.expected(facts, minuteLevelSince: nowMinute - EventStore.minuteRetention)
            check(try! Self.valueRows(store) == want.values)
            check(try! Self.countRows(store) == want.counts)
            // Retention removed rows, never counts.
            check(try! store.count() <= facts.count)
            check(try! store.totals().values.reduce(0, +) == UInt64(facts.count))
            check(try! store.integrityCheck() == "ok")
        }
        return failed
    }

    @Test func aTopBelowTheDistinctLimitIsExactAndAboveItSaysApproximate() async throws {
        let dir = TempDir()
        let store = try EventStore(path: dir.file())
        let k = AggregateLimits.valuesPerBucket
        func batch(_ values: Range<Int>) -> [LoggedEvent] {
            values.map { i in
                LoggedEvent(sequence: UInt64(i + 1), eventType: "ai_block_used", timestamp: Self.now, source: .sim, unplanned: false,
                            packedPayload: PackedPayload(["user_id": .string("u\(i)")]))
            }
        }
        try await store.insert(batch(0..<k))
        let exact = try store.top(TopQuery(eventType: "ai_block_used", field: "user_id", windowSeconds: 300, limit: 5, now: Self.now))
        #expect(!exact.approximate && exact.other == 0 && exact.withField == k)
        // Five more distinct values in the same minute, in a later batch: "other".
        try await store.insert(batch(k..<(k + 5)))
        let over = try store.top(TopQuery(eventType: "ai_block_used", field: "user_id", windowSeconds: 300, limit: 100, now: Self.now))
        #expect(over.approximate && over.other == 5 && over.withField == k + 5 && over.total == k + 5)
        // A value the bucket already holds is still counted exactly.
        try await store.insert(batch(0..<1))
        let again = try store.top(TopQuery(eventType: "ai_block_used", field: "user_id", windowSeconds: 300, limit: 1, now: Self.now))
        #expect(again.values == [TopValue(value: #""u0""#, count: 2)] && again.other == 5)
        // The next minute is a new bucket, with room again.
        let next = batch((k + 5)..<(k + 6)).map {
            LoggedEvent(sequence: $0.sequence, eventType: $0.eventType, timestamp: Self.now.adding(milliseconds: 60_000), source: .sim,
                        unplanned: false, packedPayload: $0.packedPayload)
        }
        try await store.insert(next)
        let later = try store.top(TopQuery(eventType: "ai_block_used", field: "user_id", windowSeconds: 300, limit: 100,
                                           now: Self.now.adding(milliseconds: 60_000)))
        #expect(later.other == 5 && later.withField == k + 7)
        // Folded, the hour keeps at most K values too: the K + 1 distinct of the two minutes leave one more in "other".
        while try await store.fold(now: Self.now) > 0 {}
        let day = try store.top(TopQuery(eventType: "ai_block_used", field: "user_id", windowSeconds: 86_400, limit: 100,
                                         now: Self.now.adding(milliseconds: 60_000)))
        #expect(day.withField == k + 7 && day.other == 6)
    }

    @Test func theLifetimeTotalsKeepTenThousandValues() async throws {
        let dir = TempDir()
        let store = try EventStore(path: dir.file())
        let n = AggregateLimits.valuesInLifetime + 3
        // Spread over minutes so no minute bucket reaches its own limit.
        let events: [LoggedEvent] = (0..<n).map { (i: Int) -> LoggedEvent in
            let stamp = Self.now.adding(milliseconds: -Int64(i / 500) * 60_000)
            let payload = PackedPayload(["id": .int(Int64(i))])
            return LoggedEvent(sequence: UInt64(i + 1), eventType: "t", timestamp: stamp, source: .sim, unplanned: false, packedPayload: payload)
        }
        for chunk in stride(from: 0, to: n, by: 4_096) { try await store.insert(Array(events[chunk..<min(n, chunk + 4_096)])) }
        #expect(try store.top(TopQuery(eventType: "t", field: "id", windowSeconds: nil, now: Self.now)).other == 0)
        while try await store.fold(now: Self.now) > 0 {}
        let all = try store.top(TopQuery(eventType: "t", field: "id", windowSeconds: nil, now: Self.now))
        #expect(all.total == n && all.withField == n && all.other == 3 && all.approximate, "\(all.total) \(all.withField) \(all.other)")
    }

    @Test func aSeriesHasEveryBucketOfItsWindow() async throws {
        let dir = TempDir()
        let store = try EventStore(path: dir.file())
        var rng = SplitMix64(seed: 7)
        // 3 events 2 minutes ago, 1 now, 2 a day and a half ago.
        let stamps: [Int64] = [-120_000, -120_000, -120_000, 0, -36 * 3_600_000, -36 * 3_600_000]
        try await store.insert(stamps.enumerated().map { Self.event($0, type: "ai_block_used", at: Self.now.adding(milliseconds: $1), &rng).0 })
        let minutes = try store.series(SeriesQuery(eventType: nil, bucket: .minute, window: .fiveMinutes, now: Self.now))
        #expect(minutes.map(\.count) == [0, 0, 0, 3, 0, 1])
        #expect(minutes.last?.start == Timestamp(millisecondsSinceEpoch: AggregateTally.minute(of: Self.now) * 60_000))
        // Hours and days count unfolded minutes too, and the same after the fold.
        for _ in 0..<2 {
            let hours = try store.series(SeriesQuery(eventType: "ai_block_used", bucket: .hour, window: .week, now: Self.now))
            #expect(hours.count == 169 && hours.map(\.count).reduce(0, +) == 6 && hours.last?.count == 4)
            let days = try store.series(SeriesQuery(eventType: nil, bucket: .day, window: .week, now: Self.now))
            #expect(days.count == 8 && days.suffix(2).map(\.count) == [2, 4])
            #expect(try store.series(SeriesQuery(eventType: "error_event", bucket: .day, window: .all, now: Self.now)).allSatisfy { $0.count == 0 })
            while try await store.fold(now: Self.now) > 0 {}
        }
    }

    /// A store made by the release before aggregates (schema v2, with its two
    /// indexes) is upgraded in place at first open, event for event, and a
    /// second open does nothing.
    @Test func aStoreOfTheLastReleaseIsUpgradedOnceWithProgress() async throws {
        let dir = TempDir()
        let path = dir.file()
        // Exactly what the last release made: its migrations, then its INSERT (off the shared threads: it is slow in a debug build).
        let facts: [Fact] = try await offPool {
            var rng = SplitMix64(seed: 11)
            var facts: [Fact] = []
            let old = try DatabaseQueue(path: path)
            try StoreSchema.migrator().migrate(old, upTo: "v2: client timestamps and a probe row")
            try old.write { db in
                for i in 0..<(2 * StoreUpgrade.chunk + 123) {
                    let (e, f) = Self.event(i, type: Self.types[i % 3], at: Self.now.adding(milliseconds: -Int64(i) * 997), &rng)
                    facts.append(f)
                    var json: [UInt8] = []
                    e.packedPayload.writeJSON(into: &json)
                    try db.execute(sql: "INSERT INTO event (event_type, ts, source, payload, client_ts) VALUES (?, ?, ?, ?, ?)",
                                   arguments: [e.eventType, e.timestamp.millisecondsSinceEpoch, 0, String(decoding: json, as: UTF8.self),
                                               i % 2 == 0 ? nil : i])
                }
                try db.execute(sql: "INSERT INTO type_total (event_type, accepted) SELECT event_type, count(*) FROM event GROUP BY event_type")
            }
            return facts
        }
        let exportedBefore = try await offPool { try Self.exportLines(EventStore(path: path, readOnly: true)) }
        #expect(EventStore.needsUpgrade(path: path))

        let heard = ProgressLog()
        let store = try await offPool { try EventStore(path: path, upgradeProgress: heard.append) }
        #expect(heard.all.first == StoreUpgrade.Progress(done: 0, total: facts.count))
        #expect(heard.all.last == StoreUpgrade.Progress(done: facts.count, total: facts.count))
        #expect(heard.all.count == 12, "a report per chunk of \(StoreUpgrade.chunk), for the aggregates, the timeline keys, then the blocks")
        #expect(heard.all.filter { $0.done == 0 }.count == 3)
        #expect(!EventStore.needsUpgrade(path: path))
        let exportedAfter = try await offPool { try Self.exportLines(store) }
        #expect(exportedAfter == exportedBefore)
        #expect(try store.count() == facts.count)
        let want = Self.expected(facts, minuteLevelSince: .min)
        #expect(try Self.valueRows(store) == want.values)
        #expect(try Self.countRows(store) == want.counts)
        #expect(try store.integrityCheck() == "ok")
        let indexes = try await store.pool.read { db in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name LIKE 'event%'") }
        #expect(indexes.filter { !$0.hasPrefix("sqlite_autoindex") }.isEmpty, "the lean table has no secondary index: \(indexes)")

        let again = ProgressLog()
        let reopened = try await offPool { try EventStore(path: path, upgradeProgress: again.append) }
        #expect(again.all.isEmpty)
        #expect(try reopened.count() == facts.count && Self.valueRows(reopened) == want.values)
    }
}

extension AggregateTests {
    static func exportLines(_ store: EventStore) throws -> [String] {
        var lines: [String] = []
        try store.export(ExportFilter()) { lines.append("\($0.eventType) \($0.timestamp) \($0.payloadJSON) \(String(describing: $0.clientTimestamp))") }
        return lines
    }
}

final class ProgressLog: Sendable {
    private let heard = Mutex<[StoreUpgrade.Progress]>([])
    @Sendable func append(_ p: StoreUpgrade.Progress) { heard.withLock { $0.append(p) } }
    var all: [StoreUpgrade.Progress] { heard.withLock { $0 } }
}
