import Foundation
import Testing
import TeletopCore
@testable import TeletopStore

/// Issue 18: the store on PostgreSQL. The address tests always run; the
/// others need a server: `eval "$(scripts/test-postgres.sh start)"` (which
/// `.ci/run` does) sets TELETOP_TEST_POSTGRES, and each test makes a
/// database of its own on it.
@Suite("PostgreSQL addresses")
struct PostgresAddressTests {
    @Test func aFullAddressIsReadPartByPart() throws {
        let a = try PostgresAddress("postgres://ann:p%40ss@db.example:6543/events?sslmode=require")
        #expect(a.user == "ann")
        #expect(a.password == "p@ss")
        #expect(a.host == "db.example")
        #expect(a.port == 6543)
        #expect(a.database == "events")
        #expect(a.tls == .require)
        #expect(a.redacted == "postgres://ann:***@db.example:6543/events")
        let v6 = try PostgresAddress("postgresql://ann@[::1]/events")
        #expect(v6.host == "::1" && v6.port == 5432 && v6.password == nil && v6.tls == .prefer)
    }

    @Test(arguments: [
        ("postgres://db.example/events", "no user"),
        ("postgres://ann@db.example", "no database"),
        ("postgres://ann@db.example/", "the database name is empty"),
        ("postgres://ann@db.example:99999/events", "the port: expected a number from 1 to 65535, got \"99999\""),
        ("postgres://ann@db.example:abc/events", "got \"abc\""),
        ("postgres://ann@:5432/events", "the host is empty"),
        ("postgres://:pw@db/events", "the user is empty"),
        ("postgres://ann@db/events?sslmode=maybe", "sslmode: expected disable, prefer, require or verify-full, got \"maybe\""),
        ("postgres://ann@db/events?timeout=3", "unknown option \"timeout\""),
        ("mysql://ann@db/events", "unknown kind of store address"),
    ])
    func aBadAddressNamesItsPart(text: String, expected: String) {
        do {
            _ = try StoreAddress.parse(text)
            Issue.record("\(text) was accepted")
        } catch {
            #expect(error.description.contains(expected), "\(error.description)")
            #expect(error.kind == .cannotOpen)
        }
    }

    @Test func thePasswordIsNeverPrinted() {
        do {
            _ = try StoreAddress.parse("postgres://ann:hunter2@db.example:port/events")
            Issue.record("accepted")
        } catch {
            #expect(!error.description.contains("hunter2"), "\(error.description)")
        }
    }

    /// Under CI the server is always there (`.ci/run` starts it): the suite below must not skip.
    @Test func ciHasAServer() {
        if ProcessInfo.processInfo.environment["CI"] != nil {
            #expect(TestPostgres.available, "CI without TELETOP_TEST_POSTGRES: the PostgreSQL suite would be skipped")
        }
    }

    @Test func aPathIsAFile() throws {
        #expect(try StoreAddress.parse("/var/lib/teletop/events.sqlite") == .file("/var/lib/teletop/events.sqlite"))
    }
}

/// A server for the tests, and a fresh database on it per test.
enum TestPostgres {
    static let base: String? = ProcessInfo.processInfo.environment["TELETOP_TEST_POSTGRES"].flatMap { $0.isEmpty ? nil : $0 }
    static var available: Bool { base != nil }

    /// `psql` on the server's maintenance database.
    @discardableResult
    static func psql(_ sql: String, database: String? = nil) throws -> String {
        let a = try PostgresAddress(base!)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        p.arguments = ["-h", a.host, "-p", "\(a.port)", "-U", a.user, "-d", database ?? a.database, "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-c", sql]
        var env = ProcessInfo.processInfo.environment
        env["PGPASSWORD"] = a.password ?? ""
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let problem = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw StoreError(path: "psql", message: String(decoding: problem, as: UTF8.self)) }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A new empty database; its address.
    static func database() throws -> PostgresAddress {
        var a = try PostgresAddress(base!)
        let name = "teletop_t_" + UUID().uuidString.prefix(8).lowercased()
        try psql("CREATE DATABASE \(name)")
        a.database = name
        return a
    }
}

