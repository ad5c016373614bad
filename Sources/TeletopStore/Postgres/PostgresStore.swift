import Foundation
import PostgresNIO
import Synchronization
import TeletopCore

/// Accepted events in a PostgreSQL database that several collectors share.
/// The same promises as the SQLite file: a batch and its aggregates commit in
/// one statement (so one transaction and one WAL flush), and `insert` returns
/// only once PostgreSQL says it committed.
///
/// Aggregates are written at every level (minute, hour, day, lifetime) with
/// each batch instead of folded later: upserts per distinct value, on rows
/// this writer alone owns (see `PostgresSchema`), so collectors writing at
/// once never wait for one another's locks.
public final class PostgresStore: Sendable {
    public let address: PostgresAddress
    /// This run's row in `teletop_writer` (0: read only, for export).
    let writer: Int32
    /// `teletop_fleet`'s id, made with the schema: every collector on this database reports it.
    public let fleet: String?
    let writes: PostgresLink
    let reads: PostgresLink
    /// Per (level, bucket, type, field), the values this writer keeps as their own.
    let kept = Mutex(KeptValues())
    /// Each batch's number, written with it, so a commit whose answer was lost can be settled.
    let batches = Atomic<Int64>(0)
    /// The statement of a batch whose COMMIT got no answer (see `settle`).
    let unsettled = Mutex<BatchStatement?>(nil)

    /// Connects, migrates (unless `migrates` is false: export creates
    /// nothing) and registers this run as a writer. Blocks: for the writer's
    /// open and the commands, not for tasks.
    public init(address: PostgresAddress, migrates: Bool = true) throws(StoreError) {
        self.address = address
        // A batch of 16,384 commits in well under a second; past 5 s the server is taken as gone (its
        // clients are answered, or the batch is settled), not waited for.
        writes = PostgresLink(address: address, name: "writer", deadline: .seconds(5))
        reads = PostgresLink(address: address, name: "reader")
        let link = writes
        do {
            (writer, fleet) = try Self.open(link, migrates: migrates)
        } catch where error.kind == .other {
            // Refused by the database itself while making the tables (a read-only standby, a
            // server older than 13, tables of another program): retrying will not change that.
            throw StoreError(path: error.path, kind: .cannotOpen, message: "its teletop tables could not be made or read: \(error.message)")
        }
        if writer != 0 { Self.ownWriters.withLock { _ = $0.insert(writer) } }
    }

    /// The writer ids this process registered (one per open): another open's
    /// counts are this collector's own, not the rest of the fleet's.
    static let ownWriters = Mutex<Set<Int32>>([])

    private static func open(_ link: PostgresLink, migrates: Bool) throws(StoreError) -> (Int32, String?) {
        try PostgresLink.blocking { () throws(StoreError) -> (Int32, String?) in
            try await link.run { c in
                if migrates {
                    try await PostgresSchema.migrate(c)
                } else if try await !PostgresSchema.exists(c) {
                    throw Refusal("no teletop tables in this database (nothing was ever stored here)")
                }
                var fleet: String?
                for try await id in try await c.query("SELECT id FROM teletop_fleet LIMIT 1", logger: PostgresLink.log).decode(String.self) {
                    fleet = id
                }
                guard migrates else { return (0, fleet) }
                let host = ProcessInfo.processInfo.hostName
                for try await id in try await c.query("INSERT INTO teletop_writer (host) VALUES (\(host)) RETURNING id",
                                                      logger: PostgresLink.log).decode(Int32.self) {
                    return (id, fleet)
                }
                throw Refusal("PostgreSQL gave no writer id")
            }
        }
    }

    deinit {
        writes.close()
        reads.close()
    }

