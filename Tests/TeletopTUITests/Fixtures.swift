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

    /// The real app on a fake terminal of this size, with this fixture's data
    /// and fixed frame figures, so screens are the same on every run.
    func session(width: Int, height: Int, glyphs: Glyphs = .unicode) -> Session {
        let session = Session(fixture: self, width: width, height: height, glyphs: glyphs)
        session.refresh()
        session.send(.frameMeasured(FrameStats(frameMillis: 1.2, lagMillis: 3.0)))
        return session
    }
}

/// Drives a real `DashboardApp` one message at a time, without its loop:
/// each message goes through `update`, and the app itself carries out the
/// effects (a feed page, a fired event), as it does when running.
final class Session {
    let fixture: Fixture
    let app: DashboardApp
    var sources = [SourceStatus(name: "SIM", state: "on 20/s", active: true)]

    init(fixture: Fixture, width: Int, height: Int, glyphs: Glyphs) {
        self.fixture = fixture
        var options = DashboardApp.Options()
        options.logPath = "/tmp/teletop.log"
        app = DashboardApp(backend: FakeBackend(width: width, height: height, glyphs: glyphs, script: []), logger: fixture.logger,
                           simulator: fixture.simulator, options: options)
    }

    var state: DashboardState { app.state }

    /// The effects `update` returned for `msg` (already carried out).
    @discardableResult
    func send(_ msg: Msg) -> [Effect] { app.dispatch(msg) }

    func type(_ text: String) {
        for c in text { send(.key(.char(c))) }
    }

    /// The counters and source lines as they are now, as the app gathers them before a frame.
    func refresh() {
        send(.refreshed(Refresh(snapshot: fixture.logger.snapshot(), simulator: fixture.simulator.status, sources: sources)))
    }

    func render() -> CellGrid { TeletopTUI.render(state) }
}

/// Compares a rendered screen with the files under Golden/: `NAME.txt` holds
/// its characters, `NAME.styles.txt` its styles (a symbol per cell and a
/// legend, as Ratatui's test buffer asserts styles), so a lost colour or
/// highlight fails as surely as a lost word. TELETOP_UPDATE_GOLDEN=1 rewrites them.
func goldenMismatch(_ name: String, _ grid: CellGrid, file: String = #filePath) -> String? {
    let dir = URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent("Golden")
    let files = [(name, grid.lines.joined(separator: "\n") + "\n"), (name + ".styles", styleMap(grid))]
    if ProcessInfo.processInfo.environment["TELETOP_UPDATE_GOLDEN"] == "1" {
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for (file, actual) in files { try? actual.write(to: dir.appendingPathComponent(file + ".txt"), atomically: true, encoding: .utf8) }
        return nil
    }
    for (file, actual) in files {
        let url = dir.appendingPathComponent(file + ".txt")
        guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
            return "missing golden file \(url.path); run with TELETOP_UPDATE_GOLDEN=1 and review it"
        }
        if expected == actual { continue }
        let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
        for i in 0..<max(e.count, a.count) where (i < e.count ? e[i] : "") != (i < a.count ? a[i] : "") {
            return "\(file) line \(i + 1) differs:\n  expected: \(i < e.count ? e[i] : "")\n  actual:   \(i < a.count ? a[i] : "")"
        }
        return "\(file) differs"
    }
    return nil
}

/// One symbol per cell (`.` is plain text), symbols given in order of first
/// appearance, and a legend that names each one's role and attributes.
func styleMap(_ grid: CellGrid) -> String {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
    var symbols: [Style: Character] = [.plain: "."]
    var order: [Style] = []
    var rows: [String] = []
    for y in 0..<grid.height {
        var row = ""
        for x in 0..<grid.width {
            let style = grid[x, y].style
            if symbols[style] == nil {
                symbols[style] = order.count < alphabet.count ? alphabet[order.count] : "?"
                order.append(style)
            }
            row.append(symbols[style]!)
        }
        rows.append(row)
    }
    let legend = order.map { style in
        var words = ["\(symbols[style]!) = \(style.role)"]
        if style.bold { words.append("bold") }
        if style.reverse { words.append("reverse") }
        if style.underline { words.append("underline") }
        if style.dim { words.append("dim") }
        return words.joined(separator: " ")
    }
    return (legend + [""] + rows).joined(separator: "\n") + "\n"
}