/// Runs a blocking call of the store (it waits on PostgreSQL) on a thread of
/// its own, as the commands and dispatch queues do: never on a task's thread,
/// which the rest of the suite needs.
func off<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { c in
        Thread.detachNewThread { c.resume(with: Result { try body() }) }
    }
}

@Suite("PostgreSQL store", .enabled(if: TestPostgres.available, "set TELETOP_TEST_POSTGRES (scripts/test-postgres.sh start)"), .serialized)
struct PostgresStoreTests {
    static let now = Timestamp(year: 2026, month: 3, day: 4).adding(milliseconds: 10 * 3_600_000 + 30 * 60_000)

    static func event(_ i: Int, type: String = "ai_block_used", at stamp: Timestamp = now, chapter: Int64? = nil, user: String? = nil) -> LoggedEvent {
        let payload = aiEvent(user: user ?? "user_\(i % 7)", chapter: chapter ?? Int64(i % 5))
        return LoggedEvent(sequence: UInt64(i), eventType: type, timestamp: stamp, source: .http, unplanned: false, packedPayload: PackedPayload(payload))
    }

    @Test func eventsAndAggregatesRoundTrip() async throws {
        let address = try await off { try TestPostgres.database() }
        let store = try await off { try PostgresStore(address: address) }
        let events = (0..<50).map { Self.event($0, type: $0 % 5 == 0 ? "chapter_visit" : "ai_block_used",
                                             at: Self.now.adding(milliseconds: Int64($0) * 2_000)) }
        try await store.insert(Array(events[0..<20]))
        try await store.insert(Array(events[20...]))
        #expect(try await store.storedCount() == 50)
        #expect(try await off { try store.totals() } == ["ai_block_used": 40, "chapter_visit": 10])

        let later = Self.now.adding(milliseconds: 60_000)
        let top = try await off { try store.top(TopQuery(eventType: "ai_block_used", field: "chapter_id", windowSeconds: 300, limit: 3, now: later)) }
        // chapters i % 5 over the ai_block_used events (i % 5 != 0): 1, 2, 3, 4 ten times each.
        #expect(top.total == 40 && top.withField == 40 && top.other == 0 && !top.approximate)
        #expect(top.values == [TopValue(value: "1", count: 10), TopValue(value: "2", count: 10), TopValue(value: "3", count: 10)])
        let all = try await off { try store.top(TopQuery(eventType: nil, field: "chapter_id", windowSeconds: nil, now: later)) }
        #expect(all.total == 50 && all.values.first == TopValue(value: "0", count: 10))

        let series = try await off { try store.series(SeriesQuery(eventType: nil, bucket: .minute, window: .fiveMinutes, now: later)) }
        #expect(series.map(\.count).reduce(0, +) == 50)
        #expect(series.suffix(2).map(\.count) == [30, 20])
        #expect(try await off { try store.perMinute(minutes: 2, now: later) } == [30, 20])

        let exported = try await off {
            var rows: [ExportRow] = []
            try StoreReader(.postgres(address)).export(ExportFilter(eventType: "chapter_visit")) { rows.append($0) }
            return rows
        }
        #expect(exported.map(\.timestamp) == events.filter { $0.eventType == "chapter_visit" }.map(\.timestamp))
        #expect(exported.first?.payloadJSON.contains("\"chapter_id\":0") == true)
        let recent = try await off { try store.recent(limit: 3) }
        #expect(recent.map(\.event.timestamp) == events.suffix(3).map(\.timestamp))
    }

