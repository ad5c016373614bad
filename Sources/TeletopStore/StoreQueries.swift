import GRDB
import GRDBSQLite
import TeletopCore

/// Aggregates for the analytics view and `GET /api/telemetry/top`, answered by
/// SQLite from the indexes on (event_type, ts) and (ts).
extension EventStore: AnalyticsSource {
    public func top(_ query: TopQuery) throws -> TopResult {
        if let problem = TopQuery.problem(withField: query.field) { throw StoreError(path: path, message: problem) }
        let jsonPath = "$.\"\(query.field)\""
        let since = query.windowSeconds.map { query.now.millisecondsSinceEpoch - Int64($0) * 1000 } ?? Int64.min
        var filter = "ts >= ?"
        var arguments: StatementArguments = [since]
        if let type = query.eventType {
            filter = "event_type = ? AND " + filter
            arguments = [type] + arguments
        }
        return try read { db in try Self.stoppable(db, query.cancellation) {
            // `->` gives the value as its JSON text, so false, 0 and "0" stay apart and a
            // string is compared whole, escapes (\u0000 too) and all; json_extract would
            // turn false into 0 and stop a string at its first NUL. SQLite 3.38 or newer.
            let rows = try Row.fetchAll(db, sql: """
                SELECT payload -> ? AS v, count(*) AS n FROM event
                WHERE \(filter) AND json_type(payload, ?) IS NOT NULL
                GROUP BY v ORDER BY n DESC, v LIMIT ?
                """, arguments: [jsonPath] + arguments + [jsonPath, max(1, query.limit)])
            let counts = try Row.fetchOne(db, sql: "SELECT count(*), count(json_type(payload, ?)) FROM event WHERE \(filter)",
                                          arguments: [jsonPath] + arguments)
            return TopResult(values: rows.map { TopValue(value: $0[0], count: $0[1]) },
                             total: counts?[0] ?? 0, withField: counts?[1] ?? 0)
        } }
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
        let minutes = max(1, minutes)
        let currentMinute = now.millisecondsSinceEpoch / 60_000
        let first = currentMinute - Int64(minutes) + 1
        return try read { db in
            var out = [Int](repeating: 0, count: minutes)
            let rows = try Row.fetchAll(db, sql: """
                SELECT ts / 60000 - ? AS m, count(*) FROM event WHERE ts >= ? AND ts < ? GROUP BY m
                """, arguments: [first, first * 60_000, (currentMinute + 1) * 60_000])
            for row in rows {
                let m: Int = row[0]
                if out.indices.contains(m) { out[m] = row[1] }
            }
            return out
        }
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
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let t = filter.eventType { conditions.append("event_type = ?"); arguments += [t] }
        if let s = filter.since { conditions.append("ts >= ?"); arguments += [s.millisecondsSinceEpoch] }
        if let u = filter.until { conditions.append("ts < ?"); arguments += [u.millisecondsSinceEpoch] }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        try read { db in
            // A store of the first schema, opened read-only (so not migrated), has no client_ts.
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
}
