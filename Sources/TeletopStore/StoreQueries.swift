import Foundation
import GRDB
import GRDBSQLite
import TeletopCore

/// The analytics view, `GET /api/telemetry/top` and `/series`, answered from
/// the aggregates alone: the cost of an answer depends on its window and its
/// field's distinct values, not on how many events the store holds.
extension EventStore: AnalyticsSource {
    /// Where a window's counts are read: whole buckets of one level in a range
    /// of first minutes, or only what the minutes gained since the last fold.
    struct Part {
        var level: AggregateLevel
        var from: Int64
        var until: Int64 = .max
        var unfoldedOnly = false
        /// Taken away: what a window's sum still holds of buckets that left the window since it last moved.
        var minus = false

        var count: String {
            if unfoldedOnly { return "n - folded" }
            // A minute's share of a sum is what was folded of it.
            return minus ? (level == .minute ? "-folded" : "-n") : "n"
        }
    }

    /// The parts that together count each event of the window once. A window
    /// is counted in whole buckets: its oldest bucket may have begun up to a
    /// minute (past an hour, up to an hour) before `now - window`.
    static func parts(windowSeconds: Int?, now: Timestamp) -> [Part] {
        // `all` is always answered from its sums; these parts serve the others until their sums exist.
        let seconds = windowSeconds ?? Int(Int32.max)
        let start = AggregateTally.minute(of: now.adding(milliseconds: -Int64(seconds) * 1000))
        if seconds <= 3_600 { return [Part(level: .minute, from: start)] }
        // Hours keep their values for 9 days: longer windows are counted in days.
        if seconds > 8 * 86_400 {
            let firstDay = AggregateLevel.day.bucket(of: start)
            return [Part(level: .day, from: firstDay), Part(level: .minute, from: firstDay, unfoldedOnly: true)]
        }
        let startHour = AggregateLevel.hour.bucket(of: start)
        let firstDay = AggregateLevel.day.bucket(of: startHour + 1_439)
        return [Part(level: .hour, from: startHour, until: firstDay), Part(level: .day, from: firstDay),
                Part(level: .minute, from: startHour, unfoldedOnly: true)]
    }

    /// `SELECT value, count` over the parts, for one field of the given types.
    static func valueRows(_ parts: [Part], types: [Int64], field: Int64) -> (sql: String, arguments: StatementArguments) {
        let typeList = types.map(String.init).joined(separator: ",")
        var selects: [String] = []
        var arguments: StatementArguments = []
        for p in parts {
            if p.unfoldedOnly {
                // Driven by the short list of unfolded minutes (CROSS JOIN keeps that order),
                // not by every minute bucket of the range.
                selects.append("""
                    SELECT v.value AS value, v.n - v.folded AS c FROM agg_unfolded u CROSS JOIN agg_value v
                    ON v.type_id = u.type_id AND v.field_id = u.field_id AND v.level = 0 AND v.bucket = u.minute
                    WHERE u.type_id IN (\(typeList)) AND u.field_id = ? AND u.minute >= ? AND u.minute < ? AND v.n > v.folded
                    """)
                arguments += [field, p.from, p.until]
            } else {
                selects.append("SELECT value, \(p.count) AS c FROM agg_value WHERE type_id IN (\(typeList)) AND field_id = ? AND level = ? AND bucket >= ? AND bucket < ?")
                arguments += [field, p.level.rawValue, p.from, p.until]
            }
        }
        return (selects.joined(separator: " UNION ALL "), arguments)
    }

    static func countRows(_ parts: [Part], types: [Int64]) -> (sql: String, arguments: StatementArguments) {
        let typeList = types.map(String.init).joined(separator: ",")
        var selects: [String] = []
        var arguments: StatementArguments = []
        for p in parts {
            if p.unfoldedOnly {
                selects.append("""
                    SELECT c.bucket AS bucket, c.n - c.folded AS c FROM agg_unfolded u CROSS JOIN agg_count c
                    ON c.level = 0 AND c.bucket = u.minute AND c.type_id = u.type_id
                    WHERE u.field_id = 0 AND u.type_id IN (\(typeList)) AND u.minute >= ? AND u.minute < ? AND c.n > c.folded
                    """)
                arguments += [p.from, p.until]
            } else {
                selects.append("SELECT bucket, \(p.count) AS c FROM agg_count WHERE level = ? AND bucket >= ? AND bucket < ? AND type_id IN (\(typeList))")
                arguments += [p.level.rawValue, p.from, p.until]
            }
        }
        return (selects.joined(separator: " UNION ALL "), arguments)
    }

