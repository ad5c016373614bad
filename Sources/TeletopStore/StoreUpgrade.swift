import Foundation
import GRDB
import TeletopCore

/// v3's upgrade of a store made by an older release, in the migration's one
/// transaction: either the whole store is upgraded or none of it is, so no
/// event is lost or counted twice, whatever stops the process part way.
///
/// The rows move into the lean table under the same ids, then the aggregates
/// are rebuilt from them with the writer's own counting, in chunks, so that
/// progress can be reported; the old table and its two indexes go.
public enum StoreUpgrade {
    public struct Progress: Sendable, Equatable {
        /// Events rebuilt into aggregates so far, of `total`.
        public var done: Int
        public var total: Int

        public var percent: Int { total == 0 ? 100 : min(100, done * 100 / total) }
    }

    static let chunk = 10_000

    static func toAggregates(_ db: Database, progress: (Progress) -> Void) throws {
        try db.execute(sql: StoreSchema.v3Tables)
        try db.execute(sql: "INSERT INTO event_type (name) SELECT DISTINCT event_type FROM event ORDER BY event_type")
        try db.execute(sql: """
            INSERT INTO event_row (id, type_id, ts, source, client_ts, payload)
            SELECT e.id, t.id, e.ts, e.source, e.client_ts, e.payload FROM event e JOIN event_type t ON t.name = e.event_type ORDER BY e.id
            """)
        try db.execute(sql: "DROP TABLE event")
        try db.execute(sql: StoreSchema.v3EventView)
        let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM event_row") ?? 0
        progress(Progress(done: 0, total: total))
        var cache = WriteCache()
        var after: Int64 = .min
        var done = 0
        var minutes: [Int64: (first: Int64, last: Int64)] = [:]
        while true {
            let rows = try Row.fetchAll(db, sql: """
                SELECT r.id, t.name, r.ts, r.source, r.payload FROM event_row r JOIN event_type t ON t.id = r.type_id
                WHERE r.id > ? ORDER BY r.id LIMIT ?
                """, arguments: [after, chunk])
            guard let last = rows.last else { break }
            after = last[0]
            cache.tally.removeAll()
            for row in rows {
                let id: Int64 = row[0], ts: Int64 = row[2], text: String = row[4]
                // A payload the store wrote is an object; anything else is counted with no fields.
                let payload: JSONObject
                if case .object(let o)? = try? JSONParser.parse(Array(text.utf8)) { payload = o } else { payload = [:] }
                let stamp = Timestamp(millisecondsSinceEpoch: ts)
                cache.tally.add(LoggedEvent(sequence: UInt64(max(0, id)), eventType: row[1], timestamp: stamp,
                                            source: EventSource(rawValue: UInt8(clamping: row[3] as Int)) ?? .replay, unplanned: false,
                                            packedPayload: PackedPayload(payload)))
                let minute = AggregateTally.minute(of: stamp)
                let range = minutes[minute]
                minutes[minute] = (min(range?.first ?? id, id), max(range?.last ?? id, id))
            }
            try EventStore.writeAggregates(db, &cache)
            done += rows.count
            progress(Progress(done: done, total: total))
        }
        for (minute, range) in minutes {
            try db.execute(sql: "INSERT INTO event_minute (minute, first_id, last_id) VALUES (?, ?, ?)", arguments: [minute, range.first, range.last])
        }
        // Folded into hours, days and the window sums as of now, so the first answers need no
        // fallback. (A new file has nothing to fold: its writer's clock sets the windows.)
        guard total > 0 else { return }
        let now = Timestamp(millisecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1000))
        while try EventStore.fold(db, now: now) > 0 {}
    }

    /// v5: the timeline keys of the rows already stored, in chunks of rows
    /// (a new file has none). In the migration's transaction, like v3.
    static func indexTimelineKeys(_ db: Database, progress: (Progress) -> Void) throws {
        var cache = WriteCache()
        var after: Int64 = .min
        let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM event_row") ?? 0
        // A new file has nothing to index and says nothing.
        guard total > 0 else { return }
        progress(Progress(done: 0, total: total))
        var done = 0
        while true {
            let rows = try Row.fetchAll(db, sql: "SELECT id, payload FROM event_row WHERE id > ? ORDER BY id LIMIT ?", arguments: [after, chunk])
            guard let last = rows.last else { return }
            after = last[0]
            var keys: [EventStore.TimelineEntry] = []
            for row in rows {
                let text: String = row[1]
                guard case .object(let o)? = try? JSONParser.parse(Array(text.utf8)) else { continue }
                EventStore.collectTimelineKeys(PackedPayload(o), id: row[0], into: &keys)
            }
            try EventStore.writeTimelineKeys(keys, db, &cache)
            done += rows.count
            progress(Progress(done: done, total: total))
        }
    }

    /// v6: the rows into blocks under the same ids, in chunks of rows, in the
    /// migration's transaction like v3. A gap in the ids (rows retention took)
    /// of a few becomes nulls in the block; a longer one starts a new block.
    static func toBlocks(_ db: Database, progress: (Progress) -> Void) throws {
        try db.execute(sql: StoreSchema.blockTable)
        let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM event_row") ?? 0
        if total > 0 { progress(Progress(done: 0, total: total)) }
        let insert = try SQLiteStatement(db, "INSERT INTO event_block (id, n, live, events) VALUES (?1, ?2, ?3, ?4)")
        var text: [UInt8] = []
        let blockBytes = EventBlock.maxBytes(pageSize: try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 4_096)
        var start: Int64 = 0, n: Int64 = 0, live: Int64 = 0
        // The block's rows, should one of their payloads not be JSON (a file edited by hand).
        var rowsInBlock: [Row] = []
        func close() throws {
            guard n > 0 else { return }
            text.append(0x5D)
            if (try? text.withUnsafeBufferPointer { try EventBlock.elements($0) }) == nil {
                // Written again with each payload that is not a JSON object kept as a JSON string of its text,
                // so that the block reads back and none of its events is lost.
                text = [0x5B]
                var next = start
                for row in rowsInBlock {
                    let id: Int64 = row[0], raw: String = row[5]
                    while next < id { text.append(contentsOf: Array((next == start ? "null" : ",null").utf8)); next += 1 }
                    if id > start { text.append(0x2C) }
                    let isObject: Bool
                    if case .object? = try? JSONParser.parse(Array(raw.utf8)) { isObject = true } else { isObject = false }
                    EventBlock.append(typeID: row[1], ts: row[2], source: row[3], clientTS: row[4],
                                      payloadJSON: isObject ? raw : JSONWriter.compact(.string(raw)), into: &text)
                    next = id + 1
                }
                text.append(0x5D)
            }
            insert.bind(1, start); insert.bind(2, n); insert.bind(3, live)
            try text.withUnsafeBufferPointer { bytes in
                insert.bindText(4, bytes)
                try insert.run()
            }
            n = 0
            live = 0
            rowsInBlock.removeAll(keepingCapacity: true)
        }
        var after: Int64 = .min
        var done = 0
        while true {
            let rows = try Row.fetchAll(db, sql: "SELECT id, type_id, ts, source, client_ts, payload FROM event_row WHERE id > ? ORDER BY id LIMIT ?",
                                        arguments: [after, chunk])
            guard let last = rows.last else { break }
            after = last[0]
            for row in rows {
                let id: Int64 = row[0]
                let gap = id - (start + n)
                let payload: String = row[5]
                // The same bound as the writer's: the block fits its page (roughly: the element's other parts are under 64 bytes).
                if n > 0, gap < 0 || gap > 8 || n + gap >= EventBlock.maxEvents || text.count + 5 * Int(gap) + payload.utf8.count + 64 > blockBytes { try close() }
                if n == 0 {
                    start = id
                    text.removeAll(keepingCapacity: true)
                    text.append(0x5B)
                } else {
                    for _ in 0..<gap { text.append(contentsOf: [0x2C, 0x6E, 0x75, 0x6C, 0x6C]) }  // ",null"
                    n += gap
                    text.append(0x2C)
                }
                EventBlock.append(typeID: row[1], ts: row[2], source: row[3], clientTS: row[4], payloadJSON: payload, into: &text)
                rowsInBlock.append(row)
                n += 1
                live += 1
            }
            done += rows.count
            progress(Progress(done: done, total: total))
        }
        try close()
        try db.execute(sql: "DROP VIEW event")
        try db.execute(sql: "DROP TABLE event_row")
        try db.execute(sql: StoreSchema.eventView)
        // The rows' pages are free now: a file made with auto_vacuum gives them back
        // (else it would stay twice its size until new events reuse them).
        try db.execute(sql: "PRAGMA incremental_vacuum")
    }
}
