import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization
import TeletopCore

#if canImport(Glibc)
import Glibc
#endif

/// Runs the HTTP API in the background of the dashboard or `serve`. `start`
/// returns once the socket is bound, or throws a clear error (a busy port
/// names the flag that changes it), so the caller can refuse to start.
public final class TelemetryServer: Sendable {
    public struct Options: Sendable {
        public var host = "127.0.0.1"
        public var port = 7311
        public var maxBodyBytes = 1 << 20
        /// Bearer token for writes and event reads (nil: open).
        public var token: String?
        /// The store, when there is one: writes are answered once durable.
        public var durability: (any DurabilityGate)?
        public var analytics: (any AnalyticsSource)?
        /// The SDK endpoints' fault mode (`--fault`, the dashboard's key, `/api/telemetry/fault`).
        public var faults = FaultSwitch()
        public init() {}
    }

    public enum State: Sendable, Equatable {
        case starting
        case listening(host: String, port: Int)
        case failed(String)
        case stopped
    }

    public let options: Options
    private let logger: EventLogger
    private let log: Logger
    private let stateBox = Mutex<State>(.starting)
    private let task = Mutex<Task<Void, Never>?>(nil)
    private let group = Mutex<ServiceGroup?>(nil)
    private let routes: TelemetryRoutes

    /// The registry behind `/metrics`; the CLI also hands it to swift-metrics.
    public let metrics: TelemetryMetrics

    public init(logger: EventLogger, options: Options, log: Logger) {
        self.logger = logger
        self.options = options
        self.log = log
        metrics = TelemetryMetrics(logger: logger)
        routes = TelemetryRoutes(logger: logger, maxBodyBytes: options.maxBodyBytes, token: options.token, metrics: metrics,
                                 durability: options.durability, analytics: options.analytics, faults: options.faults)
    }

    /// Retries of SDK events taken lately, and the window that spots them.
    public var duplicates: DuplicateWindow.Status { routes.duplicates.status }

    public var state: State { stateBox.withLock { $0 } }

    /// "http://127.0.0.1:7311" once listening.
    public var baseURL: String? {
        if case .listening(let host, let port) = state { return "http://\(host):\(port)" }
        return nil
    }

    /// Binds and starts serving; waits up to `timeoutSeconds` for the bind.
    /// Blocks the calling thread: call it from the main thread (the CLI), not
    /// from a task on the cooperative pool, which the server itself needs.
    public func start(timeoutSeconds: Double = 10) throws(ServerError) {
        launch()
        var waited = 0.0
        while waited < timeoutSeconds {
            if try checkStarted() { return }
            usleep(10_000)
            waited += 0.01
        }
        throw timedOut(timeoutSeconds)
    }

    /// The same for async callers (tests, tasks).
    public func start(timeoutSeconds: Double = 10) async throws(ServerError) {
        launch()
        var waited = 0.0
        while waited < timeoutSeconds {
            if try checkStarted() { return }
            try? await Task.sleep(for: .milliseconds(10))
            waited += 0.01
        }
        throw timedOut(timeoutSeconds)
    }

    private func checkStarted() throws(ServerError) -> Bool {
        switch state {
        case .listening: return true
        case .failed(let message): throw ServerError(message: message)
        case .stopped: throw ServerError(message: "the HTTP API stopped as it started")
        case .starting: return false
        }
    }

    private func timedOut(_ seconds: Double) -> ServerError {
        ServerError(message: "the HTTP API did not start on \(options.host):\(options.port) within \(Int(seconds)) s")
    }

    private func launch() {
        let host = options.host
        let app = Application(
            responder: routes.responder(),
            // A connection that sends nothing for 30 s is closed; streams write a keep-alive every 15 s.
            server: TeletopHTTP1Channel.builder(idleTimeout: .seconds(30), maxBodyBytes: options.maxBodyBytes),
            configuration: .init(address: .hostname(host, port: options.port), serverName: "teletop"),
            onServerRunning: { [self] channel in
                let port = channel.localAddress?.port ?? 0
                self.stateBox.withLock { $0 = .listening(host: host, port: port) }
                self.log.info("HTTP API listening", metadata: ["address": "http://\(host):\(port)"])
            },
            logger: log
        )
        let options = self.options
        // No signal handling here: the dashboard and `serve` own SIGINT/SIGTERM and call `stop`.
        let serviceGroup = ServiceGroup(services: [app], logger: log)
        group.withLock { $0 = serviceGroup }
        let runner = Task { [self] in
            do {
                try await serviceGroup.run()
                self.stateBox.withLock { $0 = .stopped }
            } catch {
                let message = Self.describe(error, options: options)
                self.stateBox.withLock { $0 = .failed(message) }
                self.log.error("HTTP API stopped", metadata: ["error": "\(message)"])
            }
        }
        task.withLock { $0 = runner }
    }

    /// Stops gracefully: open streams end, requests in flight are answered,
    /// then the socket closes; nothing is logged as an error for a clean stop.
    /// Waits up to 3 s, then cancels what is left.
    /// Blocks the calling thread: for the CLI's main thread, not for a task on
    /// the cooperative pool, which the server needs to finish (use `shutdown`).
    public func stop() {
        beginStop()
        for _ in 0..<300 where isRunning { usleep(10_000) }
        task.withLock { $0?.cancel() }
    }

    /// The same from async code, without holding a thread the server needs.
    public func shutdown() async {
        beginStop()
        for _ in 0..<300 where isRunning { try? await Task.sleep(for: .milliseconds(10)) }
        task.withLock { $0?.cancel() }
    }

    private var isRunning: Bool {
        switch state {
        case .starting, .listening: true
        case .failed, .stopped: false
        }
    }

    private func beginStop() {
        routes.endStreams()
        if let serviceGroup = group.withLock({ $0 }) {
            Task { await serviceGroup.triggerGracefulShutdown() }
        }
    }

    static func describe(_ error: any Error, options: Options) -> String {
        let text = String(describing: error)
        if text.contains("Address already in use") || text.contains("EADDRINUSE") || text.contains("errno: 98") {
            return "port \(options.port) on \(options.host) is already in use: choose another with --port, or run without the API with --no-http"
        }
        if text.contains("Cannot assign requested address") || text.contains("errno: 99") {
            return "cannot listen on \(options.host): no such local address (--host)"
        }
        return "cannot serve on \(options.host):\(options.port): \(text)"
    }
}

public struct ServerError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}