    /// The ids of `eventType` (nil: every type); empty when the store has never seen it.
    static func typeIDs(_ eventType: String?, _ db: Database) throws -> [Int64] {
        if let eventType { return try Int64.fetchAll(db, sql: "SELECT id FROM event_type WHERE name = ?", arguments: [eventType]) }
        return try Int64.fetchAll(db, sql: "SELECT id FROM event_type")
    }

    public func top(_ query: TopQuery) throws -> TopResult {
        if let problem = TopQuery.problem(withField: query.field) { throw StoreError(path: path, message: problem) }
        // Best effort: a store that cannot take the write answers from what it holds.
        try? flushAggregates()
        return try read { db in try Self.stoppable(db, query.cancellation) {
            let types = try Self.typeIDs(query.eventType, db)
            guard !types.isEmpty else { return TopResult(values: [], total: 0, withField: 0) }
            let field = try Int64.fetchOne(db, sql: "SELECT id FROM field WHERE name = ?", arguments: [query.field])
            if let w = AggregateWindow(seconds: query.windowSeconds) {
                let span = try Int64.fetchOne(db, sql: "SELECT first FROM agg_window_span WHERE win = ?", arguments: [w.rawValue])
                    .map { WindowWriter.Span(first: $0) }
                // A sum made at a later now than the query's cannot answer it.
                let nowMinute = AggregateTally.minute(of: query.now)
                if w == .lifetime || span.map({ $0.first <= w.first(at: nowMinute) }) == true {
                    return try Self.top(fromSumsOf: w, span: span, types: types, all: query.eventType == nil, field: field, limit: query.limit,
                                        nowMinute: nowMinute, db)
                }
            }
            return try Self.top(summing: Self.parts(windowSeconds: query.windowSeconds, now: query.now), types: types, field: field,
                                limit: query.limit, db)
        } }
    }

    /// A window's running sum (rows read by count, the first few), plus the
    /// minutes not folded yet, less the buckets that left the window since
    /// the sum last moved. `span` nil: the lifetime.
    static func top(fromSumsOf w: AggregateWindow, span: WindowWriter.Span?, types: [Int64], all: Bool, field: Int64?, limit: Int,
                    nowMinute: Int64, _ db: Database) throws -> TopResult {
        let sumType: Int64 = all ? 0 : types[0]
        var open: [Part] = []
        if let span {
            let want = w.first(at: nowMinute)
            open.append(Part(level: .minute, from: want, unfoldedOnly: true))
            if want > span.first { open.append(Part(level: w.level, from: span.first, until: want, minus: true)) }
        } else {
            open.append(Part(level: .minute, from: .min, unfoldedOnly: true))
        }
        let counts = countRows(open, types: types)
        let openTotal = try Int.fetchOne(db, sql: "SELECT coalesce(sum(c), 0) FROM (\(counts.sql))", arguments: counts.arguments) ?? 0
        let total = openTotal + (try Int.fetchOne(db, sql: "SELECT n FROM agg_window_total WHERE win = ? AND type_id = ? AND field_id = 0",
                                                  arguments: [w.rawValue, sumType]) ?? 0)
        guard let field else { return TopResult(values: [], total: total, withField: 0) }
        let rows = valueRows(open, types: types, field: field)
        // The open part's values with their sums beside them (one join), then the sum's
        // leaders: a value in neither cannot be in the top `limit`.
        var counted: [String: Int] = [:]
        var extraTotal = 0
        for row in try Row.fetchAll(db, sql: """
            SELECT o.value, o.c, coalesce(w.n, 0) FROM (SELECT value, sum(c) AS c FROM (\(rows.sql)) GROUP BY value) o
            LEFT JOIN agg_window w ON w.win = ? AND w.type_id = ? AND w.field_id = ? AND w.value = o.value
            """, arguments: rows.arguments + [w.rawValue, sumType, field]) {
            let c: Int = row[1], n: Int = row[2]
            counted[row[0]] = c + n
            extraTotal += c
        }
        let opened = counted.count
        for row in try Row.fetchAll(db, sql: """
            SELECT value, n FROM agg_window WHERE win = ? AND type_id = ? AND field_id = ? AND value != '' ORDER BY n DESC, value LIMIT ?
            """, arguments: [w.rawValue, sumType, field, max(1, limit) + opened]) where counted[row[0]] == nil {
            counted[row[0]] = row[1]
        }
        if counted[""] == nil {
            counted[""] = try Int.fetchOne(db, sql: "SELECT n FROM agg_window WHERE win = ? AND type_id = ? AND field_id = ? AND value = ''",
                                           arguments: [w.rawValue, sumType, field]) ?? 0
        }
        let other = (counted.removeValue(forKey: "") ?? 0)
        let withField = extraTotal + (try Int.fetchOne(db, sql: """
            SELECT n FROM agg_window_total WHERE win = ? AND type_id = ? AND field_id = ?
            """, arguments: [w.rawValue, sumType, field]) ?? 0)
        let values = counted.filter { $0.value > 0 }.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .prefix(max(1, limit)).map { TopValue(value: $0.key, count: $0.value) }
        return TopResult(values: Array(values), total: total, withField: withField, other: other)
    }

