import Foundation
import GRDB
import Synchronization
import Testing
import TeletopCore
@testable import TeletopStore

@Suite("One value's timeline from the store")
struct TimelineStoreTests {
    static let now = Timestamp(year: 2026, month: 12, day: 2, hour: 10)

    func events(_ payloads: [JSONObject]) -> [LoggedEvent] {
        payloads.enumerated().map { i, p in
            LoggedEvent(sequence: UInt64(i + 1), eventType: p["error_type"] == nil ? "ai_block_used" : "error_event",
                        timestamp: Self.now.adding(milliseconds: Int64(i) * 1000), source: .http, unplanned: false, packedPayload: PackedPayload(p))
        }
    }

    /// 300 events of users u0..u9 (u3's every tenth), some with a session, some errors with no user.
    func filled() async throws -> (EventStore, TempDir, [LoggedEvent]) {
        let dir = TempDir()
        let store = try EventStore(path: dir.file())
        let payloads: [JSONObject] = (0..<300).map { i in
            if i % 7 == 0 { return ["error_type": "timeout", "error_message": "u3"] }
            return ["user_id": .string("u\(i % 10)"), "chapter_id": .int(Int64(i % 12)), "section_id": "intro", "block_type": "explain",
                    "session_id": .int(Int64(i / 50))]
        }
        let all = events(payloads)
        // Several batches, as the writer commits them.
        for chunk in stride(from: 0, to: all.count, by: 64) { try await store.insert(Array(all[chunk..<min(all.count, chunk + 64)])) }
        // Their keys and counts written, as the writer's next fold would (the tests below read the tables).
        try store.flushAggregates()
        return (store, dir, all)
    }

    @Test func aUsersTimelineIsEveryEventOfTheirsOldestFirst() async throws {
        let (store, dir, all) = try await filled()
        defer { withExtendedLifetime(dir) {} }
        let result = try store.timeline(TimelineQuery(field: "user_id", value: "u3"))
        let expected = all.filter { $0.payload["user_id"] == "u3" }
        #expect(result.indexed && !result.truncated)
        #expect(result.events.count == expected.count && expected.count > 20)
        #expect(result.events.map(\.timestamp) == expected.map(\.timestamp), "oldest first, and only u3's (not the error that mentions u3)")
        #expect(result.events.allSatisfy { $0.payload["user_id"] == "u3" && $0.eventType == "ai_block_used" })
        // An integer value, in the other indexed field.
        let session = try store.timeline(TimelineQuery(field: "session_id", value: .int(2)))
        #expect(session.events.count == all.filter { $0.payload["session_id"] == .int(2) }.count)
        // The newest `limit`, said to be cut.
        let cut = try store.timeline(TimelineQuery(field: "user_id", value: "u3", limit: 5))
        #expect(cut.truncated && cut.events.map(\.timestamp) == expected.suffix(5).map(\.timestamp))
        // Narrowed to a type, the limit counts that type's events.
        let typed = try store.timeline(TimelineQuery(field: "user_id", value: "u3", limit: 5, eventType: "ai_block_used"))
        #expect(typed.events.count == 5 && typed.truncated)
        #expect(try store.timeline(TimelineQuery(field: "user_id", value: "u3", eventType: "chapter_visit")).events.isEmpty)
        // Nobody, and a field the store keeps no index of.
        #expect(try store.timeline(TimelineQuery(field: "user_id", value: "nobody")).events.isEmpty)
        #expect(try store.timeline(TimelineQuery(field: "chapter_id", value: .int(3))).indexed == false)
    }

    @Test func retentionTakesTheKeysOfTheRowsItTookByWholeBlocks() async throws {
        let dir = TempDir()
        let store = try EventStore(path: dir.file())
        let all = events((0..<20_000).map { i in ["user_id": .string("u\(i % 10)"), "chapter_id": .int(Int64(i % 12))] })
        for chunk in stride(from: 0, to: all.count, by: 4_096) { try await store.insert(Array(all[chunk..<min(all.count, chunk + 4_096)])) }
        _ = try await store.prune(keep: 5_000, before: nil)
        let kept = all.suffix(5_000).filter { $0.payload["user_id"] == "u3" }
        let result = try store.timeline(TimelineQuery(field: "user_id", value: "u3", limit: 10_000))
        #expect(result.events.map(\.timestamp) == kept.map(\.timestamp), "the pruned rows' keys lead nowhere")
        // Rows 1...15,000 went: block 0 (ids up to 8,191) went with them; block 1 stays whole, as row 15,001 needs it.
        let keys = try store.read { db in try Int.fetchOne(db, sql: "SELECT sum(length(ids)) / 2 FROM timeline_key")! }
        #expect(keys == 20_000 - 8_191)
        // One row per block and value: ten users in each of blocks 1 and 2.
        #expect(try store.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM timeline_key")! } == 20)
    }

