import GRDB
import GRDBSQLite
import TeletopCore

/// What the writer remembers between batches so that a batch costs SQL only
/// for what is new: the ids of type and field names, and, per open minute
/// bucket, which values it already counts exactly (to apply the distinct
/// limit without asking SQLite). Everything here is a cache of the file:
/// it is dropped whenever a write fails, since the rolled-back transaction
/// may have taken ids and values with it.
struct WriteCache: Sendable {
    struct BucketKey: Hashable {
        var minute: Int64
        var typeID: Int64
        var fieldID: Int64
    }

    /// At most this many buckets' value sets, and this many bytes of values:
    /// a replay that touches many old minutes evicts the oldest.
    static let maxBuckets = 512
    static let maxBytes = 16 << 20
    /// Type and field names whose ids are remembered (names are at most 64 bytes or so).
    static let maxNames = 4_096

    var typeIDs: [String: Int64] = [:]
    var fieldIDs: [String: Int64] = [:]
    var members: [BucketKey: Set<String>] = [:]
    var memberBytes = 0
    /// Value sets dropped to stay in bounds (each is read back from the file when next needed).
    var evicted = 0
    var tally = AggregateTally()
    /// (type, field) pairs known to be in `agg_field`.
    var pairs: Set<[Int64]> = []
    /// Per (type, field), the newest minute it has a bucket for: a later minute's
    /// bucket is new, so its value set starts empty without asking SQLite.
    var newest: [[Int64]: Int64] = [:]
    /// The file's `agg_mark` as this writer last read or wrote it (nil: not known,
    /// so the events after the file's mark are counted again), and the id the
    /// next event gets: `tally` counts exactly the events between them.
    var mark: Int64?
    var nextID: Int64?
    /// When the oldest batch in `tally` was written.
    var pendingSince: ContinuousClock.Instant?
    /// The timeline keys of the same events, written with their aggregates.
    var pendingKeys: [EventStore.TimelineEntry] = []
}

extension EventStore {
    /// The hot loop of the store, on SQLite's C API: each payload is written
    /// as JSON straight from its packed bytes into its block's text, one
    /// reused buffer bound without a copy, a row per block (`EventBlock`);
    /// the aggregates, type totals and timeline keys are counted in memory on
    /// the way and written, once per distinct (minute, type, field, value),
    /// when `PendingAggregates` says a flush is due. A commit writes its
    /// blocks and the minute map (which export's `--since` reads from any process).
    static func insert(_ events: [LoggedEvent], _ db: Database, _ cache: inout WriteCache, blockBytes: Int) throws {
        let insert = try SQLiteStatement(db, "INSERT INTO event_block (id, n, live, events) VALUES (?1, ?2, ?2, ?3)")
        let nextID = try settleMark(db, &cache)
        var text: [UInt8] = []
        text.reserveCapacity(blockBytes + 4096)
        var blockStart = nextID
        var inBlock: Int64 = 0
        func closeBlock() throws {
            text.append(0x5D)
            insert.bind(1, blockStart); insert.bind(2, inBlock)
            try text.withUnsafeBufferPointer { bytes in
                insert.bindText(3, bytes)
                try insert.run()
            }
            blockStart += inBlock
            inBlock = 0
            text.removeAll(keepingCapacity: true)
        }
        if cache.tally.events == 0 { cache.pendingSince = .now }
        // Batches are mostly runs of one type, and of one minute: count runs, not every event.
        var runType = events[0].eventType
        var runTypeID = try typeID(runType, db, &cache)
        var minutes: [Int64: (first: Int64, last: Int64)] = [:]
        var runMinute = AggregateTally.minute(of: events[0].timestamp)
        var runFirst: Int64 = -1, runLast: Int64 = -1
        for event in events {
            if event.eventType != runType {
                runType = event.eventType
                runTypeID = try typeID(runType, db, &cache)
            }
            let mark = text.count
            text.append(inBlock == 0 ? 0x5B : 0x2C)
            EventBlock.append(typeID: runTypeID, ts: event.timestamp.millisecondsSinceEpoch, source: Int64(event.source.rawValue),
                              clientTS: event.clientTimestamp?.millisecondsSinceEpoch, payload: event.packedPayload, into: &text)
            if inBlock > 0 && text.count + 1 > blockBytes {
                // It does not fit the page: the block closes without it, and it starts the next.
                let element = Array(text[(mark + 1)...])
                text.removeSubrange(mark...)
                try closeBlock()
                text.append(0x5B)
                text.append(contentsOf: element)
            }
            let id = blockStart + inBlock
            inBlock += 1
            if inBlock == EventBlock.maxEvents { try closeBlock() }
            let minute = AggregateTally.minute(of: event.timestamp)
            if minute != runMinute {
                if runFirst >= 0 { minutes[runMinute] = merge(minutes[runMinute], runFirst, runLast) }
                runMinute = minute
                runFirst = id
            } else if runFirst < 0 {
                runFirst = id
            }
            runLast = id
            cache.tally.add(event)
            collectTimelineKeys(event.packedPayload, id: id, into: &cache.pendingKeys)
        }
        if inBlock > 0 { try closeBlock() }
        minutes[runMinute] = merge(minutes[runMinute], runFirst, runLast)

        let ranges = try SQLiteStatement(db, """
            INSERT INTO event_minute (minute, first_id, last_id) VALUES (?1, ?2, ?3)
            ON CONFLICT(minute) DO UPDATE SET first_id = min(first_id, excluded.first_id), last_id = max(last_id, excluded.last_id)
            """)
        for (minute, range) in minutes {
            ranges.bind(1, minute); ranges.bind(2, range.first); ranges.bind(3, range.last)
            try ranges.run()
        }
        cache.nextID = blockStart
        if PendingAggregates.due(cache) { try writePending(db, &cache) }
    }

