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

    /// The status word is never squeezed out of an 80-column header (it was, by one column, with the whole HTTP address).
    @Test func theHeaderKeepsTheStatusAt80Columns() {
        let s = fixture.session(width: 80, height: 24)
        s.sources = [SourceStatus(name: "HTTP", state: "127.0.0.1:34431", active: true, short: ":34431")]
        s.refresh()
        let header = s.render().lines[0]
        #expect(header.contains("HEALTHY") && header.contains("HTTP "), "\(header)")
        s.send(.key(.char("z")))
        #expect(s.render().lines.last!.contains("z unzoom"), "the way back from a zoom fits at 80 columns")
    }

    /// A raw JSON error goes with the next edit too (it is checked again on leaving the field and on submitting).
    @Test func anEditClearsARawJSONError() {
        let s = fixture.session(width: 160, height: 45)
        s.send(.key(.char("n")))
        for _ in 0..<s.state.plan.eventTypes.count { s.send(.key(.down)) }
        s.send(.key(.enter))
        s.type("page_view"); s.send(.key(.tab)); s.send(.key(.ctrl("u"))); s.type(#"{"a":"#)
        s.send(.key(.enter))
        #expect(s.state.form?.rawError?.hasPrefix("payload: invalid JSON") == true)
        s.type("1}")
        #expect(s.state.form?.rawError == nil)
    }

    /// Point 4's second half: a long message wraps inside the form at 80 columns, whole.
    @Test func longFormMessagesWrap() {
        let s = fixture.session(width: 80, height: 24)
        s.send(.key(.char("n")))
        for _ in 0..<s.state.plan.eventTypes.count { s.send(.key(.down)) }
        s.send(.key(.enter))
        s.type("a_type_with_a_rather_long_name"); s.send(.key(.tab)); s.send(.key(.ctrl("u"))); s.type(#"{"a": 1}"#)
        s.send(.key(.enter))
        let message = s.state.form!.generalErrors[0]
        #expect(DisplayWidth.of(message) > 76, "long enough to need wrapping: \(message)")
        let screen = s.render().lines.joined(separator: " ")
        let words = screen.split(separator: " ").map(String.init)
        for word in message.split(separator: " ") { #expect(words.contains(String(word)), "\(word) was cut") }
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

    /// Point 6: the feed has the width; counters and health go under it below 200 columns; z zooms the focused pane.
    @Test func theFeedGetsTheRoomAndZZooms() {
        let s = fixture.session(width: 160, height: 45)
        #expect(s.state.layout.feed.width == 160 && s.state.layout.counters.y >= s.state.layout.feed.maxY)
        let aiLines = s.render().lines.filter { $0.contains(" ai_block_used ") && $0.contains("section_id=") }
        #expect(!aiLines.isEmpty && aiLines.allSatisfy { $0.contains("block_type=") }, "block_type of ai_block_used is visible at 160x45")
        let wide = DashboardLayout(width: 250, height: 45)
        #expect(wide.feed.width == 178 && wide.counters.x == 178, "from 200 columns on they sit to the right")
        s.send(.key(.char("z")))
        #expect(s.state.layout.feed == Rect(x: 0, y: 1, width: 160, height: 43))
        let zoomed = s.render().lines
        #expect(!zoomed.joined().contains("2 Counters") && zoomed.last!.contains("z unzoom"))
        #expect(s.state.feed.events.count >= 41, "the zoomed feed loads a page for its taller pane")
        s.send(.key(.char("2")))
        #expect(s.render().lines[1].contains("2 Counters") && s.state.layout.counters.width == 160, "the zoom follows the focus")
        s.send(.key(.char("z")))
        #expect(s.state.layout.feed.width == 160 && s.state.layout.counters.width > 0)
    }

    /// Point 8: with Counters focused, j/k choose a type and Enter filters the feed to it.
    @Test func countersDrillDownIntoTheFeed() {
        let s = fixture.session(width: 160, height: 45)
        s.send(.key(.char("2")))
        s.send(.key(.char("j")))
        #expect(s.state.counterSelection == "ai_block_used")
        s.send(.key(.char("j")))
        #expect(s.state.counterSelection == "chapter_visit")
        let grid = s.render()
        let row = (0..<45).first { grid.lines[$0].contains("│chapter_visit") && $0 < s.state.layout.counters.maxY }!
        #expect(grid[s.state.layout.counters.x + 1, row].style == .selected, "the selected row is shown")
        s.send(.key(.enter))
        #expect(s.state.typeFilter == "chapter_visit" && s.state.focus == .feed && s.state.mode == .normal)
        #expect(!s.state.feed.events.isEmpty && s.state.feed.events.allSatisfy { $0.eventType == "chapter_visit" })
    }

    /// Point 7: what the filter matched is highlighted in each line; n/N jump between matches.
    @Test func matchesAreHighlightedAndNJumps() {
        let s = fixture.session(width: 160, height: 45)
        s.send(.key(.char("/")))
        s.type("USER_10")
        s.send(.key(.enter))
        let grid = s.render()
        let feed = s.state.layout.feed
        let highlighted = (feed.y + 1..<feed.maxY - 1).filter { y in (feed.x..<feed.maxX).contains { grid[$0, y].style == Style(.accent, bold: true, reverse: true) } }
        #expect(!highlighted.isEmpty && highlighted.count == min(s.state.feed.events.count, s.state.layout.feedRows))
        let y = highlighted[0]
        let line = grid.lines[y]
        let start = line.range(of: "user_10")!.lowerBound
        let x = DisplayWidth.of(String(line[..<start]))
        #expect((x..<x + 7).allSatisfy { grid[$0, y].style.reverse } && !grid[x - 1, y].style.reverse, "exactly the match: \(line)")
        // n from the tail wraps to the oldest match, then steps to newer ones; N goes back.
        #expect(s.state.keyContext == .mainFiltered)
        s.send(.key(.char("n")))
        let oldest = s.state.feed.events.first!.sequence
        #expect(s.state.selected == oldest && s.state.mode == .normal, "n does not open the form while a filter is set")
        s.send(.key(.char("n")))
        #expect(s.state.selected! > oldest)
        s.send(.key(.char("N")))
        #expect(s.state.selected == oldest)
        s.send(.key(.char("f")))
        #expect(s.state.mode == .form, "f opens the form whatever the filter")
    }

    /// Point 5: the feed scrolls sideways; a line cut at the edge ends in "…"; the detail popup wraps long values.
    @Test func longValuesCanBeRead() {
        let query = (0..<200).map { "word\($0)" }.joined(separator: " ")
        fixture.logger.log("ai_block_used", ["user_id": "u", "chapter_id": 1, "section_id": "s", "block_type": "b", "query": .string(query)], source: .http)
        let s = fixture.session(width: 160, height: 45)
        let feed = s.state.layout.feed
        let line = s.render().lines.first { $0.contains("word0 ") }!
        let inFeed = String(line.prefix(feed.width))
        #expect(inFeed.hasSuffix("…│"), "\(inFeed)")
        s.send(.key(.right)); s.send(.key(.right))
        let scrolled = s.render().lines
        #expect(scrolled[1].contains("→32"))
        #expect(!scrolled.joined().contains("user_id=u "), "the start of the payload scrolled out")
        s.send(.key(.left)); s.send(.key(.left))
        #expect(s.state.feedScroll == 0)
        s.send(.key(.enter))
        let popup = s.render().lines.joined(separator: "\n")
        #expect(popup.contains("word0") && popup.contains("word199"), "the popup wraps the whole value")
    }

    /// Point 5: any value cut to its column ends in "…": a long unplanned type in the feed and the counters.
    @Test func aCutTypeNameEndsInAnEllipsis() {
        var plan = TrackingPlan.contract
        plan.acceptUnplanned = true
        let logger = EventLogger(plan: plan, clock: ManualClock())
        logger.log("a_very_long_unplanned_event_type_name", ["k": "v"], source: .http)
        var state = DashboardState(width: 160, height: 45, snapshot: logger.snapshot())
        _ = update(&state, .feedLoaded(FeedSource(logger: logger).page(for: state.feedQuery)))
        let lines = render(state).lines
        let feedLine = lines.first { $0.contains("a_very_long") && $0.contains("k=v") }
        #expect(feedLine?.contains("a_very_long_unp… http") == true, "\(feedLine ?? "")")
        #expect(lines.contains { $0.contains("│a_very_long_unp… ") }, "the counters row")
    }

    /// Point 10: y copies the selected event's JSON to the clipboard and the log.
    @Test func yCopiesTheEventsJSON() {
        let s = fixture.session(width: 160, height: 45)
        let effects = s.send(.key(.char("y")))
        let newest = fixture.logger.recentEvents(limit: 1)[0]
        #expect(effects == [.copy(text: JSONWriter.compact(newest.analyticsEvent.jsonValue), what: "event #\(newest.sequence)")])
        #expect(s.state.notice?.contains("copied event #\(newest.sequence)") == true)
        #expect(Base64.encode(Array("hello".utf8)) == "aGVsbG8=" && Base64.encode(Array("hi!".utf8)) == "aGkh" && Base64.encode([]) == "")
    }

    /// Point 10: F2's curl command is one unbroken row outside the form's box; Ctrl-Y copies it.
    @Test func theCurlLineCanBeCopied() {
        let s = fixture.session(width: 80, height: 24)
        s.send(.key(.char("n")))
        s.send(.key(.enter))
        s.type("user_1")
        s.send(.key(.f2))
        let curl = s.state.form!.curl(baseURL: s.state.apiBaseURL, now: s.state.snapshot.takenAt)!
        let lines = s.render().lines
        let row = lines.firstIndex { $0.hasPrefix("curl -sS -X POST") }
        #expect(row != nil, "the command starts at column 0, with no border before it")
        #expect(lines[row!].hasSuffix("…") && !lines[row!].contains("│"), "\(lines[row!])")
        s.send(.key(.shiftRight))
        #expect(s.render().lines[row!].hasPrefix(String(curl.dropFirst(16).prefix(20))))
        #expect(s.send(.key(.ctrl("y"))) == [.copy(text: curl, what: "the curl command")])
        #expect(s.state.form?.fields[0].editor.text == "user_1", "Ctrl-Y is not typed into the field")
    }

    /// Point 11: a click focuses a pane and selects the line under it; the wheel scrolls.
    @Test func theMouseFocusesSelectsAndScrolls() {
        let s = fixture.session(width: 160, height: 45)
        let feed = s.state.layout.feed
        let clickedRow = 5
        let expected = s.state.visibleFeed.events.dropFirst(clickedRow).first!.sequence
        s.send(.mouse(MouseEvent(.press, x: feed.x + 20, y: feed.y + 1 + clickedRow)))
        #expect(s.state.focus == .feed && !s.state.follow && s.state.selected == expected)
        s.send(.mouse(MouseEvent(.wheelDown, x: feed.x + 20, y: feed.y + 3)))
        #expect(s.state.selected == expected + 3)
        s.send(.mouse(MouseEvent(.wheelUp, x: feed.x + 20, y: feed.y + 3)))
        #expect(s.state.selected == expected)
        let counters = s.state.layout.counters
        s.send(.mouse(MouseEvent(.press, x: counters.x + 3, y: counters.y + 3)))
        #expect(s.state.focus == .counters && s.state.counterSelection == "chapter_visit", "the second type row")
        let health = s.state.layout.health
        s.send(.mouse(MouseEvent(.wheelDown, x: health.x + 3, y: health.y + 3)))
        #expect(s.state.focus == .health && s.state.healthScroll == 3)
        s.send(.key(.char("?")))
        s.send(.mouse(MouseEvent(.wheelDown, x: 80, y: 20)))
        #expect(s.state.mode == .help(scroll: 1), "the wheel scrolls an open popup")
    }
}