    @Test func keysThatOutliveTheirRowsNeverCountTowardTheLimit() async throws {
        let dir = TempDir()
        let store = try EventStore(path: dir.file())
        let recent = events((0..<20).map { i in ["user_id": "u3", "chapter_id": .int(Int64(i))] })
        // Replayed afterwards with stamps a day old: the newest ids, and retention by age takes them.
        let old = (0..<10).map { i in
            LoggedEvent(sequence: 0, eventType: "ai_block_used", timestamp: Self.now.adding(milliseconds: -86_400_000 + Int64(i)), source: .replay,
                        unplanned: false, packedPayload: PackedPayload(["user_id": "u3", "chapter_id": .int(100 + Int64(i))]))
        }
        try await store.insert(recent)
        try await store.insert(old)
        #expect(try await store.prune(keep: nil, before: Self.now.adding(milliseconds: -3_600_000)) == 10)
        let result = try store.timeline(TimelineQuery(field: "user_id", value: "u3", limit: 5))
        #expect(result.events.map(\.timestamp) == recent.suffix(5).map(\.timestamp), "the newest five that are still there")
        #expect(result.truncated)
    }

    @Test func aStoreOfARowPerEventIsRewrittenIntoBlocksOnceWithProgress() async throws {
        let dir = TempDir()
        let path = dir.file()
        let day: Int64 = 86_400_000
        // 15,000 events; every fifth, and a run of 30, replayed a day old, so that retention by age leaves gaps in the ids.
        func replayed(_ i: Int) -> Bool { i % 5 == 4 || (5_000..<5_030).contains(i) }
        var all: [LoggedEvent] = []
        for i in 0..<15_000 {
            let payload: JSONObject = ["user_id": .string("u\(i % 10)"), "chapter_id": .int(Int64(i % 12)), "query": "say \"hi\"\n"]
            let stamp = Self.now.adding(milliseconds: Int64(i) * 10 - (replayed(i) ? day : 0))
            let client: Timestamp? = i % 2 == 0 ? Self.now.adding(milliseconds: -Int64(i)) : nil
            all.append(LoggedEvent(sequence: 0, eventType: i % 3 == 0 ? "chapter_visit" : "ai_block_used", timestamp: stamp, source: .http,
                                   unplanned: false, packedPayload: PackedPayload(payload), clientTimestamp: client))
        }
        let store = try EventStore(path: path)
        for chunk in stride(from: 0, to: all.count, by: 4_096) { try await store.insert(Array(all[chunk..<min(all.count, chunk + 4_096)])) }
        let gone = try await store.prune(keep: nil, before: Self.now.adding(milliseconds: -day / 2))
        #expect(gone == all.indices.filter(replayed).count)
        let before = try AggregateTests.exportLines(store)
        let ids = try store.read { db in try Int64.fetchAll(db, sql: "SELECT id FROM event ORDER BY id") }
        try await store.pool.write { db in try rewriteAsVersion5(db) }
        try store.pool.close()
        #expect(EventStore.needsUpgrade(path: path))
        #expect(try AggregateTests.exportLines(EventStore(path: path, readOnly: true)) == before, "a v5 file exports as it is")
        // One payload that is not JSON (edited by hand): kept, as a JSON string of its text, and its block still reads.
        try await DatabaseQueue(path: path).write { db in try db.execute(sql: "UPDATE event_row SET payload = 'abc,def' WHERE id = ?", arguments: [ids[100]]) }

        let heard = ProgressLog()
        let upgraded = try await offPool { try EventStore(path: path, upgradeProgress: heard.append) }
        let kept = all.count - gone
        #expect(heard.all == [.init(done: 0, total: kept), .init(done: StoreUpgrade.chunk, total: kept), .init(done: kept, total: kept)])
        #expect(try !upgraded.read { db in try db.tableExists("event_row") })
        let after = try AggregateTests.exportLines(upgraded)
        #expect(after.count == before.count && after[100].contains(#""abc,def""#))
        #expect(after.enumerated().filter { $0.offset != 100 }.map(\.element) == before.enumerated().filter { $0.offset != 100 }.map(\.element))
        #expect(try upgraded.read { db in try Int64.fetchAll(db, sql: "SELECT id FROM event ORDER BY id") } == ids, "every event keeps its id")
        #expect(try upgraded.count() == kept)
        let u3: [Timestamp] = all.indices.filter { !replayed($0) && all[$0].payload["user_id"] == "u3" }.map { all[$0].timestamp }
        let timeline = try upgraded.timeline(TimelineQuery(field: "user_id", value: "u3", limit: 10_000))
        #expect(timeline.events.map(\.timestamp) == u3)
        #expect(try upgraded.integrityCheck() == "ok")
        // A gap of 30 ids starts a new block; gaps of one are nulls inside one.
        let blocks = try upgraded.read { db in try Row.fetchAll(db, sql: "SELECT id, n, live FROM event_block ORDER BY id") }
        #expect(blocks.allSatisfy { ($0[1] as Int64) <= EventBlock.maxEvents && ($0[2] as Int64) <= ($0[1] as Int64) })
        #expect(blocks.contains { ($0[2] as Int64) < ($0[1] as Int64) }, "a gap of one id is a null inside its block")
        #expect(blocks.contains { ($0[0] as Int64) == ids.first { $0 > 5_001 }! })
        try upgraded.pool.close()

        let again = ProgressLog()
        let reopened = try await offPool { try EventStore(path: path, upgradeProgress: again.append) }
        #expect(again.all.isEmpty, "a second open does nothing")
        #expect(try AggregateTests.exportLines(reopened) == after)
    }

