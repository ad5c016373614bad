import GRDB
import GRDBSQLite

/// A prepared statement on SQLite's C API, for the loops that run once per
/// row or per distinct value: GRDB's arguments cost an array per call there.
///
/// Prepared once per connection, not per batch: the statement is GRDB's
/// cached one for its SQL (GRDB finalizes it when the connection closes).
/// A commit of a few HTTP events used to spend more time compiling its
/// eight statements than running them. Every use binds all of its
/// parameters and is reset after its step, so nothing carries over from
/// one use to the next.
final class SQLiteStatement {
    let connection: OpaquePointer
    /// Keeps GRDB's statement (and so `statement`) alive while this is in use.
    private let owner: Statement
    private let statement: OpaquePointer

    init(_ db: Database, _ sql: String) throws {
        guard let connection = db.sqliteConnection else { throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "no connection") }
        self.connection = connection
        owner = try db.cachedStatement(sql: sql)
        statement = owner.sqliteStatement
        // The last use's text and blobs were bound without a copy: let go of them.
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
    }

    func check(_ code: Int32) throws {
        guard code == SQLITE_OK || code == SQLITE_DONE || code == SQLITE_ROW else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(connection)))
        }
    }

    @inline(__always) func bind(_ i: Int32, _ v: Int64) { sqlite3_bind_int64(statement, i, v) }
    @inline(__always) func bind(_ i: Int32, _ v: String) { sqlite3_bind_text(statement, i, v, -1, EventStore.sqliteTransient) }
    @inline(__always) func bindNull(_ i: Int32) { sqlite3_bind_null(statement, i) }
    /// Bytes that outlive the step (SQLite does not copy them).
    @inline(__always) func bindText(_ i: Int32, _ bytes: UnsafeBufferPointer<UInt8>) {
        sqlite3_bind_text(statement, i, UnsafeRawPointer(bytes.baseAddress!).assumingMemoryBound(to: CChar.self), Int32(bytes.count), nil)
    }

    /// Bytes that outlive the step (SQLite does not copy them).
    @inline(__always) func bindBlob(_ i: Int32, _ bytes: UnsafeBufferPointer<UInt8>) {
        sqlite3_bind_blob(statement, i, bytes.baseAddress, Int32(bytes.count), nil)
    }

    /// Runs a statement that returns no rows (or ignores them), ready for the next bindings.
    func run() throws {
        let code = sqlite3_step(statement)
        sqlite3_reset(statement)
        try check(code)
    }

    /// Runs a statement and calls `row` for each result row.
    func query(_ row: (SQLiteStatement) throws -> Void) throws {
        try queryWhile { statement in
            try row(statement)
            return true
        }
    }

    /// The same, until `row` says stop.
    func queryWhile(_ row: (SQLiteStatement) throws -> Bool) throws {
        defer { sqlite3_reset(statement) }
        while true {
            let code = sqlite3_step(statement)
            if code == SQLITE_DONE { return }
            try check(code)
            if try !row(self) { return }
        }
    }

    func int(_ column: Int32) -> Int64 { sqlite3_column_int64(statement, column) }
    /// A text column's bytes, valid until the next step or reset.
    func bytes(_ column: Int32) -> UnsafeBufferPointer<UInt8> {
        // Text first, then its length (SQLite's order: the length is of the form last asked for).
        let p = sqlite3_column_text(statement, column)
        let count = Int(sqlite3_column_bytes(statement, column))
        guard let p, count > 0 else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: p, count: count)
    }
    func text(_ column: Int32) -> String {
        guard let p = sqlite3_column_text(statement, column) else { return "" }
        return String(cString: p)
    }

    var changes: Int { Int(sqlite3_changes(connection)) }
    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(connection) }
}
