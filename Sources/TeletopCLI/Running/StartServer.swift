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
    /// The health pane's line for the SDK endpoints, once a retry has been seen
    /// (or the id window has had to forget): how many were marked, and the window's state.
    var sdkStatusLines: [SourceStatus] {
        let d = duplicates
        guard d.duplicates > 0 || d.evicted > 0 else { return [] }
        var text = "\(Describe.grouped(d.duplicates)) retries marked as duplicates; ids kept \(Describe.grouped(d.ids))"
        if d.evicted > 0 { text += ", \(Describe.grouped(d.evicted)) forgotten (oldest first)" }
        return [SourceStatus(name: "SDK", state: text, active: true, short: "dup \(Describe.grouped(d.duplicates))")]
    }

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