    @Test func valuesBeyondTheBoundAreCountedAsOtherAndFlagged() async throws {
        let store = try await off { try PostgresStore(address: try TestPostgres.database()) }
        let limit = AggregateLimits.valuesPerBucket
        // One more distinct user than a minute keeps, in two batches (the second finds the bucket full).
        let events = (0...limit).map { Self.event($0, user: "u\($0)") }
        try await store.insert(Array(events[0..<limit]))
        let below = try await off { try store.top(TopQuery(eventType: nil, field: "user_id", windowSeconds: 300, now: Self.now)) }
        #expect(below.other == 0 && !below.approximate)
        try await store.insert([events[limit]])
        let above = try await off { try store.top(TopQuery(eventType: nil, field: "user_id", windowSeconds: 300, now: Self.now)) }
        #expect(above.other == 1 && above.approximate && above.withField == limit + 1)
        // The lifetime keeps more distinct values: still exact there.
        let all = try await off { try store.top(TopQuery(eventType: nil, field: "user_id", windowSeconds: nil, now: Self.now)) }
        #expect(all.other == 0 && !all.approximate)
        // A new run (a new writer) reads back nothing of another's and keeps its own bound.
        let rows = try await off { try TestPostgres.psql("SELECT count(*) FROM agg_value WHERE level = 0 AND field = 'user_id' AND value <> ''", database: store.address.database) }
        #expect(rows == "\(limit)")
    }

