import Foundation
import Synchronization
import Testing
@testable import TeletopCore

@Suite("Alert rules")
struct AlertRuleTests {
    @Test func theThreeKindsRead() throws {
        #expect(try AlertRule.parse("health").kind == .health)
        #expect(try AlertRule.parse("new type").kind == .newType)
        #expect(try AlertRule.parse("error_event rate > 5/s for 30s").kind == .rate(.eventType("error_event"), .above, perSecond: 5, windowSeconds: 30))
        #expect(try AlertRule.parse("chapter_visit rate < 1/s for 2m").kind == .rate(.eventType("chapter_visit"), .below, perSecond: 1, windowSeconds: 120))
        #expect(try AlertRule.parse("* rate < 30/m for 1h").kind == .rate(.everyEvent, .below, perSecond: 0.5, windowSeconds: 3600))
        guard case .rate(.query(let q), .above, perSecond: 2, windowSeconds: 10) = try AlertRule.parse("source=http and latency_ms>800 rate > 2/s for 10s").kind
        else { Issue.record("not a query rate rule"); return }
        #expect(q.text == "source=http and latency_ms>800")
    }

    @Test func aBadRuleSaysWhatWasExpectedAndWhatCame() {
        func message(_ text: String) -> String {
            do { _ = try AlertRule.parse(text); return "parsed" } catch { return error.description }
        }
        #expect(message("error_event rate > 5 for 30s").contains("expected a rate like 5/s, 30/m or 100/h after >, got \"5\""))
        #expect(message("error_event rate >= 5/s for 30s").contains("expected > or < after `rate`, got \">=\""))
        #expect(message("error_event rate > 5/s during 30s").contains("expected `for DURATION` after the rate, got \"during\""))
        #expect(message("error_event rate > 5/s for soon").contains("expected a duration like 30s, 2m or 1h after `for`, got \"soon\""))
        #expect(message("error_event rate > 5/s for 2h").contains("longer than the most, 1h"))
        #expect(message("rate > 5/s for 30s").contains("expected an event type, * or a query before `rate`"))
        #expect(message("errors go up").contains("expected `health`, `new type` or `TARGET rate > N/s for DURATION`"))
        #expect(message("(source=http rate > 1/s for 5s").contains("is not a query"))
        #expect(message("").contains("the rule is empty"))
    }
}

@Suite("Alert engine")
struct AlertEngineTests {
    let start = Timestamp(year: 2026, month: 12, day: 2)

    func at(_ seconds: Int64, health: HealthStatus = .healthy, types: [String: UInt64] = [:], total: UInt64? = nil,
            queries: [UInt64] = [], rejected: [String] = []) -> AlertObservation {
        AlertObservation(now: start.adding(milliseconds: seconds * 1000), health: health, healthMessage: health == .healthy ? "" : "\(health.rawValue): why",
                         typeTotals: types, total: total ?? types.values.reduce(0, +), queryTotals: queries, rejectedTypes: rejected)
    }

    @Test func aRateAboveItsThresholdFiresOnceThenResolves() throws {
        var engine = AlertEngine(rules: [try AlertRule.parse("error_event rate > 5/s for 10s")])
        var errors: UInt64 = 0
        var events: [AlertEvent] = []
        // 1/s for 20 s: under the threshold, nothing.
        for s in 0...20 { errors += 1; events += engine.observe(at(Int64(s), types: ["error_event": errors])) }
        #expect(events.isEmpty)
        // 10/s: the rate over the last 10 s passes 5/s after a few seconds, and fires once.
        for s in 21...40 { errors += 10; events += engine.observe(at(Int64(s), types: ["error_event": errors])) }
        #expect(events.map(\.state) == [.firing])
        #expect(events[0].at == start.adding(milliseconds: 25_000))
        #expect(events[0].message == "error_event at 5.5/s over 10s, > 5.0/s")
        #expect(engine.isFiring(0))
        // Quiet again: resolved once the window's rate is back under.
        for s in 41...60 { events += engine.observe(at(Int64(s), types: ["error_event": errors])) }
        #expect(events.map(\.state) == [.firing, .resolved])
        #expect(events[1].at == start.adding(milliseconds: 45_000))
        #expect(!engine.isFiring(0))
        #expect(events.map(\.id) == [1, 2])
    }

