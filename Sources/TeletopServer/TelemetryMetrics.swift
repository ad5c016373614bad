import Prometheus
import Synchronization
import TeletopCore

/// `GET /metrics`: Prometheus text. Event counts come from the logger's own
/// counters at scrape time (the `log()` hot path pays nothing for metrics);
/// HTTP requests are counted as they are answered. Labels are bounded sets:
/// event types (the plan's, plus at most `maxEventTypes` unplanned), problem
/// codes, known routes, methods and status codes, never user data.
public final class TelemetryMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let logger: EventLogger
    private let seen = Mutex<Seen>(Seen())

    struct Seen {
        var accepted: [String: UInt64] = [:]
        var rejected: [ValidationIssue.Problem: UInt64] = [:]
        var evicted: UInt64 = 0
        var dropped: UInt64 = 0
    }

    static let routes: Set<String> = [
        "/api/telemetry/log", "/api/telemetry/health", "/api/telemetry/batch", "/api/telemetry/events",
        "/api/telemetry/stats", "/api/telemetry/stream", "/metrics", "/openapi.yaml",
    ]
    static let durationBuckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2.5), .milliseconds(5),
        .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1),
    ]

    public init(logger: EventLogger, registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.logger = logger
        self.registry = registry
    }

    /// Counts one answered request; unknown paths share one label.
    func record(path: String, method: String, status: Int, duration: Duration) {
        let route = Self.routes.contains(path) ? path : "other"
        registry.makeCounter(name: "teletop_http_requests_total",
                             labels: [("route", route), ("method", method), ("status", String(status))]).increment()
        registry.makeDurationHistogram(name: "teletop_http_request_duration_seconds", labels: [("route", route)],
                                       buckets: Self.durationBuckets).record(duration)
    }

    /// Brings the event counters up to the logger's totals, then writes everything.
    public func scrape() -> String {
        let snap = logger.snapshot()
        seen.withLock { seen in
            for t in snap.types {
                let delta = t.accepted - (seen.accepted[t.name] ?? 0)
                let counter = registry.makeCounter(name: "teletop_events_total", labels: [("event_type", t.name)])
                if delta > 0 { counter.increment(by: Int64(delta)) }
                seen.accepted[t.name] = t.accepted
            }
            for problem in ValidationIssue.Problem.allCases {
                let total = snap.rejectedByProblem[problem] ?? 0
                let counter = registry.makeCounter(name: "teletop_events_rejected_total", labels: [("reason", problem.rawValue)])
                let delta = total - (seen.rejected[problem] ?? 0)
                if delta > 0 { counter.increment(by: Int64(delta)) }
                seen.rejected[problem] = total
            }
            registry.makeCounter(name: "teletop_events_evicted_total").increment(by: Int64(snap.evicted - seen.evicted))
            seen.evicted = snap.evicted
            registry.makeCounter(name: "teletop_events_dropped_total").increment(by: Int64(snap.dropped - seen.dropped))
            seen.dropped = snap.dropped
        }
        registry.makeGauge(name: "teletop_events_retained").set(Double(snap.retained))
        let status: Double = switch snap.health.status {
        case .healthy: 0
        case .degraded: 1
        case .unhealthy: 2
        }
        registry.makeGauge(name: "teletop_health_status").set(status)
        return registry.emitToString()
    }
}
