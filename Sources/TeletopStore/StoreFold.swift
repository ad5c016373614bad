import GRDB
import GRDBSQLite
import TeletopCore

/// The coarser aggregates. Rows are counted into minutes as they are
/// written; a fold, every few seconds, adds what the minutes gained since the
/// last fold to their hour, their day, the lifetime sums and the window sums
/// that hold their bucket, in one transaction, so each level always equals
/// the sum of what was folded into it. Queries add the part not folded yet,
/// so no answer waits for a fold.
///
/// Why these buckets: minutes answer 5m and draw the per-minute chart and
/// series for a day; hours and days draw longer series and feed the window
/// sums (1h from minutes, 24h, 7d and 30d from hours), which slide forward a
/// bucket at a time: the sum gains the bucket that closed and loses the one
/// that left. A top-N over any window then reads the sum's first rows by
/// count, plus the open bucket, whatever the history.
enum AggregateLevel: Int64 {
    case minute = 0, hour, day

    /// The first minute of the bucket that holds `minute`.
    func bucket(of minute: Int64) -> Int64 {
        switch self {
        case .minute: minute
        case .hour: floorDiv(minute, 60) * 60
        case .day: floorDiv(minute, 1_440) * 1_440
        }
    }

    var minutes: Int64 {
        switch self {
        case .minute: 1
        case .hour: 60
        case .day: 1_440
        }
    }

    /// The level that keeps a series' buckets.
    init(_ bucket: SeriesBucket) {
        switch bucket {
        case .minute: self = .minute
        case .hour: self = .hour
        case .day: self = .day
        }
    }
}

/// The windows kept as running sums; `rawValue` is the length in minutes, 0 the lifetime.
enum AggregateWindow: Int64, CaseIterable {
    case lifetime = 0, hour = 60, day = 1_440, week = 10_080, month = 43_200

    init?(seconds: Int?) {
        guard let seconds else { self = .lifetime; return }
        self.init(rawValue: Int64(seconds / 60))
        if Int64(seconds) != rawValue * 60 { return nil }
    }

    /// The level whose buckets leave the sum: the window's far edge moves a
    /// minute at a time for 1h, an hour for 24h and 7d, a day for 30d (whose
    /// oldest day may so have begun up to a day before now - 30d).
    var level: AggregateLevel {
        switch self {
        case .hour, .lifetime: .minute
        case .day, .week: .hour
        case .month: .day
        }
    }

    /// The first bucket of the window that ends in the bucket holding `minute`.
    func first(at minute: Int64) -> Int64 { level.bucket(of: minute - rawValue) }

    var valueLimit: Int { AggregateLimits.valuesInLifetime }
}

func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : (a - b + 1) / b }

/// The window sums' statements, for one transaction.
struct WindowWriter {
    /// The sums hold everything folded of the buckets from `first` on.
    struct Span { var first: Int64 }

    let db: Database
    var spans: [AggregateWindow: Span] = [:]
    private let bump, insert, readOne, delete, total, distinct: SQLiteStatement
    /// Distinct values held per (window, type, field), counted once per transaction.
    private var held: [[Int64]: Int] = [:]

    init(_ db: Database) throws {
        self.db = db
        bump = try SQLiteStatement(db, "UPDATE agg_window SET n = n + ?5 WHERE win = ?1 AND type_id = ?2 AND field_id = ?3 AND value = ?4")
        insert = try SQLiteStatement(db, """
            INSERT INTO agg_window (win, type_id, field_id, value, n) VALUES (?1, ?2, ?3, ?4, ?5)
            ON CONFLICT(win, type_id, field_id, value) DO UPDATE SET n = n + excluded.n
            """)
        readOne = try SQLiteStatement(db, "SELECT n FROM agg_window WHERE win = ?1 AND type_id = ?2 AND field_id = ?3 AND value = ?4")
        delete = try SQLiteStatement(db, "DELETE FROM agg_window WHERE win = ?1 AND type_id = ?2 AND field_id = ?3 AND value = ?4")
        total = try SQLiteStatement(db, """
            INSERT INTO agg_window_total (win, type_id, field_id, n) VALUES (?1, ?2, ?3, ?4)
            ON CONFLICT(win, type_id, field_id) DO UPDATE SET n = max(0, n + excluded.n)
            """)
        distinct = try SQLiteStatement(db, "SELECT count(*) FROM agg_window WHERE win = ?1 AND type_id = ?2 AND field_id = ?3 AND value != ''")
        for row in try Row.fetchAll(db, sql: "SELECT win, first FROM agg_window_span") {
            if let w = AggregateWindow(rawValue: row[0]) { spans[w] = Span(first: row[1]) }
        }
    }