    /// The lifetime totals per type of what the tally counts.
    static func writeTypeTotals(_ tally: AggregateTally, _ db: Database) throws {
        var perType: [Int32: Int] = [:]
        for c in tally.typeCounts { perType[c.typeIndex, default: 0] += c.count }
        let totals = try SQLiteStatement(db, """
            INSERT INTO type_total (event_type, accepted) VALUES (?1, ?2)
            ON CONFLICT(event_type) DO UPDATE SET accepted = accepted + excluded.accepted
            """)
        for (type, n) in perType {
            totals.bind(1, tally.types[Int(type)]); totals.bind(2, Int64(n))
            try totals.run()
        }
    }

    /// One row's entry in `timeline_key`: which indexed field, its value's key, the row.
    struct TimelineEntry {
        var field: Int
        var key: Int64
        var id: Int64
    }

    static func collectTimelineKeys(_ payload: PackedPayload, id: Int64, into entries: inout [TimelineEntry]) {
        // Straight into the batch's list: no array per event on the insert path.
        payload.forEachTimelineKey { field, key in entries.append(TimelineEntry(field: field, key: key, id: id)) }
    }

    /// Row ids per `timeline_key` block (see `StoreSchema.timelinePostings`).
    static let keyBlockShift: Int64 = 13
    static let keyBlockMask: Int64 = (1 << keyBlockShift) - 1

    /// Sorted first, so that each (field, block, value) is one upsert of its
    /// rows' offsets, and the batch walks the b-tree in order instead of jumping around it.
    static func writeTimelineKeys(_ entries: [TimelineEntry], _ db: Database, _ cache: inout WriteCache) throws {
        guard !entries.isEmpty else { return }
        let fieldIDs = try TimelineKey.indexedFields.map { try fieldID($0, db, &cache) }
        let sorted = entries.sorted { ($0.field, $0.id >> keyBlockShift, $0.key, $0.id) < ($1.field, $1.id >> keyBlockShift, $1.key, $1.id) }
        // `||` makes text of its operands, which would stop `length()` (and any
        // text reading) at the first zero byte: the cast keeps it a blob.
        let upsert = try SQLiteStatement(db, """
            INSERT INTO timeline_key (field_id, block, key, ids) VALUES (?1, ?2, ?3, ?4)
            ON CONFLICT(field_id, block, key) DO UPDATE SET ids = CAST(ids || excluded.ids AS BLOB)
            """)
        var offsets: [UInt8] = []
        var i = 0
        while i < sorted.count {
            let first = sorted[i]
            let block = first.id >> keyBlockShift
            offsets.removeAll(keepingCapacity: true)
            while i < sorted.count, sorted[i].field == first.field, sorted[i].key == first.key, sorted[i].id >> keyBlockShift == block {
                let offset = UInt16(truncatingIfNeeded: sorted[i].id & keyBlockMask)
                offsets.append(UInt8(offset & 0xff)); offsets.append(UInt8(offset >> 8))
                i += 1
            }
            upsert.bind(1, fieldIDs[first.field]); upsert.bind(2, block); upsert.bind(3, first.key)
            try offsets.withUnsafeBufferPointer { bytes in
                upsert.bindBlob(4, bytes)
                try upsert.run()
            }
        }
    }

