import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one door every event passes through, whatever its source: validate
/// against the plan, stamp, keep in the ring, count, and hand to subscribers.
///
/// Thread-safe. Validation and packing happen before the lock is taken; under
/// the lock there is only a clock read, the ring slot, the counters and the
/// subscriber queues (each O(1)), so producers on two cores rarely wait.
public final class EventLogger: Sendable {
    public struct Configuration: Sendable {
        /// How many recent events the ring keeps for the feed and queries.
        public var ringCapacity = 10_000
        /// The ring's bound in bytes (payloads plus a fixed part per event):
        /// with 1 MB events, 10,000 of them would be 10 GB.
        public var ringBytes = 64 << 20
        /// Each consumer queue's bound in bytes (the store's, the recorder's);
        /// a stream client's queue gets a quarter of it.
        public var queueBytes = 32 << 20
        public var health = HealthThresholds()
        /// Cap on distinct event types when unplanned types are accepted, so a
        /// client inventing a type per event cannot grow memory without bound.
        public var maxEventTypes = 256
        /// How many recent rejections are kept with their reasons.
        public var rejectionsKept = 100

        public init(ringCapacity: Int = 10_000, ringBytes: Int = 64 << 20, queueBytes: Int = 32 << 20) {
            self.ringCapacity = ringCapacity
            self.ringBytes = ringBytes
            self.queueBytes = queueBytes
        }
    }

    public enum Outcome: Sendable, Equatable {
        case accepted(LoggedEvent)
        case rejected([ValidationIssue])

        public var event: LoggedEvent? {
            if case .accepted(let e) = self { return e }
            return nil
        }

        public var issues: [ValidationIssue] {
            if case .rejected(let i) = self { return i }
            return []
        }
    }

    struct LockedLog {
        var outcome: Outcome
        var evicted: EventRing.Evicted
    }

    struct TypeState {
        let name: String
        let planned: Bool
        var accepted: UInt64 = 0
        var rejected: UInt64 = 0
        var acceptedBuckets = SecondBuckets()
        var lastEventAt: Timestamp?
    }

    struct State {
        var ring: EventRing
        var nextSequence: UInt64 = 1
        var types: [TypeState]
        var totalAccepted: UInt64 = 0
        var totalRejected: UInt64 = 0
        var restoredAccepted: UInt64 = 0
        var unknownRejected: UInt64 = 0
        /// Rejections by their first problem (a bounded set: the problem codes).
        var rejectedByProblem: [ValidationIssue.Problem: UInt64] = [:]
        var acceptedBuckets = SecondBuckets()
        var rejectedBuckets = SecondBuckets()
        /// Events at least one consumer could not take, each counted once.
        var droppedBuckets = SecondBuckets()
        var totalDropped: UInt64 = 0
        /// The same per kind of consumer ("store", "http stream", ...): a kind
        /// with 20 clients that all miss one event counts it once.
        var droppedByKind: [String: ConsumerDrops] = [:]
        /// Rejections per source, for health to say where they come from.
        var rejectedBySource = [SecondBuckets](repeating: SecondBuckets(), count: EventSource.allCases.count)
        /// Per source, lifetime: accepted and rejected, and accepted per second (the flow view's arrows).
        var acceptedBySourceTotal = [UInt64](repeating: 0, count: EventSource.allCases.count)
        var rejectedBySourceTotal = [UInt64](repeating: 0, count: EventSource.allCases.count)
        var acceptedBySource = [SecondBuckets](repeating: SecondBuckets(), count: EventSource.allCases.count)
        var rejections: [Rejection] = []
        var rejectionsHead = 0
        var subscribers: [EventSubscription] = []
        var components: [ComponentHealth] = []
        var lastEventAt: Timestamp?
    }

    public let plan: TrackingPlan
    public let configuration: Configuration
    public let clock: any TelemetryClock
    public let startedAt: Timestamp
    let state: Mutex<State>

    public init(plan: TrackingPlan = .contract, configuration: Configuration = Configuration(),
                clock: any TelemetryClock = SystemClock()) {
        self.plan = plan
        self.configuration = configuration
        self.clock = clock
        startedAt = clock.now()
        let types = plan.eventTypes.map { TypeState(name: $0.name, planned: true) }
        state = Mutex(State(ring: EventRing(capacity: configuration.ringCapacity, byteCapacity: configuration.ringBytes), types: types))
    }