    /// The windows whose sums take what is folded of the bucket of `minute`.
    func holding(_ minute: Int64) -> [AggregateWindow] {
        var out: [AggregateWindow] = [.lifetime]
        for (w, span) in spans where w != .lifetime && w.level.bucket(of: minute) >= span.first { out.append(w) }
        return out
    }

    /// Adds (sign 1) or takes away (sign -1) `n` events of a type to a window, for the type and for every type.
    mutating func count(_ w: AggregateWindow, type: Int64, _ n: Int64, sign: Int64) throws {
        for t in [type, 0] {
            total.bind(1, w.rawValue); total.bind(2, t); total.bind(3, 0); total.bind(4, sign * n)
            try total.run()
        }
    }

    /// The same for `n` events with `value` in `field` ('' is "other").
    mutating func value(_ w: AggregateWindow, type: Int64, field: Int64, _ value: String, _ n: Int64, sign: Int64) throws {
        for t in [type, 0] {
            total.bind(1, w.rawValue); total.bind(2, t); total.bind(3, field); total.bind(4, sign * n)
            try total.run()
            if sign > 0 { try add(w, t, field, value, n) } else { try take(w, t, field, value, n) }
        }
    }

    private mutating func add(_ w: AggregateWindow, _ t: Int64, _ field: Int64, _ value: String, _ n: Int64) throws {
        var target = value
        if !value.isEmpty {
            bind(bump, w, t, field, value); bump.bind(5, n)
            try bump.run()
            if bump.changes > 0 { return }
            let key = [w.rawValue, t, field]
            if held[key] == nil {
                distinct.bind(1, w.rawValue); distinct.bind(2, t); distinct.bind(3, field)
                try distinct.query { held[key] = Int($0.int(0)) }
            }
            if held[key]! < w.valueLimit { held[key]! += 1 } else { target = "" }
        }
        bind(insert, w, t, field, target); insert.bind(5, n)
        try insert.run()
    }

    /// Takes from the value's own count first and from "other" for the rest
    /// (a value counted in "other" while the sum was full), never below 0.
    private mutating func take(_ w: AggregateWindow, _ t: Int64, _ field: Int64, _ value: String, _ n: Int64) throws {
        var left = n
        for target in value.isEmpty ? [""] : [value, ""] where left > 0 {
            var have: Int64 = 0
            bind(readOne, w, t, field, target)
            try readOne.query { have = $0.int(0) }
            guard have > 0 else { continue }
            let taken = min(have, left)
            left -= taken
            if taken == have {
                bind(delete, w, t, field, target)
                try delete.run()
                if !target.isEmpty, let h = held[[w.rawValue, t, field]] { held[[w.rawValue, t, field]] = h - 1 }
            } else {
                bind(bump, w, t, field, target); bump.bind(5, -taken)
                try bump.run()
            }
        }
    }

    private func bind(_ s: SQLiteStatement, _ w: AggregateWindow, _ t: Int64, _ field: Int64, _ value: String) {
        s.bind(1, w.rawValue); s.bind(2, t); s.bind(3, field); s.bind(4, value)
    }

