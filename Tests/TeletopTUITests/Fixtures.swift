import Foundation
import TeletopCore
@testable import TeletopTUI

/// Fixed data on a fixed clock: 30 s of simulated traffic at 20/s, one hostile
/// event that tries to clear and recolour the screen, one with wide characters,
/// and one rejection.
struct Fixture {
    let clock = ManualClock(Timestamp(year: 2025, month: 1, day: 27, hour: 9))
    let logger: EventLogger
    let simulator: Simulator
    let source: FeedSource

    init(ringCapacity: Int = 500) {
        logger = EventLogger(configuration: .init(ringCapacity: ringCapacity), clock: clock)
        simulator = Simulator(logger: logger, seed: 7, rate: 20)
        for _ in 0..<600 {
            simulator.advance(elapsed: 0.05)
            clock.advance(milliseconds: 50)
        }
        logger.log("error_event", ["error_type": "provider_timeout", "error_message": "\u{1b}[2J\u{1b}[31mRED\u{7}\nline2"], source: .http)
        clock.advance(milliseconds: 10)
        logger.log("ai_block_used", ["user_id": "用户_😀", "chapter_id": 3, "section_id": "感知", "block_type": "ask-question",
                                     "query": "什么是物理人工智能？"], source: .form)
        clock.advance(milliseconds: 10)
        logger.log("ai_block_used", ["user_id": "user_1", "chapter_id": "one"], source: .form)
        source = FeedSource(logger: logger)
    }

    func state(width: Int, height: Int, glyphs: Glyphs = .unicode) -> DashboardState {
        var s = DashboardState(width: width, height: height, snapshot: logger.snapshot(), glyphs: glyphs, logPath: "/tmp/teletop.log")
        s.simulator = simulator.status
        s.sources = [SourceStatus(name: "SIM", state: "on 20/s", active: true)]
        s.frame = FrameStats(frameMillis: 1.2, lagMillis: 3.0, framesDrawn: 10)
        refresh(&s)
        return s
    }

    /// What the app does before each frame.
    func refresh(_ s: inout DashboardState) {
        s.snapshot = logger.snapshot()
        s.adopt(source.page(for: s.feedQuery))
    }
}

/// Compares rendered lines with a file under Golden/. TELETOP_UPDATE_GOLDEN=1 rewrites the files.
func goldenMismatch(_ name: String, _ grid: CellGrid, file: String = #filePath) -> String? {
    let dir = URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent("Golden")
    let url = dir.appendingPathComponent(name + ".txt")
    let actual = grid.lines.joined(separator: "\n") + "\n"
    if ProcessInfo.processInfo.environment["TELETOP_UPDATE_GOLDEN"] == "1" {
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try? actual.write(to: url, atomically: true, encoding: .utf8)
        return nil
    }
    guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
        return "missing golden file \(url.path); run with TELETOP_UPDATE_GOLDEN=1 and review it"
    }
    if expected == actual { return nil }
    let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
    let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
    for i in 0..<max(e.count, a.count) where (i < e.count ? e[i] : "") != (i < a.count ? a[i] : "") {
        return "\(name) line \(i + 1) differs:\n  expected: \(i < e.count ? e[i] : "")\n  actual:   \(i < a.count ? a[i] : "")"
    }
    return "\(name) differs"
}