    /// The contract's `EventLogger.log(event_type, payload)`. `timestamp` is
    /// given only by sources that replay recorded events (and by HTTP, for an
    /// event the store already holds); otherwise the event is stamped now.
    /// `clientTimestamp` is an HTTP client's own time, kept beside the stamp.
    /// `stored`: the store wrote it before it was logged (an HTTP write that
    /// waits for the disk), so the store's queue does not take it again.
    /// `line` is a JSON Lines line number, kept with a rejection.
    @discardableResult
    public func log(_ eventType: String, _ payload: JSONObject, source: EventSource, timestamp: Timestamp? = nil,
                    clientTimestamp: Timestamp? = nil, stored: Bool = false, line: Int? = nil, origin: UInt8 = 0) -> Outcome {
        log(eventType, PackedPayload(payload), source: source, timestamp: timestamp, clientTimestamp: clientTimestamp, stored: stored,
            line: line, origin: origin)
    }

    /// The same door for a payload already packed (see `PayloadBuilder`): the
    /// fast path, which validates the bytes in place.
    @discardableResult
    public func log(_ eventType: String, _ packed: PackedPayload, source: EventSource, timestamp: Timestamp? = nil,
                    clientTimestamp: Timestamp? = nil, stored: Bool = false, line: Int? = nil, origin: UInt8 = 0) -> Outcome {
        let verdict = plan.validate(eventType: eventType, payload: packed)
        guard verdict.isValid else {
            recordRejection(source: source, eventType: eventType, line: line, issues: verdict.issues)
            return .rejected(verdict.issues)
        }
        // The clock is read before taking the lock, to keep the critical section
        // short when producers contend; `max` keeps stamps in sequence order.
        let readNow = clock.now()
        // A nominal result type, not a tuple: tuple metadata is looked up at run time on every call.
        let result = state.withLock { s -> LockedLog in
            let now = s.lastEventAt.map { max($0, readNow) } ?? readNow
            let typeIndex: Int
            if let i = verdict.planIndex {
                typeIndex = i
            } else if let i = s.types.firstIndex(where: { $0.name == eventType }) {
                typeIndex = i
            } else if s.types.count < configuration.maxEventTypes {
                s.types.append(TypeState(name: eventType, planned: false))
                typeIndex = s.types.count - 1
            } else {
                return LockedLog(outcome: .rejected([typeLimitIssue(eventType, typesKnown: s.types.count)]), evicted: .init())
            }
            let sequence = s.nextSequence
            s.nextSequence += 1
            let stamp = timestamp ?? now
            let evicted = s.ring.append(EventRing.Slot(sequence: sequence, timestamp: stamp, payload: packed,
                typeIndex: UInt16(typeIndex), source: source, unplanned: verdict.unplanned, clientTimestamp: clientTimestamp, origin: origin))
            let second = now.secondsSinceEpoch
            s.types[typeIndex].accepted += 1
            s.types[typeIndex].acceptedBuckets.add(at: second)
            s.types[typeIndex].lastEventAt = now
            s.totalAccepted += 1
            s.acceptedBuckets.add(at: second)
            s.acceptedBySourceTotal[Int(source.rawValue)] &+= 1
            s.acceptedBySource[Int(source.rawValue)].add(at: second)
            s.lastEventAt = now
            let event = LoggedEvent(sequence: sequence, eventType: s.types[typeIndex].name, timestamp: stamp,
                                    source: source, unplanned: verdict.unplanned, packedPayload: packed, clientTimestamp: clientTimestamp,
                                    origin: origin)
            // Kinds of consumer that missed this event, each counted once: nothing is
            // built unless one did, and an array only when two kinds did.
            var missed: String?
            var missedMore: [String]?
            for subscriber in s.subscribers where !(stored && subscriber.skipsStored) && !subscriber.push(event) {
                if missed == nil {
                    missed = subscriber.name
                } else if missed != subscriber.name && !(missedMore?.contains(subscriber.name) ?? false) {
                    missedMore = (missedMore ?? []) + [subscriber.name]
                }
            }
            if let missed {
                s.totalDropped += 1
                s.droppedBuckets.add(at: second)
                s.droppedByKind[missed, default: ConsumerDrops()].add(at: second)
                for kind in missedMore ?? [] { s.droppedByKind[kind, default: ConsumerDrops()].add(at: second) }
            }
            return LockedLog(outcome: .accepted(event), evicted: evicted)
        }
        if case .rejected(let issues) = result.outcome {
            recordRejection(source: source, eventType: eventType, line: line, issues: issues)
        }
        // `result.evicted`, the evicted payload, is released here, outside the lock.
        return result.outcome
    }

