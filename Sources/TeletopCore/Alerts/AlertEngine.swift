/// What one evaluation sees: the live counters, nothing per event. Query
/// rules' counts are kept by whoever watches the events (`AlertMonitor`),
/// as running totals, so the engine only subtracts.
public struct AlertObservation: Sendable, Equatable {
    public var now: Timestamp
    public var health: HealthStatus
    public var healthMessage: String
    /// Accepted events per type, lifetime (as the counters show them).
    public var typeTotals: [String: UInt64]
    /// Every accepted event, lifetime.
    public var total: UInt64
    /// Per rule (by its index in the engine's rules), the running count of
    /// events its query matched; 0 for rules without a query.
    public var queryTotals: [UInt64]
    /// Types just rejected as not in the plan (from the recent rejections): new to `new type` too.
    public var rejectedTypes: [String]

    public init(now: Timestamp, health: HealthStatus, healthMessage: String = "", typeTotals: [String: UInt64], total: UInt64,
                queryTotals: [UInt64] = [], rejectedTypes: [String] = []) {
        self.rejectedTypes = rejectedTypes
        self.now = now
        self.health = health
        self.healthMessage = healthMessage
        self.typeTotals = typeTotals
        self.total = total
        self.queryTotals = queryTotals
    }
}

/// One thing an alert did: it fired, or what fired is over.
public struct AlertEvent: Sendable, Equatable {
    public enum State: String, Sendable, Equatable {
        /// A rate crossed its threshold, health got worse, a new type arrived.
        case firing
        /// The rate is back on the right side, health is healthy again.
        case resolved
    }

    /// Increasing from 1 in one engine: the alerts pane acknowledges by id.
    public var id: UInt64
    public var rule: String
    /// The rule's index among the engine's rules.
    public var ruleIndex: Int
    public var state: State
    public var at: Timestamp
    /// One line: what happened, with the figure that made it happen.
    public var message: String
    /// The rate (events/s) for a rate rule; nil for the others.
    public var value: Double?

    public init(id: UInt64, rule: String, ruleIndex: Int, state: State, at: Timestamp, message: String, value: Double? = nil) {
        self.id = id
        self.rule = rule
        self.ruleIndex = ruleIndex
        self.state = state
        self.at = at
        self.message = message
        self.value = value
    }

    /// The alert as actions get it (`--on-alert`'s stdin, the webhook's body): one JSON object.
    public var json: String {
        var object: JSONObject = ["id": .int(Int64(id)), "rule": .string(rule), "state": .string(state.rawValue),
                                  "at": .string(at.iso8601), "message": .string(message)]
        if let value { object["value"] = .double(value) }
        return JSONWriter.compact(.object(object))
    }
}

/// The rules, evaluated on each observation (about once a second): pure, so
/// every rule kind is tested with a clock the test moves.
///
/// A rate rule compares the rate over its whole window (events counted in
/// the last DURATION, divided by it) with its threshold; it says nothing
/// until it has watched for a whole window, so a dashboard that just started
/// does not report silence. It fires when the comparison becomes true and
/// resolves when it becomes false. Health fires on each change for the worse
/// and resolves on the way back to healthy. `new type` fires once per type;
/// the types there at the first observation are not new.
public struct AlertEngine: Sendable {
    public let rules: [AlertRule]
    private var samples: [[Sample]]
    private var firing: [Bool]
    /// Per rule: the health it saw last, the types it has seen (nil before the first observation).
    private var lastHealth: [HealthStatus?]
    private var seenTypes: [Set<String>?]
    private var nextID: UInt64 = 1
    /// The most type names remembered for `new type` (the logger bounds its types too).
    public static let maxTypes = 10_000
    /// Types past that bound, not watched.
    public private(set) var typesNotWatched = 0

    struct Sample: Sendable {
        var second: Int64
        var total: UInt64
    }

    /// Types that are not news for `new type`: the plan's.
    private let knownTypes: Set<String>

    public init(rules: [AlertRule], knownTypes: [String] = []) {
        self.rules = rules
        self.knownTypes = Set(knownTypes)
        samples = Array(repeating: [], count: rules.count)
        firing = Array(repeating: false, count: rules.count)
        lastHealth = Array(repeating: nil, count: rules.count)
        seenTypes = Array(repeating: nil, count: rules.count)
    }