    @Test func aStoreFromBeforeTheKeysGetsThemAtFirstOpenAndASecondOpenDoesNothing() async throws {
        let (store, dir, all) = try await filled()
        // As the release before the keys left it: no key table, no v4 or v5 in the migrations table.
        try await store.pool.write { db in
            try rewriteAsVersion5(db)
            try db.execute(sql: "DROP TABLE timeline_key; DELETE FROM grdb_migrations WHERE identifier LIKE 'v4:%' OR identifier LIKE 'v5:%'")
        }
        try store.pool.close()
        #expect(EventStore.needsUpgrade(path: dir.file()))
        let heard = Mutex<[StoreUpgrade.Progress]>([])
        let reopened = try EventStore(path: dir.file(), upgradeProgress: { p in heard.withLock { $0.append(p) } })
        #expect(heard.withLock { $0.last } == StoreUpgrade.Progress(done: all.count, total: all.count), "the rebuild says how far it is")
        let expected = all.filter { $0.payload["user_id"] == "u7" }
        #expect(try reopened.timeline(TimelineQuery(field: "user_id", value: "u7")).events.map(\.timestamp) == expected.map(\.timestamp))
        let keys = try reopened.read { db in try Data.fetchAll(db, sql: "SELECT ids FROM timeline_key ORDER BY field_id, block, key") }
        try reopened.pool.close()
        #expect(!EventStore.needsUpgrade(path: dir.file()))
        let again = try EventStore(path: dir.file())
        #expect(try again.read { db in try Data.fetchAll(db, sql: "SELECT ids FROM timeline_key ORDER BY field_id, block, key") } == keys)
        #expect(try again.count() == all.count)
    }

    @Test func aStoreWithARowPerKeyIsRewrittenToARowPerValueAtFirstOpen() async throws {
        let (store, dir, all) = try await filled()
        // As the last release (v4) left it: event_key, a row per event and key; no v5.
        try await store.pool.write { db in
            try rewriteAsVersion5(db)
            try db.execute(sql: "DROP TABLE timeline_key; DELETE FROM grdb_migrations WHERE identifier LIKE 'v5:%'")
            try db.execute(sql: StoreSchema.timelineKeys)
            let fields = try TimelineKey.indexedFields.map { try Int64.fetchOne(db, sql: "SELECT id FROM field WHERE name = ?", arguments: [$0])! }
            for row in try Row.fetchAll(db, sql: "SELECT id, payload FROM event_row") {
                guard case .object(let o)? = try? JSONParser.parse(Array((row[1] as String).utf8)) else { continue }
                let id: Int64 = row[0]
                PackedPayload(o).forEachTimelineKey { f, key in
                    try! db.execute(sql: "INSERT INTO event_key VALUES (?, ?, ?, ?)", arguments: [fields[f], id >> 13, key, id])
                }
            }
        }
        try store.pool.close()
        #expect(EventStore.needsUpgrade(path: dir.file()))
        let reopened = try EventStore(path: dir.file())
        #expect(try !reopened.read { db in try db.tableExists("event_key") })
        for user in ["u0", "u3", "u9"] {
            let expected = all.filter { $0.payload["user_id"] == .string(user) }
            #expect(try reopened.timeline(TimelineQuery(field: "user_id", value: .string(user))).events.map(\.timestamp) == expected.map(\.timestamp))
        }
        let sessions = all.filter { $0.payload["session_id"] == .int(4) }
        #expect(try reopened.timeline(TimelineQuery(field: "session_id", value: .int(4))).events.map(\.timestamp) == sessions.map(\.timestamp))
        #expect(try reopened.count() == all.count, "no row lost or added")
    }
}