    /// A window summed from its buckets: 5m, and the others until their sums exist.
    static func top(summing parts: [Part], types: [Int64], field: Int64?, limit: Int, _ db: Database) throws -> TopResult {
        let counts = countRows(parts, types: types)
        let total = try Int.fetchOne(db, sql: "SELECT coalesce(sum(c), 0) FROM (\(counts.sql))", arguments: counts.arguments) ?? 0
        guard let field else { return TopResult(values: [], total: total, withField: 0) }
        let rows = valueRows(parts, types: types, field: field)
        let values = try Row.fetchAll(db, sql: """
            SELECT value, sum(c) AS n FROM (\(rows.sql)) WHERE value != '' GROUP BY value HAVING n > 0 ORDER BY n DESC, value LIMIT ?
            """, arguments: rows.arguments + [max(1, limit)])
        let sums = try Row.fetchOne(db, sql: """
            SELECT coalesce(sum(c), 0), coalesce(sum(CASE WHEN value = '' THEN c ELSE 0 END), 0) FROM (\(rows.sql))
            """, arguments: rows.arguments)
        return TopResult(values: values.map { TopValue(value: $0[0], count: $0[1]) }, total: total,
                         withField: sums?[0] ?? 0, other: sums?[1] ?? 0)
    }

    /// Runs `body` with SQLite checking `cancellation` every thousand steps, so
    /// a query whose client left or whose time ran out stops part way
    /// (SQLITE_INTERRUPT) instead of holding the reader, and the queue behind it.
    static func stoppable<T>(_ db: Database, _ cancellation: QueryCancellation?, _ body: () throws -> T) throws -> T {
        guard let cancellation, let connection = db.sqliteConnection else { return try body() }
        if cancellation.shouldStop { throw DatabaseError(resultCode: .SQLITE_INTERRUPT, message: "the query was stopped before it began") }
        let context = Unmanaged.passUnretained(cancellation).toOpaque()
        sqlite3_progress_handler(connection, 1000, { context in
            Unmanaged<QueryCancellation>.fromOpaque(context!).takeUnretainedValue().shouldStop ? 1 : 0
        }, context)
        defer { sqlite3_progress_handler(connection, 0, nil, nil) }
        return try withExtendedLifetime(cancellation) { try body() }
    }

    public func perMinute(minutes: Int, now: Timestamp) throws -> [Int] {
        let points = try series(level: .minute, eventType: nil, from: AggregateTally.minute(of: now) - Int64(max(1, minutes)) + 1, now: now)
        return points.map(\.count)
    }

