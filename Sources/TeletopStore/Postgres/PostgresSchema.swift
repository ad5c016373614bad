import Foundation
import PostgresNIO

/// The tables in PostgreSQL, created and migrated by teletop under an
/// advisory lock, so collectors starting together on an empty database make
/// one schema: the first takes the lock and migrates, the others wait for it
/// and then find nothing to do. Each migration is recorded in
/// `teletop_migration` in the transaction that applies it.
///
/// Aggregates are kept per writer (a collector's run, `teletop_writer`):
/// every aggregate row has one writer, so collectors never wait for each
/// other's row locks, and the bound on distinct values per bucket is kept
/// exactly by the one process that writes the row. Readers sum over writers.
enum PostgresSchema {
    /// Any 64-bit number teletop alone uses: the key of the migration lock.
    static let migrationLock: Int64 = 0x7465_6c65_746f_7001
    /// The key of the retention lock: one collector prunes at a time.
    static let retentionLock: Int64 = 0x7465_6c65_746f_7002

    static let migrations: [(version: Int, name: String, sql: String)] = [
        (1, "events, writers and aggregates", """
            CREATE TABLE teletop_writer (
                id serial PRIMARY KEY,
                host text NOT NULL,
                started_at timestamptz NOT NULL DEFAULT now(),
                last_batch bigint NOT NULL DEFAULT 0
            );
            CREATE TABLE teletop_fleet (id text NOT NULL);
            INSERT INTO teletop_fleet (id) SELECT gen_random_uuid()::text;
            CREATE TABLE event_row (
                id bigserial PRIMARY KEY,
                event_type text NOT NULL,
                ts bigint NOT NULL,
                source smallint NOT NULL,
                client_ts bigint,
                payload json NOT NULL,
                writer int NOT NULL
            );
            CREATE INDEX event_row_by_ts ON event_row (ts);
            CREATE TABLE agg_count (
                level smallint NOT NULL, bucket bigint NOT NULL, event_type text NOT NULL, writer int NOT NULL,
                n bigint NOT NULL,
                PRIMARY KEY (level, bucket, event_type, writer)
            );
            CREATE TABLE agg_value (
                field text NOT NULL, level smallint NOT NULL, bucket bigint NOT NULL, event_type text NOT NULL,
                value text NOT NULL, writer int NOT NULL,
                n bigint NOT NULL,
                PRIMARY KEY (field, level, bucket, event_type, value, writer)
            );
            CREATE INDEX agg_value_by_bucket ON agg_value (level, bucket);
            COMMENT ON TABLE agg_value IS 'teletop: per payload field and bucket, the count of each value; value '''' is the other count';
            """),
        (2, "writers' heartbeats, for merging the lifetime rows of runs that ended", """
            ALTER TABLE teletop_writer ADD COLUMN seen_at timestamptz NOT NULL DEFAULT now();
            ALTER TABLE teletop_writer ADD COLUMN merged boolean NOT NULL DEFAULT false;
            """),
    ]

    /// Creates what is missing. Safe to run from several collectors at once.
    static func migrate(_ c: PostgresConnection) async throws {
        try await c.query("BEGIN", logger: PostgresLink.log)
        do {
            try await c.query("SELECT pg_advisory_xact_lock(\(migrationLock))", logger: PostgresLink.log)
            try await c.query("""
                CREATE TABLE IF NOT EXISTS teletop_migration (
                    version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
                """, logger: PostgresLink.log)
            var applied = Set<Int>()
            for try await (version) in try await c.query("SELECT version FROM teletop_migration", logger: PostgresLink.log).decode(Int.self) {
                applied.insert(version)
            }
            if let newest = applied.max(), newest > (migrations.map(\.version).max() ?? 0) {
                throw PostgresStore.Refusal("the database's teletop schema is version \(newest), newer than this teletop knows (\(migrations.count)); upgrade teletop")
            }
            for m in migrations where !applied.contains(m.version) {
                // One statement per query: the extended protocol takes no lists.
                for statement in m.sql.components(separatedBy: ";\n") where !statement.allSatisfy(\.isWhitespace) {
                    try await c.query(PostgresQuery(unsafeSQL: statement), logger: PostgresLink.log)
                }
                try await c.query("INSERT INTO teletop_migration (version, name) VALUES (\(m.version), \(m.name))", logger: PostgresLink.log)
            }
            try await c.query("COMMIT", logger: PostgresLink.log)
        } catch {
            _ = try? await c.query("ROLLBACK", logger: PostgresLink.log)
            throw error
        }
    }

    /// Whether teletop's tables are there (export never creates them).
    static func exists(_ c: PostgresConnection) async throws -> Bool {
        for try await (found) in try await c.query("SELECT to_regclass('event_row') IS NOT NULL", logger: PostgresLink.log).decode(Bool.self) {
            return found
        }
        return false
    }
}
