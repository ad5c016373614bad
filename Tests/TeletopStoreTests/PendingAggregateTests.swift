import Foundation
import GRDB
import Testing
import TeletopCore
@testable import TeletopStore

/// The aggregates written a few batches at a time behind `agg_mark`: every
/// way the writer's tally can stop being the count of the events after the
/// mark (a crash, a failed write, another process) is counted again from the rows.
@Suite("Pending aggregates")
struct PendingAggregateTests {
    static let now = Timestamp(year: 2025, month: 3, day: 4).adding(milliseconds: 9 * 3_600_000)

    static func events(_ users: Range<Int>) -> [LoggedEvent] {
        users.map { i in
            LoggedEvent(sequence: UInt64(i + 1), eventType: i % 3 == 0 ? "chapter_visit" : "ai_block_used",
                        timestamp: now.adding(milliseconds: Int64(i) * 7), source: .sim, unplanned: false,
                        packedPayload: PackedPayload(["user_id": .string("u\(i % 40)"), "chapter_id": .int(Int64(i % 5))]))
        }
    }

    /// What the file's minute aggregates hold (read straight from the tables, flushing nothing).
    static func counted(_ store: EventStore) throws -> (events: Int, perChapter: [String: Int], mark: Int64) {
        try store.read { db in
            let events = try Int.fetchOne(db, sql: "SELECT coalesce(sum(n), 0) FROM agg_count WHERE level = 0") ?? -1
            var perChapter: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT v.value, sum(v.n) FROM agg_value v JOIN field f ON f.id = v.field_id
                WHERE f.name = 'chapter_id' AND v.level = 0 GROUP BY v.value
                """) { perChapter[row[0]] = row[1] }
            return (events, perChapter, try Int64.fetchOne(db, sql: "SELECT through FROM agg_mark") ?? -1)
        }
    }

    static func expected(_ n: Int) -> [String: Int] {
        var out: [String: Int] = [:]
        for i in 0..<n { out["\(i % 5)", default: 0] += 1 }
        return out
    }

    @Test func aBatchIsCountedInMemoryAndEveryReaderSeesIt() async throws {
        let dir = TempDir()
        let store = try EventStore(path: dir.file())
        try await store.insert(Self.events(0..<100))
        // Not written yet: a small batch waits for more (or a second, or a reader).
        #expect(try Self.counted(store).events == 0)
        let top = try store.top(TopQuery(eventType: nil, field: "chapter_id", windowSeconds: nil, limit: 10, now: Self.now))
        #expect(top.total == 100 && !top.approximate)
        let file = try Self.counted(store)
        #expect(file.events == 100 && file.perChapter == Self.expected(100) && file.mark == 100)
    }

    @Test func aCrashBeforeTheFlushIsCountedAtTheNextOpenOnce() async throws {
        let dir = TempDir()
        var store = try EventStore(path: dir.file())
        try await store.insert(Self.events(0..<60))
        try store.flushAggregates()
        try await store.insert(Self.events(60..<100))
        // Dropped without a flush, as a kill -9 leaves it: the last 40 are in the rows only.
        #expect(try Self.counted(store).events == 60)
        store = try EventStore(path: dir.file())
        let file = try Self.counted(store)
        #expect(file.events == 100 && file.perChapter == Self.expected(100) && file.mark == 100)
        // A second open counts nothing again.
        store = try EventStore(path: dir.file())
        #expect(try Self.counted(store).events == 100)
    }

    @Test func aDroppedCacheCountsTheRowsAfterTheMarkAgainNotTwice() async throws {
        let dir = TempDir()
        let store = try EventStore(path: dir.file())
        try await store.insert(Self.events(0..<30))
        try store.flushAggregates()
        try await store.insert(Self.events(30..<70))
        // What a failed write does: its rollback may have taken a flush with it.
        store.forgetCache()
        try await store.insert(Self.events(70..<100))
        try store.flushAggregates()
        let file = try Self.counted(store)
        #expect(file.events == 100 && file.perChapter == Self.expected(100) && file.mark == 100)
    }

    @Test func twoWritersOfOneFileCountEachOthersEventsOnce() async throws {
        let dir = TempDir()
        let a = try EventStore(path: dir.file())
        let b = try EventStore(path: dir.file())
        // Interleaved, with flushes on either side: each finds the other's rows after its mark,
        // or its mark moved by the other, and counts from the rows.
        try await a.insert(Self.events(0..<25))
        try a.flushAggregates()
        try b.flushAggregates()
        // Both know the mark (25) now: b's rows come between a's, so a's tally alone is not what follows the mark.
        try await b.insert(Self.events(25..<50))
        try await a.insert(Self.events(50..<75))
        try a.flushAggregates()
        try await b.insert(Self.events(75..<100))
        try b.flushAggregates()
        try a.flushAggregates()
        let file = try Self.counted(a)
        #expect(file.events == 100 && file.perChapter == Self.expected(100) && file.mark == 100)
        #expect(try a.count() == 100)
    }

    @Test func retentionCountsWhatItTakesFirstAndIdsAreNeverReused() async throws {
        let dir = TempDir()
        let store = try EventStore(path: dir.file())
        try await store.insert(Self.events(0..<50))
        // Everything goes, counted first.
        let removed = try await store.prune(keep: 0, before: nil, chunk: 16)
        let left = try store.count()
        #expect(removed == 50 && left == 0)
        try await store.insert(Self.events(50..<60))
        try store.flushAggregates()
        let file = try Self.counted(store)
        #expect(file.events == 60 && file.perChapter == Self.expected(60) && file.mark == 60)
        let first = try store.read { db in try Int64.fetchOne(db, sql: "SELECT min(id) FROM event_block") }
        #expect(first == 51, "ids go on after the mark in a store retention emptied")
    }

    @Test func aBigStreamFlushesByCountWithoutAReader() async throws {
        let dir = TempDir()
        let store = try EventStore(path: dir.file())
        let n = PendingAggregates.maxEvents + 10
        for start in stride(from: 0, to: n, by: 16_384) { try await store.insert(Self.events(start..<min(n, start + 16_384))) }
        // At least one flush came by count (or by age, in a slow build): the file counts up to its mark.
        let file = try Self.counted(store)
        #expect(file.events > 0 && Int(file.mark) == file.events)
        #expect(store.cache.withLock { $0.tally.events } == n - file.events)
    }
}

/// The log copied into the file on the checkpoint thread, not in the writer's commits.
@Suite("Log checkpoints")
struct LogCheckpointTests {
    @Test func theLogIsCopiedBesideTheWriterAndTheThreadEndsWithTheStore() async throws {
        let dir = TempDir()
        var store: EventStore? = try EventStore(path: dir.file())
        let checkpointer = try #require(store?.checkpointer)
        // About 2,500 pages of 8 KB: past the 1,000 frames that start a copy.
        let note = String(repeating: "n", count: 1_000)
        for start in stride(from: 0, to: 20_000, by: 2_000) {
            let batch = (start..<(start + 2_000)).map { i in
                LoggedEvent(sequence: UInt64(i + 1), eventType: "note", timestamp: PendingAggregateTests.now, source: .sim, unplanned: false,
                            packedPayload: PackedPayload(["i": .int(Int64(i)), "note": .string(note)]))
            }
            try await store!.insert(batch)
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while checkpointer.runs.load(ordering: .relaxed) == 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let runs = checkpointer.runs.load(ordering: .relaxed), failures = checkpointer.failures.load(ordering: .relaxed)
        #expect(runs > 0 && failures == 0)
        // Every frame of the log is in the file once the rest is copied.
        try store!.checkpointLog()
        let frames = try await store!.pool.writeWithoutTransaction { db in try db.checkpoint(.passive) }
        #expect(frames.walFrameCount == frames.checkpointedFrameCount, "\(frames)")
        #expect(try store!.integrityCheck() == "ok" && store!.count() == 20_000)
        store = nil
        let stopped = checkpointer.signal.stopped.load(ordering: .relaxed)
        #expect(stopped, "the thread is told to end with its store")
    }
}