    public func series(_ query: SeriesQuery) throws -> [SeriesPoint] {
        try? flushAggregates()
        let level = AggregateLevel(query.bucket)
        let nowMinute = AggregateTally.minute(of: query.now)
        var from: Int64
        if let seconds = query.window.seconds {
            from = level.bucket(of: AggregateTally.minute(of: query.now.adding(milliseconds: -Int64(seconds) * 1000)))
        } else {
            from = try read { db in try Int64.fetchOne(db, sql: "SELECT min(bucket) FROM agg_count WHERE level = ?", arguments: [level.rawValue]) }
                ?? level.bucket(of: nowMinute)
        }
        // At most this many points: the newest.
        from = max(from, level.bucket(of: nowMinute) - (Self.maxSeriesPoints - 1) * level.minutes)
        return try series(level: level, eventType: query.eventType, from: from, now: query.now)
    }

    static let maxSeriesPoints: Int64 = 2_000

    /// Dense counts per bucket of `level`, from the bucket starting at `from` to the one holding `now`.
    func series(level: AggregateLevel, eventType: String?, from: Int64, now: Timestamp) throws -> [SeriesPoint] {
        try? flushAggregates()
        let width = level.minutes
        let last = level.bucket(of: AggregateTally.minute(of: now))
        let count = max(0, Int((last - from) / width) + 1)
        var out = (0..<count).map { SeriesPoint(start: Timestamp(millisecondsSinceEpoch: (from + Int64($0) * width) * 60_000), count: 0) }
        guard count > 0 else { return out }
        try read { db in
            let types = try Self.typeIDs(eventType, db)
            guard !types.isEmpty else { return }
            var parts = [Part(level: level, from: from, until: last + width)]
            if level != .minute { parts.append(Part(level: .minute, from: from, until: last + width, unfoldedOnly: true)) }
            let rows = Self.countRows(parts, types: types)
            for row in try Row.fetchAll(db, sql: "SELECT bucket, sum(c) FROM (\(rows.sql)) GROUP BY bucket", arguments: rows.arguments) {
                let i = Int((level.bucket(of: row[0] as Int64) - from) / width)
                if out.indices.contains(i) { out[i].count += row[1] as Int }
            }
        }
        return out
    }
}

/// What `teletop export` selects.
public struct ExportFilter: Sendable, Equatable {
    public var eventType: String?
    public var since: Timestamp?
    public var until: Timestamp?

    public init(eventType: String? = nil, since: Timestamp? = nil, until: Timestamp? = nil) {
        self.eventType = eventType
        self.since = since
        self.until = until
    }
}

/// One stored event as export writes it; the payload is the stored JSON text, not re-parsed.
public struct ExportRow: Sendable {
    public var eventType: String
    public var timestamp: Timestamp
    public var source: EventSource?
    public var payloadJSON: String
    public var clientTimestamp: Timestamp?
}

extension EventStore {
    /// Calls `each` for every matching event in arrival order, from a cursor: one
    /// row in memory at a time, however many the store holds.
    public func export(_ filter: ExportFilter, _ each: (ExportRow) throws -> Void) throws {
        try read { db in
            if try db.tableExists("event_block") {
                try Self.exportBlocks(filter, db, each)
            } else if try db.tableExists("event_row") {
                try Self.exportLean(filter, db, each)
            } else {
                try Self.exportOlder(filter, db, each)
            }
        }
    }

    /// The event ids that `--since/--until` can reach, by the minute map (every id
    /// without them); nil when no minute of theirs holds an event.
    static func idRange(_ filter: ExportFilter, _ db: Database) throws -> (Int64, Int64)? {
        guard filter.since != nil || filter.until != nil else { return (.min, .max) }
        let since = filter.since.map { AggregateTally.minute(of: $0) } ?? .min
        let until = filter.until.map { AggregateTally.minute(of: $0) } ?? .max
        let range = try Row.fetchOne(db, sql: "SELECT min(first_id), max(last_id) FROM event_minute WHERE minute >= ? AND minute <= ?",
                                     arguments: [since, until])
        guard let first = range?[0] as Int64?, let last = range?[1] as Int64? else { return nil }
        return (first, last)
    }