    /// What `log` would say of this event, without logging it: for an HTTP
    /// write, which must reach the store before it is logged. Empty: it would
    /// be accepted. A new unplanned type is given its place now, so the `log`
    /// after the commit cannot find the type table full and refuse an event
    /// that is already on disk.
    public func check(_ eventType: String, _ packed: PackedPayload) -> [ValidationIssue] {
        let verdict = plan.validate(eventType: eventType, payload: packed)
        guard verdict.isValid else { return verdict.issues }
        guard verdict.planIndex == nil else { return [] }
        return state.withLock { s in
            if s.types.contains(where: { $0.name == eventType }) { return [] }
            guard s.types.count < configuration.maxEventTypes else { return [typeLimitIssue(eventType, typesKnown: s.types.count)] }
            s.types.append(TypeState(name: eventType, planned: false))
            return []
        }
    }

    private func typeLimitIssue(_ eventType: String, typesKnown: Int) -> ValidationIssue {
        ValidationIssue(field: "event_type", problem: .tooLarge,
            expected: "at most \(configuration.maxEventTypes) distinct event types", got: Describe.string(eventType),
            message: "event_type: \(Describe.string(eventType)) would be type number \(typesKnown + 1); the limit is \(configuration.maxEventTypes)")
    }

    /// Counts an arrival that never became an event: a malformed line or body,
    /// or one that failed validation.
    public func recordRejection(source: EventSource, eventType: String?, line: Int?, issues: [ValidationIssue]) {
        let now = clock.now()
        let rejection = Rejection(at: now, source: source, eventType: eventType, line: line, issues: issues)
        let kept = configuration.rejectionsKept
        state.withLock { s in
            let second = now.secondsSinceEpoch
            s.totalRejected += 1
            s.rejectedBuckets.add(at: second)
            s.rejectedByProblem[issues.first?.problem ?? .malformedJSON, default: 0] += 1
            s.rejectedBySource[Int(source.rawValue)].add(at: second)
            s.rejectedBySourceTotal[Int(source.rawValue)] &+= 1
            if let eventType, let i = s.types.firstIndex(where: { $0.name == eventType }) {
                s.types[i].rejected += 1
            } else {
                s.unknownRejected += 1
            }
            if s.rejections.count < kept {
                s.rejections.append(rejection)
            } else {
                s.rejections[s.rejectionsHead] = rejection
                s.rejectionsHead = (s.rejectionsHead + 1) % kept
            }
        }
    }

    // MARK: consumers

    /// A bounded queue of every accepted event from now on, in order.
    /// `byteCapacity` defaults to the configuration's `queueBytes`.
    public func subscribe(name: String, capacity: Int = 65_536, byteCapacity: Int? = nil, lossless: Bool = false,
                          skipsStored: Bool = false) -> EventSubscription {
        let subscription = EventSubscription(name: name, capacity: capacity, byteCapacity: byteCapacity ?? configuration.queueBytes,
                                             lossless: lossless, skipsStored: skipsStored)
        state.withLock { $0.subscribers.append(subscription) }
        subscription.onCancel.withLock {
            $0 = { [weak self, weak subscription] in
                guard let self, let subscription else { return }
                self.state.withLock { $0.subscribers.removeAll { $0 === subscription } }
            }
        }
        return subscription
    }

    /// For sources that can wait without losing anything (a file, a pipe, a
    /// recording): returns once no lossless consumer (the store) has a
    /// backlog (an eighth of its queue). Live sources (the simulator, forms) never call it, so the disk
    /// never slows them; a file read faster than the disk takes it is paced
    /// to the disk instead of overflowing the store's queue.
    public func waitForRoom(shouldStop: () -> Bool = { false }) {
        while !shouldStop() && state.withLock({ s in s.subscribers.contains { $0.lossless && $0.backlogged } }) {
            usleep(1_000)
        }
    }

    /// Lets the store or the server put its own state into the health verdict.
    public func setComponentHealth(_ component: ComponentHealth) {
        state.withLock { s in
            s.components.removeAll { $0.name == component.name }
            s.components.append(component)
        }
    }

    // MARK: reading