    /// Moves each window's start to where a window ending at `nowMinute`
    /// starts: the buckets that left it go out of its sums. Run after a fold
    /// that left nothing unfolded, so a bucket leaves with all it brought.
    mutating func advance(to nowMinute: Int64) throws {
        let pairs = try Row.fetchAll(db, sql: "SELECT type_id, field_id FROM agg_field").map { ($0[0] as Int64, $0[1] as Int64) }
        for w in AggregateWindow.allCases where w != .lifetime {
            let want = w.first(at: nowMinute)
            if let span = spans[w], span.first <= want, (want - span.first) / w.level.minutes <= 48 {
                for b in try buckets(w.level, from: span.first, until: want) { try move(w, bucket: b, pairs: pairs, sign: -1) }
            } else {
                // The first time, after a long pause, or when the clock went back (the sums
                // were made by a clock ahead of this one): made again from the buckets, in one pass of SQL.
                try rebuild(w, from: want)
            }
            spans[w] = Span(first: want)
            try db.execute(sql: "INSERT INTO agg_window_span (win, first) VALUES (?, ?) ON CONFLICT(win) DO UPDATE SET first = excluded.first",
                           arguments: [w.rawValue, want])
        }
    }

    /// A window's sums made from its buckets from `from` on: per type and
    /// for every type, each field's values summed, the `valueLimit` most
    /// frequent kept and the rest (with the buckets' own "other") in "other".
    private mutating func rebuild(_ w: AggregateWindow, from: Int64) throws {
        let until = Int64.max
        try db.execute(sql: "DELETE FROM agg_window WHERE win = ?", arguments: [w.rawValue])
        try db.execute(sql: "DELETE FROM agg_window_total WHERE win = ?", arguments: [w.rawValue])
        held = held.filter { $0.key[0] != w.rawValue }
        let column = w.level == .minute ? "folded" : "n"
        // Per field, from the types that have it: each read is a range of the primary key.
        var typesByField: [Int64: [Int64]] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT type_id, field_id FROM agg_field") { typesByField[row[1], default: []].append(row[0]) }
        for (field, types) in typesByField {
            for sumType in types + [0] {
                let list = (sumType == 0 ? types : [sumType]).map(String.init).joined(separator: ",")
                try db.execute(sql: """
                    WITH s AS (
                        SELECT value AS v, sum(\(column)) AS n FROM agg_value
                        WHERE type_id IN (\(list)) AND field_id = ?3 AND level = ?4 AND bucket >= ?5 AND bucket < ?6 GROUP BY value
                    ), r AS (
                        SELECT v, n, CASE WHEN v = '' THEN 0 ELSE row_number() OVER (PARTITION BY v = '' ORDER BY n DESC, v) END AS k FROM s WHERE n > 0
                    )
                    INSERT INTO agg_window (win, type_id, field_id, value, n)
                    SELECT ?1, ?2, ?3, CASE WHEN k <= ?7 THEN v ELSE '' END, sum(n) FROM r GROUP BY CASE WHEN k <= ?7 THEN v ELSE '' END
                    """, arguments: [w.rawValue, sumType, field, w.level.rawValue, from, until, w.valueLimit])
                try db.execute(sql: """
                    INSERT INTO agg_window_total (win, type_id, field_id, n)
                    SELECT ?1, ?2, ?3, sum(\(column)) FROM agg_value
                    WHERE type_id IN (\(list)) AND field_id = ?3 AND level = ?4 AND bucket >= ?5 AND bucket < ?6 HAVING sum(\(column)) > 0
                    """, arguments: [w.rawValue, sumType, field, w.level.rawValue, from, until])
            }
        }
        // Events per type, and of every type, from the counts (a range of their primary key).
        try db.execute(sql: """
            INSERT INTO agg_window_total (win, type_id, field_id, n)
            SELECT ?1, type_id, 0, sum(\(column)) FROM agg_count WHERE level = ?2 AND bucket >= ?3 AND bucket < ?4
            GROUP BY type_id HAVING sum(\(column)) > 0
            """, arguments: [w.rawValue, w.level.rawValue, from, until])
        try db.execute(sql: """
            INSERT INTO agg_window_total (win, type_id, field_id, n)
            SELECT ?1, 0, 0, sum(\(column)) FROM agg_count WHERE level = ?2 AND bucket >= ?3 AND bucket < ?4 HAVING sum(\(column)) > 0
            """, arguments: [w.rawValue, w.level.rawValue, from, until])
    }