    /// The row ids of a `timeline_key` row's `ids`, last written first.
    static func timelineIDs(block: Int64, _ ids: [UInt8]) -> [Int64] {
        stride(from: ids.count - 2, through: 0, by: -2).map { block << keyBlockShift | Int64(ids[$0]) | Int64(ids[$0 + 1]) << 8 }
    }

    private static func merge(_ old: (first: Int64, last: Int64)?, _ first: Int64, _ last: Int64) -> (first: Int64, last: Int64) {
        guard let old else { return (first, last) }
        return (min(old.first, first), max(old.last, last))
    }

    /// The minute-level aggregates of `cache.tally`, with the distinct limit
    /// applied: a value the bucket does not hold yet, once it holds
    /// `AggregateLimits.valuesPerBucket`, is added to the bucket's "other".
    static func writeAggregates(_ db: Database, _ cache: inout WriteCache) throws {
        let tally = cache.tally
        let typeIDs = try tally.types.map { try typeID($0, db, &cache) }
        let counts = try SQLiteStatement(db, """
            INSERT INTO agg_count (level, bucket, type_id, n) VALUES (0, ?1, ?2, ?3)
            ON CONFLICT(level, bucket, type_id) DO UPDATE SET n = n + excluded.n
            """)
        let unfolded = try SQLiteStatement(db, "INSERT OR IGNORE INTO agg_unfolded (minute, type_id, field_id) VALUES (?1, ?2, ?3)")
        for c in tally.typeCounts {
            counts.bind(1, c.minute); counts.bind(2, typeIDs[Int(c.typeIndex)]); counts.bind(3, Int64(c.count))
            try counts.run()
            unfolded.bind(1, c.minute); unfolded.bind(2, typeIDs[Int(c.typeIndex)]); unfolded.bind(3, 0)
            try unfolded.run()
        }
        let values = try SQLiteStatement(db, """
            INSERT INTO agg_value (type_id, field_id, level, bucket, value, n) VALUES (?1, ?2, 0, ?3, ?4, ?5)
            ON CONFLICT(type_id, field_id, level, bucket, value) DO UPDATE SET n = n + excluded.n
            """)
        // Each bucket (minute, type, field) of the batch once: its value set taken out of the cache
        // (so that adding to it copies nothing), its "other" summed, its housekeeping rows written.
        // Entries come event by event, so a field's bucket is mostly the one its last entry had:
        // found by the field's index, not by hashing the key for every value.
        struct Group {
            var key: WriteCache.BucketKey
            var members: Set<String>
            var other = 0
        }
        var groups: [Group] = []
        var groupIndex: [WriteCache.BucketKey: Int] = [:]
        var lastGroup = [Int](repeating: -1, count: tally.fields.count)
        let fieldIDs = try tally.fields.map { try Self.fieldID($0, db, &cache) }
        for e in tally.entries {
            let typeID = typeIDs[Int(e.typeIndex)], fieldID = fieldIDs[Int(e.fieldIndex)]
            var g = lastGroup[Int(e.fieldIndex)]
            if g < 0 || groups[g].key.minute != e.minute || groups[g].key.typeID != typeID {
                let key = WriteCache.BucketKey(minute: e.minute, typeID: typeID, fieldID: fieldID)
                if let known = groupIndex[key] { g = known } else {
                    g = groups.count
                    groups.append(Group(key: key, members: try takeMembers(key, db, &cache)))
                    groupIndex[key] = g
                    unfolded.bind(1, e.minute); unfolded.bind(2, typeID); unfolded.bind(3, fieldID)
                    try unfolded.run()
                    let pair = [typeID, fieldID]
                    if !cache.pairs.contains(pair) {
                        try db.execute(sql: "INSERT OR IGNORE INTO agg_field (type_id, field_id) VALUES (?, ?)", arguments: [typeID, fieldID])
                        cache.pairs.insert(pair)
                    }
                }
                lastGroup[Int(e.fieldIndex)] = g
            }
            if let json = tally.valueJSON(e), admits(json, &groups[g].members, &cache) {
                values.bind(1, typeID); values.bind(2, fieldID); values.bind(3, e.minute); values.bind(4, json); values.bind(5, Int64(e.count))
                try values.run()
            } else {
                // A field of unique values (a sequence number, a request id) sends most of a
                // batch here: one write per bucket, not one per value.
                groups[g].other += e.count
            }
        }
        for group in groups {
            if group.other > 0 {
                let key = group.key
                values.bind(1, key.typeID); values.bind(2, key.fieldID); values.bind(3, key.minute); values.bind(4, ""); values.bind(5, Int64(group.other))
                try values.run()
            }
            cache.members[group.key] = group.members
        }
        // A batch over many minutes (a replay) may bring back more than the bounds hold.
        while cache.members.count > WriteCache.maxBuckets || (cache.memberBytes > WriteCache.maxBytes && !cache.members.isEmpty) {
            evictOldest(&cache)
        }
    }

