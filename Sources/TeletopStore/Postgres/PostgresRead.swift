import Foundation
import PostgresNIO
import TeletopCore

/// Answers from the aggregates of every writer on the database, so each
/// collector of a fleet answers for the whole fleet.
extension PostgresStore: StoreBackend {
    var place: String { address.redacted }
    var cacheEvictions: Int { kept.withLock { $0.evicted } }

    /// Runs a read on the readers' link and waits (see `PostgresLink.blocking`).
    func read<T: Sendable>(_ query: PostgresQuery, on link: PostgresLink? = nil,
                           _ body: @escaping @Sendable (PostgresRowSequence) async throws -> T) throws(StoreError) -> T {
        let link = link ?? reads
        return try PostgresLink.blocking { () throws(StoreError) -> T in
            try await link.run { c in try await body(try await c.query(query, logger: PostgresLink.log)) }
        }
    }

    public func totals() throws(StoreError) -> [String: UInt64] {
        try read("SELECT event_type, sum(n)::int8 FROM agg_count WHERE level = 3 GROUP BY event_type") { rows in
            var out: [String: UInt64] = [:]
            for try await (type, n) in rows.decode((String, Int64).self) { out[type] = UInt64(max(0, n)) }
            return out
        }
    }

    public func recent(limit: Int) throws(StoreError) -> [(event: AnalyticsEvent, source: EventSource)] {
        let rows = try read("SELECT event_type, ts, source, payload::text, client_ts FROM event_row ORDER BY id DESC LIMIT \(limit)") { rows in
            try await rows.decode((String, Int64, Int16, String, Int64?).self).reduce(into: []) { $0.append($1) }
        }
        return rows.reversed().compactMap { row -> (AnalyticsEvent, EventSource)? in
            guard case .object(let payload)? = try? JSONParser.parse(Array(row.3.utf8)) else { return nil }
            let event = AnalyticsEvent(eventType: row.0, payload: payload, timestamp: Timestamp(millisecondsSinceEpoch: row.1),
                                       clientTimestamp: row.4.map(Timestamp.init(millisecondsSinceEpoch:)))
            return (event, EventSource(rawValue: UInt8(clamping: row.2)) ?? .replay)
        }
    }

    /// Lifetime counts per type of every other writer (the other collectors, and this one's earlier runs).
    func othersTotals() async throws(StoreError) -> [String: UInt64]? {
        let own = Array(Self.ownWriters.withLock { $0 })
        return try await reads.run { c in
            var out: [String: UInt64] = [:]
            let sql: PostgresQuery = "SELECT event_type, sum(n)::int8 FROM agg_count WHERE level = 3 AND writer <> ALL(\(own)) GROUP BY event_type"
            for try await (type, n) in try await c.query(sql, logger: PostgresLink.log).decode((String, Int64).self) {
                out[type] = UInt64(max(0, n))
            }
            return out
        }
    }

    func storedCount() async throws(StoreError) -> Int {
        try await reads.run { c in
            for try await n in try await c.query("SELECT count(*)::int8 FROM event_row", logger: PostgresLink.log).decode(Int64.self) { return Int(n) }
            return 0
        }
    }

    /// The tables and their indexes, as PostgreSQL counts them.
    func storedBytes() async -> Int64 {
        let sql: PostgresQuery = """
            SELECT (coalesce(pg_total_relation_size(to_regclass('event_row')), 0) + coalesce(pg_total_relation_size(to_regclass('agg_count')), 0)
                  + coalesce(pg_total_relation_size(to_regclass('agg_value')), 0))::int8
            """
        return (try? await reads.run { c in
            for try await n in try await c.query(sql, logger: PostgresLink.log).decode(Int64.self) { return n }
            return 0
        }) ?? 0
    }

    /// Nothing to fold: each batch writes every level itself.
    func foldPass(now: Timestamp) async throws(StoreError) -> Bool { false }
    /// Every commit writes its own aggregates here: nothing waits.
    func flushAggregates() async throws(StoreError) {}

    // MARK: analytics

    /// A window's level and first bucket; nil seconds: the lifetime.
    static func span(windowSeconds: Int?, now: Timestamp) -> (level: PostgresLevel, from: Int64) {
        guard let seconds = windowSeconds else { return (.lifetime, 0) }
        let start = AggregateTally.minute(of: now.adding(milliseconds: -Int64(seconds) * 1000))
        // As in the SQLite store: minutes up to an hour, hours up to 8 days, then days.
        if seconds <= 3_600 { return (.minute, start) }
        if seconds <= 8 * 86_400 { return (.hour, PostgresLevel.hour.bucket(of: start)) }
        return (.day, PostgresLevel.day.bucket(of: start))
    }

