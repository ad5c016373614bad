import Foundation
import GRDB
import Testing
import TeletopCore
@testable import TeletopStore

@Suite("EventStore")
struct EventStoreTests {
    /// Events logged through a real logger, written as the writer would.
    func logged(_ n: Int, clock: ManualClock, step: Int64 = 1000, payload: (Int) -> JSONObject = { _ in aiPayload }) -> [LoggedEvent] {
        let logger = EventLogger(clock: clock)
        return (0..<n).map { i in
            clock.advance(milliseconds: step)
            return logger.log("ai_block_used", payload(i), source: .http).event!
        }
    }

    @Test func writesRowsAndTotalsTogetherAndReadsThemBack() async throws {
        let dir = TempDir()
        let store = try EventStore(path: dir.file())
        let clock = ManualClock()
        let events = logged(3, clock: clock) { aiEvent(user: "u\($0)") }
        try await store.insert(events)
        #expect(try store.count() == 3)
        #expect(try store.totals() == ["ai_block_used": 3])
        let recent = try store.recent(limit: 2)
        #expect(recent.map(\.event.payload["user_id"]) == [.string("u1"), .string("u2")])
        #expect(recent.map(\.source) == [.http, .http])
        #expect(recent.last?.event.timestamp == events.last?.timestamp)
        #expect(try store.integrityCheck() == "ok")
        // The file is in WAL mode, so readers never wait for the writer.
        let mode = try await store.pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
    }

    @Test func topCountsValuesOfAFieldWithinTheWindow() async throws {
        let dir = TempDir()
        let store = try EventStore(path: dir.file())
        let clock = ManualClock()
        // Chapters 1,2,2,3,3,3 one minute apart.
        let chapters: [Int64] = [1, 2, 2, 3, 3, 3]
        try await store.insert(logged(6, clock: clock, step: 60_000) { aiEvent(chapter: chapters[$0]) })
        let now = clock.now()
        let all = try store.top(TopQuery(eventType: "ai_block_used", field: "chapter_id", windowSeconds: nil, now: now))
        #expect(all.values == [TopValue(value: "3", count: 3), TopValue(value: "2", count: 2), TopValue(value: "1", count: 1)])
        #expect(all.total == 6 && all.withField == 6)
        // Windows are counted in whole minutes: the minute 120 s ago and the two after
        // it hold the last three events (all chapter 3).
        let recent = try store.top(TopQuery(eventType: "ai_block_used", field: "chapter_id", windowSeconds: 120, now: now))
        #expect(recent.values == [TopValue(value: "3", count: 3)])
        let strings = try store.top(TopQuery(eventType: nil, field: "section_id", windowSeconds: nil, limit: 1, now: now))
        #expect(strings.values == [TopValue(value: #""intro""#, count: 6)])
        let missing = try store.top(TopQuery(eventType: "ai_block_used", field: "nothing_here", windowSeconds: nil, now: now))
        #expect(missing.values.isEmpty && missing.total == 6 && missing.withField == 0)
        #expect(throws: StoreError.self) { try store.top(TopQuery(eventType: nil, field: "x') OR 1=1 --", windowSeconds: nil, now: now)) }
    }

    /// Issue 11, wrong answer 7: false, 0 and "0" are three values; strings are compared whole.
    @Test func topKeepsJSONTypesAndWholeStringsApart() async throws {
        let dir = TempDir()
        let store = try EventStore(path: dir.file())
        let clock = ManualClock()
        let values: [JSONValue] = [false, false, 0, true, 1, "1", "a\u{0}b", "a\u{0}c", "a", "a"]
        try await store.insert(values.enumerated().map { i, v in
            LoggedEvent(sequence: UInt64(i + 1), eventType: "probe", timestamp: clock.now(), source: .http, unplanned: true,
                        packedPayload: PackedPayload(["v": v]))
        })
        let top = try store.top(TopQuery(eventType: nil, field: "v", windowSeconds: nil, limit: 20, now: clock.now()))
        let counts = Dictionary(uniqueKeysWithValues: top.values.map { ($0.value, $0.count) })
        #expect(counts == ["false": 2, "0": 1, "true": 1, "1": 1, #""1""#: 1, #""a\u0000b""#: 1, #""a\u0000c""#: 1, #""a""#: 2], "\(top.values)")
        // Each value reads back as the JSON it was.
        #expect(top.values.compactMap { try? JSONParser.parse(Array($0.value.utf8)) }.count == 8)
    }

