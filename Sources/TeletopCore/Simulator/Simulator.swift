import Synchronization

/// Believable AI-block traffic for demos and first runs. Seeded: the same seed
/// gives the same sequence of events. It only ever calls `EventLogger.log`.
/// With a loaded plan (`--plan`) that lacks the contract's types, the traffic
/// is the plan's own, made by `PlanTrafficGenerator`, so it is not all rejected.
public final class Simulator: Sendable {
    public struct Status: Sendable, Equatable {
        public var enabled: Bool
        public var rate: Double
        public var bursting: Bool
        public var errorStorm: Bool
    }

    public static let defaultRate = 5.0
    public static let maxRate = 1_000_000.0
    /// Share of error_event in normal traffic and during an error storm. The
    /// storm's share passes the degraded threshold (errors are the watched
    /// app's, so never unhealthy); as it leaves the 60 s window health is healthy again.
    static let normalErrorShare = 0.015
    static let stormErrorShare = 0.35
    static let burstSeconds = 3.0

    struct State {
        var rng: SplitMix64
        var enabled = true
        var rate: Double
        var errorStorm = false
        var burstRemaining = 0.0
        var carry = 0.0
    }

    private let logger: EventLogger
    private let state: Mutex<State>
    private let users = WeightedChoice.zipf(count: 300, exponent: 1.1)
    private let chapters = WeightedChoice.zipf(count: DemoVocabulary.chapters.count, exponent: 0.9)
    private let blocks = WeightedChoice(weights: DemoVocabulary.blockWeights)
    private let models = WeightedChoice(weights: DemoVocabulary.modelWeights)
    private let errors = WeightedChoice(weights: DemoVocabulary.errorWeights)
    /// The loaded plan's generator, or nil to make the contract's AI-block
    /// traffic. Chosen once here: the plan never changes for a logger.
    private let planTraffic: PlanTrafficGenerator?
    /// A plan that extends the contract: traffic for its extra types, and the
    /// share of events they get (each type about as often as one contract type).
    private let extraTraffic: (generator: PlanTrafficGenerator, share: Double)?

    public init(logger: EventLogger, seed: UInt64 = 42, rate: Double = defaultRate) {
        self.logger = logger
        let plan = logger.plan
        let contractFits = Self.acceptsContractTraffic(plan)
        planTraffic = contractFits ? nil : PlanTrafficGenerator(plan: plan)
        let contractNames = Set(TrackingPlan.contract.typeNames)
        let extras = plan.typeNames.filter { !contractNames.contains($0) }.count
        extraTraffic = contractFits && extras > 0
            ? (PlanTrafficGenerator(plan: plan, excluding: contractNames), Double(extras) / Double(extras + contractNames.count))
            : nil
        state = Mutex(State(rng: SplitMix64(seed: seed), rate: max(0, min(rate, Self.maxRate))))
    }

    public var status: Status {
        state.withLock { Status(enabled: $0.enabled, rate: $0.rate, bursting: $0.burstRemaining > 0, errorStorm: $0.errorStorm) }
    }

    public func setEnabled(_ on: Bool) { state.withLock { $0.enabled = on; $0.carry = 0 } }
    public func toggle() { state.withLock { $0.enabled.toggle(); $0.carry = 0 } }
    public func setRate(_ rate: Double) { state.withLock { $0.rate = max(0, min(rate, Self.maxRate)) } }

    /// Steps through 1, 2, 5, 10, 20, 50, ... so `+`/`-` cover six decades quickly.
    public func stepRate(up: Bool) {
        state.withLock { s in
            let steps: [Double] = (0...6).flatMap { e in [1.0, 2, 5].map { $0 * pow(10, Double(e)) } }.filter { $0 <= Self.maxRate }
            if up {
                s.rate = steps.first { $0 > s.rate + 1e-9 } ?? Self.maxRate
            } else {
                s.rate = steps.last { $0 < s.rate - 1e-9 } ?? 0
            }
        }
    }

    /// Adds ten times the rate (at least 100 events/s) for three seconds.
    public func burst() { state.withLock { $0.burstRemaining = Self.burstSeconds } }
    /// With a loaded plan, the storm raises the share of its types whose name
    /// contains "error"; a plan without such a type has no errors to storm, so
    /// the storm changes nothing (health counts only `HealthThresholds.errorEventType`).
    public func toggleErrorStorm() { state.withLock { $0.errorStorm.toggle() } }

