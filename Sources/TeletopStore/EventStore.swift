import Foundation
import GRDB
import GRDBSQLite
import Synchronization
import TeletopCore

/// Accepted events in one SQLite file (WAL): rows of events (`EventBlock`), and the
/// aggregates that count them (lifetime totals per type; per minute, hour and
/// day, the count per type and per payload value) and the timeline keys,
/// written a few batches at a time behind a mark and counted again from the
/// rows after a crash (see `PendingAggregates`), so counters, aggregates and
/// rows always agree.
///
/// Thread-safe: GRDB's pool serialises writes and runs reads beside them.
public final class EventStore: Sendable {
    public let path: String
    let pool: DatabasePool
    let cache = Mutex(WriteCache())
    /// `EventBlock.maxBytes` for this file's page size (fixed when the file was made).
    let blockBytes: Int
    let readOnly: Bool
    /// Copies the log into the file beside the writer (nil: read-only, or SQLite does it in the commit).
    let checkpointer: LogCheckpointer?

    /// Whether the file at `path` was made by an older release and opening it
    /// will rebuild it (which takes a while for a big one: see `upgradeProgress`).
    public static func needsUpgrade(path: String) -> Bool {
        guard FileManager.default.fileExists(atPath: path), !StoreLocation.isFolder(path) else { return false }
        var config = Configuration()
        config.readonly = true
        guard let queue = try? DatabaseQueue(path: path, configuration: config) else { return false }
        return (try? queue.read { db in
            // Before v3 (a table of events), or before v6 (a row per event): either rebuilds from every row.
            try db.tableExists("event") || db.tableExists("event_row")
        }) ?? false
    }