    /// From the blocks, one block's text in memory at a time, its type names
    /// looked up once, and with `--since/--until` only the blocks of the ids
    /// the minute map gives for those minutes.
    static func exportBlocks(_ filter: ExportFilter, _ db: Database, _ each: (ExportRow) throws -> Void) throws {
        let names = try typeNames(db)
        var typeID: Int64?
        if let t = filter.eventType {
            guard let id = names.first(where: { $0.value == t })?.key else { return }
            typeID = id
        }
        guard let (first, last) = try idRange(filter, db) else { return }
        let since = filter.since?.millisecondsSinceEpoch ?? .min, until = filter.until?.millisecondsSinceEpoch ?? .max
        let select = try SQLiteStatement(db, "SELECT id, events FROM event_block WHERE id >= ?1 AND id <= ?2 ORDER BY id")
        select.bind(1, try blockStart(holding: first, db)); select.bind(2, last)
        try select.query { row in
            let id = row.int(0), text = row.bytes(1)
            for case let e? in try decode(text, block: id) {
                let eventID = id + Int64(e.index)
                guard eventID >= first, eventID <= last, e.ts >= since, e.ts < until, typeID == nil || e.typeID == typeID else { continue }
                try each(ExportRow(eventType: names[e.typeID] ?? "?", timestamp: Timestamp(millisecondsSinceEpoch: e.ts),
                                   source: EventSource(rawValue: UInt8(clamping: e.source)),
                                   payloadJSON: String(decoding: UnsafeBufferPointer(rebasing: text[e.payload]), as: UTF8.self),
                                   clientTimestamp: e.clientTS.map(Timestamp.init(millisecondsSinceEpoch:))))
            }
        }
    }

    /// A v3 to v5 store opened read-only (so not upgraded): from the lean table, its type names looked up once (the `event` view's
    /// join would make SQLite sort every row by id), and with `--since/--until`
    /// only the ids the minute map gives for those minutes.
    static func exportLean(_ filter: ExportFilter, _ db: Database, _ each: (ExportRow) throws -> Void) throws {
        let names = try typeNames(db)
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let t = filter.eventType {
            guard let id = names.first(where: { $0.value == t })?.key else { return }
            conditions.append("type_id = ?"); arguments += [id]
        }
        if let s = filter.since { conditions.append("ts >= ?"); arguments += [s.millisecondsSinceEpoch] }
        if let u = filter.until { conditions.append("ts < ?"); arguments += [u.millisecondsSinceEpoch] }
        if filter.since != nil || filter.until != nil {
            guard let (first, last) = try idRange(filter, db) else { return }
            conditions.append("id BETWEEN ? AND ?"); arguments += [first, last]
        }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let cursor = try Row.fetchCursor(db, sql: "SELECT type_id, ts, source, payload, client_ts FROM event_row \(whereClause) ORDER BY id",
                                         arguments: arguments)
        while let row = try cursor.next() {
            let client: Int64? = row[4]
            try each(ExportRow(eventType: names[row[0]] ?? "?", timestamp: Timestamp(millisecondsSinceEpoch: row[1]),
                               source: EventSource(rawValue: UInt8(clamping: row[2] as Int)), payloadJSON: row[3],
                               clientTimestamp: client.map(Timestamp.init(millisecondsSinceEpoch:))))
        }
    }

    /// A store of an older schema, opened read-only (so not upgraded): its
    /// `event` table, without client_ts before v2.
    static func exportOlder(_ filter: ExportFilter, _ db: Database, _ each: (ExportRow) throws -> Void) throws {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let t = filter.eventType { conditions.append("event_type = ?"); arguments += [t] }
        if let s = filter.since { conditions.append("ts >= ?"); arguments += [s.millisecondsSinceEpoch] }
        if let u = filter.until { conditions.append("ts < ?"); arguments += [u.millisecondsSinceEpoch] }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let clientColumn = try db.columns(in: "event").contains { $0.name == "client_ts" } ? "client_ts" : "NULL"
        let cursor = try Row.fetchCursor(db, sql: "SELECT event_type, ts, source, payload, \(clientColumn) FROM event \(whereClause) ORDER BY id",
                                         arguments: arguments)
        while let row = try cursor.next() {
            let client: Int64? = row[4]
            try each(ExportRow(eventType: row[0], timestamp: Timestamp(millisecondsSinceEpoch: row[1]),
                               source: EventSource(rawValue: UInt8(clamping: row[2] as Int)), payloadJSON: row[3],
                               clientTimestamp: client.map(Timestamp.init(millisecondsSinceEpoch:))))
        }
    }
}