    public func top(_ query: TopQuery) throws -> TopResult {
        if let problem = TopQuery.problem(withField: query.field) { throw StoreError(path: place, message: problem) }
        let (level, from) = Self.span(windowSeconds: query.windowSeconds, now: query.now)
        // One set of bindings for the three reads: $1 level, $2 first bucket, $3 the type (NULL: every type), $4 the field.
        var binds = PostgresBindings()
        binds.append(level.rawValue); binds.append(from)
        if let type = query.eventType { binds.append(Self.text(type)) } else { binds.appendNull() }
        binds.append(query.field)
        let types = "($3::text IS NULL OR event_type = $3)"
        // The count names $4 too (always true): every binding must be used by the statement it is sent with.
        let total = try read(PostgresQuery(unsafeSQL: "SELECT coalesce(sum(n), 0)::int8 FROM agg_count WHERE level = $1 AND bucket >= $2 AND \(types) AND $4::text IS NOT NULL",
                                           binds: binds)) { rows in
            for try await n in rows.decode(Int64.self) { return Int(n) }
            return 0
        }
        let filter = "field = $4 AND level = $1 AND bucket >= $2 AND \(types)"
        let values = try read(PostgresQuery(unsafeSQL: """
            SELECT value, sum(n)::int8 AS c FROM agg_value WHERE \(filter) AND value <> ''
            GROUP BY value ORDER BY c DESC, value COLLATE "C" LIMIT \(max(1, query.limit))
            """, binds: binds)) { rows in
            try await rows.decode((String, Int64).self).reduce(into: [TopValue]()) { $0.append(TopValue(value: $1.0, count: Int($1.1))) }
        }
        let sums = try read(PostgresQuery(unsafeSQL: """
            SELECT coalesce(sum(n), 0)::int8, coalesce(sum(n) FILTER (WHERE value = ''), 0)::int8 FROM agg_value WHERE \(filter)
            """, binds: binds)) { rows in
            for try await (all, other) in rows.decode((Int64, Int64).self) { return (Int(all), Int(other)) }
            return (0, 0)
        }
        return TopResult(values: values, total: total, withField: sums.0, other: sums.1)
    }

    public func perMinute(minutes: Int, now: Timestamp) throws -> [Int] {
        let last = AggregateTally.minute(of: now)
        return try series(level: .minute, eventType: nil, from: last - Int64(max(1, minutes)) + 1, now: now).map(\.count)
    }

    public func series(_ query: SeriesQuery) throws -> [SeriesPoint] {
        let level = PostgresLevel(query.bucket)
        let nowMinute = AggregateTally.minute(of: query.now)
        var from: Int64
        if let seconds = query.window.seconds {
            from = level.bucket(of: AggregateTally.minute(of: query.now.adding(milliseconds: -Int64(seconds) * 1000)))
        } else {
            from = try read(PostgresQuery(unsafeSQL: "SELECT min(bucket) FROM agg_count WHERE level = \(level.rawValue)")) { rows in
                for try await first in rows.decode(Int64?.self) { return first }
                return nil
            } ?? level.bucket(of: nowMinute)
        }
        from = max(from, level.bucket(of: nowMinute) - (EventStore.maxSeriesPoints - 1) * level.minutes)
        return try series(level: level, eventType: query.eventType, from: from, now: query.now)
    }

    func series(level: PostgresLevel, eventType: String?, from: Int64, now: Timestamp) throws -> [SeriesPoint] {
        let width = level.minutes
        let last = level.bucket(of: AggregateTally.minute(of: now))
        let count = max(0, Int((last - from) / width) + 1)
        var out = (0..<count).map { SeriesPoint(start: Timestamp(millisecondsSinceEpoch: (from + Int64($0) * width) * 60_000), count: 0) }
        guard count > 0 else { return out }
        var binds = PostgresBindings()
        binds.append(level.rawValue); binds.append(from); binds.append(last)
        if let eventType { binds.append(Self.text(eventType)) } else { binds.appendNull() }
        let rows = try read(PostgresQuery(unsafeSQL: """
            SELECT bucket, sum(n)::int8 FROM agg_count WHERE level = $1 AND bucket >= $2 AND bucket <= $3 AND ($4::text IS NULL OR event_type = $4)
            GROUP BY bucket
            """, binds: binds)) { rows in
            try await rows.decode((Int64, Int64).self).reduce(into: [(Int64, Int64)]()) { $0.append($1) }
        }
        for (bucket, n) in rows {
            let i = Int((bucket - from) / width)
            if out.indices.contains(i) { out[i].count += Int(n) }
        }
        return out
    }

    // MARK: export

