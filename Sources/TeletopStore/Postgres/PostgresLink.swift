import Foundation
import Logging
import PostgresNIO
import Synchronization

/// One connection to PostgreSQL, made when first needed and made again after
/// it breaks: a database that went away is tried again on the next use, so
/// the writer's retries end an outage by themselves. Queries on one link run
/// one after another (the writer has its own link; readers share another).
final class PostgresLink: Sendable {
    let address: PostgresAddress
    let name: String
    private let connection = Mutex<PostgresConnection?>(nil)
    private let connecting = Mutex<Task<PostgresConnection, any Error>?>(nil)
    private let nextID = Atomic<Int>(1)
    static let log = Logger(label: "teletop.store.postgres")

    init(address: PostgresAddress, name: String) {
        self.address = address
        self.name = name
    }

    /// The open connection, or a new one. A connection refused or timed out
    /// surfaces as a `StoreError` naming the address. Callers that find none
    /// at once share one attempt, so none closes a connection another just made.
    func connected() async throws(StoreError) -> PostgresConnection {
        if let c = connection.withLock({ $0 }), !c.isClosed { return c }
        let attempt = connecting.withLock { slot -> Task<PostgresConnection, any Error> in
            if let slot { return slot }
            let new = Task { try await self.connect() }
            slot = new
            return new
        }
        defer { connecting.withLock { if $0 == attempt { $0 = nil } } }
        do {
            return try await attempt.value
        } catch {
            throw PostgresStore.storeError(address, error)
        }
    }

    private func connect() async throws -> PostgresConnection {
        var config = PostgresConnection.Configuration(host: address.host, port: address.port, username: address.user,
                                                      password: address.password, database: address.database, tls: try tls())
        config.options.connectTimeout = .seconds(3)
        config.options.additionalStartupParameters = [("application_name", "teletop \(name)")]
        let c = try await PostgresConnection.connect(configuration: config, id: nextID.add(1, ordering: .relaxed).oldValue, logger: Self.log)
        let old = connection.withLock { slot -> PostgresConnection? in
            defer { slot = c }
            return slot
        }
        if let old { try? await old.close() }
        return c
    }

    private func tls() throws -> PostgresConnection.Configuration.TLS {
        switch address.tls {
        case .disable: return .disable
        case .prefer: return .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        case .require: return .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
    }

    /// Runs `body` on the connection; a failure that broke the connection drops it, so the next use connects again.
    func run<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws(StoreError) -> T {
        try await run(on: try await connected(), body)
    }

    /// The same on a connection already taken from `connected`.
    func run<T: Sendable>(on c: PostgresConnection, _ body: (PostgresConnection) async throws -> T) async throws(StoreError) -> T {
        do {
            return try await body(c)
        } catch {
            let failure = PostgresStore.storeError(address, error)
            if failure.kind != .other || c.isClosed { forget(c) }
            throw failure
        }
    }

    /// `body` between BEGIN and COMMIT (ROLLBACK when it throws).
    func transaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws(StoreError) -> T {
        try await run { c in
            try await c.query("BEGIN", logger: Self.log)
            do {
                let value = try await body(c)
                try await c.query("COMMIT", logger: Self.log)
                return value
            } catch {
                _ = try? await c.query("ROLLBACK", logger: Self.log)
                throw error
            }
        }
    }

    func forget(_ c: PostgresConnection) {
        let dropped = connection.withLock { slot -> Bool in
            guard slot === c else { return false }
            slot = nil
            return true
        }
        // Held until closed: a connection let go of while still open trips PostgresNIO's check.
        if dropped { c.close().whenComplete { _ in withExtendedLifetime(c) {} } }
    }

    func close() {
        let c = connection.withLock { slot -> PostgresConnection? in
            defer { slot = nil }
            return slot
        }
        if let c { c.close().whenComplete { _ in withExtendedLifetime(c) {} } }
    }

    /// For the synchronous readers (`AnalyticsSource`, export): runs `body` on
    /// the shared threads and waits. Called from dispatch queues and the main
    /// thread only, never from a task, so the wait holds no task thread.
    static func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws(StoreError) -> T) throws(StoreError) -> T {
        let box = Mutex<Result<T, StoreError>?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            let result: Result<T, StoreError>
            do throws(StoreError) { result = .success(try await body()) } catch { result = .failure(error) }
            box.withLock { $0 = result }
            done.signal()
        }
        done.wait()
        return try box.withLock { $0! }.get()
    }
}
