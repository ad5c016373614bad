import GRDB

/// The schema, as GRDB migrations: a new column or index is a new migration
/// appended here, never an edit of a shipped one.
enum StoreSchema {
    static var migrator: DatabaseMigrator {
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
        return migrator
    }
}
