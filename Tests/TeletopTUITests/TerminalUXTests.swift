import Testing
import TeletopCore
@testable import TeletopTUI

/// Issue 17's points about what the screen says, on the rendered grid.
@Suite("The terminal a daily user expects")
struct TerminalUXTests {
    let fixture = Fixture()

    /// The chapter_visit form starts its timestamp at the current time, and `now` is accepted.
    @Test func timestampFieldsStartAtNowAndAcceptNow() {
        let s = fixture.session(width: 160, height: 45)
        s.send(.key(.char("n")))
        let index = s.state.plan.eventTypes.firstIndex { $0.name == "chapter_visit" }!
        for _ in 0..<index { s.send(.key(.down)) }
        s.send(.key(.enter))
        let now = s.state.snapshot.takenAt.iso8601
        #expect(s.state.form?.fields.first { $0.spec.name == "timestamp" }?.editor.text == now)
        s.type("u1"); s.send(.key(.tab)); s.type("2"); s.send(.key(.tab))
        s.send(.key(.ctrl("u"))); s.type("now")
        let effects = s.send(.key(.enter))
        #expect(effects == [.fire(eventType: "chapter_visit", payload: ["user_id": "u1", "chapter_id": 2, "timestamp": .string(now)])])
        guard case .accepted? = s.state.form?.result else { Issue.record("now was not accepted: \(String(describing: s.state.form?.result))"); return }
    }

    /// A rejected custom type, then a JSON error: only the new error is shown.
    @Test func anEditClearsTheLastResultsErrors() {
        let s = fixture.session(width: 160, height: 45)
        s.send(.key(.char("n")))
        for _ in 0..<s.state.plan.eventTypes.count { s.send(.key(.down)) }
        s.send(.key(.enter))
        s.type("page_view"); s.send(.key(.tab)); s.send(.key(.ctrl("u"))); s.type(#"{"a": 1}"#)
        s.send(.key(.enter))
        #expect(s.state.form?.generalErrors.first?.contains("not a planned event type") == true)
        s.send(.key(.backspace))  // {"a": 1  : no longer JSON
        s.send(.key(.enter))
        let screen = s.render().lines.joined(separator: "\n")
        #expect(s.state.form?.generalErrors.isEmpty == true)
        #expect(screen.contains("payload: ") && !screen.contains("not a planned event type"), "\(screen)")
    }

    /// At 80 columns the header keeps the HTTP port, the footer shows whole entries only.
    @Test func eightyColumnsKeepThePortAndWholeFooterEntries() {
        let s = fixture.session(width: 80, height: 24)
        s.sources.append(SourceStatus(name: "HTTP", state: "127.0.0.1:40517", active: true, short: ":40517"))
        s.refresh()
        let lines = s.render().lines
        #expect(lines[0].contains("HTTP :40517"), "\(lines[0])")
        #expect(lines[0].contains("events") && lines[0].contains("HEALTHY"))
        let footer = lines.last!.trimmingCharacters(in: .whitespaces)
        let shown = KeyMap.footer(s.state).map { "\($0.key) \($0.label)" }
        let last = try! #require(shown.last { footer.contains($0) })
        #expect(footer.hasSuffix(last), "the footer ends with a whole entry: \(footer)")
    }

    /// Counts read as people write them; the store is listed once in health.
    @Test func countsAndTheStoreLine() {
        fixture.logger.setComponentHealth(ComponentHealth(name: "store", status: .healthy, message: "ok"))
        let s = fixture.session(width: 160, height: 45)
        s.sources.append(SourceStatus(name: "STORE", state: "602 events, 1.0 MB", active: true))
        s.refresh()
        let screen = s.render().lines.joined(separator: "\n")
        #expect(screen.contains("602 events") && !screen.contains("602 event "))
        #expect(!screen.contains("healthy: ok"), "the STORE line says it; the component line would repeat it")
        fixture.logger.setComponentHealth(ComponentHealth(name: "store", status: .unhealthy, message: "disk full; 3 events waiting in memory"))
        s.refresh()
        #expect(s.render().lines.joined().contains("unhealthy: disk full"), "a failing store is always shown")
        #expect(Describe.count(1, "event") == "1 event" && Describe.count(1253, "event") == "1,253 events")
        #expect(Describe.count(58, "match", plural: "matches") == "58 matches")
    }

    /// The sparkline's newest second is at the counters pane's right edge, at any width.
    @Test func theSparklineEndsAtTheEdge() {
        for width in [160, 200, 250] {
            let s = fixture.session(width: width, height: 45)
            let rect = s.state.layout.counters
            let grid = s.render()
            let row = (rect.y + 2..<rect.maxY).first { y in (rect.x..<rect.maxX).contains { grid[$0, y].character == "a" } }!
            // The last inner column holds a bar (the fixture's traffic runs to the end).
            #expect(grid[rect.maxX - 2, row].character != " ", "width \(width): \(grid.lines[row])")
        }
    }
}
