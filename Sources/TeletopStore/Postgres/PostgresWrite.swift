import Foundation
import PostgresNIO
import Synchronization
import TeletopCore

/// The aggregate levels in PostgreSQL: the SQLite store's three, and the
/// lifetime (one bucket, 0) that answers `window=all` and the restored totals.
enum PostgresLevel: Int16, CaseIterable {
    case minute = 0, hour, day, lifetime

    init(_ bucket: SeriesBucket) {
        switch bucket {
        case .minute: self = .minute
        case .hour: self = .hour
        case .day: self = .day
        }
    }

    /// The SQLite store's level of the same size (nil: the lifetime, one bucket).
    var aggregate: AggregateLevel? { AggregateLevel(rawValue: Int64(rawValue)) }

    func bucket(of minute: Int64) -> Int64 { aggregate?.bucket(of: minute) ?? 0 }

    /// A bucket's width in minutes (the lifetime's is never asked for: it has no series).
    var minutes: Int64 { aggregate?.minutes ?? 1 }

    var valueLimit: Int { self == .lifetime ? AggregateLimits.valuesInLifetime : AggregateLimits.valuesPerBucket }
}

extension PostgresStore {
    /// One batch: rows, counts and values in one statement (data-modifying
    /// CTEs) between BEGIN and COMMIT, so one transaction, and an answer only
    /// once COMMIT is answered (PostgreSQL answers a lone statement before
    /// its implicit commit). The statement is guarded by this writer's batch
    /// number: sent twice, it stores once.
    ///
    /// Throws `.unsettled` when the connection broke or the deadline passed
    /// after the batch went out: it may or may not be stored, and `settle`
    /// finds out by sending it again.
    public func insert(_ events: [LoggedEvent]) async throws(StoreError) {
        guard !events.isEmpty else { return }
        precondition(unsettled.withLock { $0 } == nil, "a batch is unsettled: settle() first")
        let seq = batches.add(1, ordering: .relaxed).newValue
        let query: BatchStatement
        let connection: PostgresConnection
        do {
            query = try await build(events, seq: seq)
            // Not connected: the batch never left, so there is nothing to settle.
            connection = try await writes.connected()
        } catch {
            kept.withLock { $0.forget() }
            throw error
        }
        try await send(query, on: connection)
    }

    /// Sends a batch's statement in a transaction; on a lost answer keeps it in `unsettled`.
    ///
    /// PostgresNIO sends a query only once the one before is answered, so
    /// COMMIT goes out only after the statement's answer: a failure before that
    /// leaves nothing stored (an open transaction dies with its connection),
    /// and so does any error PostgreSQL itself answers. Only COMMIT sent and
    /// no answer (the connection broke, the deadline passed) is unknown.
    private func send(_ query: BatchStatement, on connection: PostgresConnection) async throws(StoreError) {
        let commitOut = Flag()
        do {
            try await writes.run(on: connection) { c in
                do {
                    try await c.query("BEGIN", logger: PostgresLink.log)
                    _ = try await c.execute(query, logger: PostgresLink.log).reduce(0) { $0 + $1 }
                } catch {
                    // Unanswered, COMMIT never goes out (the open transaction dies with its
                    // connection); answered with an error, the transaction is aborted.
                    _ = try? await c.query("ROLLBACK", logger: PostgresLink.log)
                    throw error
                }
                commitOut.set()
                try await c.query("COMMIT", logger: PostgresLink.log)
            }
            unsettled.withLock { $0 = nil }
        } catch {
            kept.withLock { $0.forget() }
            guard error.kind == .unavailable && commitOut.isSet && !error.serverAnswered else {
                unsettled.withLock { $0 = nil }
                throw error
            }
            unsettled.withLock { $0 = query }
            throw StoreError(path: place, kind: .unsettled,
                             message: "\(error.message); whether the last batch committed is not known yet, so it is sent again (once stored, never twice) until PostgreSQL answers")
        }
    }

    /// Set from the child task that sends a batch.
    final class Flag: Sendable {
        private let value = Mutex(false)
        func set() { value.withLock { $0 = true } }
        var isSet: Bool { value.withLock { $0 } }
    }

    /// A batch left unsettled by `insert`: sent again (its guard stores it at
    /// most once). Returns false when nothing was unsettled, true once the
    /// batch is known to be stored; throws `.unsettled` while that is still
    /// unknown, another error when it is known not to be.
    public func settle() async throws(StoreError) -> Bool {
        guard let query = unsettled.withLock({ $0 }) else { return false }
        let connection: PostgresConnection
        do {
            connection = try await writes.connected()
        } catch {
            throw StoreError(path: place, kind: .unsettled, message: "\(error.message); the last batch is not settled yet")
        }
        try await send(query, on: connection)
        return true
    }

