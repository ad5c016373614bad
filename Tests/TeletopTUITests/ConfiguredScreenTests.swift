import Testing
import TeletopCore
@testable import TeletopTUI

@Suite("What the config file changes on screen")
struct ConfiguredScreenTests {
    @Test func feedColumnsLineUpAndATypeHasTheColourGiven() {
        let clock = ManualClock(Timestamp(year: 2026, month: 12, day: 2, hour: 9))
        let logger = EventLogger(plan: .contract, clock: clock)
        for (user, ms) in [("u1", 80), ("user_1234", 12_500)] {
            logger.log("ai_block_used", ["user_id": .string(user), "chapter_id": 2, "section_id": "intro", "block_type": "text",
                                         "latency_ms": .int(Int64(ms))], source: .http)
        }
        logger.log("error_event", ["error_type": "timeout", "error_message": "slow"], source: .http)
        var options = DashboardApp.Options()
        options.feedColumns = ["user_id", "latency_ms"]
        options.typeColors = ["error_event": .yellow]
        let app = DashboardApp(backend: FakeBackend(width: 160, height: 45, glyphs: .unicode, script: []), logger: logger, simulator: nil,
                               options: options)
        app.drawFrame()
        let grid = render(app.state)
        let rows = grid.lines.filter { $0.contains(" http ") }
        #expect(rows.count == 3)
        // Each column starts at the same place on every row; a missing field is "-"; other fields are not shown.
        let starts = rows.map { $0.range(of: "u1") ?? $0.range(of: "user_1234") ?? $0.range(of: "- ")! }.map { r in rows[0].distance(from: rows[0].startIndex, to: r.lowerBound) }
        #expect(Set(starts).count == 1, "\(rows)")
        #expect(rows[0].contains("u1        80") && rows[1].contains("user_1234 12500"), "\(rows)")
        #expect(rows[2].contains("-         -") && !rows[2].contains("timeout"))
        #expect(!rows[0].contains("chapter_id="))
        // The column names on the feed's top border.
        #expect(grid.lines[1].contains("user_id") && grid.lines[1].contains("latency_ms"))
        let y = grid.lines.firstIndex { $0.contains("error_event") && $0.contains(" http ") }!
        let x = grid.lines[y].distance(from: grid.lines[y].startIndex, to: grid.lines[y].range(of: "error_event")!.lowerBound)
        #expect(grid[x, y].style.role == .yellow)
    }
}
