import TeletopCore

/// A collector's own figures, from `GET /api/telemetry/stats` (health included):
/// lifetime totals and rates as the collector counts them, not what a
/// dashboard happened to see since it attached.
public struct CollectorStats: Sendable, Equatable {
    public struct TypeCount: Sendable, Equatable {
        public var name: String
        public var planned: Bool
        public var accepted: UInt64
        public var rejected: UInt64
        public var rate1s, rate10s, rate60s: Double
        public var lastEventAt: Timestamp?
    }

    public var instance: String?
    /// The shared store's id: collectors reporting one fleet count one history (their totals are the fleet's).
    public var fleet: String?
    public var startedAt: Timestamp?
    public var eventsLogged: UInt64
    public var rejected: UInt64
    public var evicted: UInt64
    public var dropped: UInt64
    public var rate1s, rate10s, rate60s: Double
    public var types: [TypeCount]
    public var health: HealthStatus
    public var healthMessage: String

    /// nil when the body is not teletop's stats (another server on that port).
    public init?(_ value: JSONValue) {
        guard case .object(let o) = value, case .array(let types)? = o["event_types"], let logged = o["events_logged"]?.intValue,
              case .object(let health)? = o["health"], let status = health["status"]?.stringValue.flatMap(HealthStatus.init(rawValue:))
        else { return nil }
        func number(_ v: JSONValue?) -> Double {
            switch v {
            case .double(let d)?: d
            case .int(let i)?: Double(i)
            default: 0
            }
        }
        func count(_ v: JSONValue?) -> UInt64 { UInt64(max(0, v?.intValue ?? 0)) }
        instance = o["instance"]?.stringValue
        fleet = o["fleet"]?.stringValue
        startedAt = o["started_at"]?.stringValue.flatMap { Timestamp(iso8601: $0) }
        eventsLogged = UInt64(max(0, logged))
        rejected = count(o["rejected"])
        evicted = count(o["evicted"])
        dropped = count(o["dropped"])
        rate1s = number(o["rate_1s"])
        rate10s = number(o["rate_10s"])
        rate60s = number(o["rate_60s"])
        self.types = types.compactMap { t in
            guard let name = t["event_type"]?.stringValue else { return nil }
            return TypeCount(name: name, planned: t["planned"] == .bool(true), accepted: count(t["accepted"]), rejected: count(t["rejected"]),
                             rate1s: number(t["rate_1s"]), rate10s: number(t["rate_10s"]), rate60s: number(t["rate_60s"]),
                             lastEventAt: t["last_event_at"]?.stringValue.flatMap { Timestamp(iso8601: $0) })
        }
        self.health = status
        healthMessage = health["message"]?.stringValue ?? status.rawValue
    }
}
