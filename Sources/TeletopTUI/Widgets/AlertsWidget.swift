import TeletopCore

/// The alerts view (`!`): the rules in force, then every alert fired or
/// resolved, newest first, each marked when acknowledged.
struct AlertsWidget {
    var board: AlertBoard?
    var acknowledged: Set<UInt64>
    var selected: Int
    var glyphs: Glyphs

    init(_ state: DashboardState) {
        board = state.alerts
        acknowledged = state.acknowledged
        if case .alerts(let s) = state.mode { selected = s } else { selected = 0 }
        glyphs = state.glyphs
    }

    func draw(into grid: inout CellGrid, at rect: Rect) {
        guard rect.height >= 6 else { return }
        let g = glyphs
        grid.fill(rect)
        let board = board ?? AlertBoard()
        let on = board.active.filter { !acknowledged.contains($0.id) }.count
        var note = "\(on) on, \(Describe.count(UInt64(board.history.count), "alert")) in history"
        if board.evicted > 0 { note += ", \(Describe.grouped(board.evicted)) oldest dropped" }
        grid.box(rect, title: "Alerts (Enter acknowledge, A all, q back)", note: note, focused: true, glyphs: g)
        let inner = rect.inner
        var y = inner.y
        let x = inner.x + 1, width = inner.width - 2
        if board.rules.isEmpty {
            grid.put("No alert rules: give --alert RULE (health, new type, error_event rate > 5/s for 30s).", x: x, y: y, maxWidth: width,
                     style: .muted, asciiOnly: g.asciiOnly)
            return
        }
        grid.put("Rules:", x: x, y: y, style: .title, asciiOnly: g.asciiOnly)
        var rx = x + 7
        for rule in board.rules {
            let text = SafeText.clean(rule, asciiOnly: g.asciiOnly)
            if rx + DisplayWidth.of(text) + 2 > x + width { y += 1; rx = x + 7 }
            guard y < inner.maxY else { break }
            rx += grid.put(text, x: rx, y: y, maxWidth: x + width - rx, style: Style(.accent), asciiOnly: g.asciiOnly) + 3
        }
        y += 2
        guard y < inner.maxY else { return }
        if board.history.isEmpty {
            grid.put("Nothing has fired yet. The rules are checked every second.", x: x, y: y, maxWidth: width, style: .muted, asciiOnly: g.asciiOnly)
            return
        }
        let rows = inner.maxY - y
        let newestFirst = Array(board.history.reversed())
        let window = ScrollWindow(total: newestFirst.count, visible: rows, requested: max(0, selected - rows + 1))
        let activeIDs = Set(board.active.map(\.id))
        for (i, alert) in newestFirst.enumerated().dropFirst(window.offset).prefix(rows) {
            let row = y + i - window.offset
            let highlighted = i == selected
            let acked = acknowledged.contains(alert.id)
            let (word, role): (String, ColorRole) = switch alert.state {
            case .firing: (activeIDs.contains(alert.id) ? "FIRING" : "fired", .unhealthy)
            case .resolved: ("resolved", .healthy)
            }
            if highlighted { grid.fill(Rect(x: inner.x, y: row, width: inner.width, height: 1), style: .selected) }
            var cx = x
            func cell(_ text: String, _ w: Int, _ style: Style) {
                grid.put(Format.column(text, w), x: cx, y: row, maxWidth: min(w, x + width - cx), style: highlighted ? .selected : style,
                         asciiOnly: g.asciiOnly)
                cx += w
            }
            cell(alert.at.timeOfDay + " ", 13, .muted)
            cell(word, 9, Style(role, bold: alert.state == .firing && !acked))
            cell(acked ? "ack" : "", 4, .muted)
            let text = SafeText.clean(alert.message, asciiOnly: g.asciiOnly) + "   (" + SafeText.clean(alert.rule, asciiOnly: g.asciiOnly) + ")"
            grid.put(text, x: cx, y: row, maxWidth: x + width - cx, style: highlighted ? .selected : .plain, asciiOnly: g.asciiOnly)
        }
    }
}
