import Testing
import TeletopCore
@testable import TeletopTUI

@Suite("The flow view")
struct FlowScreenTests {
    let clock = ManualClock(Timestamp(year: 2026, month: 12, day: 2, hour: 9))

    func block(_ logger: EventLogger, source: EventSource) {
        logger.log("ai_block_used", ["user_id": "u1", "chapter_id": 2, "section_id": "intro", "block_type": "text"], source: source)
    }

    @Test func eachSourceValidationTheLoggerAndEachConsumerWithTheirRates() {
        let logger = EventLogger(plan: .contract, clock: clock)
        // A consumer that never reads, with room for 5: it drops.
        let stuck = logger.subscribe(name: "http stream", capacity: 5)
        for _ in 0..<10 {
            for _ in 0..<3 { block(logger, source: .sim) }
            block(logger, source: .http)
            logger.log("ai_block_used", ["user_id": "u1"], source: .http)  // missing fields: rejected
            clock.advance(milliseconds: 1000)
        }
        let snap = logger.snapshot()
        #expect(snap.sources.map(\.source) == [.sim, .http])
        #expect(snap.sources.map(\.accepted) == [30, 10] && snap.sources.map(\.rejected) == [0, 10])
        #expect(snap.sources[0].acceptedRate == 3 && snap.sources[1].rejectedRate == 1)

        let app = DashboardApp(backend: FakeBackend(width: 160, height: 45, glyphs: .unicode, script: []), logger: logger, simulator: nil)
        app.drawFrame()
        app.dispatch(.key(.char("p")))
        app.drawFrame()
        let grid = render(app.state)
        let text = grid.lines.joined(separator: "\n")
        #expect(text.contains("Flow: the pipeline as it runs"))
        #expect(text.contains("3.0/s in, 30 in all"), "the simulator's box")
        #expect(text.contains("1.0/s refused, 10"), "HTTP's box says what was refused")
        #expect(text.contains("accepted 4.0/s") && text.contains("rejected 1.0/s, 10 in all") && text.contains("missing: 10"))
        #expect(text.contains("ring 40 of"))
        #expect(text.contains("┌─ http stream") && text.contains("drops 35"))
        // The arrows carry the rates: 3/s from sim, 2/s offered by http, 4/s into the logger and out to each consumer.
        #expect(text.contains("3.0/s") && text.contains("2.0/s") && text.contains("4.0/s"))
        // Trouble is red: the refusing source, validation, the dropping consumer.
        let httpTitle = grid.lines.firstIndex { $0.contains("┌─ http ─") }!
        let x = grid.lines[httpTitle].distance(from: grid.lines[httpTitle].startIndex, to: grid.lines[httpTitle].range(of: "http")!.lowerBound)
        #expect(grid[x, httpTitle].style.role == .unhealthy)
        app.dispatch(.key(.char("q")))
        #expect(app.state.mode == .normal)
        withExtendedLifetime(stuck) {}
    }

    @Test func theSimulatorKeysWorkInTheFlowViewForADemo() {
        let logger = EventLogger(plan: .contract, clock: clock)
        let app = DashboardApp(backend: FakeBackend(width: 160, height: 45, glyphs: .unicode, script: []), logger: logger, simulator: nil)
        app.dispatch(.key(.char("p")))
        #expect(app.dispatch(.key(.char("b"))) == [.burst])
        #expect(app.dispatch(.key(.char("e"))) == [.toggleErrorStorm])
        #expect(app.state.mode == .flow)
    }
}
