import TeletopCore

/// Overlays drawn over the dashboard: help and the event detail.
enum PopupWidgets {
    static func helpLines(_ state: DashboardState) -> [String] {
        var lines = [
            "Keys",
            "  q, Ctrl-C       quit (the terminal is restored)",
            "  ?, F1           this help; Esc closes it",
            "  Space           pause the feed; counters keep counting; again resumes at the tail",
            "  j/k, Down/Up    move in the feed (moving up stops following)",
            "  PgDn/PgUp       a page down/up",
            "  g/Home, G/End   oldest retained event / follow the tail again",
            "  Enter           the selected event as JSON; Esc closes",
            "  /               filter the feed by text as you type; Enter keeps it, Esc clears it",
            "  t               cycle a filter by event type",
            "  Esc             clear the filters",
            "  Tab, Shift-Tab  move focus between panes; 1 2 3 jump to a pane",
            "  o               sort the counters (type, total, rate, share, rejected)",
            "  a               analytics from the store: top chapters, sections, block types, error types,",
            "                  busiest users, events per minute; w changes the window (5m 1h 24h 7d all)",
            "  Ctrl-L          redraw the whole screen",
            "",
            "Firing events",
            "  n               new event form (a kept draft comes back); recent events can be re-opened",
            "  r               re-fire the last event fired from the form",
            "  in the form     Tab/Shift-Tab fields, Enter submits, Ctrl-R raw JSON, F2 curl command,",
            "                  Left/Right/Home/End, Backspace/Delete, Ctrl-U, Ctrl-W; Esc keeps a draft",
        ]
        if state.simulator != nil {
            lines += [
                "",
                "Simulator",
                "  s               start or stop it",
                "  + / -           faster / slower (1, 2, 5, 10, 20, 50, ... events/s)",
                "  b               burst: ten times the rate for three seconds",
                "  e               error storm on/off: 35% error_event (health goes degraded)",
            ]
        }
        lines += [
            "",
            "Panes",
            "  Feed       time, event type, source, payload as key=value in arrival order",
            "  Counters   total, rate in the last second, share of the last 60 s, rejected, 60 s sparkline",
            "  Health     the contract's health status with its reasons and signals",
            "",
            "Control characters in events are shown escaped (\\x1b); they never reach the terminal.",
            "Log file: " + (state.logPath.isEmpty ? "(none)" : state.logPath),
        ]
        return lines
    }

    static func drawHelp(_ state: DashboardState, scroll: Int, into grid: inout CellGrid) {
        let lines = helpLines(state)
        let width = min(grid.width - 4, max(60, lines.map { DisplayWidth.of($0) }.max()! + 4))
        let height = min(grid.height - 2, lines.count + 2)
        let rect = Rect(x: (grid.width - width) / 2, y: (grid.height - height) / 2, width: width, height: height)
        let maxScroll = max(0, lines.count - (height - 2))
        let s = min(scroll, maxScroll)
        drawPopup(rect, title: "Help", note: maxScroll > 0 ? "j/k scroll" : "Esc closes", lines: Array(lines.dropFirst(s)), state: state, into: &grid)
    }

    static func detailLines(_ event: LoggedEvent) -> [String] {
        var lines = ["sequence \(event.sequence)   source \(event.source)" + (event.unplanned ? "   unplanned type" : ""), ""]
        lines += JSONWriter.pretty(event.analyticsEvent.jsonValue).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        return lines
    }

    static func drawDetail(_ state: DashboardState, event: LoggedEvent, scroll: Int, into grid: inout CellGrid) {
        let lines = detailLines(event)
        let width = min(grid.width - 4, max(50, min(110, (lines.map { DisplayWidth.of($0) }.max() ?? 0) + 4)))
        let height = min(grid.height - 2, lines.count + 2)
        let rect = Rect(x: (grid.width - width) / 2, y: (grid.height - height) / 2, width: width, height: height)
        let maxScroll = max(0, lines.count - (height - 2))
        let s = min(scroll, maxScroll)
        let note = maxScroll > 0 ? "\(s + 1)-\(s + height - 2) of \(lines.count)" : "Esc closes"
        drawPopup(rect, title: "Event \(event.eventType)", note: note, lines: Array(lines.dropFirst(s)), state: state, into: &grid)
    }

    static func drawPopup(_ rect: Rect, title: String, note: String, lines: [String], state: DashboardState, into grid: inout CellGrid) {
        grid.fill(rect)
        grid.box(rect, title: title, note: note, focused: true, glyphs: state.glyphs)
        let inner = rect.inner
        for (i, line) in lines.prefix(inner.height).enumerated() {
            let style: Style = line.hasPrefix("  ") || line.isEmpty || line.hasPrefix("{") || line.hasPrefix("}") ? .plain : .title
            grid.put(line, x: inner.x + 1, y: inner.y + i, maxWidth: inner.width - 2, style: style, asciiOnly: state.glyphs.asciiOnly)
        }
    }

    static func drawTooSmall(_ state: DashboardState, into grid: inout CellGrid) {
        let lines = [
            "teletop needs at least \(DashboardLayout.minimumWidth)x\(DashboardLayout.minimumHeight);",
            "this terminal is \(state.width)x\(state.height).",
            "Enlarge the terminal to at least \(DashboardLayout.minimumWidth)x\(DashboardLayout.minimumHeight)  (q quits)",
        ]
        let top = max(0, (grid.height - lines.count) / 2)
        for (i, line) in lines.enumerated() {
            let w = DisplayWidth.of(line)
            grid.put(line, x: max(0, (grid.width - w) / 2), y: top + i, style: i == 2 ? Style(.degraded, bold: true) : .plain,
                     asciiOnly: state.glyphs.asciiOnly)
        }
    }
}

/// The whole screen as a pure function of state.
public func render(_ state: DashboardState) -> CellGrid {
    var grid = CellGrid(width: state.width, height: state.height)
    if state.isTooSmall {
        PopupWidgets.drawTooSmall(state, into: &grid)
        return grid
    }
    let layout = state.layout
    HeaderWidget.draw(state, into: &grid, at: layout.header)
    FeedWidget.draw(state, into: &grid, at: layout.feed)
    CountersWidget.draw(state, into: &grid, at: layout.counters)
    HealthWidget.draw(state, into: &grid, at: layout.health)
    FooterWidget.draw(state, into: &grid, at: layout.footer)
    switch state.mode {
    case .help(let scroll): PopupWidgets.drawHelp(state, scroll: scroll, into: &grid)
    case .detail(let event, let scroll): PopupWidgets.drawDetail(state, event: event, scroll: scroll, into: &grid)
    case .form: FormWidget.draw(state, into: &grid)
    case .analytics: AnalyticsWidget.draw(state, into: &grid)
    case .normal, .filtering: break
    }
    return grid
}
