import Synchronization

/// Somewhere an alert goes: the log, a command, a webhook. `deliver` is
/// called on the monitor's own task and must return at once (an action that
/// does I/O queues it, bounded, and says what it dropped).
public protocol AlertAction: Sendable {
    func deliver(_ alert: AlertEvent)
}

/// What the alerts pane and the header show: the history (newest last) and
/// which alerts are on now.
public struct AlertBoard: Sendable, Equatable {
    public var rules: [String] = []
    public var history: [AlertEvent] = []
    /// Alerts on now: each firing rate or health rule's latest firing, and every
    /// `new type` alert (one-shot: on until acknowledged).
    public var active: [AlertEvent] = []
    /// History entries dropped to stay within its bounds, oldest first.
    public var evicted = 0

    public init(rules: [String] = []) { self.rules = rules }

    /// At most this many entries and this many bytes of their text.
    public static let maxHistory = 500
    public static let maxHistoryBytes = 256 << 10
}

/// Runs an `AlertEngine` on the live counters once a second. Query rules
/// need each event looked at: a subscription feeds a counting task (never
/// the producers' threads), and an overflowed queue is counted by the logger
/// as the `alerts` consumer's drops, like any other consumer's.
public final class AlertMonitor: Sendable {
    public let rules: [AlertRule]
    private let engine: Mutex<AlertEngine>
    private let board: Mutex<AlertBoard>
    private let queryTotals: Mutex<[UInt64]>
    private let queries: [(index: Int, query: EventQuery)]
    private let subscription: EventSubscription?
    private let snapshot: @Sendable () -> TelemetrySnapshot
    private let actions: [any AlertAction]
    private let tasks = Mutex<[Task<Void, Never>]>([])

    /// `snapshot`: the counters to watch (attached: the collectors', merged); the logger's by default.
    public init(rules: [AlertRule], logger: EventLogger, snapshot: (@Sendable () -> TelemetrySnapshot)? = nil, actions: [any AlertAction]) {
        self.rules = rules
        let engine = AlertEngine(rules: rules, knownTypes: logger.plan.eventTypes.map(\.name))
        self.engine = Mutex(engine)
        board = Mutex(AlertBoard(rules: rules.map(\.text)))
        queryTotals = Mutex(Array(repeating: 0, count: rules.count))
        queries = engine.queryRules.map { (index: $0.index, query: $0.query) }
        subscription = queries.isEmpty ? nil : logger.subscribe(name: "alerts", capacity: 65_536)
        self.snapshot = snapshot ?? { [logger] in logger.snapshot() }
        self.actions = actions
    }

    /// Starts counting and evaluating; `stop` ends both.
    public func start(every interval: Duration = .seconds(1)) {
        var started: [Task<Void, Never>] = []
        if let subscription {
            started.append(Task.detached { [self] in
                while !Task.isCancelled {
                    let batch = await subscription.next(max: 4_096)
                    if batch.isEmpty && subscription.isCancelled { return }
                    count(batch)
                }
            })
        }
        started.append(Task.detached { [self] in
            while !Task.isCancelled {
                _ = evaluate()
                try? await Task.sleep(for: interval)
            }
        })
        tasks.withLock { $0 += started }
    }

    public func stop() {
        subscription?.cancel()
        for task in tasks.withLock({ $0 }) { task.cancel() }
    }

    /// Counts what each query rule matches in these events.
    public func count(_ events: [LoggedEvent]) {
        guard !queries.isEmpty, !events.isEmpty else { return }
        var matched = Array(repeating: UInt64(0), count: queries.count)
        for event in events {
            for (k, q) in queries.enumerated() where q.query.matches(event) { matched[k] += 1 }
        }
        queryTotals.withLock { totals in
            for (k, q) in queries.enumerated() { totals[q.index] += matched[k] }
        }
    }

    /// One evaluation on the counters as they are now: what it fired or
    /// resolved, already delivered and on the board.
    @discardableResult
    public func evaluate() -> [AlertEvent] {
        let snap = snapshot()
        var totals: [String: UInt64] = [:]
        for t in snap.types { totals[t.name] = t.accepted }
        let observation = AlertObservation(now: snap.takenAt, health: snap.health.status, healthMessage: snap.health.message,
                                           typeTotals: totals, total: snap.eventsLogged, queryTotals: queryTotals.withLock { $0 },
                                           rejectedTypes: snap.recentRejections.compactMap { r in
                                               r.issues.contains { $0.problem == .unplannedEventType } ? r.eventType : nil
                                           })
        let fired = engine.withLock { $0.observe(observation) }
        guard !fired.isEmpty else { return [] }
        let rules = self.rules
        board.withLock { b in
            for alert in fired {
                b.history.append(alert)
                if case .newType = rules[alert.ruleIndex].kind {
                    b.active.append(alert)
                } else {
                    b.active.removeAll { $0.ruleIndex == alert.ruleIndex }
                    if alert.state == .firing { b.active.append(alert) }
                }
            }
            var bytes = b.history.reduce(0) { $0 + $1.message.utf8.count + $1.rule.utf8.count + 64 }
            while b.history.count > AlertBoard.maxHistory || bytes > AlertBoard.maxHistoryBytes {
                let gone = b.history.removeFirst()
                bytes -= gone.message.utf8.count + gone.rule.utf8.count + 64
                b.evicted += 1
                // A one-shot alert that left the history leaves the board too.
                b.active.removeAll { $0.id == gone.id && $0.state == .firing && rules[$0.ruleIndex].kind == .newType }
            }
        }
        for alert in fired {
            for action in actions { action.deliver(alert) }
        }
        return fired
    }

    public var current: AlertBoard { board.withLock { $0 } }
}
