import GRDB

/// The schema, as GRDB migrations: a new column or index is a new migration
/// appended here, never an edit of a shipped one.
enum StoreSchema {
    /// `upgradeProgress` hears v3's rebuild of a store made by an older release, and v5's keys.
    static func migrator(upgradeProgress: @escaping @Sendable (StoreUpgrade.Progress) -> Void = { _ in }) -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: events and type totals") { db in
            // ts: milliseconds since the epoch (UTC); source: EventSource's raw value;
            // payload: compact JSON text.
            try db.execute(sql: """
                CREATE TABLE event (
                    id INTEGER PRIMARY KEY,
                    event_type TEXT NOT NULL,
                    ts INTEGER NOT NULL,
                    source INTEGER NOT NULL,
                    payload TEXT NOT NULL
                );
                CREATE INDEX event_by_time ON event (ts);
                CREATE INDEX event_by_type_time ON event (event_type, ts);
                CREATE TABLE type_total (
                    event_type TEXT PRIMARY KEY,
                    accepted INTEGER NOT NULL
                );
                """)
        }
        migrator.registerMigration("v2: client timestamps and a probe row") { db in
            // client_ts: the `timestamp` an HTTP client sent, kept beside ts (teletop's
            // stamp, which orders, windows and retains); NULL when it sent none.
            // store_probe: one row the writer rewrites while the store is failing, to
            // find out on its own schedule whether writes work again.
            try db.execute(sql: """
                ALTER TABLE event ADD COLUMN client_ts INTEGER;
                CREATE TABLE store_probe (id INTEGER PRIMARY KEY, at INTEGER NOT NULL);
                """)
        }
        migrator.registerMigration("v3: lean rows and aggregates") { db in
            try StoreUpgrade.toAggregates(db, progress: upgradeProgress)
        }
        migrator.registerMigration("v4: timeline keys") { db in
            // v5 replaces this table in the same open and indexes the rows
            // there, so indexing them here too would only be thrown away.
            try db.execute(sql: timelineKeys)
        }
        migrator.registerMigration("v5: timeline keys by block and value") { db in
            try db.execute(sql: "DROP TABLE event_key")
            try db.execute(sql: timelinePostings)
            try StoreUpgrade.indexTimelineKeys(db, progress: upgradeProgress)
        }
        migrator.registerMigration("v6: events in blocks") { db in
            try StoreUpgrade.toBlocks(db, progress: upgradeProgress)
        }
        migrator.registerMigration("v7: aggregates behind a mark") { db in
            // Until v7 every commit wrote its aggregates: all stored events are counted.
            try db.execute(sql: aggregateMark)
            try db.execute(sql: "UPDATE agg_mark SET through = coalesce((SELECT id + n - 1 FROM event_block ORDER BY id DESC LIMIT 1), 0)")
        }
        return migrator
    }

    /// v3's tables, in one place for a new file and for the upgrade.
    ///
    /// - `event_row`: one row per event, with no secondary index: nothing
    ///   searches it by type or time any more (the aggregates answer that),
    ///   so an insert touches one b-tree. The type is a small integer.
    /// - `event` (a view): the rows as before, with the type's name, so
    ///   `sqlite3 store 'SELECT … FROM event'` keeps working.
    /// - `event_minute`: per minute of `ts`, the first and last row id stamped
    ///   in it, so export's `--since/--until` and retention by age read only
    ///   the rows of their minutes.
    /// - `agg_count`, `agg_value`: counts per bucket and type, and per bucket,
    ///   type, field and value (`value` is the value's JSON text; '' is the
    ///   bucket's "other"). `level` 0 is a minute, 1 an hour, 2 a day;
    ///   `bucket` is the bucket's first minute since the epoch. Minutes are written with the rows; `folded` is how much of a
    ///   minute's `n` has been added to its hour, day and lifetime.
    /// - `agg_unfolded`: the minutes (per type and field; field 0 is the type
    ///   count) with counts not yet folded.
    /// - `agg_window`, `agg_window_total`, `agg_window_span`: running sums
    ///   over the named windows (`win`: its length in minutes, 0 for the
    ///   store's lifetime), per type (0: every type), field and value, kept
    ///   as buckets enter and leave the window, so a top-N over 30 days reads
    ///   its first rows by count instead of summing 30 days of buckets.
    ///   `agg_window_total` has the events per type (field 0) and with each
    ///   field; `agg_window_span` says from which bucket on the sums hold
    ///   what is folded.
    /// - `agg_field`: every (type, field) pair the aggregates hold, so their
    ///   housekeeping walks the pairs instead of every row.
    static let v3Tables = """
        CREATE TABLE event_type (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
        CREATE TABLE field (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
        CREATE TABLE event_row (
            id INTEGER PRIMARY KEY,
            type_id INTEGER NOT NULL,
            ts INTEGER NOT NULL,
            source INTEGER NOT NULL,
            client_ts INTEGER,
            payload TEXT NOT NULL
        );
        CREATE TABLE event_minute (minute INTEGER PRIMARY KEY, first_id INTEGER NOT NULL, last_id INTEGER NOT NULL);
        CREATE TABLE agg_count (
            level INTEGER NOT NULL, bucket INTEGER NOT NULL, type_id INTEGER NOT NULL,
            n INTEGER NOT NULL, folded INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (level, bucket, type_id)
        ) WITHOUT ROWID;
        CREATE TABLE agg_value (
            type_id INTEGER NOT NULL, field_id INTEGER NOT NULL, level INTEGER NOT NULL, bucket INTEGER NOT NULL,
            value TEXT NOT NULL, n INTEGER NOT NULL, folded INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (type_id, field_id, level, bucket, value)
        ) WITHOUT ROWID;
        CREATE TABLE agg_unfolded (
            minute INTEGER NOT NULL, type_id INTEGER NOT NULL, field_id INTEGER NOT NULL,
            PRIMARY KEY (minute, type_id, field_id)
        ) WITHOUT ROWID;
        CREATE TABLE agg_field (type_id INTEGER NOT NULL, field_id INTEGER NOT NULL, PRIMARY KEY (type_id, field_id)) WITHOUT ROWID;
        CREATE TABLE agg_window (
            win INTEGER NOT NULL, type_id INTEGER NOT NULL, field_id INTEGER NOT NULL, value TEXT NOT NULL, n INTEGER NOT NULL,
            PRIMARY KEY (win, type_id, field_id, value)
        ) WITHOUT ROWID;
        CREATE INDEX agg_window_by_count ON agg_window (win, type_id, field_id, n);
        CREATE TABLE agg_window_total (
            win INTEGER NOT NULL, type_id INTEGER NOT NULL, field_id INTEGER NOT NULL, n INTEGER NOT NULL,
            PRIMARY KEY (win, type_id, field_id)
        ) WITHOUT ROWID;
        CREATE TABLE agg_window_span (win INTEGER PRIMARY KEY, first INTEGER NOT NULL);
        """

    /// v4's `event_key` (replaced by v5's `timeline_key`): for the fields `TimelineKey.indexedFields` names
    /// (user_id, session_id), each row's value as a 64-bit key, so a timeline
    /// reads one value's rows instead of every row. Ordered by `block` (the
    /// row id's 8,192s) before the key: a batch's keys land in the newest
    /// block's few pages, near the end of the b-tree, instead of on a page per
    /// distinct value all over it (which wrote five times the rows' bytes to
    /// the WAL); a lookup seeks once per block, newest first, and retention
    /// drops whole blocks. WITHOUT ROWID: one b-tree, no other index.
    static let timelineKeys = """
        CREATE TABLE event_key (
            field_id INTEGER NOT NULL, block INTEGER NOT NULL, key INTEGER NOT NULL, id INTEGER NOT NULL,
            PRIMARY KEY (field_id, block, key, id)
        ) WITHOUT ROWID;
        """

    /// `timeline_key` (v5, replacing v4's `event_key`, which held a row per
    /// event and key): per indexed field, block of 8,192 row ids and value's
    /// 64-bit key, the rows holding it, as `ids`: each row's offset in its
    /// block (id & 8,191), two bytes little-endian, in the order written. A
    /// batch adds one upsert per distinct value of a block instead of one
    /// insert per event (a user seen nine times in a block costs one row, not
    /// nine). A lookup still seeks once per block, newest first, and checks
    /// each row it names (an offset may outlive its row, or repeat when SQLite
    /// reuses the id of a newest row that retention took); retention still
    /// drops whole blocks.
    static let timelinePostings = """
        CREATE TABLE timeline_key (
            field_id INTEGER NOT NULL, block INTEGER NOT NULL, key INTEGER NOT NULL, ids BLOB NOT NULL,
            PRIMARY KEY (field_id, block, key)
        ) WITHOUT ROWID;
        """

    /// v3's `event` view, over its row per event (v6 replaces both).
    static let v3EventView = """
        CREATE VIEW event AS
            SELECT r.id AS id, t.name AS event_type, r.ts AS ts, r.source AS source, r.payload AS payload, r.client_ts AS client_ts
            FROM event_row r JOIN event_type t ON t.id = r.type_id;
        """

    /// v6: `event_block` holds the events, a page of them to a row (see
    /// `EventBlock` for the format); `n` is how many ids the block
    /// spans, `live` how many of them still hold an event (retention nulls
    /// the rest). Nothing else is indexed: the minute map finds a time's
    /// blocks, the timeline keys a user's.
    static let blockTable = """
        CREATE TABLE event_block (
            id INTEGER PRIMARY KEY,
            n INTEGER NOT NULL,
            live INTEGER NOT NULL,
            events TEXT NOT NULL
        );
        """

    /// v7: the newest event id the aggregates count (see `PendingAggregates`).
    /// Events after it are counted again from their blocks at the next open.
    static let aggregateMark = """
        CREATE TABLE agg_mark (id INTEGER PRIMARY KEY CHECK (id = 1), through INTEGER NOT NULL);
        INSERT INTO agg_mark (id, through) VALUES (1, 0);
        """

    /// The events one per row again, for `sqlite3` users: `SELECT event_type,
    /// ts, payload FROM event` and `json_extract(payload, '$.chapter_id')` work as they
    /// did when the store kept a row per event (reading this way unpacks every block).
    /// `json_extract`, not `->>`: that needs SQLite 3.38, newer than some LTS systems have.
    static let eventView = """
        CREATE VIEW event AS
            SELECT b.id + e.key AS id, t.name AS event_type, json_extract(e.value, '$[1]') AS ts, json_extract(e.value, '$[2]') AS source,
                   json_extract(e.value, '$[3]') AS payload, json_extract(e.value, '$[4]') AS client_ts
            FROM event_block b, json_each(b.events) e JOIN event_type t ON t.id = json_extract(e.value, '$[0]')
            WHERE e.type = 'array';
        """
}
