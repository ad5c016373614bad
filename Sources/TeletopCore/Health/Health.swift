/// Thresholds for the health rules; every one is documented in the README.
public struct HealthThresholds: Sendable, Equatable {
    /// Share of accepted events over the window that are `errorEventType`.
    /// Those errors are the watched app's, not the collector's: above the
    /// degraded share health says so, but it never turns the collector
    /// unhealthy (a load balancer would take it out of rotation for them).
    public var errorShareDegraded = 0.05
    /// Share of all arrivals over the window that were rejected. A client's
    /// bad requests are its own mistake, not the collector's: they make health
    /// degraded at most, never unhealthy (a load balancer would take the
    /// instance out for them).
    public var rejectedShareDegraded = 0.10
    /// A consumer queue fuller than this share of its capacity is "falling behind".
    public var backlogDegraded = 0.5
    /// Shares are judged only once the window holds this many events, so one
    /// error among three events is not a 33% outage.
    public var minimumSample = 20
    public var windowSeconds = 60
    public var errorEventType = "error_event"

    public init() {}
}

/// A part of teletop outside the core (the store, the HTTP server) reporting its state.
public struct ComponentHealth: Sendable, Equatable {
    public var name: String
    public var status: HealthStatus
    public var message: String

    public init(name: String, status: HealthStatus, message: String) {
        self.name = name
        self.status = status
        self.message = message
    }
}

/// The signals the rules read, all observable in a snapshot.
public struct HealthInputs: Sendable, Equatable {
    public var accepted = 0
    public var rejected = 0
    public var errors = 0
    public var dropped = 0
    public var subscribers: [EventSubscription.Stats] = []
    public var components: [ComponentHealth] = []
    /// Drops in the window per kind of consumer, most first.
    public var droppedBy: [Tally] = []
    /// Rejections in the window per source, most first.
    public var rejectedBySource: [Tally] = []

    /// Events in the window for one name (a kind of consumer, a source).
    public struct Tally: Sendable, Equatable {
        public var name: String
        public var events: Int
        public init(_ name: String, events: Int) {
            self.name = name
            self.events = events
        }

        /// The non-zero ones, most first.
        public static func ranked(_ counts: [(String, Int)]) -> [Tally] {
            counts.filter { $0.1 > 0 }.sorted { $0.1 > $1.1 }.map { Tally($0.0, events: $0.1) }
        }
    }

    public init(accepted: Int = 0, rejected: Int = 0, errors: Int = 0, dropped: Int = 0,
                subscribers: [EventSubscription.Stats] = [], components: [ComponentHealth] = [],
                droppedBy: [Tally] = [], rejectedBySource: [Tally] = []) {
        self.accepted = accepted
        self.rejected = rejected
        self.errors = errors
        self.dropped = dropped
        self.subscribers = subscribers
        self.components = components
        self.droppedBy = droppedBy
        self.rejectedBySource = rejectedBySource
    }
}

public struct HealthReport: Sendable, Equatable {
    public struct Reason: Sendable, Equatable {
        public var status: HealthStatus
        public var text: String
        public init(status: HealthStatus, text: String) {
            self.status = status
            self.text = text
        }
    }

    public init(status: HealthStatus, reasons: [Reason], message: String) {
        self.status = status
        self.reasons = reasons
        self.message = message
    }

    public var status: HealthStatus
    /// Every rule that fired, worst first.
    public var reasons: [Reason]
    public var message: String

    public func response(eventsLogged: Int) -> TelemetryHealthResponse {
        TelemetryHealthResponse(status: status, message: message, eventsLogged: eventsLogged)
    }
}