    /// The newest `limit` retained events, oldest first; only `eventType` when given.
    public func recentEvents(limit: Int, eventType: String? = nil) -> [LoggedEvent] {
        state.withLock { s in
            let wanted = eventType.flatMap { t in s.types.firstIndex { $0.name == t } }
            if eventType != nil && wanted == nil { return [] }
            return s.ring.newest(limit) { wanted == nil || Int($0.typeIndex) == wanted }.map { event(from: $0, types: s.types) }
        }
    }

    /// Retained events with a sequence number above `sequence`, oldest first,
    /// at most `limit`; only `eventType` when given.
    public func events(after sequence: UInt64, limit: Int, eventType: String? = nil) -> [LoggedEvent] {
        state.withLock { s in
            guard s.ring.count > 0, limit > 0 else { return [] }
            let wanted = eventType.flatMap { t in s.types.firstIndex { $0.name == t } }
            if eventType != nil && wanted == nil { return [] }
            let oldest = s.ring[0].sequence
            var i = sequence < oldest ? 0 : Int(sequence - oldest + 1)
            var out: [LoggedEvent] = []
            while i < s.ring.count && out.count < limit {
                let slot = s.ring[i]
                if wanted == nil || Int(slot.typeIndex) == wanted { out.append(event(from: slot, types: s.types)) }
                i += 1
            }
            return out
        }
    }

    /// Up to `limit` retained events with a sequence number at or below
    /// `sequence` (the newest when nil), oldest first; only `eventType` when given.
    public func events(upTo sequence: UInt64?, limit: Int, eventType: String? = nil) -> [LoggedEvent] {
        state.withLock { s in
            guard s.ring.count > 0, limit > 0 else { return [] }
            let wanted = eventType.flatMap { t in s.types.firstIndex { $0.name == t } }
            if eventType != nil && wanted == nil { return [] }
            let oldest = s.ring[0].sequence
            let newest = s.ring[s.ring.count - 1].sequence
            let last = min(sequence ?? newest, newest)
            guard last >= oldest else { return [] }
            var i = Int(last - oldest)
            var out: [LoggedEvent] = []
            while i >= 0 && out.count < limit {
                let slot = s.ring[i]
                if wanted == nil || Int(slot.typeIndex) == wanted { out.append(event(from: slot, types: s.types)) }
                i -= 1
            }
            return out.reversed()
        }
    }

    /// The retained events with these sequence numbers (others are skipped), in the order given.
    public func events(withSequences sequences: [UInt64]) -> [LoggedEvent] {
        state.withLock { s in
            guard s.ring.count > 0 else { return [] }
            let oldest = s.ring[0].sequence
            return sequences.compactMap { q in
                guard q >= oldest, q - oldest < UInt64(s.ring.count) else { return nil }
                return event(from: s.ring[Int(q - oldest)], types: s.types)
            }
        }
    }

    /// The newest sequence number handed out, and the oldest still retained
    /// (0 when empty). Cheap enough to poll every frame.
    public var sequenceRange: (oldest: UInt64, newest: UInt64) {
        state.withLock { s in (s.ring.count > 0 ? s.ring[0].sequence : 0, s.nextSequence - 1) }
    }

    private func event(from slot: EventRing.Slot, types: [TypeState]) -> LoggedEvent {
        LoggedEvent(sequence: slot.sequence, eventType: types[Int(slot.typeIndex)].name, timestamp: slot.timestamp,
                    source: slot.source, unplanned: slot.unplanned, packedPayload: slot.payload, clientTimestamp: slot.clientTimestamp,
                    origin: slot.origin)
    }

    public var eventsLogged: Int { state.withLock { Int($0.totalAccepted + $0.restoredAccepted) } }

    public func health() -> TelemetryHealthResponse {
        snapshot().healthResponse
    }

