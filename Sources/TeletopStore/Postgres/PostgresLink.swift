import Foundation
import Logging
import PostgresNIO
import Synchronization

/// One connection to PostgreSQL, made when first needed and made again after
/// it breaks: a database that went away is tried again on the next use, so
/// the writer's retries end an outage by themselves. Queries on one link run
/// one after another (the writer has its own link; readers share another).
///
/// Every use has a deadline: a server that stops answering without closing
/// the connection (a partition, a frozen host) costs `deadline`, not TCP's
/// quarter of an hour; the connection is then closed and made again.
final class PostgresLink: Sendable {
    let address: PostgresAddress
    let name: String
    let deadline: Duration
    private struct Slot {
        var connection: PostgresConnection?
        var attempt: Task<PostgresConnection, any Error>?
        var closed = false
    }
    private let slot = Mutex(Slot())
    private let nextID = Atomic<Int>(1)
    static let log = Logger(label: "teletop.store.postgres")

    init(address: PostgresAddress, name: String, deadline: Duration = .seconds(10)) {
        self.address = address
        self.name = name
        self.deadline = deadline
    }

    deinit { close() }

    /// The open connection, or a new one. A connection refused or timed out
    /// surfaces as a `StoreError` naming the address. Callers that find none
    /// share one attempt, so none closes a connection another just made.
    func connected() async throws(StoreError) -> PostgresConnection {
        let (open, attempt) = slot.withLock { s -> (PostgresConnection?, Task<PostgresConnection, any Error>?) in
            if let c = s.connection, !c.isClosed { return (c, nil) }
            if let a = s.attempt { return (nil, a) }
            let new = Task { try await self.connect() }
            s.attempt = new
            return (nil, new)
        }
        if let open { return open }
        guard let task = attempt else { throw StoreError(path: address.redacted, kind: .unavailable, message: "no connection") }
        defer { slot.withLock { if $0.attempt == task { $0.attempt = nil } } }
        // The TCP connect has its own timeout; a server that accepts and then says
        // nothing (a frozen host, something else on the port) would not end it.
        let deadline = deadline
        do {
            return try await Self.within(deadline, { try await task.value }, expired: { task.cancel() })
        } catch is DeadlinePassed {
            slot.withLock { if $0.attempt == task { $0.attempt = nil } }
            throw StoreError(path: address.redacted, kind: .unavailable,
                             message: "PostgreSQL at \(address.host):\(address.port) did not answer the login within \(deadline)")
        } catch {
            throw PostgresStore.storeError(address, error)
        }
    }

    private func connect() async throws -> PostgresConnection {
        var config = PostgresConnection.Configuration(host: address.host, port: address.port, username: address.user,
                                                      password: address.password, database: address.database, tls: try tls())
        config.options.connectTimeout = .seconds(3)
        config.options.additionalStartupParameters = [
            ("application_name", "teletop \(name)"),
            // A database whose default is SERIALIZABLE could fail a commit for a reason
            // that has nothing to do with these rows: teletop's statements need no more than this.
            ("default_transaction_isolation", "read committed"),
            // A transaction left open by a collector that hangs does not hold its locks for ever.
            ("idle_in_transaction_session_timeout", "60000"),
        ]
        let c = try await PostgresConnection.connect(configuration: config, id: nextID.add(1, ordering: .relaxed).oldValue, logger: Self.log)
        let (old, closed) = slot.withLock { s -> (PostgresConnection?, Bool) in
            if s.closed { return (nil, true) }
            defer { s.connection = c }
            return (s.connection, false)
        }
        if closed {
            try? await c.close()
            throw PostgresStore.Refusal("the store was closed")
        }
        if let old { try? await old.close() }
        return c
    }

