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
        let blockBytes = EventBlock.maxBytes(pageSize: try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 4_096)
        // The rows of the block being made, and about how long its text will be.
        var block: [Row] = []
        var bytes = 0
        func close() throws {
            guard let first = block.first, let last = block.last else { return }
            let start: Int64 = first[0], n = (last[0] as Int64) - start + 1
            var text = blockText(block, start: start, asRead: false)
            // A payload that is not JSON (a file edited by hand) would make the block unreadable: such
            // payloads are kept as JSON strings of their text instead, so that none of its events is lost.
            if (try? text.withUnsafeBufferPointer { try EventBlock.elements($0) }) == nil { text = blockText(block, start: start, asRead: true) }
            insert.bind(1, start); insert.bind(2, n); insert.bind(3, Int64(block.count))
            try text.withUnsafeBufferPointer { bytes in
                insert.bindText(4, bytes)
                try insert.run()
            }
            block.removeAll(keepingCapacity: true)
            bytes = 0
        }
        var after: Int64 = .min
        var done = 0
        while true {
            let rows = try Row.fetchAll(db, sql: "SELECT id, type_id, ts, source, client_ts, payload FROM event_row WHERE id > ? ORDER BY id LIMIT ?",
                                        arguments: [after, chunk])
            guard let last = rows.last else { break }
            after = last[0]
            for row in rows {
                let payload: String = row[5]
                // A gap in the ids of more than a few starts a new block, as does the writer's bound: the text
                // fits its page (roughly: an element's other parts take about 40 bytes, a null 5; 64 leaves room).
                if let first = block.first {
                    let span = (row[0] as Int64) - (first[0] as Int64)
                    let gap = (row[0] as Int64) - (block.last![0] as Int64) - 1
                    if gap > 8 || span >= EventBlock.maxEvents || bytes + 5 * Int(gap) + payload.utf8.count + 64 > blockBytes { try close() }
                    else { bytes += 5 * Int(gap) }
                }
                block.append(row)
                bytes += payload.utf8.count + 40
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

    /// A block's text from its rows (ids ascending from `start`), null where an id has no row.
    /// `asRead`: each payload that is not a JSON object goes in as a JSON string of its text.
    private static func blockText(_ rows: [Row], start: Int64, asRead: Bool) -> [UInt8] {
        var text: [UInt8] = [0x5B]
        var next = start
        for row in rows {
            let id: Int64 = row[0]
            var payload: String = row[5]
            while next < id {
                text.append(contentsOf: Array((next == start ? "null" : ",null").utf8))
                next += 1
            }
            if id > start { text.append(0x2C) }
            if asRead {
                if case .object? = try? JSONParser.parse(Array(payload.utf8)) {} else { payload = JSONWriter.compact(.string(payload)) }
            }
            payload.withUTF8 { EventBlock.append(typeID: row[1], ts: row[2], source: row[3], clientTS: row[4], payloadJSON: $0, into: &text) }
            next = id + 1
        }
        text.append(0x5D)
        return text
    }
}
