import Testing
import TeletopCore
@testable import TeletopTUI

@Suite("Rendered screens (golden lines)")
struct GoldenScreenTests {
    let fixture = Fixture()

    @Test(arguments: [(160, 45), (80, 24)])
    func mainScreen(width: Int, height: Int) {
        let grid = fixture.session(width: width, height: height).render()
        #expect(goldenMismatch("main-\(width)x\(height)", grid) == nil)
    }

    @Test(arguments: [(160, 45), (80, 24)])
    func help(width: Int, height: Int) {
        let s = fixture.session(width: width, height: height)
        s.send(.key(.char("?")))
        #expect(goldenMismatch("help-\(width)x\(height)", s.render()) == nil)
    }

    @Test func aNarrowHeaderDropsSourceLinesBeforeCountsAndStatus() {
        let s = fixture.session(width: 80, height: 24)
        s.sources.append(SourceStatus(name: "HTTP", state: "127.0.0.1:40517", active: true))
        s.refresh()
        let header = s.render().lines[0]
        #expect(header.contains("events") && header.contains("/s") && header.contains("HEALTHY"))
        #expect(!header.contains("HTTP"), "the health pane still lists it")
        s.send(.resize(width: 160, height: 24))
        #expect(s.render().lines[0].contains("HTTP 127.0.0.1:40517"))
    }

    @Test(arguments: [(160, 45), (80, 24)])
    func formWithAWrongValue(width: Int, height: Int) {
        let s = fixture.session(width: width, height: height)
        s.send(.key(.char("n")))
        s.send(.key(.enter))
        for c in "用户_7" { s.send(.key(.char(c))) }
        s.send(.key(.tab))
        for c in "one" { s.send(.key(.char(c))) }
        s.send(.key(.tab))
        #expect(goldenMismatch("form-\(width)x\(height)", s.render()) == nil)
    }

    @Test(arguments: [(160, 45), (80, 24)])
    func detailPopup(width: Int, height: Int) {
        let s = fixture.session(width: width, height: height)
        s.send(.key(.up))  // one above the newest: the hostile event
        s.refresh()
        s.send(.key(.enter))
        #expect(goldenMismatch("detail-\(width)x\(height)", s.render()) == nil)
    }

    @Test func tooSmall() {
        let grid = fixture.session(width: 60, height: 20).render()
        #expect(goldenMismatch("too-small-60x20", grid) == nil)
        #expect(grid.lines.contains { $0.contains("Enlarge the terminal to at least 80x24") })
    }

    @Test func asciiGlyphsForNonUTF8Locales() {
        let grid = fixture.session(width: 160, height: 45, glyphs: .ascii).render()
        #expect(goldenMismatch("main-ascii-160x45", grid) == nil)
        #expect(grid.lines.allSatisfy { $0.unicodeScalars.allSatisfy { $0.isASCII } })
    }

    @Test func pausedFilteredAndScrolled() {
        let s = fixture.session(width: 160, height: 45)
        s.send(.key(.char(" ")))
        fixture.logger.log("error_event", ["error_type": "rate_limited", "error_message": "429"], source: .http)
        s.send(.key(.char("t")))
        s.send(.key(.char("t")))
        s.send(.key(.char("t")))
        s.refresh()
        #expect(goldenMismatch("paused-error-filter-160x45", s.render()) == nil)
    }
}

@Suite("Panes")
struct PaneTests {
    let fixture = Fixture()

    func lines(_ width: Int, _ height: Int) -> [String] {
        fixture.session(width: width, height: height).render().lines
    }

    @Test func hostilePayloadIsShownEscapedNeverSent() {
        // Wide enough that the whole line shows.
        let grid = fixture.session(width: 250, height: 45).render()
        let text = grid.lines.joined()
        #expect(!text.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F })
        #expect(text.contains(#"error_message=\x1b[2J\x1b[31mRED\x07\nline2"#))
    }

    @Test func wideCharactersAreNeverSplitAndNeverCrossBorders() {
        for width in [80, 81, 97, 120, 160] {
            let grid = fixture.session(width: width, height: 30).render()
            for line in grid.lines {
                #expect(DisplayWidth.of(line) == width, "line is \(DisplayWidth.of(line)) columns at width \(width): \(line)")
            }
        }
    }

