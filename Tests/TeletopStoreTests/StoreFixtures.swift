import Foundation
import GRDB
import Logging
import Synchronization
import TeletopCore
@testable import TeletopStore

let aiPayload: JSONObject = ["user_id": "user_1", "chapter_id": 1, "section_id": "intro", "block_type": "ask-question"]

func aiEvent(user: String = "user_1", chapter: Int64 = 1, section: String = "intro", block: String = "ask-question") -> JSONObject {
    ["user_id": .string(user), "chapter_id": .int(chapter), "section_id": .string(section), "block_type": .string(block)]
}

/// A fresh folder per test, removed when the value goes away.
final class TempDir {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "teletop-store-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String = "events.sqlite") -> String { "\(path)/\(name)" }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Fast retries and ticks, so failure and recovery take milliseconds in tests.
func quickOptions() -> StoreWriter.Options {
    var o = StoreWriter.Options()
    o.tick = .milliseconds(20)
    o.retryInitial = .milliseconds(10)
    o.retryMax = .milliseconds(50)
    o.pruneInterval = .milliseconds(20)
    return o
}

/// Polls `condition` every 10 ms for up to `seconds`.
func eventually(_ seconds: Double = 5, _ condition: () throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return try condition()
}

func storeHealth(_ logger: EventLogger) -> ComponentHealth? {
    logger.snapshot().components.first { $0.name == "store" }
}

/// The writer's own log says what failed; tests check health instead, so it stays quiet.
let quietLog = Logger(label: "teletop.store.test", factory: { _ in SwiftLogNoOpLogHandler() })

/// Runs blocking work (a store upgrade, thousands of inserts in a debug build)
/// on a thread of its own: on the few threads Swift's tasks share, it would
/// stall every other test running beside it.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, any Error>) in
        Thread.detachNewThread { c.resume(with: Result { try body() }) }
    }
}

/// Waits for async work from a thread that is not one of the shared ones (inside `offPool`).
func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let done = DispatchSemaphore(value: 0)
    let result = Mutex<Result<T, any Error>?>(nil)
    Task.detached {
        let r: Result<T, any Error>
        do { r = .success(try await body()) } catch { r = .failure(error) }
        result.withLock { $0 = r }
        done.signal()
    }
    done.wait()
    return try result.withLock { $0! }.get()
}

/// Makes a store what schema v5 (a row per event) left: `event_row` and its
/// view from the blocks, under the same ids, and no v6 in the migrations table.
func rewriteAsVersion5(_ db: Database) throws {
    try db.execute(sql: """
        CREATE TABLE event_row (
            id INTEGER PRIMARY KEY, type_id INTEGER NOT NULL, ts INTEGER NOT NULL, source INTEGER NOT NULL,
            client_ts INTEGER, payload TEXT NOT NULL
        );
        INSERT INTO event_row (id, type_id, ts, source, client_ts, payload)
            SELECT b.id + e.key, json_extract(e.value, '$[0]'), json_extract(e.value, '$[1]'), json_extract(e.value, '$[2]'), json_extract(e.value, '$[4]'), json_extract(e.value, '$[3]')
            FROM event_block b, json_each(b.events) e WHERE e.type = 'array';
        DROP VIEW event;
        DROP TABLE event_block;
        DELETE FROM grdb_migrations WHERE identifier LIKE 'v6:%';
        """)
    try db.execute(sql: StoreSchema.v3EventView)
}