    @Test func aQueryStopsWhenItsClientHasGoneOrItsTimeIsUp() async throws {
        let dir = TempDir()
        let store = try EventStore(path: dir.file())
        let clock = ManualClock()
        try await store.insert(logged(2000, clock: clock) { aiEvent(user: "u\($0)") })
        let gone = QueryCancellation(timeLimit: .seconds(60))
        gone.cancel()
        #expect(throws: StoreError.self) { try store.top(TopQuery(eventType: nil, field: "user_id", windowSeconds: nil, now: clock.now(), cancellation: gone)) }
        let late = QueryCancellation(timeLimit: .zero)
        #expect(throws: StoreError.self) { try store.top(TopQuery(eventType: nil, field: "user_id", windowSeconds: nil, now: clock.now(), cancellation: late)) }
        // The connection is fine afterwards: the next query answers.
        let fine = QueryCancellation(timeLimit: .seconds(60))
        #expect(try store.top(TopQuery(eventType: nil, field: "user_id", windowSeconds: nil, now: clock.now(), cancellation: fine)).total == 2000)
    }

    @Test func perMinuteCountsEndAtTheCurrentMinute() async throws {
        let dir = TempDir()
        let store = try EventStore(path: dir.file())
        let clock = ManualClock()
        try await store.insert(logged(5, clock: clock, step: 30_000))  // 00:00:30 ... 00:02:30
        let counts = try store.perMinute(minutes: 4, now: clock.now())
        #expect(counts == [0, 1, 2, 2])
    }

    @Test func exportStreamsInOrderWithFilters() async throws {
        let dir = TempDir()
        let store = try EventStore(path: dir.file())
        let clock = ManualClock()
        let events = logged(10, clock: clock)
        try await store.insert(events)
        var seen: [ExportRow] = []
        try store.export(ExportFilter(since: events[2].timestamp, until: events[5].timestamp)) { seen.append($0) }
        #expect(seen.map(\.timestamp) == events[2..<5].map(\.timestamp))
        #expect(seen.first?.payloadJSON == #"{"user_id":"user_1","chapter_id":1,"section_id":"intro","block_type":"ask-question"}"#)
        var none = 0
        try store.export(ExportFilter(eventType: "error_event")) { _ in none += 1 }
        #expect(none == 0)
    }

    @Test func pruneKeepsTheNewestAndTheTotals() async throws {
        let dir = TempDir()
        let store = try EventStore(path: dir.file())
        let clock = ManualClock()
        let events = logged(20, clock: clock, step: 3_600_000)  // one an hour
        // A batch apiece, so a block apiece: a chunk is whole blocks of about `chunk` events.
        for e in events { try await store.insert([e]) }
        var chunks: [Int] = []
        #expect(try await store.prune(keep: 15, before: nil, chunk: 2) { chunks.append($0) } == 5)
        #expect(chunks == [2, 2, 1])
        #expect(try store.count() == 15)
        // Older than 10 hours before the newest: 5 more go.
        #expect(try await store.prune(keep: nil, before: events[19].timestamp.adding(milliseconds: -10 * 3_600_000 + 1)) == 5)
        #expect(try store.count() == 10)
        #expect(try store.recent(limit: 1).first?.event.timestamp == events[19].timestamp)
        #expect(try store.totals() == ["ai_block_used": 20])
    }