    /// A failure teletop itself decides on (an unknown schema version, no tables to export).
    struct Refusal: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// What went wrong, in words that name the fix: the address, the password, the database.
    static func storeError(_ address: PostgresAddress, _ error: any Error) -> StoreError {
        let place = address.redacted
        if let e = error as? StoreError { return e }
        if let r = error as? Refusal { return StoreError(path: place, kind: .cannotOpen, message: r.description) }
        guard let p = error as? PSQLError else {
            if error is NIOConnectionError || error is ChannelError || error is IOError {
                return StoreError(path: place, kind: .unavailable, message: "PostgreSQL is not answering at \(address.host):\(address.port) (\(error))")
            }
            return StoreError(path: place, kind: .other, message: "\(error)")
        }
        if let info = p.serverInfo {
            var failure = serverError(address, info, p)
            failure.serverAnswered = true
            return failure
        }
        if let tls = p.underlying, tls is NIOSSLError || tls is BoringSSLError {
            return StoreError(path: place, kind: .cannotOpen, message: "TLS with \(address.host):\(address.port) failed (sslmode=\(address.tls.rawValue)): \(tls)")
        }
        switch p.code {
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown:
            let cause = p.underlying.map { " (\($0))" } ?? ""
            return StoreError(path: place, kind: .unavailable, message: "PostgreSQL is not answering at \(address.host):\(address.port)\(cause)")
        case .sslUnsupported:
            return StoreError(path: place, kind: .cannotOpen, message: "the server does not offer TLS, and sslmode=\(address.tls.rawValue) asks for it")
        case .failedToAddSSLHandler, .receivedUnencryptedDataAfterSSLRequest:
            return StoreError(path: place, kind: .cannotOpen, message: "TLS with \(address.host):\(address.port) could not start (\(p.code))")
        case .unsupportedAuthMechanism, .saslError:
            return StoreError(path: place, kind: .cannotOpen, message: "PostgreSQL asks user \(address.user) to log in a way teletop cannot (\(p.code)); use scram-sha-256, md5 or password")
        case .authMechanismRequiresPassword:
            return StoreError(path: place, kind: .cannotOpen, message: "PostgreSQL asks user \(address.user) for a password, and the address gives none")
        default:
            return StoreError(path: place, kind: .other, message: "PostgreSQL: \(p.code)")
        }
    }

    /// An error PostgreSQL answered, by its SQLSTATE.
    private static func serverError(_ address: PostgresAddress, _ info: PSQLError.ServerInfo, _ p: PSQLError) -> StoreError {
        let place = address.redacted
        let state = info[.sqlState] ?? ""
        let said = info[.message] ?? "\(p.code)"
        switch state {
        case "28P01", "28000":
            return StoreError(path: place, kind: .cannotOpen, message: "PostgreSQL refused the login of user \(address.user): \(said)")
        case "3D000":
            return StoreError(path: place, kind: .cannotOpen, message: "the database \(address.database) does not exist (create it, or name another): \(said)")
        case "42501":
            return StoreError(path: place, kind: .readOnly, message: "user \(address.user) may not write here: \(said)")
        case "53100":
            return StoreError(path: place, kind: .full, message: "PostgreSQL's disk is full: \(said)")
        case "57P01", "57P02", "57P03", "53300", "08006", "08001", "08004":
            return StoreError(path: place, kind: .unavailable, message: "PostgreSQL cannot take connections now: \(said)")
        default:
            return StoreError(path: place, kind: .other, message: "PostgreSQL: \(said) (SQLSTATE \(state))")
        }
    }
}

/// The values this writer keeps under their own name per bucket group, so
/// it knows without asking which new value is within the bound and which
/// goes to "other". Only this writer writes its rows, so what it learns stays
/// true; what it forgets (bounds, a failed commit) is read back when needed.
struct KeptValues {
    struct Group: Hashable {
        var level: Int16
        var bucket: Int64
        var type: String
        var field: String
    }

    var groups: [Group: Set<String>] = [:]
    var values = 0
    var evicted = 0
    /// Held in memory at most (about 64 bytes each): beyond it the cache starts again.
    static let maxValues = 400_000

    mutating func forget() {
        groups = [:]
        values = 0
    }
}