    /// Everything a frame or an endpoint needs, copied out under one short lock.
    public func snapshot() -> TelemetrySnapshot {
        let now = clock.now()
        let t = configuration.health
        let window = t.windowSeconds
        let uptimeSeconds = max(1.0, Double(now.millisecondsSinceEpoch - startedAt.millisecondsSinceEpoch) / 1000)
        func rate(_ b: SecondBuckets, _ seconds: Int) -> Double {
            b.sum(window: seconds, now: now) / min(Double(seconds), uptimeSeconds)
        }
        var snap = state.withLock { s -> TelemetrySnapshot in
            let types = s.types.map { ts in
                TypeStats(name: ts.name, planned: ts.planned, accepted: ts.accepted, rejected: ts.rejected,
                          rate1s: rate(ts.acceptedBuckets, 1), rate10s: rate(ts.acceptedBuckets, 10), rate60s: rate(ts.acceptedBuckets, 60),
                          acceptedInWindow: Int(ts.acceptedBuckets.sum(window: window, now: now).rounded()),
                          history: ts.acceptedBuckets.history(120, now: now), lastEventAt: ts.lastEventAt)
            }
            let rejections = Array(s.rejections[s.rejectionsHead...] + s.rejections[..<s.rejectionsHead])
            return TelemetrySnapshot(
                takenAt: now, startedAt: startedAt, totalAccepted: s.totalAccepted, totalRejected: s.totalRejected,
                eventsLogged: s.totalAccepted + s.restoredAccepted, unknownTypeRejected: s.unknownRejected, rejectedByProblem: s.rejectedByProblem,
                evicted: s.ring.evicted, evictedForBytes: s.ring.evictedForBytes, dropped: s.totalDropped,
                droppedByConsumer: s.droppedByKind.mapValues(\.total),
                retained: s.ring.count, ringCapacity: s.ring.capacity, ringBytes: s.ring.bytes, ringByteCapacity: s.ring.byteCapacity,
                lastSequence: s.nextSequence - 1, lastEventAt: s.lastEventAt,
                rate1s: rate(s.acceptedBuckets, 1), rate10s: rate(s.acceptedBuckets, 10), rate60s: rate(s.acceptedBuckets, 60),
                types: types,
                sources: EventSource.allCases.compactMap { source in
                    let i = Int(source.rawValue)
                    guard s.acceptedBySourceTotal[i] > 0 || s.rejectedBySourceTotal[i] > 0 else { return nil }
                    return SourceFlow(source: source, accepted: s.acceptedBySourceTotal[i], rejected: s.rejectedBySourceTotal[i],
                                      acceptedRate: rate(s.acceptedBySource[i], 10), rejectedRate: rate(s.rejectedBySource[i], 10))
                },
                subscribers: s.subscribers.map(\.stats), components: s.components, recentRejections: rejections,
                healthInputs: HealthInputs(
                    accepted: Int(s.acceptedBuckets.sum(window: window, now: now).rounded()),
                    rejected: Int(s.rejectedBuckets.sum(window: window, now: now).rounded()),
                    errors: 0, dropped: Int(s.droppedBuckets.sum(window: window, now: now).rounded()),
                    subscribers: [], components: s.components,
                    droppedBy: HealthInputs.Tally.ranked(s.droppedByKind.map { ($0.key, Int($0.value.buckets.sum(window: window, now: now).rounded())) }),
                    rejectedBySource: HealthInputs.Tally.ranked(EventSource.allCases.map {
                        ($0.description, Int(s.rejectedBySource[Int($0.rawValue)].sum(window: window, now: now).rounded()))
                    })),
                health: HealthReport(status: .healthy, reasons: [], message: ""))
        }
        snap.healthInputs.errors = snap.types.first { $0.name == t.errorEventType }?.acceptedInWindow ?? 0
        snap.healthInputs.subscribers = snap.subscribers
        snap.health = HealthRules.evaluate(snap.healthInputs, thresholds: t)
        return snap
    }

    /// Puts events read back from durable storage into the ring, oldest first,
    /// so a restarted dashboard's feed shows its history. They get fresh
    /// sequence numbers but are not counted again (see `restoreTotals`) and
    /// are not handed to subscribers: the store already holds them.
    /// Returns the newest sequence number used.
    @discardableResult
    public func restoreRecent(_ events: [AnalyticsEvent], sources: [EventSource]) -> UInt64 {
        // A stored stamp from the future (a client may send any timestamp) must not
        // become "the last event", or every new event would be stamped after it.
        let now = clock.now()
        return state.withLock { s in
            for (i, e) in events.enumerated() {
                let typeIndex: Int
                if let t = s.types.firstIndex(where: { $0.name == e.eventType }) {
                    typeIndex = t
                } else if s.types.count < configuration.maxEventTypes {
                    s.types.append(TypeState(name: e.eventType, planned: false))
                    typeIndex = s.types.count - 1
                } else {
                    continue
                }
                let sequence = s.nextSequence
                s.nextSequence += 1
                _ = s.ring.append(EventRing.Slot(sequence: sequence, timestamp: e.timestamp, payload: PackedPayload(e.payload),
                    typeIndex: UInt16(typeIndex), source: i < sources.count ? sources[i] : .replay, unplanned: !s.types[typeIndex].planned,
                    clientTimestamp: e.clientTimestamp))
                let stamp = min(e.timestamp, now)
                s.types[typeIndex].lastEventAt = max(s.types[typeIndex].lastEventAt ?? stamp, stamp)
                s.lastEventAt = max(s.lastEventAt ?? stamp, stamp)
            }
            return s.nextSequence - 1
        }
    }