    /// Opens (creating the file and its folder when missing) and migrates.
    /// `readOnly` is for `export`: it never creates or migrates anything.
    /// `upgradeProgress` hears the rebuild of a store made by an older release.
    public init(path: String, readOnly: Bool = false,
                upgradeProgress: @escaping @Sendable (StoreUpgrade.Progress) -> Void = { _ in }) throws(StoreError) {
        self.path = path
        self.readOnly = readOnly
        var config = Configuration()
        config.readonly = readOnly
        // Another process holding the write lock: wait a little, then fail with "locked".
        config.busyMode = .timeout(2)
        config.label = "teletop-store"
        if !readOnly {
            config.prepareDatabase { db in
                // FULL: a commit is on disk before its HTTP 200 (acknowledged means durable,
                // power loss included). Group commit pays one fsync per batch, not per event.
                try db.execute(sql: "PRAGMA synchronous = FULL")
                // A new file gives pages freed by retention back to the disk (see
                // `releaseFreePages`); on an existing file this changes nothing.
                // 8 KB pages (SQLite's default is 4 KB) halve the WAL frames, and the write
                // calls, of a big batch: 8% more events/s (`teletop-bench store`), with no
                // change to acknowledged HTTP writes measured. A new file only, like auto_vacuum.
                if !db.configuration.readonly { try db.execute(sql: "PRAGMA page_size = 8192; PRAGMA auto_vacuum = INCREMENTAL") }
            }
        }
        let exists = FileManager.default.fileExists(atPath: path)
        if StoreLocation.isFolder(path) { throw StoreError(path: path, kind: .cannotOpen, message: "this is a folder, not a store file") }
        if readOnly && !exists { throw StoreError(path: path, kind: .cannotOpen, message: "no store file here") }
        // A bare file name (`--db s.sqlite`) lives in the current folder, which exists.
        let folder = (path as NSString).deletingLastPathComponent
        if !readOnly && !folder.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw StoreError(path: path, kind: .cannotOpen, message: "cannot create the folder \(folder) (is a file in the way?)")
            }
        }
        do {
            pool = try DatabasePool(path: path, configuration: config)
            if !readOnly { try StoreSchema.migrator(upgradeProgress: upgradeProgress).migrate(pool) }
            if readOnly, try pool.read({ try !$0.tableExists("event") && !$0.viewExists("event") }) {
                throw StoreError(path: path, kind: .corrupt, message: "not a teletop store (it has no event table)")
            }
            blockBytes = EventBlock.maxBytes(pageSize: try pool.read { try Int.fetchOne($0, sql: "PRAGMA page_size") } ?? 4_096)
            checkpointer = readOnly ? nil : LogCheckpointer(path: path)
            if let checkpointer {
                try pool.writeWithoutTransaction { db in
                    if let connection = db.sqliteConnection { checkpointer.attach(to: connection) }
                    // A log that grew during a burst is cut back to 16 MiB when it next starts over.
                    try db.execute(sql: "PRAGMA journal_size_limit = 16777216")
                }
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(path: path, error)
        }
        // The events a crash left uncounted (at most one flush's worth) are counted now.
        try flushAggregates()
    }

    deinit {
        checkpointer?.detach()
    }

    /// Copies the whole log into the file now (benchmarks: the copy is part of what a write costs).
    /// Waits for a checkpoint under way on the checkpoint thread (one runs at a time).
    public func checkpointLog() throws(StoreError) {
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            do {
                _ = try pool.writeWithoutTransaction { db in try db.checkpoint(.passive) }
                return
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && ContinuousClock.now < deadline {
                Thread.sleep(forTimeInterval: 0.001)
            } catch {
                throw StoreError(path: path, error)
            }
        }
    }

    /// Writes a batch in one transaction (one fsync); its aggregates go with it
    /// or with a later batch's (`PendingAggregates`).
    public func insert(_ events: [LoggedEvent]) async throws(StoreError) {
        guard !events.isEmpty else { return }
        do {
            try await pool.write { db in try self.insertLocked(events, db) }
        } catch {
            forgetCache()
            throw StoreError(path: path, error)
        }
    }

    /// The same, blocking the calling thread (benchmarks and tests).
    public func insertBlocking(_ events: [LoggedEvent]) throws(StoreError) {
        guard !events.isEmpty else { return }
        do {
            try pool.write { db in try self.insertLocked(events, db) }
        } catch {
            forgetCache()
            throw StoreError(path: path, error)
        }
    }

    private func insertLocked(_ events: [LoggedEvent], _ db: Database) throws {
        try cache.withLock { cache in try Self.insert(events, db, &cache, blockBytes: blockBytes) }
    }

    /// After a failed write: the rolled-back transaction may have taken ids and values the cache holds.
    func forgetCache() {
        cache.withLock { c in
            let evicted = c.evicted
            c = WriteCache()
            c.evicted = evicted
        }
    }

    /// Value sets the write cache dropped to stay within its bounds (they are read back from the file when needed).
    public var cacheEvictions: Int { cache.withLock { $0.evicted } }

    /// One small write, for a writer that has nothing else to write: does the
    /// store take writes now (the lock is free, the disk has room)?
    public func probe(at now: Timestamp) async throws(StoreError) {
        do {
            try await pool.write { db in
                try db.execute(sql: "INSERT INTO store_probe (id, at) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET at = excluded.at",
                               arguments: [now.millisecondsSinceEpoch])
            }
        } catch {
            throw StoreError(path: path, error)
        }
    }

    /// SQLite's SQLITE_TRANSIENT: copy the bytes now (for Swift strings bridged for one call).
    static let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    // MARK: reading back

    /// Lifetime accepted counts per type (pruning does not lower them).
    public func totals() throws(StoreError) -> [String: UInt64] {
        try? flushAggregates()
        return try read { db in
            var out: [String: UInt64] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT event_type, accepted FROM type_total") {
                out[row[0]] = UInt64(max(0, row[1] as Int64))
            }
            return out
        }
    }

    /// The newest `limit` events, oldest first, for the feed after a restart.
    public func recent(limit: Int) throws(StoreError) -> [(event: AnalyticsEvent, source: EventSource)] {
        try read { db in
            let names = try Self.typeNames(db)
            var out: [(event: AnalyticsEvent, source: EventSource)] = []
            try Self.newest(limit, db) { _, e, text in
                guard case .object(let payload)? = try? JSONParser.parse(Array(UnsafeBufferPointer(rebasing: text[e.payload]))) else { return }
                let event = AnalyticsEvent(eventType: names[e.typeID] ?? "?", payload: payload, timestamp: Timestamp(millisecondsSinceEpoch: e.ts),
                                           clientTimestamp: e.clientTS.map(Timestamp.init(millisecondsSinceEpoch:)))
                out.append((event, EventSource(rawValue: UInt8(clamping: e.source)) ?? .replay))
            }
            return out.reversed()
        }
    }

    /// Events stored now (after pruning).
    public func count() throws(StoreError) -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT coalesce(sum(live), 0) FROM event_block") ?? 0 }
    }

    /// The file and its write-ahead log, in bytes.
    public var sizeOnDisk: Int64 {
        [path, path + "-wal"].reduce(0) { sum, p in
            sum + ((try? FileManager.default.attributesOfItem(atPath: p)[.size] as? Int64) ?? 0)
        }
    }

    /// `PRAGMA integrity_check`: "ok", or SQLite's list of problems.
    public func integrityCheck() throws(StoreError) -> String {
        try read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "; ") }
    }

    func read<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try pool.read(body)
        } catch {
            throw StoreError(path: path, error)
        }
    }

    // MARK: retention

    /// Deletes the rows beyond the newest `keep`, and those stamped before
    /// `before`, `chunk` rows per transaction, so batch inserts run between
    /// the chunks instead of waiting for the whole prune. Returns how many went;
    /// `progress` hears each chunk. The aggregates keep counting what went.
    public func prune(keep: Int?, before: Timestamp?, chunk: Int = 5_000, progress: (Int) -> Void = { _ in }) async throws(StoreError) -> Int {
        do {
            var deleted = 0
            if let keep {
                // The id of the newest event that goes; ids only grow, so all at or below it go too.
                let cutoff = try await pool.read { db in try Self.cutoff(keeping: keep, db) }
                if let cutoff {
                    deleted += try await removeEvents(.through(cutoff), from: .min, through: cutoff, chunk: chunk, progress)
                }
            }
            if let before {
                // By stamp, not by id: replayed events can be old and recent ones can sit
                // beside them. The minute map says which ids can hold old stamps.
                let minute = AggregateTally.minute(of: before)
                let range = try await pool.read { db in
                    try Row.fetchOne(db, sql: "SELECT min(first_id), max(last_id) FROM event_minute WHERE minute <= ?", arguments: [minute])
                }
                if let first = range?[0] as Int64?, let last = range?[1] as Int64? {
                    deleted += try await removeEvents(.before(before.millisecondsSinceEpoch), from: first, through: last, chunk: chunk, progress)
                }
            }
            if deleted > 0 {
                // The timeline keys of rows that went, by whole blocks below the oldest row kept
                // (keys of pruned rows in a block still in use stay until it goes; a lookup skips them),
                // a block per transaction, so inserts run between them as between the row chunks.
                let (below, fields) = try await pool.read { db in
                    (try Int64.fetchOne(db, sql: "SELECT min(id) FROM event_block").map { $0 >> Self.keyBlockShift } ?? .max,
                     try TimelineKey.indexedFields.compactMap { try Int64.fetchOne(db, sql: "SELECT id FROM field WHERE name = ?", arguments: [$0]) })
                }
                for field in fields {
                    // Each field's oldest block, by the primary key's order (field, block, ...): a seek, not a scan.
                    let oldest = "SELECT block FROM timeline_key WHERE field_id = ? ORDER BY block LIMIT 1"
                    var block = try await pool.read { db in try Int64.fetchOne(db, sql: oldest, arguments: [field]) }
                    while let current = block, current < below {
                        block = try await pool.write { db in
                            // The oldest row kept is asked again in the delete's own transaction: batches
                            // written since `below` was read may have brought rows back into the block
                            // (a store emptied by retention starts its ids again at 1).
                            try db.execute(sql: """
                                DELETE FROM timeline_key WHERE field_id = ? AND block = ?
                                AND block < coalesce((SELECT min(id) FROM event_block) >> ?, 9223372036854775807)
                                """, arguments: [field, current, Self.keyBlockShift])
                            guard db.changesCount > 0 else { return nil }
                            return try Int64.fetchOne(db, sql: oldest, arguments: [field])
                        }
                    }
                }
                try await pool.write { db in try Self.releaseFreePages(db) }
            }
            return deleted
        } catch {
            throw StoreError(path: path, error)
        }
    }
}