    /// Pages of rows by id (keyset), so memory stays flat and each page is one
    /// short query, all in one REPEATABLE READ transaction on a connection of
    /// its own: with several collectors, ids are taken before commits land, so
    /// paging outside one snapshot could step past a batch that commits late.
    func export(_ filter: ExportFilter, _ each: (ExportRow) throws -> Void) throws {
        let link = PostgresLink(address: address, name: "export", deadline: .seconds(60))
        defer { link.close() }
        _ = try read("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", on: link) { _ in 0 }
        var after: Int64 = 0
        while true {
            var binds = PostgresBindings()
            binds.append(after)
            if let t = filter.eventType { binds.append(Self.text(t)) } else { binds.appendNull() }
            if let s = filter.since { binds.append(s.millisecondsSinceEpoch) } else { binds.appendNull() }
            if let u = filter.until { binds.append(u.millisecondsSinceEpoch) } else { binds.appendNull() }
            let page = try read(PostgresQuery(unsafeSQL: """
                SELECT id, event_type, ts, source, payload::text, client_ts FROM event_row
                WHERE id > $1 AND ($2::text IS NULL OR event_type = $2) AND ($3::int8 IS NULL OR ts >= $3) AND ($4::int8 IS NULL OR ts < $4)
                ORDER BY id LIMIT \(Self.exportPage)
                """, binds: binds), on: link) { rows in
                try await rows.decode((Int64, String, Int64, Int16, String, Int64?).self).reduce(into: []) { $0.append($1) }
            }
            for row in page {
                try each(ExportRow(eventType: row.1, timestamp: Timestamp(millisecondsSinceEpoch: row.2),
                                   source: EventSource(rawValue: UInt8(clamping: row.3)), payloadJSON: row.4,
                                   clientTimestamp: row.5.map(Timestamp.init(millisecondsSinceEpoch:))))
            }
            guard page.count == Self.exportPage, let last = page.last else { return }
            after = last.0
        }
    }

    static let exportPage = 2_000

    // MARK: retention

    /// Runs `body` holding the retention lock, or not at all when another
    /// collector holds it (it is pruning the same rows). The lock is the
    /// session's: a collector that dies mid-way lets go of it with its connection.
    func withRetentionLock(_ body: () async throws(StoreError) -> Int) async throws(StoreError) -> Int {
        let key = PostgresSchema.retentionLock
        let got = try await writes.run { c in
            for try await ok in try await c.query("SELECT pg_try_advisory_lock(\(key))", logger: PostgresLink.log).decode(Bool.self) { return ok }
            return false
        }
        guard got else { return 0 }
        let result: Result<Int, StoreError>
        do { result = .success(try await body()) } catch { result = .failure(error) }
        _ = try? await writes.run { c in try await c.query("SELECT pg_advisory_unlock(\(key))", logger: PostgresLink.log); return () }
        return try result.get()
    }

    /// Says this writer runs (batches say so too): an idle collector's lifetime rows stay its own.
    func heartbeat() async {
        let writer = writer
        _ = try? await writes.run { c in
            try await c.query("UPDATE teletop_writer SET seen_at = now(), merged = false WHERE id = \(writer)", logger: PostgresLink.log)
            return ()
        }
    }

    /// A run silent this long has ended (a collector beats every 30 s).
    static let endedAfter = "1 hour"

