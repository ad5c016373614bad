import Testing
@testable import TeletopCore

@Suite("Health rules")
struct HealthTests {
    @Test func idleIsHealthy() {
        let r = HealthRules.evaluate(HealthInputs())
        #expect(r.status == .healthy)
        #expect(r.message == "healthy: no events in the last 60 s")
    }

    @Test func normalTrafficIsHealthy() {
        let r = HealthRules.evaluate(HealthInputs(accepted: 1000, rejected: 3, errors: 15))
        #expect(r.status == .healthy)
        #expect(r.message == "healthy: 1,000 events in the last 60 s, 1.5% error_event, 3 rejected")
    }

    @Test func errorShareDegradesAtMost() {
        let degraded = HealthRules.evaluate(HealthInputs(accepted: 100, errors: 12))
        #expect(degraded.status == .degraded)
        #expect(degraded.message == "degraded: 12% of the last 60 s were error_event (threshold 5%)")
        // The watched app's errors, however many, never make the collector unhealthy.
        let storm = HealthRules.evaluate(HealthInputs(accepted: 100, errors: 40))
        #expect(storm.status == .degraded)
        #expect(storm.message == "degraded: 40% of the last 60 s were error_event (threshold 5%)")
    }

    @Test func smallSamplesAreNotJudged() {
        #expect(HealthRules.evaluate(HealthInputs(accepted: 3, errors: 3)).status == .healthy)
    }

    /// Issue 11, wrong answer 6: a client's bad batch is its own mistake, not an outage.
    @Test func rejectionsDegradeAtMostAndNameTheirSource() {
        let r = HealthRules.evaluate(HealthInputs(accepted: 80, rejected: 20, rejectedBySource: [.init("http", events: 20)]))
        #expect(r.status == .degraded)
        #expect(r.message == "degraded: 20% of events in the last 60 s were rejected (threshold 10%), from http 20")
        let flood = HealthRules.evaluate(HealthInputs(accepted: 900, rejected: 1000,
                                                      rejectedBySource: [.init("http", events: 990), .init("stdin", events: 10)]))
        #expect(flood.status == .degraded)
        #expect(flood.message.contains("from http 990, stdin 10"))
    }

    static func queue(_ name: String, queued: Int = 0, capacity: Int = 1000, bytes: Int = 0, overflow: UInt64 = 0, lossless: Bool) -> EventSubscription.Stats {
        EventSubscription.Stats(name: name, queued: queued, capacity: capacity, queuedBytes: bytes, byteCapacity: 1 << 20,
                                overflow: overflow, delivered: 0, lossless: lossless)
    }

    @Test func droppedEventsAndFailingComponentsAreUnhealthy() {
        let store = Self.queue("store", queued: 10, capacity: 10, overflow: 5, lossless: true)
        let r = HealthRules.evaluate(HealthInputs(accepted: 100, dropped: 5, subscribers: [store], droppedBy: [.init("store", events: 5)]))
        #expect(r.status == .unhealthy)
        #expect(r.message == "unhealthy: store dropped 5 accepted events in the last 60 s: its queue was full (+1 more)")
        #expect(r.reasons.map(\.status) == [.unhealthy, .degraded])
        let c = HealthRules.evaluate(HealthInputs(components: [ComponentHealth(name: "store", status: .unhealthy, message: "disk full")]))
        #expect(c.message == "unhealthy: store: disk full")
    }

    /// Issue 11, wrong answer 9: drops are said per kind of consumer, once, not summed per client.
    @Test func slowStreamClientsAreOneReasonAndOnlyDegrade() {
        let streams = (0..<21).map { _ in Self.queue("http stream", overflow: 3, lossless: false) }
        let r = HealthRules.evaluate(HealthInputs(accepted: 100, dropped: 3, subscribers: streams, droppedBy: [.init("http stream", events: 1_204)]))
        #expect(r.status == .degraded)
        #expect(r.message == "degraded: http stream clients (21 connected) missed 1,204 events in the last 60 s: too slow to take them")
        #expect(r.reasons.count == 1)
    }

    @Test func aConsumerFallingBehindDegrades() {
        let s = Self.queue("stream", queued: 600, lossless: false)
        let r = HealthRules.evaluate(HealthInputs(accepted: 100, subscribers: [s]))
        #expect(r.message == "degraded: consumer stream is falling behind: 600 of 1000 queued")
        let bytes = Self.queue("store", queued: 10, bytes: 900 << 10, lossless: true)
        #expect(HealthRules.evaluate(HealthInputs(subscribers: [bytes])).message == "degraded: consumer store is falling behind: 900 KiB of 1 MiB queued")
    }

    @Test func thresholdsAreConfigurable() {
        var t = HealthThresholds()
        t.errorShareDegraded = 0.2
        #expect(HealthRules.evaluate(HealthInputs(accepted: 100, errors: 12), thresholds: t).status == .healthy)
    }

    @Test func loggerDrivesHealthFromItsWindow() {
        let clock = ManualClock()
        let logger = EventLogger(clock: clock)
        for i in 0..<100 {
            logger.log(i < 30 ? "error_event" : "ai_block_used", i < 30 ? validError : validAI, source: .sim)
        }
        #expect(logger.health() == TelemetryHealthResponse(status: .degraded,
            message: "degraded: 30% of the last 60 s were error_event (threshold 5%)", eventsLogged: 100))
        clock.advance(milliseconds: 61_000)
        #expect(logger.health().status == .healthy)
        logger.setComponentHealth(ComponentHealth(name: "store", status: .degraded, message: "slow writes"))
        #expect(logger.health().message == "degraded: store: slow writes")
    }
}
