import GRDB
import GRDBSQLite
import TeletopCore

/// What the last batches add to the aggregates, the type totals and the
/// timeline keys, counted in memory (`WriteCache.tally`, `pendingKeys`) and
/// written together behind a mark, `agg_mark.through`: the newest event id
/// that those tables count. A commit writes only its blocks and the minute map.
///
/// Why: a small commit (an acknowledged HTTP request's) wrote a dozen rows of
/// counts and keys, each on a page of its own, for its few events, and every
/// big batch of a stream wrote its popular values again. Kept over batches,
/// each distinct value is written once per flush.
///
/// Why the aggregates stay exact: events are durable with their own commit,
/// and whatever comes after the mark is counted again from its blocks
/// whenever this writer's tally is not known to hold exactly those events:
/// at open (after a crash or `kill -9`), after a failed write (its
/// rolled-back transaction may have taken a flush with it), and when another
/// process wrote to the file since. Every reader of the aggregates in this
/// process (`top`, `series`, the chart, the fold, retention) flushes first,
/// so no answer misses a stored event; `sqlite3` on the file sees the
/// aggregates at most `maxAge` behind the events.
enum PendingAggregates {
    /// A flush comes at whichever is first: so many events, so many bytes of
    /// tally, or a batch this long after the first one pending.
    static let maxEvents = 65_536
    static let maxBytes = 8 << 20
    static let maxAge: Duration = .seconds(1)

    static func due(_ cache: WriteCache) -> Bool {
        let tally = cache.tally
        guard tally.events > 0 else { return false }
        if tally.events >= maxEvents || tally.footprint + cache.pendingKeys.capacity * MemoryLayout<EventStore.TimelineEntry>.stride >= maxBytes { return true }
        return cache.pendingSince.map { ContinuousClock.now - $0 >= maxAge } ?? true
    }
}

extension EventStore {
    /// At the start of every write transaction: makes the tally a true count of
    /// every event after the file's mark (counting them again from their blocks
    /// when it is not). Returns the id the next event gets.
    static func settleMark(_ db: Database, _ cache: inout WriteCache) throws -> Int64 {
        let mark = try Int64.fetchOne(db, sql: "SELECT through FROM agg_mark") ?? 0
        let newestEnd = try Int64.fetchOne(db, sql: "SELECT id + n FROM event_block ORDER BY id DESC LIMIT 1") ?? 1
        // Ids go on after the mark even when retention emptied the store, so an id is never counted twice.
        let next = max(newestEnd, mark + 1)
        if cache.mark == mark && cache.nextID == next { return next }
        try recount(after: mark, db, &cache)
        return next
    }

    /// Counts the events after `mark` from their blocks and writes them.
    static func recount(after mark: Int64, _ db: Database, _ cache: inout WriteCache) throws {
        cache.tally.removeAll()
        cache.pendingKeys.removeAll()
        let names = try typeNames(db)
        var newest = mark
        let select = try SQLiteStatement(db, "SELECT id, n, events FROM event_block WHERE id >= ?1 ORDER BY id")
        select.bind(1, try blockStart(holding: mark + 1, db))
        try select.query { row in
            let id = row.int(0), text = row.bytes(2)
            newest = max(newest, id + row.int(1) - 1)
            for case let e? in try decode(text, block: id) where id + Int64(e.index) > mark {
                // A payload the store wrote is an object; anything else is counted with no fields.
                let payload: JSONObject
                if case .object(let o)? = try? JSONParser.parse(Array(UnsafeBufferPointer(rebasing: text[e.payload]))) { payload = o } else { payload = [:] }
                let packed = PackedPayload(payload)
                cache.tally.add(LoggedEvent(sequence: UInt64(max(0, id + Int64(e.index))), eventType: names[e.typeID] ?? "?",
                                            timestamp: Timestamp(millisecondsSinceEpoch: e.ts),
                                            source: EventSource(rawValue: UInt8(clamping: e.source)) ?? .replay, unplanned: false,
                                            packedPayload: packed))
                collectTimelineKeys(packed, id: id + Int64(e.index), into: &cache.pendingKeys)
            }
        }
        cache.mark = mark
        cache.nextID = newest + 1
        if cache.tally.events > 0 {
            try writePending(db, &cache)
        } else if newest > mark {
            try setMark(newest, db, &cache)
        }
    }

    /// Writes the tally's aggregates, type totals and timeline keys, and moves the
    /// mark to the newest event they count.
    static func writePending(_ db: Database, _ cache: inout WriteCache) throws {
        guard cache.tally.events > 0, let next = cache.nextID else { return }
        try writeAggregates(db, &cache)
        try writeTypeTotals(cache.tally, db)
        try writeTimelineKeys(cache.pendingKeys, db, &cache)
        try setMark(next - 1, db, &cache)
        cache.tally.removeAll()
        cache.pendingKeys.removeAll(keepingCapacity: cache.pendingKeys.capacity <= 1 << 17)
        cache.pendingSince = nil
    }

    private static func setMark(_ through: Int64, _ db: Database, _ cache: inout WriteCache) throws {
        try db.execute(sql: "UPDATE agg_mark SET through = ?", arguments: [through])
        cache.mark = through
    }

    /// Every aggregate counted in the file, in the transaction `db` is in.
    func flushPending(_ db: Database) throws {
        try cache.withLock { cache in
            _ = try Self.settleMark(db, &cache)
            try Self.writePending(db, &cache)
        }
    }

    /// Writes what is pending now; readers of the aggregates call it first.
    /// A store opened read-only (export) writes nothing and reads what is written.
    public func flushAggregates() throws(StoreError) {
        guard !readOnly, cache.withLock({ $0.mark == nil || $0.tally.events > 0 }) else { return }
        try writing { _ in }
    }

    /// A write transaction that counts every pending event first (the fold,
    /// retention and aggregate retention read and change what it writes).
    /// A failure drops the write cache: the rollback may have taken a flush with it.
    func writing<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try pool.write { db in
                try flushPending(db)
                return try body(db)
            }
        } catch {
            forgetCache()
            throw StoreError(path: path, error)
        }
    }

    func writing<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws(StoreError) -> T {
        do {
            return try await pool.write { [self] db in
                try flushPending(db)
                return try body(db)
            }
        } catch {
            forgetCache()
            throw StoreError(path: path, error)
        }
    }
}