/// The health rules. Unhealthy is for what the collector itself cannot do: a
/// component (the store, say) is failing, or a lossless consumer (the store,
/// the recorder) dropped accepted events in the window. Degraded: the watched
/// app's errors pass their share, rejections
/// (clients' mistakes) pass theirs, a stream client was too slow to take
/// every event, a consumer's queue is more than half full, or a component
/// says degraded. Healthy otherwise.
public enum HealthRules {
    public static func evaluate(_ input: HealthInputs, thresholds t: HealthThresholds = HealthThresholds()) -> HealthReport {
        var reasons: [HealthReport.Reason] = []
        let window = "the last \(t.windowSeconds) s"

        for c in input.components where c.status != .healthy {
            reasons.append(.init(status: c.status, text: "\(c.name): \(c.message)"))
        }
        // One reason per kind of consumer, however many clients it has.
        let lossless = Set(input.subscribers.filter(\.lossless).map(\.name))
        for drop in input.droppedBy {
            let clients = input.subscribers.filter { $0.name == drop.name }.count
            let who = clients > 1 ? "\(drop.name) clients (\(clients) connected)" : drop.name
            if lossless.contains(drop.name) {
                reasons.append(.init(status: .unhealthy,
                    text: "\(drop.name) dropped \(grouped(drop.events)) accepted events in \(window): its queue was full"))
            } else {
                reasons.append(.init(status: .degraded,
                    text: "\(who) missed \(Describe.count(drop.events, "event")) in \(window): too slow to take them"))
            }
        }
        if input.accepted >= t.minimumSample {
            let share = Double(input.errors) / Double(input.accepted)
            if share > t.errorShareDegraded {
                reasons.append(.init(status: .degraded,
                    text: "\(percent(share)) of \(window) were \(t.errorEventType) (threshold \(percent(t.errorShareDegraded)))"))
            }
        }
        let arrivals = input.accepted + input.rejected
        if arrivals >= t.minimumSample {
            let share = Double(input.rejected) / Double(arrivals)
            if share > t.rejectedShareDegraded {
                let from = input.rejectedBySource.map { "\($0.name) \(grouped($0.events))" }.joined(separator: ", ")
                reasons.append(.init(status: .degraded,
                    text: "\(percent(share)) of events in \(window) were rejected (threshold \(percent(t.rejectedShareDegraded)))"
                        + (from.isEmpty ? "" : ", from \(from)")))
            }
        }
        // Once per kind: the fullest queue of that kind speaks for it.
        var seen: Set<String> = []
        for s in input.subscribers.sorted(by: { $0.backlogShare > $1.backlogShare }) where s.backlogShare > t.backlogDegraded {
            guard seen.insert(s.name).inserted else { continue }
            let bytes = Double(s.queuedBytes) / Double(s.byteCapacity) > Double(s.queued) / Double(s.capacity)
            let fill = bytes ? "\(size(s.queuedBytes)) of \(size(s.byteCapacity)) queued" : "\(s.queued) of \(s.capacity) queued"
            reasons.append(.init(status: .degraded, text: "consumer \(s.name) is falling behind: \(fill)"))
        }

        reasons.sort { $0.status > $1.status }
        guard let worst = reasons.first else {
            let errorShare = input.accepted > 0 ? Double(input.errors) / Double(input.accepted) : 0
            let message = input.accepted == 0 && input.rejected == 0
                ? "healthy: no events in \(window)"
                : "healthy: \(Describe.count(input.accepted, "event")) in \(window), \(percent(errorShare)) \(t.errorEventType), \(Describe.grouped(input.rejected)) rejected"
            return HealthReport(status: .healthy, reasons: [], message: message)
        }
        var message = "\(worst.status.rawValue): \(worst.text)"
        if reasons.count > 1 { message += " (+\(reasons.count - 1) more)" }
        return HealthReport(status: worst.status, reasons: reasons, message: message)
    }

    /// 900 KiB, 32 MiB: queue sizes as people read them.
    static func size(_ bytes: Int) -> String {
        bytes >= 1 << 20 ? "\(grouped(bytes >> 20)) MiB" : "\(grouped(bytes >> 10)) KiB"
    }

    static func grouped(_ n: Int) -> String { Describe.grouped(n) }

    static func percent(_ share: Double) -> String {
        let p = share * 100
        if p == 0 || p >= 10 || p == p.rounded() { return "\(Int(p.rounded()))%" }
        return "\(Double(Int((p * 10).rounded())) / 10)%"
    }
}