    private func buckets(_ level: AggregateLevel, from: Int64, until: Int64) throws -> [Int64] {
        guard from < until else { return [] }
        return try Int64.fetchAll(db, sql: "SELECT DISTINCT bucket FROM agg_count WHERE level = ? AND bucket >= ? AND bucket < ? ORDER BY bucket",
                                  arguments: [level.rawValue, from, until])
    }

    /// One bucket's folded counts into (or out of) a window's sums.
    private mutating func move(_ w: AggregateWindow, bucket: Int64, pairs: [(Int64, Int64)], sign: Int64) throws {
        // Minutes: only what is folded (the rest joins the sum when it is folded).
        let column = w.level == .minute ? "folded" : "n"
        for row in try Row.fetchAll(db, sql: "SELECT type_id, \(column) FROM agg_count WHERE level = ? AND bucket = ?",
                                    arguments: [w.level.rawValue, bucket]) {
            try count(w, type: row[0], row[1], sign: sign)
        }
        for (type, field) in pairs {
            for row in try Row.fetchAll(db, sql: """
                SELECT value, \(column) FROM agg_value WHERE type_id = ? AND field_id = ? AND level = ? AND bucket = ?
                """, arguments: [type, field, w.level.rawValue, bucket]) {
                let n: Int64 = row[1]
                if n > 0 { try value(w, type: type, field: field, row[0], n, sign: sign) }
            }
        }
    }
}

extension EventStore {
    /// Minute buckets are kept this long after their minute (and until folded):
    /// the per-minute series reaches back a day.
    static let minuteRetention: Int64 = 25 * 60
    /// An hour's values are kept this long (the 7d window takes its oldest hour
    /// out of its sums when it leaves); the hour's counts, which are small, as
    /// long as days, for hourly series of up to 30 days.
    static let hourValueRetention: Int64 = 9 * 1_440
    /// Days are kept at least this long, whatever `--retain-aggregates-days`
    /// says: the 30d window takes its oldest day out when it leaves.
    static let dayRetentionFloor: Int64 = 32 * 1_440

    /// Folds every minute with unfolded counts and moves the window sums to
    /// end at `now`. Returns how many (minute, type, field) groups it folded.
    @discardableResult
    public func fold(now: Timestamp) async throws(StoreError) -> Int {
        do {
            return try await writing { db in try Self.fold(db, now: now) }
        } catch {
            throw StoreError(path: path, error)
        }
    }

    /// The same, blocking (tests, benchmarks).
    @discardableResult
    public func foldBlocking(now: Timestamp) throws(StoreError) -> Int {
        do {
            return try writing { db in try Self.fold(db, now: now) }
        } catch {
            throw StoreError(path: path, error)
        }
    }

    /// Where a fold adds: a type's count (`value` nil) or a field's value, in one coarse bucket or window.
    struct FoldKey: Hashable {
        var type: Int64
        var field: Int64
        var value: String?
        /// A level's bucket (`window` nil), or a window's sum.
        var level: AggregateLevel?
        var bucket: Int64
        var window: AggregateWindow?
    }

    /// Groups folded in one transaction at most: a long backlog is folded in several.
    public static let foldLimit = 20_000