    /// The statement for a batch, its aggregates counted in memory first.
    func build(_ events: [LoggedEvent], seq: Int64) async throws(StoreError) -> BatchStatement {
        var types: [String] = [], stamps: [Int64] = [], sources: [Int16] = [], clients: [Int64] = []
        types.reserveCapacity(events.count); stamps.reserveCapacity(events.count); sources.reserveCapacity(events.count)
        clients.reserveCapacity(events.count)
        // Every payload in one text, each after a 0x01: compact JSON never holds
        // that byte raw (control characters are escaped), and one string is
        // cheaper to make and to send than a string per event.
        var payloads: [UInt8] = []
        payloads.reserveCapacity(events.count * 192)
        var tally = AggregateTally()
        for e in events {
            types.append(Self.text(e.eventType))
            stamps.append(e.timestamp.millisecondsSinceEpoch)
            sources.append(Int16(e.source.rawValue))
            clients.append(e.clientTimestamp?.millisecondsSinceEpoch ?? Self.noClientStamp)
            payloads.append(Self.payloadSeparator)
            e.packedPayload.writeJSON(into: &payloads)
            tally.add(e)
        }
        // Counts per level and bucket.
        var counts: [KeptValues.Group: Int64] = [:]
        for t in tally.typeCounts {
            for level in PostgresLevel.allCases {
                counts[KeptValues.Group(level: level.rawValue, bucket: level.bucket(of: t.minute), type: Self.text(tally.types[Int(t.typeIndex)]), field: ""),
                       default: 0] += Int64(t.count)
            }
        }
        // Values per level and bucket; "" is the field's other count.
        var values: [KeptValues.Group: [String: Int64]] = [:]
        for e in tally.entries {
            let type = Self.text(tally.types[Int(e.typeIndex)]), field = tally.fieldName(e), value = tally.valueJSON(e) ?? ""
            // A key holding NUL cannot be a PostgreSQL text, nor asked for by `/top` (letters, digits, _ and -).
            if field.utf8.contains(0) { continue }
            for level in PostgresLevel.allCases {
                values[KeptValues.Group(level: level.rawValue, bucket: level.bucket(of: e.minute), type: type, field: field), default: [:]][value,
                    default: 0] += Int64(e.count)
            }
        }
        try await learn(Array(values.keys))
        var vFields: [String] = [], vLevels: [Int16] = [], vBuckets: [Int64] = [], vTypes: [String] = [], vValues: [String] = [], vCounts: [Int64] = []
        kept.withLock { cache in
            for (group, byValue) in values {
                var known = cache.groups[group] ?? []
                var other: Int64 = 0
                for (value, n) in byValue {
                    var key = value
                    if !value.isEmpty && !known.contains(value) {
                        if known.count < PostgresLevel(rawValue: group.level)!.valueLimit {
                            known.insert(value)
                            cache.values += 1
                        } else {
                            key = ""
                        }
                    }
                    if key.isEmpty { other += n; continue }
                    vFields.append(group.field); vLevels.append(group.level); vBuckets.append(group.bucket); vTypes.append(group.type)
                    vValues.append(key); vCounts.append(n)
                }
                if other > 0 {
                    vFields.append(group.field); vLevels.append(group.level); vBuckets.append(group.bucket); vTypes.append(group.type)
                    vValues.append(""); vCounts.append(other)
                }
                cache.groups[group] = known
            }
        }
        var cLevels: [Int16] = [], cBuckets: [Int64] = [], cTypes: [String] = [], cCounts: [Int64] = []
        for (group, n) in counts {
            cLevels.append(group.level); cBuckets.append(group.bucket); cTypes.append(group.type); cCounts.append(n)
        }
        var binds = PostgresBindings(capacity: 20)
        binds.append(writer)
        binds.append(seq)
        binds.append(types); binds.append(stamps); binds.append(sources); binds.append(clients)
        binds.append(String(decoding: payloads.dropFirst(), as: UTF8.self))
        binds.append(cLevels); binds.append(cBuckets); binds.append(cTypes); binds.append(cCounts)
        binds.append(vFields); binds.append(vLevels); binds.append(vBuckets); binds.append(vTypes); binds.append(vValues); binds.append(vCounts)
        return BatchStatement(binds: binds)
    }

    /// PostgreSQL's text holds no NUL: an event type with one keeps it as JSON writes it (`\\u0000`).
    static func text(_ s: String) -> String {
        s.utf8.contains(0) ? s.replacingOccurrences(of: "\u{0}", with: "\\u0000") : s
    }