    @Test func silenceIsNoticedButNotBeforeAWholeWindowWasWatched() throws {
        var engine = AlertEngine(rules: [try AlertRule.parse("chapter_visit rate < 1/s for 2m")])
        var events: [AlertEvent] = []
        // Nothing at all from the start: no alert in the first two minutes, then one.
        for s in stride(from: 0, through: 119, by: 1) { events += engine.observe(at(Int64(s), types: ["chapter_visit": 0])) }
        #expect(events.isEmpty)
        events += engine.observe(at(120, types: ["chapter_visit": 0]))
        #expect(events.map(\.state) == [.firing])
        #expect(events[0].value == 0)
        // The source comes back at 3/s: resolved when the last two minutes average 1/s or more.
        var n: UInt64 = 0
        for s in 121...300 where events.count < 2 { n += 3; events += engine.observe(at(Int64(s), types: ["chapter_visit": n])) }
        #expect(events.map(\.state) == [.firing, .resolved])
        #expect(events[1].at == start.adding(milliseconds: 160_000))
    }

    @Test func observationsFarApartStillMeasureTheirWholeSpan() throws {
        var engine = AlertEngine(rules: [try AlertRule.parse("* rate > 100/s for 5s")])
        #expect(engine.observe(at(0, total: 0)).isEmpty)
        // One look 20 s later: 2,100 events in 20 s is 105/s.
        let fired = engine.observe(at(20, total: 2_100))
        #expect(fired.map(\.state) == [.firing])
        #expect(fired[0].value == 105)
    }

    @Test func healthFiresOnEachChangeForTheWorseAndResolvesWhenHealthy() throws {
        var engine = AlertEngine(rules: [try AlertRule.parse("health")])
        var events: [AlertEvent] = []
        for (s, h) in [(0, HealthStatus.healthy), (1, .healthy), (2, .degraded), (3, .degraded), (4, .unhealthy), (5, .healthy), (6, .healthy)] {
            events += engine.observe(at(Int64(s), health: h))
        }
        #expect(events.map(\.state) == [.firing, .firing, .resolved])
        #expect(events.map(\.message) == ["health degraded: why", "health unhealthy: why", "health back to healthy"])
        #expect(events.map(\.at) == [2, 4, 5].map { start.adding(milliseconds: $0 * 1000) })
    }

    @Test func aDashboardThatStartsDegradedSaysSoAtOnce() throws {
        var engine = AlertEngine(rules: [try AlertRule.parse("health")])
        #expect(engine.observe(at(0, health: .degraded)).map(\.state) == [.firing])
    }

    @Test func aNewTypeFiresOnceAndThePlansTypesAreNotNew() throws {
        var engine = AlertEngine(rules: [try AlertRule.parse("new type")], knownTypes: ["ai_block_used", "chapter_visit"])
        #expect(engine.observe(at(0, types: ["restored_type": 5])).isEmpty)
        var events = engine.observe(at(1, types: ["restored_type": 6, "ai_block_used": 1, "chapter_visit": 1]))
        #expect(events.isEmpty)
        events = engine.observe(at(2, types: ["restored_type": 6, "ai_block_used": 2, "checkout": 1], rejected: ["refund"]))
        #expect(events.map(\.message) == ["first event of type checkout", "first event of type refund (rejected: not in the plan)"])
        events = engine.observe(at(3, types: ["checkout": 9], rejected: ["refund"]))
        #expect(events.isEmpty)
    }

    @Test func twoRulesOfOneKindEachKeepTheirOwnState() throws {
        var engine = AlertEngine(rules: [try AlertRule.parse("health"), try AlertRule.parse("health")])
        #expect(engine.observe(at(0, health: .degraded)).map(\.ruleIndex) == [0, 1])
    }

