import Testing
import TeletopCore
@testable import TeletopTUI

@Suite("The numbers view and the counters' ten minutes")
struct NumbersScreenTests {
    let clock = ManualClock(Timestamp(year: 2026, month: 12, day: 2, hour: 9))

    func app(width: Int = 160, height: Int = 45) -> (DashboardApp, EventLogger, NumbersMonitor) {
        let logger = EventLogger(plan: .contract, clock: clock)
        let numbers = NumbersMonitor(logger: logger)
        var options = DashboardApp.Options()
        options.numbers = numbers
        let backend = FakeBackend(width: width, height: height, glyphs: .unicode, script: [])
        return (DashboardApp(backend: backend, logger: logger, simulator: nil, options: options), logger, numbers)
    }

    func blocks(_ logger: EventLogger, latencies: [Int]) {
        for ms in latencies {
            logger.log("ai_block_used", ["user_id": "u1", "chapter_id": 2, "section_id": "intro", "block_type": "text",
                                         "latency_ms": .int(Int64(ms))], source: .http)
        }
    }

    @Test func percentKeyShowsEachTypesFieldsWithTheirPercentiles() {
        let (app, logger, numbers) = app()
        blocks(logger, latencies: Array(1...100).map { $0 * 10 })
        numbers.catchUp()
        app.dispatch(.key(.char("%")))
        app.drawFrame()
        let lines = render(app.state).lines
        let text = lines.joined(separator: "\n")
        #expect(text.contains("Numbers: percentiles of payload fields"))
        #expect(text.contains("last minute") && text.contains("session"))
        let row = lines.first { $0.contains("latency_ms") } ?? ""
        // 100 values 10..1000: p50 500, p95 950, p99 990, max 1,000, within HdrHistogram's 1%.
        let cells = row.split(separator: " ").map(String.init)
        #expect(cells.contains("ai_block_used") && cells.contains("100") && cells.contains("1,000"), "\(row)")
        let p50 = Double(cells[cells.firstIndex(of: "100")! + 1].replacingOccurrences(of: ",", with: ""))!
        #expect(abs(p50 - 500) <= 5, "\(row)")
        #expect(lines.first { $0.contains("chapter_id") }?.contains(" 2 ") == true, "a whole-number field reads whole")
        #expect(lines.last?.contains("q/esc back") == true)
        app.dispatch(.key(.char("q")))
        #expect(app.state.mode == .normal)
    }

    @Test func withNoNumbersTheViewSaysWhatItCounts() {
        let (app, logger, numbers) = app()
        logger.log("chapter_visit", ["user_id": "u1", "chapter_id": "intro"], source: .http)
        numbers.catchUp()
        app.dispatch(.key(.char("%")))
        app.drawFrame()
        #expect(render(app.state).lines.joined().contains("No numeric payload fields yet"))
    }

    @Test func theCountersChartHoldsTenMinutesTheLoggerNoLongerDoes() {
        let (app, logger, _) = app()
        // Busy for a minute, then quiet for seven: the logger's 120 s history has forgotten the busy minute.
        for _ in 0..<60 {
            blocks(logger, latencies: Array(repeating: 100, count: 20))
            clock.advance(milliseconds: 1000)
            app.drawFrame()
        }
        for _ in 0..<420 {
            clock.advance(milliseconds: 1000)
            app.drawFrame()
        }
        let sums = app.state.rateHistory.sums(step: 10)
        #expect(sums.count == 60)
        #expect(sums.reduce(0, +) == 1_200, "every event of the busy minute is still in the ten minutes")
        #expect(sums.suffix(42).allSatisfy { $0 == 0 })
        let lines = render(app.state).lines
        #expect(lines.contains { $0.contains("events/s, last 10 min, peak 20.0/s") }, "\(lines.joined(separator: "\n"))")
        #expect(lines.contains { $0.contains("-10 min") && $0.contains("now") })
        // Eight more minutes: the busy minute leaves the chart too.
        for _ in 0..<480 {
            clock.advance(milliseconds: 1000)
            app.drawFrame()
        }
        #expect(app.state.rateHistory.sums(step: 10).reduce(0, +) == 0)
    }

    @Test func secondsNobodyWatchedCountAsNone() {
        var history = RateHistory()
        let logger = EventLogger(plan: .contract, clock: clock)
        blocks(logger, latencies: [1, 2, 3])
        clock.advance(milliseconds: 1000)
        history.adopt(logger.snapshot())
        #expect(history.sums(step: 600) == [3])
        // Five minutes unwatched (a suspended laptop), then a snapshot: the gap is empty, the old second kept.
        clock.advance(milliseconds: 300_000)
        blocks(logger, latencies: [4])
        clock.advance(milliseconds: 1000)
        history.adopt(logger.snapshot())
        #expect(history.sums(step: 600) == [3 + 1])
        #expect(history.sums(step: 10)[29] == 3 && history.sums(step: 10)[59] == 1, "each where it happened")
        // A clock that goes back starts the history over.
        let back = ManualClock(Timestamp(year: 2026, month: 12, day: 1))
        history.adopt(EventLogger(plan: .contract, clock: back).snapshot())
        #expect(history.sums(step: 600) == [0])
    }

    @Test func aPaneFullOfTypesHasNoRoomAndDrawsNoChart() {
        var plan = TrackingPlan.contract
        plan.acceptUnplanned = true
        let logger = EventLogger(plan: plan, clock: clock)
        let app = DashboardApp(backend: FakeBackend(width: 80, height: 24, glyphs: .unicode, script: []), logger: logger, simulator: nil)
        for i in 0..<5 { logger.log("type_\(i)", [:], source: .http) }
        clock.advance(milliseconds: 1000)
        app.drawFrame()
        let lines = render(app.state).lines
        #expect(lines.contains { $0.contains("type_4") } && !lines.contains { $0.contains("last 10 min") })
        // Zoomed, the same pane has the room.
        app.dispatch(.key(.char("2")))
        app.dispatch(.key(.char("z")))
        #expect(render(app.state).lines.contains { $0.contains("events/s, last 10 min") })
    }
}