    /// True when the contract's generator fits the plan: it lists the contract's
    /// three types with the contract's fields and keeps extra fields (ai_block_used
    /// also carries model, latency_ms and tokens). A plan that lists more types
    /// than these gets contract traffic and, beside it, its extra types' own. Any other plan gets its own
    /// traffic, except a plan of no types (built in code; a file needs one), which
    /// rejects every event whatever is sent.
    static func acceptsContractTraffic(_ plan: TrackingPlan) -> Bool {
        guard !plan.eventTypes.isEmpty else { return true }
        return TrackingPlan.contract.eventTypes.allSatisfy { contract in
            guard let i = plan.index(of: contract.name) else { return false }
            let spec = plan.eventTypes[i]
            return spec.allowAdditionalFields && spec.fields.count == contract.fields.count
                && contract.fields.allSatisfy { spec.fields.contains($0) }
        }
    }

    /// The next simulated event, advancing the generator.
    public func makeEvent() -> (String, JSONObject) {
        let now = logger.clock.now()
        return state.withLock { s in makeEvent(&s, now: now) }
    }

    private func makeEvent(_ s: inout State, now: Timestamp) -> (String, JSONObject) {
        if let planTraffic { return planTraffic.makeEvent(rng: &s.rng, now: now, errorStorm: s.errorStorm) }
        if let extraTraffic, s.rng.unit() < extraTraffic.share {
            return extraTraffic.generator.makeEvent(rng: &s.rng, now: now, errorStorm: s.errorStorm)
        }
        let errorShare = s.errorStorm ? Self.stormErrorShare : Self.normalErrorShare
        let roll = s.rng.unit()
        let chapter = DemoVocabulary.chapters[chapters.pick(&s.rng)]
        if roll < errorShare {
            let kind = DemoVocabulary.errors[errors.pick(&s.rng)]
            let section = chapter.sections[Int(s.rng.next() % UInt64(chapter.sections.count))]
            return ("error_event", [
                "error_type": .string(kind.type), "error_message": .string(kind.message),
                "chapter_id": .int(chapter.id), "section_id": .string(section),
            ])
        }
        let user = "user_\(100 + users.pick(&s.rng))"
        if roll < errorShare + 0.28 {
            return ("chapter_visit", ["user_id": .string(user), "chapter_id": .int(chapter.id), "timestamp": .string(now.iso8601)])
        }
        let section = chapter.sections[Int(s.rng.next() % UInt64(chapter.sections.count))]
        let block = DemoVocabulary.blockTypes[blocks.pick(&s.rng)]
        var payload: JSONObject = [
            "user_id": .string(user), "chapter_id": .int(chapter.id), "section_id": .string(section), "block_type": .string(block),
        ]
        if block == "ask-question" {
            payload["query"] = .string(DemoVocabulary.questions[Int(s.rng.next() % UInt64(DemoVocabulary.questions.count))])
        }
        payload["model"] = .string(DemoVocabulary.models[models.pick(&s.rng)])
        // Log-normal-ish latency: most answers in ~1 s, a long tail to several seconds.
        let latency = exp(6.8 + 0.6 * (s.rng.unit() + s.rng.unit() + s.rng.unit() - 1.5) * 2)
        payload["latency_ms"] = .int(Int64(latency.rounded()))
        payload["tokens"] = .int(Int64(min(2000, 80 + s.rng.unit() * s.rng.unit() * 2400)))
        return ("ai_block_used", payload)
    }

    /// Logs the events due after `elapsed` seconds at the current rate (plus any
    /// burst), carrying the fraction to the next call. Returns how many were logged.
    @discardableResult
    public func advance(elapsed: Double) -> Int {
        let now = logger.clock.now()
        let batch: [(String, JSONObject)] = state.withLock { s in
            guard s.enabled, elapsed > 0 else { return [] }
            var rate = s.rate
            if s.burstRemaining > 0 {
                rate += max(100, s.rate * 10)
                s.burstRemaining -= elapsed
            }
            let due = s.carry + rate * elapsed
            // Never build more than one second's worth in one go: after a stall,
            // catching up all at once would look like a burst that never happened.
            let n = Int(min(due + 1e-9, max(rate, 1)))
            s.carry = min(due - Double(n), 1)
            return (0..<n).map { _ in makeEvent(&s, now: now) }
        }
        for (type, payload) in batch { logger.log(type, payload, source: .sim) }
        return batch.count
    }

    /// Runs until the task is cancelled, ticking every `tick`; while switched
    /// off it checks only every `idleTick`, so a quiet dashboard stays near 0% CPU.
    public func run(tick: Duration = .milliseconds(20), idleTick: Duration = .milliseconds(250)) async {
        let clock = ContinuousClock()
        var last = clock.now
        while !Task.isCancelled {
            let enabled = state.withLock { $0.enabled }
            try? await Task.sleep(for: enabled ? tick : idleTick)
            let now = clock.now
            let elapsed = now - last
            last = now
            // Time spent switched off is not owed: events start on the next tick.
            guard enabled else { continue }
            advance(elapsed: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