    @Test func counterRowsShowTotalsRatesShareAndRejected() {
        let s = fixture.session(width: 160, height: 45)
        let counters = s.render().lines.map { String($0.dropFirst(s.state.layout.counters.x)) }
        let ai = counters.first { $0.hasPrefix("│ai_block_used") }
        let snap = fixture.logger.snapshot()
        let stats = snap.types.first { $0.name == "ai_block_used" }!
        #expect(ai?.contains(" \(Format.grouped(stats.accepted)) ") == true)
        #expect(ai?.contains(" 1 ") == true, "one rejected ai_block_used")
        #expect(counters.contains { $0.hasPrefix("│type ") && $0.contains("total") && $0.contains("rate/s") && $0.contains("share") && $0.contains("rej") && $0.contains("last 60 s") })
    }

    @Test func healthPaneNamesStatusSignalsAndTheLogFile() {
        // Zoomed (3, z): the whole pane at once, where 14 rows would need scrolling.
        let s = fixture.session(width: 160, height: 45)
        s.send(.key(.char("3")))
        s.send(.key(.char("z")))
        let text = s.render().lines.joined(separator: "\n")
        let status = fixture.logger.snapshot().health.status.rawValue.uppercased()
        #expect(text.contains(status))
        #expect(text.contains("events_logged 602"))
        #expect(text.contains("ingest-to-screen lag 3.0 ms"))
        #expect(text.contains("log file: /tmp/teletop.log"))
        #expect(text.contains("form payload.chapter_id: expected"), "the rejection, wrapped to the pane")
    }

    @Test func feedSaysItIsBounded() {
        #expect(lines(160, 45).contains { $0.contains("500 of 500 held, 102 evicted") })
    }
}

@Suite("Text safety and width")
struct TextTests {
    @Test func controlCharactersBecomeVisibleEscapes() {
        #expect(SafeText.clean("a\u{1b}[31mb\u{9b}c\u{202e}d\n") == #"a\x1b[31mb\u009bc\u202ed\n"#)
        #expect(SafeText.clean("plain") == "plain")
        #expect(SafeText.clean("é中", asciiOnly: true) == "??")
    }

    @Test func widths() {
        #expect(DisplayWidth.of("abc") == 3)
        #expect(DisplayWidth.of("中文") == 4)
        #expect(DisplayWidth.of("😀") == 2)
        #expect(DisplayWidth.of("e\u{301}") == 1)
        #expect(DisplayWidth.of("❤️") == 1, "U+2764 with VS16: one column, as ncurses and tmux draw it")
    }

    @Test func clippingNeverSplitsAWideCharacter() {
        var grid = CellGrid(width: 5, height: 1)
        let used = grid.put("ab中文", x: 0, y: 0)
        #expect(used == 5)
        #expect(grid.lines == ["ab中 "])
        var g2 = CellGrid(width: 4, height: 1)
        g2.put("中文字", x: 1, y: 0)
        #expect(g2.lines == [" 中 "])
    }

    @Test func wrapping() {
        #expect(Wrap.words("degraded: 12% of the last 60 s were error_event", width: 20)
            == ["degraded: 12% of the", "last 60 s were", "error_event"])
        #expect(Wrap.words("abcdefghij", width: 4) == ["abcd", "efgh", "ij"])
    }

    @Test func formats() {
        #expect(Format.grouped(1_234_567) == "1,234,567")
        #expect(Format.rate(0.01) == "0")
        #expect(Format.rate(12.34) == "12.3")
        #expect(Format.rate(98_765) == "98.8k")
        #expect(Format.rate(1_500_000) == "1.5M")
        #expect(Format.uptime(seconds: 3725) == "01:02:05")
        #expect(Format.percent(0.036) == "3.6%")
    }
}

@Suite("The analytics view")
struct AnalyticsViewTests {
    let fixture = Fixture()