    /// Adds totals restored from durable storage at start, so events_logged
    /// and the counters survive a restart.
    public func restoreTotals(accepted: UInt64, perType: [String: UInt64]) {
        state.withLock { s in
            s.restoredAccepted += accepted
            for (name, n) in perType {
                if let i = s.types.firstIndex(where: { $0.name == name }) {
                    s.types[i].accepted += n
                } else if s.types.count < configuration.maxEventTypes {
                    var t = TypeState(name: name, planned: false)
                    t.accepted = n
                    s.types.append(t)
                }
            }
        }
    }
}

public struct TypeStats: Sendable, Equatable {
    public init(name: String, planned: Bool, accepted: UInt64, rejected: UInt64, rate1s: Double, rate10s: Double, rate60s: Double,
                acceptedInWindow: Int, history: [Int], lastEventAt: Timestamp?) {
        self.name = name
        self.planned = planned
        self.accepted = accepted
        self.rejected = rejected
        self.rate1s = rate1s
        self.rate10s = rate10s
        self.rate60s = rate60s
        self.acceptedInWindow = acceptedInWindow
        self.history = history
        self.lastEventAt = lastEventAt
    }

    public var name: String
    public var planned: Bool
    public var accepted: UInt64
    public var rejected: UInt64
    public var rate1s: Double
    public var rate10s: Double
    public var rate60s: Double
    public var acceptedInWindow: Int
    /// Accepted per whole second, oldest first, for the 120 s before now.
    public var history: [Int]
    public var lastEventAt: Timestamp?
}

public struct TelemetrySnapshot: Sendable, Equatable {
    public var takenAt: Timestamp
    public var startedAt: Timestamp
    public var totalAccepted: UInt64
    public var totalRejected: UInt64
    /// The contract's events_logged: accepted, including totals restored at start.
    public var eventsLogged: UInt64
    public var unknownTypeRejected: UInt64
    /// Rejections by their first problem.
    public var rejectedByProblem: [ValidationIssue.Problem: UInt64]
    /// Events pushed out of the ring by newer ones (still counted, still stored).
    public var evicted: UInt64
    /// Of those, pushed out by the ring's byte bound rather than its count.
    public var evictedForBytes: UInt64
    /// Accepted events at least one consumer could not take (its queue was full), each counted once.
    public var dropped: UInt64
    /// The same per kind of consumer ("store", "http stream", "record").
    public var droppedByConsumer: [String: UInt64]
    public var retained: Int
    public var ringCapacity: Int
    /// Bytes the ring holds now, and its bound.
    public var ringBytes: Int
    public var ringByteCapacity: Int
    public var lastSequence: UInt64
    public var lastEventAt: Timestamp?
    public var rate1s: Double
    public var rate10s: Double
    public var rate60s: Double
    public var types: [TypeStats]
    /// Each source that sent anything: what it brought in and what was refused (the flow view).
    public var sources: [SourceFlow]
    public var subscribers: [EventSubscription.Stats]
    public var components: [ComponentHealth]
    public var recentRejections: [Rejection]
    public var healthInputs: HealthInputs
    public var health: HealthReport

    public var healthResponse: TelemetryHealthResponse {
        health.response(eventsLogged: Int(eventsLogged))
    }
}

/// One source's traffic through the door: lifetime counts and the rates over the last 10 s.
public struct SourceFlow: Sendable, Equatable {
    public var source: EventSource
    public var accepted: UInt64
    public var rejected: UInt64
    public var acceptedRate: Double
    public var rejectedRate: Double
}

/// Drops by one kind of consumer: the lifetime total and the last seconds.
struct ConsumerDrops {
    var total: UInt64 = 0
    var buckets = SecondBuckets()

    mutating func add(at second: Int64) {
        total += 1
        buckets.add(at: second)
    }
}