    /// libpq's meanings: `prefer` and `require` encrypt without checking the
    /// certificate (a server's self-signed one is the usual case), `prefer`
    /// also talks plainly to a server without TLS; `verify-full` checks the
    /// certificate against the system's roots and the host name.
    private func tls() throws -> PostgresConnection.Configuration.TLS {
        var unchecked = TLSConfiguration.makeClientConfiguration()
        unchecked.certificateVerification = .none
        switch address.tls {
        case .disable: return .disable
        case .prefer: return .prefer(try NIOSSLContext(configuration: unchecked))
        case .require: return .require(try NIOSSLContext(configuration: unchecked))
        case .verifyFull: return .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
    }

    /// Runs `body` on the connection; a failure that broke the connection drops it, so the next use connects again.
    func run<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws(StoreError) -> T {
        try await run(on: try await connected(), body)
    }

    struct DeadlinePassed: Error, CustomStringConvertible {
        var deadline: Duration
        var description: String { "PostgreSQL did not answer within \(deadline)" }
    }

    /// The same on a connection already taken from `connected`, within the link's deadline.
    func run<T: Sendable>(on c: PostgresConnection, _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws(StoreError) -> T {
        let deadline = deadline
        do {
            return try await Self.within(deadline, { try await body(c) }, expired: { self.forget(c) })
        } catch let passed as DeadlinePassed {
            throw StoreError(path: address.redacted, kind: .unavailable, message: passed.description)
        } catch {
            let failure = PostgresStore.storeError(address, error)
            if failure.kind != .other || c.isClosed { forget(c) }
            throw failure
        }
    }

    /// `work`'s result, or `DeadlinePassed` once `deadline` has passed: then
    /// `expired` runs (it closes the connection) and `work` is left to end by
    /// itself. It is not waited for: a query on a connection closing under it
    /// is not sure to end, and the caller's answer must not wait on it.
    static func within<T: Sendable>(_ deadline: Duration, _ work: @escaping @Sendable () async throws -> T,
                                    expired: @escaping @Sendable () -> Void) async throws -> T {
        let outcome = Outcome<T>()
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            outcome.continuation = continuation
            let job = Task {
                do { outcome.finish(.success(try await work())) } catch { outcome.finish(.failure(error)) }
            }
            let timer = Task {
                try await Task.sleep(for: deadline)
                if outcome.finish(.failure(DeadlinePassed(deadline: deadline))) {
                    expired()
                    job.cancel()
                }
            }
            outcome.onFinish = { timer.cancel() }
        }
    }

    /// The first of a job and its timer to finish answers; the other is ignored.
    final class Outcome<T: Sendable>: @unchecked Sendable {
        // @unchecked: every field is read and written under `lock`.
        private let lock = NSLock()
        private var answer: CheckedContinuation<T, any Error>?
        private var done = false
        private var finished: (() -> Void)?

        var continuation: CheckedContinuation<T, any Error>? {
            get { lock.withLock { answer } }
            set { lock.withLock { answer = newValue } }
        }

        var onFinish: (() -> Void)? {
            get { lock.withLock { finished } }
            set {
                let now = lock.withLock { () -> Bool in
                    finished = newValue
                    return done
                }
                if now { newValue?() }
            }
        }

        @discardableResult
        func finish(_ result: Result<T, any Error>) -> Bool {
            let (c, after) = lock.withLock { () -> (CheckedContinuation<T, any Error>?, (() -> Void)?) in
                guard !done else { return (nil, nil) }
                done = true
                defer { answer = nil }
                return (answer, finished)
            }
            guard let c else { return false }
            c.resume(with: result)
            after?()
            return true
        }
    }

    func forget(_ c: PostgresConnection) {
        let dropped = slot.withLock { s -> Bool in
            guard s.connection === c else { return false }
            s.connection = nil
            return true
        }
        // Held until closed: a connection let go of while still open trips PostgresNIO's check.
        if dropped || !c.isClosed { c.close().whenComplete { _ in withExtendedLifetime(c) {} } }
    }

    func close() {
        let (c, attempt) = slot.withLock { s -> (PostgresConnection?, Task<PostgresConnection, any Error>?) in
            defer { s.connection = nil; s.closed = true }
            return (s.connection, s.attempt)
        }
        attempt?.cancel()
        if let c { c.close().whenComplete { _ in withExtendedLifetime(c) {} } }
    }

    /// For the synchronous readers (`AnalyticsSource`, export): runs `body` on
    /// the shared threads and waits. Called from dispatch queues and the main
    /// thread only, never from a task's thread, so the wait holds none of them.
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
