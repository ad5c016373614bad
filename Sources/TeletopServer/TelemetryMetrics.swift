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
    private let http = Mutex<[String: (Counter, DurationHistogram)]>([:])

    struct Seen {
        var accepted: [String: UInt64] = [:]
        var rejected: [ValidationIssue.Problem: UInt64] = [:]
        var evicted: UInt64 = 0
        var dropped: UInt64 = 0
    }

    /// Every served path (from the one list the router uses, so a new route is labelled at once).
    static let routes = Set(TelemetryRoutes.endpoints.map(\.path))
    static let durationBuckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2.5), .milliseconds(5),
        .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1),
    ]

    /// Computed: MetricNameDescriptor is not Sendable, so it cannot be a stored static.
    enum Name {
        static var events: MetricNameDescriptor { MetricNameDescriptor(namespace: "teletop", metricName: "events", unitName: "total",
                                                 helpText: "Events accepted, by event type") }
        static var rejected: MetricNameDescriptor { MetricNameDescriptor(namespace: "teletop", subsystem: "events", metricName: "rejected", unitName: "total",
                                                   helpText: "Arrivals rejected, by their first problem") }
        static var evicted: MetricNameDescriptor { MetricNameDescriptor(namespace: "teletop", subsystem: "events", metricName: "evicted", unitName: "total",
                                                  helpText: "Events pushed out of the in-memory ring by newer ones") }
        static var dropped: MetricNameDescriptor { MetricNameDescriptor(namespace: "teletop", subsystem: "events", metricName: "dropped", unitName: "total",
                                                  helpText: "Accepted events a consumer's queue could not take") }
        static var retained: MetricNameDescriptor { MetricNameDescriptor(namespace: "teletop", subsystem: "events", metricName: "retained", unitName: "",
                                                   helpText: "Events held in the in-memory ring") }
        static var health: MetricNameDescriptor { MetricNameDescriptor(namespace: "teletop", metricName: "health", unitName: "status",
                                                 helpText: "0 healthy, 1 degraded, 2 unhealthy") }
        static var requests: MetricNameDescriptor { MetricNameDescriptor(namespace: "teletop", subsystem: "http", metricName: "requests", unitName: "total",
                                                   helpText: "HTTP requests answered, by route, method and status") }
        static var duration: MetricNameDescriptor { MetricNameDescriptor(namespace: "teletop", subsystem: "http", metricName: "request_duration", unitName: "seconds",
                                                   helpText: "Time to answer an HTTP request, by route") }
    }

    public init(logger: EventLogger, registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.logger = logger
        self.registry = registry
    }

    /// Counts one answered request; unknown paths share one label.
    func record(path: String, method: String, status: Int, duration: Duration) {
        let route = Self.routes.contains(path) ? path : "other"
        let key = "\(route) \(method) \(status)"
        // The registry's lookup builds names and takes its lock: keep what it returns.
        let (counter, histogram) = http.withLock { cache in
            if let known = cache[key] { return known }
            let made = (registry.makeCounter(descriptor: Name.requests, labels: [("route", route), ("method", method), ("status", String(status))]),
                        registry.makeDurationHistogram(descriptor: Name.duration, labels: [("route", route)], buckets: Self.durationBuckets))
            cache[key] = made
            return made
        }
        counter.increment()
        histogram.record(duration)
    }

    /// Brings the event counters up to the logger's totals, then writes everything.
    public func scrape() -> String {
        // The snapshot is taken under the lock: two scrapes at once must not
        // see totals go backwards (the deltas are unsigned).
        let snap = seen.withLock { seen -> TelemetrySnapshot in
            let snap = logger.snapshot()
            for t in snap.types {
                let delta = t.accepted - (seen.accepted[t.name] ?? 0)
                let counter = registry.makeCounter(descriptor: Name.events, labels: [("event_type", t.name)])
                if delta > 0 { counter.increment(by: Int64(delta)) }
                seen.accepted[t.name] = t.accepted
            }
            for problem in ValidationIssue.Problem.allCases {
                let total = snap.rejectedByProblem[problem] ?? 0
                let counter = registry.makeCounter(descriptor: Name.rejected, labels: [("reason", problem.rawValue)])
                let delta = total - (seen.rejected[problem] ?? 0)
                if delta > 0 { counter.increment(by: Int64(delta)) }
                seen.rejected[problem] = total
            }
            registry.makeCounter(descriptor: Name.evicted).increment(by: Int64(snap.evicted - seen.evicted))
            seen.evicted = snap.evicted
            registry.makeCounter(descriptor: Name.dropped).increment(by: Int64(snap.dropped - seen.dropped))
            seen.dropped = snap.dropped
            return snap
        }
        registry.makeGauge(descriptor: Name.retained).set(Double(snap.retained))
        let status: Double = switch snap.health.status {
        case .healthy: 0
        case .degraded: 1
        case .unhealthy: 2
        }
        registry.makeGauge(descriptor: Name.health).set(status)
        return registry.emitToString()
    }
}