/// A store failure in words a person can act on: which file, and what SQLite said.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case full, locked, readOnly = "read-only", corrupt, cannotOpen = "cannot open", unavailable, other
        /// A shared store's COMMIT got no answer: the batch may be stored; it is sent again until that is known.
        case unsettled
    }

    public var path: String
    public var kind: Kind
    public var message: String
    /// The database server itself answered with this error (so, for a shared
    /// store, what was sent is known not to be committed).
    var serverAnswered = false

    public init(path: String, kind: Kind = .other, message: String) {
        self.path = path
        self.kind = kind
        self.message = message
    }

    init(path: String, _ error: any Error) {
        self.path = path
        if let e = error as? StoreError {
            self = e
            return
        }
        guard let db = error as? DatabaseError else {
            kind = .other
            message = "\(error)"
            return
        }
        switch db.resultCode.primaryResultCode {
        case .SQLITE_FULL: kind = .full; message = "the disk (or the database) is full"
        case .SQLITE_BUSY, .SQLITE_LOCKED: kind = .locked; message = "the database is locked by another process"
        case .SQLITE_READONLY, .SQLITE_PERM: kind = .readOnly; message = "the database file cannot be written"
        case .SQLITE_CORRUPT, .SQLITE_NOTADB: kind = .corrupt; message = "the file is not a teletop database, or it is corrupt"
        case .SQLITE_CANTOPEN: kind = .cannotOpen; message = "the file cannot be opened or created"
        default: kind = .other; message = db.message ?? "\(db.resultCode)"
        }
        if let detail = db.message, !message.contains(detail) { message += " (SQLite: \(detail))" }
    }

    /// A file that is not a database will not heal by itself; everything else may.
    public var needsReopen: Bool { kind == .corrupt || kind == .cannotOpen }

    public var description: String { "\(path): \(message)" }
}