    static func fold(_ db: Database, now: Timestamp?, limit: Int = foldLimit) throws -> Int {
        let groups = try Row.fetchAll(db, sql: "SELECT minute, type_id, field_id FROM agg_unfolded LIMIT ?", arguments: [limit])
        var windows = try WindowWriter(db)
        let readCount = try SQLiteStatement(db, "SELECT n - folded FROM agg_count WHERE level = 0 AND bucket = ?1 AND type_id = ?2")
        let markCount = try SQLiteStatement(db, "UPDATE agg_count SET folded = n WHERE level = 0 AND bucket = ?1 AND type_id = ?2")
        let readValues = try SQLiteStatement(db, """
            SELECT value, n - folded FROM agg_value WHERE type_id = ?1 AND field_id = ?2 AND level = 0 AND bucket = ?3 AND n > folded
            """)
        let markValues = try SQLiteStatement(db, "UPDATE agg_value SET folded = n WHERE type_id = ?1 AND field_id = ?2 AND level = 0 AND bucket = ?3")
        let done = try SQLiteStatement(db, "DELETE FROM agg_unfolded WHERE minute = ?1 AND type_id = ?2 AND field_id = ?3")
        // First everything the minutes gained, summed per destination: many minutes
        // of one hour, and one user in many minutes, become one write each.
        var sums: [FoldKey: Int64] = [:]
        for g in groups {
            let minute: Int64 = g[0], type: Int64 = g[1], field: Int64 = g[2]
            var deltas: [(String?, Int64)] = []
            if field == 0 {
                readCount.bind(1, minute); readCount.bind(2, type)
                try readCount.query { deltas.append((nil, $0.int(0))) }
                markCount.bind(1, minute); markCount.bind(2, type)
                try markCount.run()
            } else {
                readValues.bind(1, type); readValues.bind(2, field); readValues.bind(3, minute)
                try readValues.query { deltas.append(($0.text(0), $0.int(1))) }
                markValues.bind(1, type); markValues.bind(2, field); markValues.bind(3, minute)
                try markValues.run()
            }
            let holding = windows.holding(minute)
            for (value, delta) in deltas where delta > 0 {
                for level in [AggregateLevel.hour, .day] {
                    sums[FoldKey(type: type, field: field, value: value, level: level, bucket: level.bucket(of: minute)), default: 0] += delta
                }
                for w in holding { sums[FoldKey(type: type, field: field, value: value, bucket: 0, window: w), default: 0] += delta }
            }
            done.bind(1, minute); done.bind(2, type); done.bind(3, field)
            try done.run()
        }
        try addToBuckets(sums.filter { $0.key.level != nil }, db)
        // Windows, in a fixed order (a sum's "other" depends on which values came first).
        for (key, delta) in sums.filter({ $0.key.window != nil }).sorted(by: { ($0.key.type, $0.key.field, $0.key.value ?? "") < ($1.key.type, $1.key.field, $1.key.value ?? "") }) {
            if let value = key.value {
                try windows.value(key.window!, type: key.type, field: key.field, value, delta, sign: 1)
            } else {
                try windows.count(key.window!, type: key.type, delta, sign: 1)
            }
        }
        // Only once nothing is left unfolded: a bucket goes into a sum whole.
        if let now, groups.count < limit { try windows.advance(to: AggregateTally.minute(of: now)) }
        return groups.count
    }

    /// Adds a fold's sums to hour and day buckets, the distinct limit applied:
    /// a value new to a bucket that holds `valuesPerBucket` already goes to its "other".
    private static func addToBuckets(_ sums: [FoldKey: Int64], _ db: Database) throws {
        let addCount = try SQLiteStatement(db, """
            INSERT INTO agg_count (level, bucket, type_id, n) VALUES (?1, ?2, ?3, ?4)
            ON CONFLICT(level, bucket, type_id) DO UPDATE SET n = n + excluded.n
            """)
        let bump = try SQLiteStatement(db, """
            UPDATE agg_value SET n = n + ?6 WHERE type_id = ?1 AND field_id = ?2 AND level = ?3 AND bucket = ?4 AND value = ?5
            """)
        let add = try SQLiteStatement(db, """
            INSERT INTO agg_value (type_id, field_id, level, bucket, value, n) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
            ON CONFLICT(type_id, field_id, level, bucket, value) DO UPDATE SET n = n + excluded.n
            """)
        let distinct = try SQLiteStatement(db, """
            SELECT count(*) FROM agg_value WHERE type_id = ?1 AND field_id = ?2 AND level = ?3 AND bucket = ?4 AND value != ''
            """)
        var held: [[Int64]: Int] = [:]
        // Most frequent first, so that the values a bucket keeps are the ones that matter most.
        for (key, delta) in sums.sorted(by: { $0.value != $1.value ? $0.value > $1.value : ($0.key.value ?? "") < ($1.key.value ?? "") }) {
            let level = key.level!
            guard let value = key.value else {
                addCount.bind(1, level.rawValue); addCount.bind(2, key.bucket); addCount.bind(3, key.type); addCount.bind(4, delta)
                try addCount.run()
                continue
            }
            var target = value
            if !value.isEmpty {
                bump.bind(1, key.type); bump.bind(2, key.field); bump.bind(3, level.rawValue); bump.bind(4, key.bucket)
                bump.bind(5, value); bump.bind(6, delta)
                try bump.run()
                if bump.changes > 0 { continue }
                let bucket = [key.type, key.field, level.rawValue, key.bucket]
                if held[bucket] == nil {
                    distinct.bind(1, key.type); distinct.bind(2, key.field); distinct.bind(3, level.rawValue); distinct.bind(4, key.bucket)
                    try distinct.query { held[bucket] = Int($0.int(0)) }
                }
                if held[bucket]! < AggregateLimits.valuesPerBucket { held[bucket]! += 1 } else { target = "" }
            }
            add.bind(1, key.type); add.bind(2, key.field); add.bind(3, level.rawValue); add.bind(4, key.bucket)
            add.bind(5, target); add.bind(6, delta)
            try add.run()
        }
    }

