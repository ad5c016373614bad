import Logging
import Metrics
import Prometheus
import TeletopCore
import TeletopServer
import TeletopTUI

extension HTTPSettings {
    /// Starts the API; a bind failure is an error for the caller to show.
    func startServer(logger: EventLogger, storage: Storage, log: Logger) throws -> TelemetryServer {
        var options = TelemetryServer.Options()
        options.host = host
        options.port = port
        options.maxBodyBytes = maxBodyBytes
        options.token = token
        options.durability = storage.writer
        options.analytics = storage.writer
        options.faults.fault = fault
        let server = TelemetryServer(logger: logger, options: options, log: log)
        do {
            try server.start()
        } catch {
            // A start-up failure (a busy port, say): exit status 2, not 1 (rejected input).
            throw commandFailure("teletop: \(error.description)")
        }
        bootstrapMetrics(server)
        return server
    }

    /// Anything instrumented with swift-metrics lands in the server's /metrics page.
    private func bootstrapMetrics(_ server: TelemetryServer) {
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: server.metrics.registry))
    }
}

extension TelemetryServer {
    /// The header's and health pane's line for the API.
    var statusLine: SourceStatus {
        switch state {
        case .starting: SourceStatus(name: "HTTP", state: "starting", active: false)
        case .listening(let host, let port): SourceStatus(name: "HTTP", state: "\(host):\(port)", active: true, short: ":\(port)")
        case .failed(let message): SourceStatus(name: "HTTP", state: "failed: \(message)", active: false)
        case .stopped: SourceStatus(name: "HTTP", state: "stopped", active: false)
        }
    }
}