    @Test func aQueryRuleReadsItsOwnRunningCount() throws {
        var engine = AlertEngine(rules: [try AlertRule.parse("health"), try AlertRule.parse("latency_ms>800 rate > 1/s for 2s")])
        #expect(engine.queryRules.map(\.index) == [1])
        #expect(engine.observe(at(0, queries: [0, 0])).isEmpty)
        #expect(engine.observe(at(1, queries: [0, 5])).isEmpty)
        let fired = engine.observe(at(2, queries: [0, 10]))
        #expect(fired.map(\.rule) == ["latency_ms>800 rate > 1/s for 2s"])
    }

    @Test func anAlertIsOneJSONObject() throws {
        let alert = AlertEvent(id: 7, rule: "health", ruleIndex: 0, state: .firing, at: start, message: "health \"degraded\"", value: 2.5)
        let parsed = try JSONParser.parse(alert.json)
        #expect(parsed["id"]?.intValue == 7)
        #expect(parsed["state"]?.stringValue == "firing")
        #expect(parsed["message"]?.stringValue == "health \"degraded\"")
        #expect(parsed["at"]?.stringValue == "2026-12-02T00:00:00.000Z")
        #expect(parsed["value"] == .double(2.5))
    }
}

@Suite("Alert monitor")
struct AlertMonitorTests {
    final class Recorder: AlertAction, @unchecked Sendable {
        let seen = Mutex<[AlertEvent]>([])
        func deliver(_ alert: AlertEvent) { seen.withLock { $0.append(alert) } }
    }

    @Test func aQueryRuleCountsWhatItMatchesOnTheLiveCounters() throws {
        let clock = ManualClock(Timestamp(year: 2026, month: 12, day: 2))
        let logger = EventLogger(plan: TrackingPlan(eventTypes: [], acceptUnplanned: true), clock: clock)
        let recorder = Recorder()
        let monitor = AlertMonitor(rules: [try AlertRule.parse("chapter_id=3 rate > 1/s for 2s")],
                                   logger: logger, actions: [recorder])
        monitor.evaluate()
        for i in 0..<10 {
            _ = logger.log("chapter_visit", ["chapter_id": .int(Int64(3 + i % 2)), "user_id": "u"], source: .http)
        }
        // What the counting task does, by hand: the subscription holds every event.
        clock.advance(milliseconds: 1000)
        let sub = logger.snapshot().subscribers.first { $0.name == "alerts" }
        #expect(sub?.queued == 10)
        monitor.evaluate()
        #expect(recorder.seen.withLock { $0 }.isEmpty)
        monitor.count(logger.recentEvents(limit: 10))
        clock.advance(milliseconds: 1000)
        let fired = monitor.evaluate()
        #expect(fired.map(\.message) == ["chapter_id=3 at 2.5/s over 2s, > 1.0/s"])
        #expect(recorder.seen.withLock { $0 } == fired)
        #expect(monitor.current.active == fired)
        #expect(monitor.current.history == fired)
    }

    @Test func theHistoryIsBoundedAndSaysWhatItDropped() throws {
        let clock = ManualClock(Timestamp(year: 2026, month: 12, day: 2))
        var configuration = EventLogger.Configuration()
        configuration.maxEventTypes = 1_000
        let logger = EventLogger(plan: TrackingPlan(eventTypes: [], acceptUnplanned: true), configuration: configuration, clock: clock)
        let monitor = AlertMonitor(rules: [try AlertRule.parse("new type")], logger: logger, actions: [])
        monitor.evaluate()
        // 52 new types a second (a snapshot per look costs a walk of every type).
        for i in 0..<(AlertBoard.maxHistory + 20) {
            _ = logger.log("type_\(String(format: "%03d", i))", [:], source: .http)
            if i % 52 == 51 || i == AlertBoard.maxHistory + 19 {
                clock.advance(milliseconds: 1000)
                monitor.evaluate()
            }
        }
        let board = monitor.current
        #expect(board.history.count == AlertBoard.maxHistory)
        #expect(board.evicted == 20)
        #expect(board.history.first?.message == "first event of type type_020")
        // One-shot alerts leave the board with their history entry.
        #expect(board.active.count == AlertBoard.maxHistory)
    }
}