    /// Deletes folded minute buckets older than `minuteRetention`, hours' values
    /// older than `hourValueRetention`, and hour counts and days older than
    /// `days` (at least `dayRetentionFloor`). The lifetime sums stay.
    public func pruneAggregates(now: Timestamp, days: Int) async throws(StoreError) {
        do {
            try await writing { db in try Self.pruneAggregates(db, now: now, days: days) }
        } catch {
            throw StoreError(path: path, error)
        }
    }

    /// The same, blocking (benchmarks).
    public func pruneAggregatesBlocking(now: Timestamp, days: Int) throws(StoreError) {
        do {
            try writing { db in try Self.pruneAggregates(db, now: now, days: days) }
        } catch {
            throw StoreError(path: path, error)
        }
    }

    static func pruneAggregates(_ db: Database, now: Timestamp, days: Int) throws {
        let nowMinute = AggregateTally.minute(of: now)
        let minuteCut = nowMinute - minuteRetention
        let dayCut = min(nowMinute - Int64(max(1, days)) * 1_440, nowMinute - dayRetentionFloor)
        let hourCut = max(dayCut, nowMinute - hourValueRetention)
        for pair in try Row.fetchAll(db, sql: "SELECT type_id, field_id FROM agg_field") {
            let type: Int64 = pair[0], field: Int64 = pair[1]
            try db.execute(sql: "DELETE FROM agg_value WHERE type_id = ? AND field_id = ? AND level = 0 AND bucket < ? AND n = folded",
                           arguments: [type, field, minuteCut])
            try db.execute(sql: "DELETE FROM agg_value WHERE type_id = ? AND field_id = ? AND level = 1 AND bucket < ?", arguments: [type, field, hourCut])
            try db.execute(sql: "DELETE FROM agg_value WHERE type_id = ? AND field_id = ? AND level = 2 AND bucket < ?", arguments: [type, field, dayCut])
        }
        try db.execute(sql: "DELETE FROM agg_count WHERE level = 0 AND bucket < ? AND n = folded", arguments: [minuteCut])
        try db.execute(sql: "DELETE FROM agg_count WHERE level = 1 AND bucket < ?", arguments: [dayCut])
        try db.execute(sql: "DELETE FROM agg_count WHERE level = 2 AND bucket < ?", arguments: [dayCut])
        try releaseFreePages(db)
    }

    /// Once more than a tenth of the file is free pages (retention deleted
    /// them, and new rows have not reused them), gives them back to the disk.
    static func releaseFreePages(_ db: Database) throws {
        let free = try Int.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0
        let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
        if free > 256 && free * 10 > pages { try db.execute(sql: "PRAGMA incremental_vacuum") }
    }
}
