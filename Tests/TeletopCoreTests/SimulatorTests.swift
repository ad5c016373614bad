import Testing
@testable import TeletopCore

@Suite("Simulator")
struct SimulatorTests {
    func sequence(seed: UInt64, count: Int) -> [String] {
        let sim = Simulator(logger: EventLogger(clock: ManualClock()), seed: seed)
        return (0..<count).map { _ in
            let (type, payload) = sim.makeEvent()
            return type + JSONWriter.compact(.object(payload))
        }
    }

    @Test func sameSeedSameSequence() {
        #expect(sequence(seed: 7, count: 500) == sequence(seed: 7, count: 500))
        #expect(sequence(seed: 7, count: 50) != sequence(seed: 8, count: 50))
    }

    @Test func everyEventIsValidAndTrafficIsSkewed() {
        let logger = EventLogger(configuration: .init(ringCapacity: 5000), clock: ManualClock())
        let sim = Simulator(logger: logger, seed: 1, rate: 5000)
        #expect(sim.advance(elapsed: 1) == 5000)
        let snap = logger.snapshot()
        #expect(snap.totalRejected == 0)
        let byType = Dictionary(uniqueKeysWithValues: snap.types.map { ($0.name, Int($0.accepted)) })
        #expect(byType["ai_block_used"]! > 3000)
        #expect(byType["chapter_visit"]! > 1000)
        #expect((20...200).contains(byType["error_event"]!))
        // A few users are busy: the top user has many more events than the median one.
        var perUser: [String: Int] = [:]
        for e in logger.recentEvents(limit: 5000) {
            if case .string(let u)? = e.payload["user_id"] { perUser[u, default: 0] += 1 }
        }
        let counts = perUser.values.sorted()
        #expect(counts.last! > 10 * counts[counts.count / 2])
        #expect(snap.health.status == .healthy)
    }

    @Test func rateCarriesFractionsAndCanBeChanged() {
        let logger = EventLogger(clock: ManualClock())
        let sim = Simulator(logger: logger, seed: 1, rate: 5)
        var total = 0
        for _ in 0..<100 { total += sim.advance(elapsed: 0.02) }
        #expect(total == 10)
        sim.stepRate(up: true)
        #expect(sim.status.rate == 10)
        sim.stepRate(up: false)
        sim.stepRate(up: false)
        #expect(sim.status.rate == 2)
        sim.toggle()
        #expect(sim.advance(elapsed: 10) == 0)
    }

    @Test func errorStormDegradesHealthAndBurstAddsTraffic() {
        let logger = EventLogger(clock: ManualClock())
        let sim = Simulator(logger: logger, seed: 3, rate: 100)
        sim.toggleErrorStorm()
        sim.advance(elapsed: 1)
        #expect(logger.health().status == .degraded)
        #expect(logger.health().message.contains("error_event"))
        sim.toggleErrorStorm()
        sim.burst()
        #expect(sim.status.bursting)
        #expect(sim.advance(elapsed: 1) == 1100)
    }
}