    /// Between payloads in a batch's one text of them (see `build`).
    static let payloadSeparator: UInt8 = 0x01

    /// `client_ts` NULL, as an array element (arrays of optionals are not bound).
    static let noClientStamp = Int64.min

    /// Reads back the kept values of groups the cache does not hold (new to
    /// this run, or forgotten), so the bound counts what the database holds.
    private func learn(_ groups: [KeptValues.Group]) async throws(StoreError) {
        let missing = kept.withLock { cache -> [KeptValues.Group] in
            if cache.values > KeptValues.maxValues {
                cache.evicted += cache.groups.count
                cache.forget()
            }
            return groups.filter { cache.groups[$0] == nil }
        }
        guard !missing.isEmpty else { return }
        let writer = writer
        var binds = PostgresBindings()
        binds.append(writer)
        binds.append(missing.map(\.field)); binds.append(missing.map(\.level)); binds.append(missing.map(\.bucket)); binds.append(missing.map(\.type))
        let query = PostgresQuery(unsafeSQL: """
            SELECT a.field, a.level, a.bucket, a.event_type, a.value FROM unnest($2::text[], $3::int2[], $4::int8[], $5::text[]) AS g(f, l, b, t)
            JOIN agg_value a ON a.field = g.f AND a.level = g.l AND a.bucket = g.b AND a.event_type = g.t AND a.writer = $1 AND a.value <> ''
            """, binds: binds)
        let found = try await writes.run { c in
            var found: [KeptValues.Group: Set<String>] = [:]
            for try await (field, level, bucket, type, value) in try await c.query(query, logger: PostgresLink.log)
                .decode((String, Int16, Int64, String, String).self) {
                found[KeptValues.Group(level: level, bucket: bucket, type: type, field: field), default: []].insert(value)
            }
            return found
        }
        kept.withLock { cache in
            for g in missing {
                let values = found[g] ?? []
                cache.groups[g] = values
                cache.values += values.count
            }
        }
    }

    public func probe(at now: Timestamp) async throws(StoreError) {
        let writer = writer
        try await writes.run { c in
            try await c.query("UPDATE teletop_writer SET last_batch = last_batch WHERE id = \(writer)", logger: PostgresLink.log)
            return ()
        }
    }
}

/// A batch's statement, prepared once per connection: planning five CTEs
/// over arrays for every commit cost PostgreSQL more than running them.
/// Its bindings are the batch (see `PostgresStore.build`).
struct BatchStatement: PostgresPreparedStatement {
    typealias Row = Int64
    static let name = "teletop_batch_v3"
    // `w` moves this writer's batch number on, and only forward: a batch sent
    // again after its first sending committed finds no row to move, so
    // nothing below it is written twice. Its row lock also makes a second
    // sending wait for a first one still in flight on a dead connection.
    static let sql = """
        WITH w AS (
            UPDATE teletop_writer SET last_batch = $2, seen_at = now(), merged = false WHERE id = $1 AND last_batch < $2 RETURNING id
        ), r AS (
            INSERT INTO event_row (event_type, ts, source, client_ts, payload, writer)
            SELECT t, ts, s, nullif(c, \(PostgresStore.noClientStamp)), p::json, $1 FROM unnest($3::text[], $4::int8[], $5::int2[], $6::int8[], string_to_array($7::text, chr(1))) AS u(t, ts, s, c, p)
            WHERE EXISTS (SELECT 1 FROM w)
        ), k AS (
            INSERT INTO agg_count (level, bucket, event_type, writer, n)
            SELECT l, b, t, $1, n FROM unnest($8::int2[], $9::int8[], $10::text[], $11::int8[]) AS u(l, b, t, n)
            WHERE EXISTS (SELECT 1 FROM w)
            ON CONFLICT (level, bucket, event_type, writer) DO UPDATE SET n = agg_count.n + excluded.n
        ), v AS (
            INSERT INTO agg_value (field, level, bucket, event_type, value, writer, n)
            SELECT f, l, b, t, v, $1, n FROM unnest($12::text[], $13::int2[], $14::int8[], $15::text[], $16::text[], $17::int8[]) AS u(f, l, b, t, v, n)
            WHERE EXISTS (SELECT 1 FROM w)
            ON CONFLICT (field, level, bucket, event_type, value, writer) DO UPDATE SET n = agg_value.n + excluded.n
        )
        SELECT count(*) FROM w
        """

    let binds: PostgresBindings

    func makeBindings() throws -> PostgresBindings { binds }
    func decodeRow(_ row: PostgresRow) throws -> Int64 { try row.decode(Int64.self) }
}