    /// The rules that need each event looked at (a query target), by index.
    public var queryRules: [(index: Int, query: EventQuery)] {
        rules.enumerated().compactMap { i, rule in
            if case .rate(.query(let q), _, _, _) = rule.kind { return (i, q) }
            return nil
        }
    }

    /// Whether a rule's alert is on now (fired, not yet resolved).
    public func isFiring(_ index: Int) -> Bool { firing[index] }

    public mutating func observe(_ o: AlertObservation) -> [AlertEvent] {
        var out: [AlertEvent] = []
        func emit(_ i: Int, _ state: AlertEvent.State, _ message: String, _ value: Double? = nil) {
            out.append(AlertEvent(id: nextID, rule: rules[i].text, ruleIndex: i, state: state, at: o.now, message: message, value: value))
            nextID += 1
        }
        for (i, rule) in rules.enumerated() {
            switch rule.kind {
            case .health:
                let before = lastHealth[i] ?? .healthy
                lastHealth[i] = o.health
                guard o.health != before else { continue }
                if o.health == .healthy {
                    firing[i] = false
                    emit(i, .resolved, "health back to healthy")
                } else {
                    firing[i] = true
                    // The health message already opens with the status word ("degraded: ...").
                    let word = o.health.rawValue
                    let said = o.healthMessage.hasPrefix(word) ? String(o.healthMessage.dropFirst(word.count).drop { $0 == ":" || $0 == " " }) : o.healthMessage
                    emit(i, .firing, "health \(word)" + (said.isEmpty ? "" : ": \(said)"))
                }
            case .newType:
                let accepted = o.typeTotals.filter { $0.value > 0 }.keys
                guard var seen = seenTypes[i] else {
                    seenTypes[i] = knownTypes.union(accepted.prefix(Self.maxTypes))
                    continue
                }
                let arrivals = accepted.sorted().map { ($0, "") } + o.rejectedTypes.map { (String($0.prefix(64)), " (rejected: not in the plan)") }
                for (name, note) in arrivals where !seen.contains(name) {
                    guard seen.count < Self.maxTypes else { typesNotWatched += 1; continue }
                    seen.insert(name)
                    emit(i, .firing, "first event of type \(name)\(note)")
                }
                seenTypes[i] = seen
            case .rate(let target, let comparison, let threshold, let window):
                let total: UInt64
                switch target {
                case .everyEvent: total = o.total
                case .eventType(let name): total = o.typeTotals[name] ?? 0
                case .query: total = i < o.queryTotals.count ? o.queryTotals[i] : 0
                }
                guard let rate = record(i, second: o.now.secondsSinceEpoch, total: total, window: window) else { continue }
                let holds = comparison == .above ? rate > threshold : rate < threshold
                let rateText = AlertRule.rateText(rate)
                let windowText = AlertRule.durationText(window)
                if holds && !firing[i] {
                    firing[i] = true
                    emit(i, .firing, "\(targetName(target)) at \(rateText) over \(windowText), \(rule.thresholdText)", rate)
                } else if !holds && firing[i] {
                    firing[i] = false
                    emit(i, .resolved, "\(targetName(target)) back to \(rateText) over \(windowText)", rate)
                }
            }
        }
        return out
    }

    /// Keeps one sample per second (the newest total of that second) and
    /// returns the rate over the window once a whole window has been watched.
    private mutating func record(_ i: Int, second: Int64, total: UInt64, window: Int) -> Double? {
        if let last = samples[i].last, last.second >= second {
            samples[i][samples[i].count - 1].total = total
        } else {
            samples[i].append(Sample(second: second, total: total))
        }
        // Keep the newest sample at or before the window's start, and what follows it.
        let start = second - Int64(window)
        if let keep = samples[i].lastIndex(where: { $0.second <= start }), keep > 0 {
            samples[i].removeFirst(keep)
        }
        guard let first = samples[i].first, first.second <= start else { return nil }
        let counted = total >= first.total ? total - first.total : 0
        return Double(counted) / Double(second - first.second)
    }

    private func targetName(_ target: AlertRule.Target) -> String {
        switch target {
        case .everyEvent: "every event"
        case .eventType(let name): name
        case .query(let q): q.text
        }
    }
}
