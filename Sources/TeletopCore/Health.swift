/// Thresholds for the health rules; every one is documented in the README.
public struct HealthThresholds: Sendable, Equatable {
    /// Share of accepted events over the window that are `errorEventType`.
    public var errorShareDegraded = 0.05
    public var errorShareUnhealthy = 0.25
    /// Share of all arrivals over the window that were rejected.
    public var rejectedShareDegraded = 0.10
    public var rejectedShareUnhealthy = 0.50
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

    public init(accepted: Int = 0, rejected: Int = 0, errors: Int = 0, dropped: Int = 0,
                subscribers: [EventSubscription.Stats] = [], components: [ComponentHealth] = []) {
        self.accepted = accepted
        self.rejected = rejected
        self.errors = errors
        self.dropped = dropped
        self.subscribers = subscribers
        self.components = components
    }
}

public struct HealthReport: Sendable, Equatable {
    public struct Reason: Sendable, Equatable {
        public var status: HealthStatus
        public var text: String
    }

    public var status: HealthStatus
    /// Every rule that fired, worst first.
    public var reasons: [Reason]
    public var message: String

    public func response(eventsLogged: Int) -> TelemetryHealthResponse {
        TelemetryHealthResponse(status: status, message: message, eventsLogged: eventsLogged)
    }
}

/// The health rules. Unhealthy: a component (the store, say) is failing,
/// accepted events were dropped by a consumer in the window, or errors or
/// rejections pass their unhealthy share. Degraded: errors or rejections pass
/// their degraded share, a consumer's queue is more than half full, or a
/// component says degraded. Healthy otherwise.
public enum HealthRules {
    public static func evaluate(_ input: HealthInputs, thresholds t: HealthThresholds = HealthThresholds()) -> HealthReport {
        var reasons: [HealthReport.Reason] = []
        let window = "the last \(t.windowSeconds) s"

        for c in input.components where c.status != .healthy {
            reasons.append(.init(status: c.status, text: "\(c.name): \(c.message)"))
        }
        if input.dropped > 0 {
            let who = input.subscribers.filter { $0.overflow > 0 }.map(\.name).joined(separator: ", ")
            reasons.append(.init(status: .unhealthy,
                text: "\(input.dropped) accepted events dropped in \(window)" + (who.isEmpty ? "" : " by a slow consumer (\(who))")))
        }
        if input.accepted >= t.minimumSample {
            let share = Double(input.errors) / Double(input.accepted)
            if share > t.errorShareDegraded {
                let status: HealthStatus = share > t.errorShareUnhealthy ? .unhealthy : .degraded
                let limit = status == .unhealthy ? t.errorShareUnhealthy : t.errorShareDegraded
                reasons.append(.init(status: status,
                    text: "\(percent(share)) of \(window) were \(t.errorEventType) (threshold \(percent(limit)))"))
            }
        }
        let arrivals = input.accepted + input.rejected
        if arrivals >= t.minimumSample {
            let share = Double(input.rejected) / Double(arrivals)
            if share > t.rejectedShareDegraded {
                let status: HealthStatus = share > t.rejectedShareUnhealthy ? .unhealthy : .degraded
                let limit = status == .unhealthy ? t.rejectedShareUnhealthy : t.rejectedShareDegraded
                reasons.append(.init(status: status,
                    text: "\(percent(share)) of events in \(window) were rejected (threshold \(percent(limit)))"))
            }
        }
        for s in input.subscribers where s.backlogShare > t.backlogDegraded {
            reasons.append(.init(status: .degraded,
                text: "consumer \(s.name) is falling behind: \(s.queued) of \(s.capacity) queued"))
        }

        reasons.sort { $0.status > $1.status }
        guard let worst = reasons.first else {
            let errorShare = input.accepted > 0 ? Double(input.errors) / Double(input.accepted) : 0
            let message = input.accepted == 0 && input.rejected == 0
                ? "healthy: no events in \(window)"
                : "healthy: \(input.accepted) events in \(window), \(percent(errorShare)) \(t.errorEventType), \(input.rejected) rejected"
            return HealthReport(status: .healthy, reasons: [], message: message)
        }
        var message = "\(worst.status.rawValue): \(worst.text)"
        if reasons.count > 1 { message += " (+\(reasons.count - 1) more)" }
        return HealthReport(status: worst.status, reasons: reasons, message: message)
    }

    static func percent(_ share: Double) -> String {
        let p = share * 100
        if p == 0 || p >= 10 || p == p.rounded() { return "\(Int(p.rounded()))%" }
        return "\(Double(Int((p * 10).rounded())) / 10)%"
    }
}