    @Test func retentionInsideABlockKeepsTheOtherEventsAndTheirIds() async throws {
        let dir = TempDir()
        let store = try EventStore(path: dir.file())
        let clock = ManualClock()
        let events = logged(20, clock: clock, step: 60_000)
        try await store.insert(events)
        #expect(try store.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM event_block") } == 1)
        #expect(try await store.prune(keep: 15, before: nil) == 5)
        // Then by age: the three stamped before the ninth.
        #expect(try await store.prune(keep: nil, before: events[8].timestamp) == 3)
        #expect(try store.count() == 12)
        var exported: [Timestamp] = []
        try store.export(ExportFilter()) { exported.append($0.timestamp) }
        #expect(exported == events[8...].map(\.timestamp))
        #expect(try store.recent(limit: 30).map(\.event.timestamp) == events[8...].map(\.timestamp))
        // Still one block: the events that went are nulls in it, so the others keep their ids.
        let view = try store.read { db in try Row.fetchAll(db, sql: "SELECT id, ts FROM event ORDER BY id") }
        #expect(view.map { $0[0] as Int64 } == Array(9...20))
        #expect(view.map { Timestamp(millisecondsSinceEpoch: $0[1]) } == events[8...].map(\.timestamp))
        let block = try store.read { db in try Row.fetchOne(db, sql: "SELECT n, live, json_array_length(events) FROM event_block") }
        #expect(block.map { [$0[0], $0[1], $0[2]] as [Int64] } == [20, 12, 20])
        // Everything else goes: the block too.
        #expect(try await store.prune(keep: 0, before: nil) == 12)
        #expect(try store.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM event_block") } == 0)
    }