    /// A bucket's exact values, out of the cache (read from the file when it holds none for the bucket):
    /// the caller puts them back. Their bytes stay counted in `memberBytes` meanwhile.
    private static func takeMembers(_ key: WriteCache.BucketKey, _ db: Database, _ cache: inout WriteCache) throws -> Set<String> {
        if let held = cache.members.removeValue(forKey: key) { return held }
        if cache.members.count >= WriteCache.maxBuckets || cache.memberBytes > WriteCache.maxBytes { evictOldest(&cache) }
        let pair = [key.typeID, key.fieldID]
        if cache.newest[pair] == nil {
            if cache.newest.count >= WriteCache.maxNames { cache.newest.removeAll() }
            cache.newest[pair] = try Int64.fetchOne(db, sql: "SELECT max(bucket) FROM agg_value WHERE type_id = ? AND field_id = ? AND level = 0",
                                                    arguments: [key.typeID, key.fieldID]) ?? .min
        }
        var known: Set<String> = []
        if key.minute <= cache.newest[pair]! {
            known = try String.fetchSet(db, sql: """
                SELECT value FROM agg_value WHERE type_id = ? AND field_id = ? AND level = 0 AND bucket = ? AND value != ''
                """, arguments: [key.typeID, key.fieldID, key.minute])
        } else {
            cache.newest[pair] = key.minute
        }
        cache.memberBytes += known.reduce(0) { $0 + $1.utf8.count + 16 }
        return known
    }

    /// Whether `value` is (or may become) one of the bucket's exact values.
    private static func admits(_ value: String, _ members: inout Set<String>, _ cache: inout WriteCache) -> Bool {
        if members.contains(value) { return true }
        guard members.count < AggregateLimits.valuesPerBucket else { return false }
        members.insert(value)
        cache.memberBytes += value.utf8.count + 16
        return true
    }

    /// Drops the value sets of the oldest minute held.
    private static func evictOldest(_ cache: inout WriteCache) {
        guard let oldest = cache.members.keys.map(\.minute).min() else { return }
        for key in cache.members.keys where key.minute == oldest {
            cache.memberBytes -= cache.members[key]!.reduce(0) { $0 + $1.utf8.count + 16 }
            cache.members[key] = nil
            cache.evicted += 1
        }
    }

    static func typeID(_ name: String, _ db: Database, _ cache: inout WriteCache) throws -> Int64 {
        try id(of: name, in: "event_type", db, &cache.typeIDs, evicted: &cache.evicted)
    }

    static func fieldID(_ name: String, _ db: Database, _ cache: inout WriteCache) throws -> Int64 {
        try id(of: name, in: "field", db, &cache.fieldIDs, evicted: &cache.evicted)
    }

    /// The id of a name in one of the name tables (`event_type`, `field`), made on first use.
    private static func id(of name: String, in table: String, _ db: Database, _ known: inout [String: Int64], evicted: inout Int) throws -> Int64 {
        if let id = known[name] { return id }
        if known.count >= WriteCache.maxNames { known.removeAll(); evicted += 1 }
        try db.execute(sql: "INSERT OR IGNORE INTO \(table) (name) VALUES (?)", arguments: [name])
        let id = try Int64.fetchOne(db, sql: "SELECT id FROM \(table) WHERE name = ?", arguments: [name])!
        known[name] = id
        return id
    }
}
