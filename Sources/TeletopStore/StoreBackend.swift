import Foundation
import TeletopCore

/// What the store writer and the commands need of a store, whichever engine
/// holds it: an SQLite file (`EventStore`, the embedded default) or a
/// PostgreSQL database shared by a fleet of collectors (`PostgresStore`).
/// Nothing outside this module knows which one runs.
protocol StoreBackend: AnalyticsSource {
    /// Where it is, for status lines and errors (a PostgreSQL address without its password).
    var place: String { get }
    /// Writes a batch in one transaction, with its aggregates; returns once committed.
    func insert(_ events: [LoggedEvent]) async throws(StoreError)
    /// A batch whose COMMIT got no answer (a shared store only): sends it again,
    /// stored at most once. false: nothing was unsettled; true: it is stored now.
    /// Throws `.unsettled` while that is still unknown, another error when it is known not to be.
    func settle() async throws(StoreError) -> Bool
    /// A shared store: says this collector runs (its rows are not taken for an ended run's).
    func heartbeat() async
    /// One small write: does the store take writes now?
    func probe(at now: Timestamp) async throws(StoreError)
    /// Lifetime accepted counts per type (retention does not lower them).
    func totals() throws(StoreError) -> [String: UInt64]
    /// The newest `limit` events, oldest first, for the feed after a restart.
    func recent(limit: Int) throws(StoreError) -> [(event: AnalyticsEvent, source: EventSource)]
    /// Lifetime counts per type written by other writers of a shared store (nil: there are none).
    func othersTotals() async throws(StoreError) -> [String: UInt64]?
    /// Rows stored now.
    func storedCount() async throws(StoreError) -> Int
    /// Bytes the store takes (the file and its log; the database's tables).
    func storedBytes() async -> Int64
    /// Value sets the write cache dropped to stay in its bounds.
    var cacheEvictions: Int { get }
    /// Writes aggregates held back for later batches (`PendingAggregates`), before the store closes.
    func flushAggregates() async throws(StoreError)
    /// Housekeeping of the aggregates; returns true while a pass left work behind.
    func foldPass(now: Timestamp) async throws(StoreError) -> Bool
    func pruneAggregates(now: Timestamp, days: Int) async throws(StoreError)
    /// Deletes rows beyond the newest `keep` and stamped before `before`; `progress` hears each chunk.
    func pruneRows(keep: Int?, before: Timestamp?, progress: (Int) -> Void) async throws(StoreError) -> Int
    /// Every matching event in arrival order, in bounded memory.
    func export(_ filter: ExportFilter, _ each: (ExportRow) throws -> Void) throws
}

/// Where the events are kept: `--db PATH` (SQLite) or `--store postgres://…`.
public enum StoreAddress: Sendable, Equatable {
    case file(String)
    case postgres(PostgresAddress)

    /// `--store`'s text: a `postgres://` (or `postgresql://`) address, or a file path.
    public static func parse(_ text: String) throws(StoreError) -> StoreAddress {
        let lowered = text.lowercased()
        if lowered.hasPrefix("postgres://") || lowered.hasPrefix("postgresql://") {
            return .postgres(try PostgresAddress(text))
        }
        if text.contains("://") {
            throw StoreError(path: PostgresAddress.redact(text), kind: .cannotOpen,
                             message: "unknown kind of store address: expected postgres://USER[:PASS]@HOST[:PORT]/DB or a file path")
        }
        return .file(text)
    }

    /// For status lines, logs and errors: never the password.
    public var place: String {
        switch self {
        case .file(let path): path
        case .postgres(let a): a.redacted
        }
    }

    /// Whether opening rebuilds a store made by an older release (SQLite files only).
    var needsUpgrade: Bool {
        if case .file(let path) = self { return EventStore.needsUpgrade(path: path) }
        return false
    }

    /// Opens (creating and migrating what is missing).
    func open(upgradeProgress: @escaping @Sendable (StoreUpgrade.Progress) -> Void = { _ in }) throws(StoreError) -> any StoreBackend {
        switch self {
        case .file(let path): try EventStore(path: path, upgradeProgress: upgradeProgress)
        case .postgres(let address): try PostgresStore(address: address)
        }
    }
}

/// `teletop export`'s door to either store, read only.
public struct StoreReader: Sendable {
    let backend: any StoreBackend

    public init(_ address: StoreAddress) throws(StoreError) {
        switch address {
        case .file(let path): backend = try EventStore(path: path, readOnly: true)
        case .postgres(let a): backend = try PostgresStore(address: a, migrates: false)
        }
    }

    public func export(_ filter: ExportFilter, _ each: (ExportRow) throws -> Void) throws {
        try backend.export(filter, each)
    }
}

extension EventStore: StoreBackend {
    var place: String { path }

    func storedCount() async throws(StoreError) -> Int { try count() }
    func othersTotals() async throws(StoreError) -> [String: UInt64]? { nil }
    func heartbeat() async {}
    /// A local commit always answers.
    func settle() async throws(StoreError) -> Bool { false }
    func storedBytes() async -> Int64 { sizeOnDisk }

    func foldPass(now: Timestamp) async throws(StoreError) -> Bool {
        let folded: Int = try await fold(now: now)
        return folded >= Self.foldLimit
    }

    func pruneRows(keep: Int?, before: Timestamp?, progress: (Int) -> Void) async throws(StoreError) -> Int {
        try await prune(keep: keep, before: before, chunk: 5_000, progress: progress)
    }
}
