import GRDB
import GRDBSQLite
import TeletopCore

/// Reading `event_block` back, and retention inside blocks.
extension EventStore {
    /// A block's elements, or SQLite's "corrupt" for text the store did not write.
    static func decode(_ text: UnsafeBufferPointer<UInt8>, block id: Int64) throws -> [EventBlock.Element?] {
        do {
            return try EventBlock.elements(text)
        } catch {
            throw DatabaseError(resultCode: .SQLITE_CORRUPT, message: "event block \(id): \(error)")
        }
    }

    /// The type names by id, looked up once per read (joining them in SQL would unpack every block).
    static func typeNames(_ db: Database) throws -> [Int64: String] {
        var names: [Int64: String] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT id, name FROM event_type") { names[row[0]] = row[1] }
        return names
    }

    /// The block that holds event `id` (or, when none does, the first block after it): where a scan from `id` starts.
    static func blockStart(holding id: Int64, _ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT id FROM event_block WHERE id <= ? ORDER BY id DESC LIMIT 1", arguments: [id]) ?? id
    }

    /// Which events a retention pass takes.
    enum Cut: Sendable {
        /// Every event up to this id.
        case through(Int64)
        /// Every event stamped before this (milliseconds since the epoch).
        case before(Int64)

        func takes(id: Int64, ts: Int64) -> Bool {
            switch self {
            case .through(let last): id <= last
            case .before(let ms): ts < ms
            }
        }

        /// The minute map's rows of what went, dropped in the pass's last transaction
        /// (in the same one as its last events, so the map never names rows that are gone).
        func forgetMinutes(_ db: Database) throws {
            switch self {
            case .through(let last): try db.execute(sql: "DELETE FROM event_minute WHERE last_id <= ?", arguments: [last])
            case .before(let ms):
                let minute = AggregateTally.minute(of: Timestamp(millisecondsSinceEpoch: ms))
                try db.execute(sql: "DELETE FROM event_minute WHERE minute < ?", arguments: [minute])
            }
        }
    }

    /// The id of the newest event that goes when the newest `keep` stay (nil: none goes).
    static func cutoff(keeping keep: Int, _ db: Database) throws -> Int64? {
        var kept: Int64 = 0
        var boundary: (id: Int64, need: Int64)?
        try SQLiteStatement(db, "SELECT id, live FROM event_block ORDER BY id DESC").queryWhile({ row in
            let live = row.int(1)
            if kept + live > Int64(keep) {
                boundary = (row.int(0), Int64(keep) - kept)
                return false
            }
            kept += live
            return true
        })
        guard let boundary else { return nil }
        var cutoff: Int64?
        let read = try SQLiteStatement(db, "SELECT events FROM event_block WHERE id = ?1")
        read.bind(1, boundary.id)
        try read.query { row in
            let live = try decode(row.bytes(0), block: boundary.id).compactMap { $0?.index }
            // The block keeps its newest `need`; the one before them is the last to go.
            cutoff = boundary.id + Int64(live[live.count - Int(boundary.need) - 1])
        }
        return cutoff
    }

    /// Takes the events `cut` picks from the blocks between the one holding
    /// `first` and id `last`, looking at about `chunk` events per transaction so
    /// that batch inserts run between them. A block left empty is deleted; one
    /// left with some is rewritten with nulls where the others were.
    func removeEvents(_ cut: Cut, from first: Int64, through last: Int64, chunk: Int, _ progress: (Int) -> Void) async throws -> Int {
        var after = try await pool.read { db in try Self.blockStart(holding: first, db) }
        var removed = 0
        while true {
            let from = after
            // Pending aggregates are written first: what goes must be counted already.
            let (taken, next) = try await writing { db -> (Int, Int64?) in
                var taken = 0, looked = 0
                var next: Int64?
                var deletes: [Int64] = []
                var rewrites: [(id: Int64, text: [UInt8], live: Int64)] = []
                let select = try SQLiteStatement(db, "SELECT id, events FROM event_block WHERE id >= ?1 AND id <= ?2 ORDER BY id")
                select.bind(1, from); select.bind(2, last)
                try select.queryWhile({ row in
                    let id = row.int(0)
                    if looked >= max(1, chunk) {
                        next = id
                        return false
                    }
                    let text = row.bytes(1)
                    let elements = try Self.decode(text, block: id)
                    var gone: Set<Int> = []
                    var live: Int64 = 0
                    for case let e? in elements {
                        if cut.takes(id: id + Int64(e.index), ts: e.ts) { gone.insert(e.index) } else { live += 1 }
                    }
                    looked += elements.count
                    taken += gone.count
                    if live == 0 {
                        deletes.append(id)
                    } else if !gone.isEmpty {
                        rewrites.append((id, EventBlock.text(text, elements, removing: gone), live))
                    }
                    return true
                })
                // After the scan: its statement reads the table that these change.
                let delete = try SQLiteStatement(db, "DELETE FROM event_block WHERE id = ?1")
                for id in deletes {
                    delete.bind(1, id)
                    try delete.run()
                }
                let update = try SQLiteStatement(db, "UPDATE event_block SET events = ?2, live = ?3 WHERE id = ?1")
                for r in rewrites {
                    update.bind(1, r.id); update.bind(3, r.live)
                    try r.text.withUnsafeBufferPointer { bytes in
                        update.bindText(2, bytes)
                        try update.run()
                    }
                }
                if next == nil { try cut.forgetMinutes(db) }
                return (taken, next)
            }
            if taken > 0 {
                removed += taken
                progress(taken)
            }
            guard let next else { return removed }
            after = next
        }
    }

    /// The newest `limit` events, newest first, as their block elements with the block's text.
    static func newest(_ limit: Int, _ db: Database, _ each: (Int64, EventBlock.Element, UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        var seen = 0
        guard limit > 0 else { return }
        try SQLiteStatement(db, "SELECT id, events FROM event_block ORDER BY id DESC").queryWhile({ row in
            let id = row.int(0), text = row.bytes(1)
            for case let e? in try decode(text, block: id).reversed() {
                try each(id, e, text)
                seen += 1
                if seen == limit { return false }
            }
            return true
        })
    }
}