    @Test func writersAtOnceKeepAggregatesEqualToTheRows() async throws {
        let address = try await off { try TestPostgres.database() }
        let a = try await off { try PostgresStore(address: address) }, b = try await off { try PostgresStore(address: address) }
        #expect(a.writer != b.writer)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (w, store) in [a, b].enumerated() {
                group.addTask {
                    for batch in 0..<20 {
                        let events = (0..<25).map { i in
                            Self.event(w * 10_000 + batch * 100 + i, at: Self.now.adding(milliseconds: Int64(batch * 7_000 + i)))
                        }
                        try await store.insert(events)
                    }
                }
            }
            try await group.waitForAll()
        }
        let db = address.database
        #expect(try TestPostgres.psql("SELECT count(*) FROM event_row", database: db) == "1000")
        #expect(try await off { try a.totals() } == ["ai_block_used": 1000])
        // Every aggregate row against a brute-force count of the rows, level by level.
        for (level, width) in [(0, 1), (1, 60), (2, 1_440)] {
            let mismatches = try TestPostgres.psql("""
                WITH rows AS (SELECT (floor(ts / 60000.0 / \(width)) * \(width))::int8 AS bucket, payload->>'chapter_id' AS v FROM event_row),
                brute AS (SELECT bucket, v, count(*) AS n FROM rows GROUP BY 1, 2),
                agg AS (SELECT bucket, value AS v, sum(n) AS n FROM agg_value WHERE level = \(level) AND field = 'chapter_id' GROUP BY 1, 2)
                SELECT count(*) FROM brute FULL JOIN agg USING (bucket, v) WHERE brute.n IS DISTINCT FROM agg.n
                """, database: db)
            #expect(mismatches == "0", "level \(level)")
        }
        let top = try await off { try b.top(TopQuery(eventType: nil, field: "chapter_id", windowSeconds: nil, now: Self.now)) }
        #expect(top.total == 1000 && top.values.map(\.count).reduce(0, +) == 1000)
    }

    @Test func collectorsStartingTogetherMakeOneSchema() async throws {
        let address = try await off { try TestPostgres.database() }
        let results = await withTaskGroup(of: Result<Int32, StoreError>.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    await withCheckedContinuation { c in
                        Thread.detachNewThread {
                            c.resume(returning: Result { () throws(StoreError) -> Int32 in try PostgresStore(address: address).writer })
                        }
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let writers = try results.map { try $0.get() }
        #expect(Set(writers).count == 4)
        #expect(try TestPostgres.psql("SELECT count(*) FROM teletop_migration", database: address.database) == "\(PostgresSchema.migrations.count)")
    }

    /// The error opening `address` gives (none: a test failure).
    static func openFailure(_ address: PostgresAddress) async throws -> StoreError? {
        try await off { () -> StoreError? in
            do throws(StoreError) {
                _ = try PostgresStore(address: address)
                return nil
            } catch {
                return error
            }
        }
    }

    @Test func aWrongPasswordAndAMissingDatabaseAreNamed() async throws {
        var wrong = try PostgresAddress(TestPostgres.base!)
        wrong.password = "not-the-password"
        let refused = try #require(try await Self.openFailure(wrong))
        #expect(refused.kind == .cannotOpen)
        #expect(refused.message.contains("refused the login of user \(wrong.user)"), "\(refused)")
        #expect(!refused.description.contains("not-the-password"))

        var missing = try PostgresAddress(TestPostgres.base!)
        missing.database = "teletop_no_such_db"
        let absent = try #require(try await Self.openFailure(missing))
        #expect(absent.kind == .cannotOpen)
        #expect(absent.message.contains("the database teletop_no_such_db does not exist"), "\(absent)")

        var closed = try PostgresAddress(TestPostgres.base!)
        closed.port = 1
        let silent = try #require(try await Self.openFailure(closed))
        #expect(silent.kind == .unavailable, "\(silent)")
        #expect(silent.message.contains("not answering at \(closed.host):1"), "\(silent)")
    }

    /// A batch whose COMMIT got no answer is sent again: once stored, never twice.
    @Test func aBatchSentAgainIsStoredOnce() async throws {
        let address = try await off { try TestPostgres.database() }
        let store = try await off { try PostgresStore(address: address) }
        try await store.insert((0..<3).map { Self.event($0) })
        let events = (10..<14).map { Self.event($0) }
        let statement = try await store.build(events, seq: store.batches.add(1, ordering: .relaxed).newValue)
        // Unsettled and never sent (its first sending was lost before COMMIT): sending it stores it.
        store.unsettled.withLock { $0 = statement }
        #expect(try await store.settle())
        #expect(try await store.storedCount() == 7)
        // Unsettled after it did commit (its answer was lost): sending it again stores nothing.
        store.unsettled.withLock { $0 = statement }
        #expect(try await store.settle())
        #expect(try await store.settle() == false, "nothing left to settle")
        #expect(try await store.storedCount() == 7)
        #expect(try await off { try store.totals() } == ["ai_block_used": 7])
        // And the writer goes on after it.
        try await store.insert([Self.event(20)])
        #expect(try await store.storedCount() == 8)
    }

    /// PostgreSQL's text holds no NUL; the JSON contract allows one in a key or a type.
    @Test func aNulInAKeyOrATypeDoesNotWedgeTheWriter() async throws {
        let store = try await off { try PostgresStore(address: try TestPostgres.database()) }
        var payload = aiEvent()
        payload["a\u{0}b"] = .string("x\u{0}y")
        let odd = LoggedEvent(sequence: 1, eventType: "odd\u{0}type", timestamp: Self.now, source: .http, unplanned: true,
                              packedPayload: PackedPayload(payload))
        try await store.insert([odd, Self.event(2)])
        #expect(try await store.storedCount() == 2)
        #expect(try await off { try store.totals() } == ["odd\\u0000type": 1, "ai_block_used": 1])
        var exported: [ExportRow] = []
        exported = try await off {
            var rows: [ExportRow] = []
            try StoreReader(.postgres(store.address)).export(ExportFilter()) { rows.append($0) }
            return rows
        }
        #expect(exported.count == 2 && exported[0].payloadJSON.contains(#""x\u0000y""#), "\(exported.first?.payloadJSON ?? "")")
    }

    /// A server that accepts the connection and then says nothing is an outage after the deadline, not a hang.
    @Test func aSilentServerIsUnavailableAfterTheDeadline() async throws {
        let listener = Process()
        listener.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        listener.arguments = ["-c", """
            import socket, sys, time
            s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
            print(s.getsockname()[1], flush=True)
            held = []
            deadline = time.time() + 60
            s.settimeout(1)
            while time.time() < deadline:
                try: held.append(s.accept()[0])
                except OSError: pass
            """]
        let out = Pipe()
        listener.standardOutput = out
        try listener.run()
        defer { listener.terminate() }
        let line = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let port = try #require(Int(line))
        let started = ContinuousClock.now
        let failure = try #require(try await Self.openFailure(try PostgresAddress("postgres://ann@127.0.0.1:\(port)/x?sslmode=disable")))
        #expect(failure.kind == .unavailable && failure.message.contains("127.0.0.1:\(port)"), "\(failure)")
        #expect(ContinuousClock.now - started < .seconds(20))
    }

    /// Every start is a new writer: the lifetime rows of runs that ended are
    /// merged into one writer, within the same bound, the sums unchanged.
    @Test func endedRunsMergeIntoOneBoundedWriter() async throws {
        let address = try await off { try TestPostgres.database() }
        let a = try await off { try PostgresStore(address: address) }
        let b = try await off { try PostgresStore(address: address) }
        try await a.insert((0..<6).map { Self.event($0, user: "u\($0)") })
        try await b.insert((2..<8).map { Self.event($0, user: "u\($0)") })
        let query = TopQuery(eventType: nil, field: "user_id", windowSeconds: nil, limit: 20, now: Self.now)
        let before = try await off { try a.top(query) }
        #expect(before.total == 12 && before.withField == 12 && before.other == 0)
        #expect(try await a.mergeEndedRuns() == 0, "both runs are alive")
        _ = try await off { try TestPostgres.psql("UPDATE teletop_writer SET seen_at = now() - interval '2 hours'", database: address.database) }
        // A bound of 5 for the test: u2..u5 twice each, then u0 first of the ones; u1, u6, u7 go to other.
        #expect(try await a.mergeEndedRuns(limit: 5) == 2)
        let after = try await off { try a.top(query) }
        #expect(after.total == 12 && after.withField == 12)
        #expect(after.values.map(\.value) == ["\"u2\"", "\"u3\"", "\"u4\"", "\"u5\"", "\"u0\""] && after.other == 3 && after.approximate)
        let writers = try await off {
            try TestPostgres.psql("SELECT string_agg(DISTINCT writer::text, ',') FROM agg_value WHERE level = 3", database: address.database)
        }
        #expect(writers == "0")
        #expect(try await off { try a.totals() } == ["ai_block_used": 12])
        #expect(try await a.mergeEndedRuns() == 0, "nothing left to merge")
        // A run that comes back writes rows of its own again; the sums stay exact.
        try await a.insert([Self.event(100, user: "u0")])
        #expect(try await off { try a.totals() } == ["ai_block_used": 13])
        #expect(try await off { try a.top(query) }.values.first { $0.value == "\"u0\"" }?.count == 2)
    }

    @Test func retentionKeepsTheNewestAndTheTotals() async throws {
        let store = try await off { try PostgresStore(address: try TestPostgres.database()) }
        try await store.insert((0..<30).map { Self.event($0, at: Self.now.adding(milliseconds: Int64($0))) })
        var heard = 0
        let gone = try await store.pruneRows(keep: 10, before: nil) { heard += $0 }
        #expect(gone == 20 && heard == 20)
        #expect(try await store.storedCount() == 10)
        #expect(try await off { try store.totals() } == ["ai_block_used": 30])
        let old = try await store.pruneRows(keep: nil, before: Self.now.adding(milliseconds: 25)) { _ in }
        #expect(old == 5)
        #expect(try await off { try store.recent(limit: 100) }.count == 5)
    }

    @Test func theWriterStoresThroughPostgres() async throws {
        let address = try await off { try TestPostgres.database() }
        let logger = EventLogger()
        let writer = try await off { StoreWriter(address: .postgres(address), logger: logger, options: quickOptions(), log: quietLog) }
        #expect(writer.path == address.redacted)
        let events = (0..<5).map { Self.event($0) }
        #expect(await writer.write(events) == .durable)
        #expect(try await eventually { writer.status.eventsStored == 5 })
        await writer.stop()
        // A second run restores the lifetime totals into its counters.
        let again = EventLogger()
        let second = try await off { StoreWriter(address: .postgres(address), logger: again, options: quickOptions(), log: quietLog) }
        #expect(again.snapshot().types.first { $0.name == "ai_block_used" }?.accepted == 5)
        await second.stop()
    }
}
