import Foundation
import GRDBSQLite
import Synchronization

/// Copies the write-ahead log into the database file on a thread and a
/// connection of its own, instead of inside the writer's commit.
///
/// Why: SQLite checkpoints automatically in the commit that takes the log
/// past 1,000 frames, so the writer, and every HTTP client waiting for its
/// commit, paid for writing each page a second time and for the file's
/// fsync: about a quarter of a big batch's time (`teletop-bench store`). A
/// PASSIVE checkpoint takes no lock a writer or reader needs, so here the
/// commit only signals and the copy runs beside the next batches.
///
/// Bounded: if the copier falls behind (a long read holds old frames), the
/// writer checkpoints in its own commit once the log holds `backstopFrames`,
/// as SQLite would have.
final class LogCheckpointer: @unchecked Sendable {
    // @unchecked: `connection` is used by the checkpoint thread alone.
    /// SQLite's own threshold for its automatic checkpoint.
    static let startFrames: Int32 = 1_000
    /// 64 MiB of 8 KB pages.
    static let backstopFrames: Int32 = 8_192
    /// Checkpoints at most this often: a stream of small commits (HTTP) signals on every one.
    static let minInterval = 0.1

    /// What the writer's commit hook touches: a flag and a semaphore. The hook
    /// finds it by number in `signals`: the connection may still commit (GRDB
    /// finishing its last transaction on its own queue) after the store has
    /// gone, and then finds nothing, instead of memory that was freed.
    final class Signal: Sendable {
        let requested = Atomic<Bool>(false)
        let wake = DispatchSemaphore(value: 0)
        let stopped = Atomic<Bool>(false)
    }

    let signal = Signal()
    private let connection: OpaquePointer
    private static let signals = Mutex<[Int: Signal]>([:])
    private static let lastNumber = Atomic<Int>(0)
    private let number = LogCheckpointer.lastNumber.add(1, ordering: .relaxed).newValue
    /// Checkpoints run, and those that failed (a full disk, say: the next signal tries again).
    let runs = Atomic<Int>(0)
    let failures = Atomic<Int>(0)

    /// Opens its own connection to `path` and starts its thread; nil if the file
    /// cannot be opened (SQLite then checkpoints in the commit, as it always did).
    init?(path: String) {
        var db: OpaquePointer?
        guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK, let db else {
            sqlite3_close(db)
            return nil
        }
        sqlite3_busy_timeout(db, 100)
        // A checkpoint syncs the log before it copies and the file after, as the writer's would.
        sqlite3_exec(db, "PRAGMA synchronous = FULL", nil, nil, nil)
        connection = db
        Thread.detachNewThread { [self] in run() }
    }

    /// Puts the hook on the writer's connection (called on the writer's queue).
    /// It replaces SQLite's automatic checkpoint there.
    func attach(to writer: OpaquePointer) {
        let signal = signal, number = number
        Self.signals.withLock { $0[number] = signal }
        sqlite3_wal_hook(writer, { context, db, name, frames in
            let number = Int(bitPattern: context)
            guard let signal = LogCheckpointer.signals.withLock({ $0[number] }) else { return SQLITE_OK }
            if frames >= LogCheckpointer.backstopFrames {
                sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
            } else if frames >= LogCheckpointer.startFrames, !signal.requested.exchange(true, ordering: .acquiringAndReleasing) {
                signal.wake.signal()
            }
            return SQLITE_OK
        }, UnsafeMutableRawPointer(bitPattern: number))
    }

    /// Ends the thread, and the hook's part (it stays on the connection, which
    /// closes with the store, and finds no signal). Called when the store goes away.
    func detach() {
        _ = Self.signals.withLock { $0.removeValue(forKey: number) }
        signal.stopped.store(true, ordering: .releasing)
        signal.wake.signal()
    }

    private func run() {
        defer { sqlite3_close(connection) }
        while true {
            signal.wake.wait()
            if signal.stopped.load(ordering: .acquiring) { return }
            // Commits that come meanwhile are copied by this checkpoint too.
            Thread.sleep(forTimeInterval: Self.minInterval)
            signal.requested.store(false, ordering: .releasing)
            if signal.stopped.load(ordering: .acquiring) { return }
            let code = sqlite3_wal_checkpoint_v2(connection, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
            runs.add(1, ordering: .relaxed)
            if code != SQLITE_OK { failures.add(1, ordering: .relaxed) }
        }
    }
}
