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
        #expect(r.message == "healthy: 1000 events in the last 60 s, 1.5% error_event, 3 rejected")
    }

    @Test func errorShareDegradesThenBreaks() {
        let degraded = HealthRules.evaluate(HealthInputs(accepted: 100, errors: 12))
        #expect(degraded.status == .degraded)
        #expect(degraded.message == "degraded: 12% of the last 60 s were error_event (threshold 5%)")
        let unhealthy = HealthRules.evaluate(HealthInputs(accepted: 100, errors: 40))
        #expect(unhealthy.status == .unhealthy)
        #expect(unhealthy.message == "unhealthy: 40% of the last 60 s were error_event (threshold 25%)")
    }

    @Test func smallSamplesAreNotJudged() {
        #expect(HealthRules.evaluate(HealthInputs(accepted: 3, errors: 3)).status == .healthy)
    }

    @Test func rejectedShare() {
        let r = HealthRules.evaluate(HealthInputs(accepted: 80, rejected: 20))
        #expect(r.status == .degraded)
        #expect(r.message == "degraded: 20% of events in the last 60 s were rejected (threshold 10%)")
        #expect(HealthRules.evaluate(HealthInputs(accepted: 10, rejected: 90)).status == .unhealthy)
    }

    @Test func droppedEventsAndFailingComponentsAreUnhealthy() {
        let store = EventSubscription.Stats(name: "store", queued: 10, capacity: 10, overflow: 5, delivered: 0)
        let r = HealthRules.evaluate(HealthInputs(accepted: 100, dropped: 5, subscribers: [store]))
        #expect(r.status == .unhealthy)
        #expect(r.message == "unhealthy: 5 accepted events dropped in the last 60 s by a slow consumer (store) (+1 more)")
        #expect(r.reasons.map(\.status) == [.unhealthy, .degraded])
        let c = HealthRules.evaluate(HealthInputs(components: [ComponentHealth(name: "store", status: .unhealthy, message: "disk full")]))
        #expect(c.message == "unhealthy: store: disk full")
    }

    @Test func aConsumerFallingBehindDegrades() {
        let s = EventSubscription.Stats(name: "stream", queued: 600, capacity: 1000, overflow: 0, delivered: 0)
        let r = HealthRules.evaluate(HealthInputs(accepted: 100, subscribers: [s]))
        #expect(r.message == "degraded: consumer stream is falling behind: 600 of 1000 queued")
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
        #expect(logger.health() == TelemetryHealthResponse(status: .unhealthy,
            message: "unhealthy: 30% of the last 60 s were error_event (threshold 25%)", eventsLogged: 100))
        clock.advance(milliseconds: 61_000)
        #expect(logger.health().status == .healthy)
        logger.setComponentHealth(ComponentHealth(name: "store", status: .degraded, message: "slow writes"))
        #expect(logger.health().message == "degraded: store: slow writes")
    }
}