extension EventStore {
    /// The newest `limit` rows holding the value, by `timeline_key` (an indexed
    /// field only), oldest first; each row's value is checked, so a key
    /// collision or a row retention took never shows.
    public func timeline(_ query: TimelineQuery) throws -> TimelineResult {
        try? flushAggregates()
        let start = ContinuousClock.now
        guard TimelineKey.indexedFields.contains(query.field), let key = TimelineKey.key(query.value) else { return TimelineResult(indexed: false) }
        var result = try read { db -> TimelineResult in
            guard try db.tableExists("timeline_key"),
                  let fieldID = try Int64.fetchOne(db, sql: "SELECT id FROM field WHERE name = ?", arguments: [query.field])
            else { return TimelineResult(indexed: true) }
            // One seek per block, newest first, until `limit` (and one more, to know it was cut).
            // Two queries, not min() and max() in one: SQLite reads one end of the index only for a lone min or max.
            guard let first = try Int64.fetchOne(db, sql: "SELECT block FROM timeline_key WHERE field_id = ? ORDER BY block LIMIT 1", arguments: [fieldID]),
                  let last = try Int64.fetchOne(db, sql: "SELECT block FROM timeline_key WHERE field_id = ? ORDER BY block DESC LIMIT 1", arguments: [fieldID])
            else { return TimelineResult(indexed: true) }
            let seek = try db.cachedStatement(sql: "SELECT ids FROM timeline_key WHERE field_id = ? AND block = ? AND key = ?")
            let names = try Self.typeNames(db)
            let blockRead = try SQLiteStatement(db, "SELECT id, events FROM event_block WHERE id <= ?1 ORDER BY id DESC LIMIT 1")
            // Block by block, newest first, until `limit` live rows hold the value (and one more, to know
            // it was cut): a key may outlive its row (retention by age keeps a block's other keys) or
            // collide with another value's, and neither may count.
            var events: [LoggedEvent] = []
            var block = last
            while block >= first && events.count <= query.limit {
                let ids = try Data.fetchOne(seek, arguments: [fieldID, block, key]).map { Self.timelineIDs(block: block, [UInt8]($0)) } ?? []
                block -= 1
                guard !ids.isEmpty else { continue }
                // Newest first, a block read for each run of ids it holds.
                var wanted = ids.sorted(by: >)[...]
                while let id = wanted.first {
                    var found = false
                    blockRead.bind(1, id)
                    try blockRead.query { row in
                        found = true
                        let start = row.int(0), text = row.bytes(1)
                        let elements = try Self.decode(text, block: start)
                        while let next = wanted.first, next >= start {
                            wanted.removeFirst()
                            let index = Int(next - start)
                            guard index < elements.count, let e = elements[index],
                                  case .object(let payload)? = try? JSONParser.parse(Array(UnsafeBufferPointer(rebasing: text[e.payload]))),
                                  payload[query.field] == query.value, let type = names[e.typeID],
                                  query.eventType == nil || type == query.eventType,
                                  events.last.map({ $0.sequence > UInt64(next) }) ?? true else { continue }
                            events.append(LoggedEvent(sequence: UInt64(max(0, next)), eventType: type, timestamp: Timestamp(millisecondsSinceEpoch: e.ts),
                                                      source: EventSource(rawValue: UInt8(clamping: e.source)) ?? .replay, unplanned: false,
                                                      packedPayload: PackedPayload(payload),
                                                      clientTimestamp: e.clientTS.map(Timestamp.init(millisecondsSinceEpoch:))))
                        }
                    }
                    // No block at or below this id: none for the ids below it either.
                    if !found { break }
                }
            }
            let truncated = events.count > query.limit
            return TimelineResult(events: events.prefix(query.limit).reversed(), indexed: true, truncated: truncated)
        }
        let elapsed = ContinuousClock.now - start
        result.elapsedMillis = Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
        return result
    }
}