    @Test func aBlockFitsItsPageAndAnEventTooBigForOneHasItsOwn() async throws {
        let dir = TempDir()
        let store = try EventStore(path: dir.file())
        let clock = ManualClock()
        let big = String(repeating: "x", count: 10_000)
        var events = logged(600, clock: clock) { i in aiEvent(user: "u\(i)") }
        let e = events[150]
        events[150] = LoggedEvent(sequence: e.sequence, eventType: "note", timestamp: e.timestamp, source: .http, unplanned: true,
                                  packedPayload: PackedPayload(["note": .string(big)]))
        try await store.insert(events)
        let blocks = try store.read { db in try Row.fetchAll(db, sql: "SELECT id, n, length(events) FROM event_block ORDER BY id") }
        #expect(blocks.count > 600 / Int(EventBlock.maxEvents))
        #expect(blocks.map { $0[1] as Int64 }.reduce(0, +) == 600)
        let page = try store.read { db in try Int.fetchOne(db, sql: "PRAGMA page_size")! }
        #expect(page == 8_192, "a new store's pages")
        for b in blocks where (b[1] as Int64) > 1 { #expect((b[2] as Int) <= EventBlock.maxBytes(pageSize: page)) }
        #expect(blocks.contains { ($0[0] as Int64) == 151 && ($0[1] as Int64) == 1 }, "the big one alone")
        var exported: [String] = []
        try store.export(ExportFilter()) { exported.append($0.payloadJSON) }
        #expect(exported.count == 600 && exported[150].contains(big))
    }

    @Test func theWritersValueCacheStaysInItsBoundsAndSaysWhatItDropped() async throws {
        let dir = TempDir()
        let store = try EventStore(path: dir.file())
        let clock = ManualClock()
        // One batch over 600 minutes (a replay of ten hours): 2,400 buckets of values, more than the cache keeps.
        let events = logged(600, clock: clock, step: 60_000) { i in aiEvent(user: "u\(i % 7)", chapter: Int64(i % 3)) }
        try await store.insert(events)
        try store.flushAggregates()
        #expect(store.cacheEvictions > 0)
        #expect(store.cache.withLock { $0.members.count } <= WriteCache.maxBuckets)
        #expect(try store.count() == 600)
    }

    @Test func aBucketsValuesDroppedFromTheCacheAreReadBackNotForgotten() async throws {
        let dir = TempDir()
        let store = try EventStore(path: dir.file())
        let clock = ManualClock()
        let first = clock.now()
        let full = (0..<AggregateLimits.valuesPerBucket).map { i in
            LoggedEvent(sequence: 0, eventType: "ai_block_used", timestamp: first, source: .replay, unplanned: false,
                        packedPayload: PackedPayload(["user_id": .string("u\(i)")]))
        }
        // The first minute's user_id bucket holds the limit of values; 600 later minutes push its set out of the cache.
        let later = logged(600, clock: clock, step: 60_000) { i in aiEvent(user: "v\(i)") }
        try await store.insert(full + later)
        try store.flushAggregates()
        #expect(store.cache.withLock { c in !c.members.keys.contains { $0.minute == AggregateTally.minute(of: first) } })
        // A value new to that full bucket: read back from the file, the bucket is full, so it is "other".
        let late = LoggedEvent(sequence: 0, eventType: "ai_block_used", timestamp: first, source: .replay, unplanned: false,
                               packedPayload: PackedPayload(["user_id": "newcomer"]))
        try await store.insert([late])
        try store.flushAggregates()
        let rows = try store.read { db in
            try Row.fetchAll(db, sql: """
                SELECT v.value, v.n FROM agg_value v JOIN field f ON f.id = v.field_id
                WHERE f.name = 'user_id' AND v.level = 0 AND v.bucket = ? AND (v.value = '' OR v.value = '"newcomer"')
                """, arguments: [AggregateTally.minute(of: first)])
        }
        #expect(rows.map { "\($0[0] as String):\($0[1] as Int)" } == [":1"])
    }

    @Test func pruningByAgeLeavesRecentEventsBesideOldOnes() async throws {
        let dir = TempDir()
        let store = try EventStore(path: dir.file())
        let clock = ManualClock()
        let logger = EventLogger(clock: clock)
        let old = clock.now().adding(milliseconds: -30 * 86_400_000)
        // Recent, then a replayed old one, then recent again: ids do not follow stamps.
        var events = [logger.log("ai_block_used", aiPayload, source: .sim).event!]
        events.append(logger.log("ai_block_used", aiPayload, source: .replay, timestamp: old).event!)
        events.append(logger.log("ai_block_used", aiPayload, source: .sim).event!)
        try await store.insert(events)
        #expect(try await store.prune(keep: nil, before: clock.now().adding(milliseconds: -86_400_000)) == 1)
        #expect(try store.recent(limit: 10).map(\.source) == [.sim, .sim])
    }

    @Test func readOnlyOpenOfAMissingFileSaysSo() {
        let dir = TempDir()
        #expect(throws: StoreError.self) { try EventStore(path: dir.file("absent.sqlite"), readOnly: true) }
        #expect(!FileManager.default.fileExists(atPath: dir.file("absent.sqlite")))
    }

    @Test func openingTheWrongThingSaysWhatItIs() throws {
        let dir = TempDir()
        // A folder given as the store.
        #expect { try EventStore(path: dir.path) } throws: { ($0 as? StoreError)?.message == "this is a folder, not a store file" }
        // A path under a regular file: the folder cannot be made (no raw Foundation error).
        try Data("x".utf8).write(to: URL(fileURLWithPath: dir.file("blocker")))
        #expect { try EventStore(path: dir.file("blocker") + "/events.sqlite") } throws: {
            ($0 as? StoreError)?.message.hasPrefix("cannot create the folder") == true
        }
        // An empty file read by export: not a teletop store.
        #expect(FileManager.default.createFile(atPath: dir.file("empty.sqlite"), contents: Data()))
        #expect { try EventStore(path: dir.file("empty.sqlite"), readOnly: true) } throws: {
            ($0 as? StoreError)?.message == "not a teletop store (it has no event table)"
        }
    }

    @Test func aFileThatIsNotADatabaseIsCorrupt() throws {
        let dir = TempDir()
        try Data(repeating: 0x41, count: 8192).write(to: URL(fileURLWithPath: dir.file()))
        do {
            _ = try EventStore(path: dir.file())
            Issue.record("opened a file of garbage")
        } catch {
            #expect(error.kind == .corrupt)
            #expect(error.description.contains(dir.file()))
        }
    }

    @Test func defaultPathFollowsXDG() {
        #expect(StoreLocation.defaultPath(environment: ["XDG_DATA_HOME": "/data", "HOME": "/home/a"]) == "/data/teletop/events.sqlite")
        #expect(StoreLocation.defaultPath(environment: ["XDG_DATA_HOME": "relative", "HOME": "/home/a"]) == "/home/a/.local/share/teletop/events.sqlite")
        #expect(StoreLocation.defaultPath(environment: ["HOME": "/home/a"]) == "/home/a/.local/share/teletop/events.sqlite")
        #expect(StoreLocation.abbreviated("/home/a/x.sqlite", home: "/home/a") == "~/x.sqlite")
    }
}