    /// A report as the store would give it, with a hostile value that must not reach the terminal raw.
    static func report(window: AnalyticsWindow = .hour) -> AnalyticsReport {
        func panel(_ i: Int, _ values: [(String, Int)]) -> AnalyticsReport.Panel {
            AnalyticsReport.Panel(question: AnalyticsReport.questions[i],
                                  result: TopResult(values: values.map { TopValue(value: $0.0, count: $0.1) },
                                                    total: values.reduce(0) { $0 + $1.1 } + 3, withField: values.reduce(0) { $0 + $1.1 }))
        }
        let panels = [
            panel(0, [("1", 206), ("2", 105), ("3", 68), ("7", 44)]),
            panel(1, [(#""what-is-physical-ai""#, 75), (#""kinematics-basics""#, 34)]),
            panel(2, [(#""ask-question""#, 244), (#""interactive-quiz""#, 125)]),
            panel(3, [(#""provider_timeout""#, 3), (#""\u001b[31mred""#, 1)]),
            panel(4, [(#""user_100""#, 150), (#""user_101""#, 72)]),
        ]
        let perMinute = (0..<60).map { m in m < 40 ? 0 : (m - 40) * 10 }
        return AnalyticsReport(window: window, panels: panels, perMinute: perMinute,
                               computedAt: Timestamp(year: 2025, month: 1, day: 27), elapsedMillis: 4.2)
    }

    @Test(arguments: [(160, 45), (80, 24)])
    func analyticsScreen(width: Int, height: Int) {
        let s = fixture.session(width: width, height: height)
        #expect(s.send(.key(.char("a"))) == [.loadAnalytics])
        s.send(.analyticsLoaded(Self.report()))
        let grid = s.render()
        #expect(goldenMismatch("analytics-\(width)x\(height)", grid) == nil)
        let text = grid.lines.joined(separator: "\n")
        #expect(!text.contains("\u{1b}"), "an escape sequence from an event reached the screen")
        #expect(text.contains("\\x1b[31mred"))
        #expect(grid.lines.last?.contains("w window") == true)
    }

    /// The per-minute chart spans the view: its newest minute and "now" at the right edge, at any width.
    @Test(arguments: [160, 200, 250])
    func theChartEndsAtTheRightEdge(width: Int) {
        let s = fixture.session(width: width, height: 45)
        s.send(.key(.char("a")))
        s.send(.analyticsLoaded(Self.report()))
        let grid = s.render()
        let nowRow = grid.lines.firstIndex { $0.contains(" now │") }
        #expect(nowRow != nil, "\(grid.lines.suffix(4))")
        // The column left of the border in the chart's bottom bar row holds a bar (the newest minute is the busiest).
        #expect(grid[width - 3, nowRow! - 1].character != " ", "\(grid.lines[nowRow! - 1])")
    }

    /// Issue 16: a panel whose counts used the aggregates' "other" says so, and how many.
    @Test func anApproximatePanelSaysHowManyFellInOther() {
        let s = fixture.session(width: 160, height: 45)
        s.send(.key(.char("a")))
        var report = Self.report()
        report.panels[4].result.other = 1_234
        s.send(.analyticsLoaded(report))
        let busiest = s.render().lines.first { $0.contains("Busiest users") } ?? ""
        #expect(busiest.contains("approximate: 1,234 in other"), "\(busiest)")
        let chapters = s.render().lines.first { $0.contains("Top chapters") } ?? ""
        #expect(!chapters.contains("approximate"), "an exact panel says nothing: \(chapters)")
    }

    @Test func keysChangeTheWindowAskForDataAndLeave() {
        let s = fixture.session(width: 160, height: 45)
        #expect(s.render().lines.last?.contains("a analytics") == true, "the footer shows the key")
        s.send(.key(.char("a")))
        #expect(s.state.mode == .analytics && s.state.analyticsWindow == .hour)
        #expect(s.send(.key(.char("w"))) == [.loadAnalytics])
        #expect(s.state.analyticsWindow == .day)
        // Until the report for the new window arrives, the old one is shown as loading.
        s.send(.analyticsLoaded(Self.report(window: .hour)))
        #expect(s.render().lines[1].contains("Analytics: last 24h") && s.render().lines.contains { $0.contains("loading") })
        for _ in 0..<5 { s.send(.key(.char("w"))) }
        #expect(s.state.analyticsWindow == .hour)
        #expect(s.send(.key(.char("r"))) == [.loadAnalytics])
        s.send(.key(.escape))
        #expect(s.state.mode == .normal)
        s.send(.key(.char("a")))
        #expect(s.send(.key(.char("q"))) == [] && s.state.mode == .normal, "q closes the view; only the main view quits")
        #expect(s.send(.key(.char("q"))) == [.quit])
    }

    @Test func withoutAStoreTheViewSaysWhy() {
        let s = fixture.session(width: 160, height: 45)
        s.send(.key(.char("a")))
        s.send(.analyticsLoaded(AnalyticsReport.load(from: nil, window: .hour, now: Timestamp(year: 2025, month: 1, day: 27))))
        #expect(s.render().lines.contains { $0.contains("--in-memory") })
    }

    @Test func aFailingSourceBecomesAnErrorNotACrash() {
        struct Broken: AnalyticsSource {
            struct Failure: Error, CustomStringConvertible { var description: String { "database is locked" } }
            func top(_ query: TopQuery) throws -> TopResult { throw Failure() }
            func perMinute(minutes: Int, now: Timestamp) throws -> [Int] { throw Failure() }
            func series(_ query: SeriesQuery) throws -> [SeriesPoint] { throw Failure() }
        }
        let r = AnalyticsReport.load(from: Broken(), window: .all, now: Timestamp(year: 2025, month: 1, day: 27))
        #expect(r.error == "The store could not answer: database is locked")
        #expect(r.panels.isEmpty)
    }
}