    /// Every start of a collector is a new writer, each keeping up to the
    /// lifetime bound of values per field: the lifetime rows of runs that
    /// ended are merged into writer 0's, capped at the same bound (the rest
    /// counted as other), so those rows stay bounded however often
    /// collectors restart. Sums are kept exactly; a run that comes back
    /// writes rows of its own again. Returns how many runs were merged.
    func mergeEndedRuns(limit: Int = AggregateLimits.valuesInLifetime) async throws(StoreError) -> Int {
        let ended = try await writes.run { c in
            var ended: [Int32] = []
            for try await id in try await c.query(PostgresQuery(unsafeSQL: """
                SELECT id FROM teletop_writer WHERE id <> 0 AND NOT merged AND seen_at < now() - interval '\(Self.endedAfter)'
                """), logger: PostgresLink.log).decode(Int32.self) {
                ended.append(id)
            }
            return ended
        }
        guard !ended.isEmpty else { return 0 }
        // A connection of its own, with room for a big merge: the writer's 5 s are for batches.
        let link = PostgresLink(address: address, name: "merge", deadline: .seconds(120))
        defer { link.close() }
        return try await link.run { c in
            try await c.query("BEGIN", logger: PostgresLink.log)
            do {
                try await c.query("""
                    WITH vals AS (DELETE FROM agg_value WHERE level = 3 AND writer = ANY(\(ended)) RETURNING field, event_type, value, n)
                    INSERT INTO agg_value (field, level, bucket, event_type, value, writer, n)
                    SELECT field, 3, 0, event_type, value, 0, sum(n) FROM vals GROUP BY field, event_type, value
                    ON CONFLICT (field, level, bucket, event_type, value, writer) DO UPDATE SET n = agg_value.n + excluded.n
                    """, logger: PostgresLink.log)
                try await c.query("""
                    WITH cnts AS (DELETE FROM agg_count WHERE level = 3 AND writer = ANY(\(ended)) RETURNING event_type, n)
                    INSERT INTO agg_count (level, bucket, event_type, writer, n)
                    SELECT 3, 0, event_type, 0, sum(n) FROM cnts GROUP BY event_type
                    ON CONFLICT (level, bucket, event_type, writer) DO UPDATE SET n = agg_count.n + excluded.n
                    """, logger: PostgresLink.log)
                // Writer 0 keeps the bound too: its least counted values beyond it go to other.
                try await c.query("""
                    WITH ranked AS (
                        SELECT field, event_type, value, row_number() OVER (PARTITION BY field, event_type ORDER BY n DESC, value COLLATE "C") AS r
                        FROM agg_value WHERE level = 3 AND bucket = 0 AND writer = 0 AND value <> ''
                    ), beyond AS (
                        DELETE FROM agg_value a USING ranked x
                        WHERE a.level = 3 AND a.bucket = 0 AND a.writer = 0 AND a.field = x.field AND a.event_type = x.event_type
                          AND a.value = x.value AND x.r > \(limit)
                        RETURNING a.field, a.event_type, a.n
                    )
                    INSERT INTO agg_value (field, level, bucket, event_type, value, writer, n)
                    SELECT field, 3, 0, event_type, '', 0, sum(n) FROM beyond GROUP BY field, event_type
                    ON CONFLICT (field, level, bucket, event_type, value, writer) DO UPDATE SET n = agg_value.n + excluded.n
                    """, logger: PostgresLink.log)
                try await c.query("UPDATE teletop_writer SET merged = true WHERE id = ANY(\(ended))", logger: PostgresLink.log)
                try await c.query("COMMIT", logger: PostgresLink.log)
            } catch {
                _ = try? await c.query("ROLLBACK", logger: PostgresLink.log)
                throw error
            }
            return ended.count
        }
    }

    func pruneAggregates(now: Timestamp, days: Int) async throws(StoreError) {
        let nowMinute = AggregateTally.minute(of: now)
        let minuteCut = nowMinute - EventStore.minuteRetention
        let hourValueCut = nowMinute - EventStore.hourValueRetention
        let dayCut = nowMinute - max(EventStore.dayRetentionFloor, Int64(days) * 1_440)
        _ = try await withRetentionLock { () throws(StoreError) -> Int in
            try await writes.run { c in
                for (table, level, cut) in [("agg_value", 0, minuteCut), ("agg_count", 0, minuteCut), ("agg_value", 1, hourValueCut),
                                            ("agg_count", 1, dayCut), ("agg_value", 2, dayCut), ("agg_count", 2, dayCut)] {
                    try await c.query(PostgresQuery(unsafeSQL: "DELETE FROM \(table) WHERE level = \(level) AND bucket < \(cut)"), logger: PostgresLink.log)
                }
                return 0
            } + (try await mergeEndedRuns())
        }
    }

    func pruneRows(keep: Int?, before: Timestamp?, progress: (Int) -> Void) async throws(StoreError) -> Int {
        try await withRetentionLock { () throws(StoreError) -> Int in
            var deleted = 0
            if let keep {
                let cutoff = try await writes.run { c -> Int64? in
                    for try await id in try await c.query("SELECT id FROM event_row ORDER BY id DESC OFFSET \(keep) LIMIT 1", logger: PostgresLink.log)
                        .decode(Int64.self) { return id }
                    return nil as Int64?
                }
                if let cutoff { deleted += try await deleteInChunks("id <= \(cutoff)", progress) }
            }
            if let before { deleted += try await deleteInChunks("ts < \(before.millisecondsSinceEpoch)", progress) }
            return deleted
        }
    }

    /// Small deletes, so batches commit between them.
    private func deleteInChunks(_ condition: String, _ progress: (Int) -> Void) async throws(StoreError) -> Int {
        var deleted = 0
        while true {
            let n = try await writes.run { c in
                let rows = try await c.query(PostgresQuery(unsafeSQL: """
                    WITH gone AS (DELETE FROM event_row WHERE id IN (SELECT id FROM event_row WHERE \(condition) LIMIT 5000) RETURNING 1)
                    SELECT count(*)::int8 FROM gone
                    """), logger: PostgresLink.log)
                for try await n in rows.decode(Int64.self) { return Int(n) }
                return 0
            }
            if n == 0 { return deleted }
            deleted += n
            progress(n)
        }
    }
}
