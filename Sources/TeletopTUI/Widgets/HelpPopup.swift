import TeletopCore

/// `?`: every key, from the key map, then what the panes show.
struct HelpPopup {
    var hasSimulator: Bool
    var logPath: String
    var scroll: Int
    var glyphs: Glyphs

    init(_ state: DashboardState, scroll: Int) {
        hasSimulator = state.simulator != nil
        logPath = state.logPath
        self.scroll = scroll
        self.glyphs = state.glyphs
    }

    static let keyColumn = 27

    var lines: [String] {
        var lines: [String] = []
        for section in HelpSection.allCases where section != .simulator || hasSimulator {
            let rows = KeyMap.helpRows(section)
            guard !rows.isEmpty else { continue }
            if !lines.isEmpty { lines.append("") }
            lines.append(section.rawValue)
            for row in rows {
                let keys = "  " + row.keysText
                // A long key list takes its own line rather than pushing the text out of line.
                if DisplayWidth.of(keys) >= Self.keyColumn {
                    lines.append(keys)
                    lines.append(String(repeating: " ", count: Self.keyColumn) + row.help)
                } else {
                    lines.append(Format.column(keys, Self.keyColumn) + row.help)
                }
            }
        }
        lines += [
            "",
            "Panes",
            "  Feed       time, event type, source, payload as key=value in arrival order",
            "  Counters   total, rate in the last second, share of the last 60 s, rejected, 60 s sparkline",
            "  Health     the contract's health status with its reasons and signals",
            "",
            "Control characters in events are shown escaped (\\x1b); they never reach the terminal.",
            "Log file: " + (logPath.isEmpty ? "(none)" : logPath),
        ]
        return lines
    }

    func draw(into grid: inout CellGrid) {
        let lines = self.lines
        let width = max(60, lines.map { DisplayWidth.of($0) }.max()! + 4)
        let inner = min(grid.height - 4, lines.count)
        let window = ScrollWindow(total: lines.count, visible: inner, requested: scroll)
        let rect = Popup.open(&grid, width: width, rows: lines.count, title: "Help", note: window.scrolls ? "j/k scroll" : "Esc closes",
                              glyphs: glyphs)
        TextLines.draw(Array(lines.dropFirst(window.offset)), in: rect.inner, glyphs: glyphs, into: &grid)
    }
}

/// Lines of a text popup: headings (unindented lines) as titles, the rest plain.
enum TextLines {
    static func draw(_ lines: [String], in inner: Rect, glyphs: Glyphs, into grid: inout CellGrid) {
        for (i, line) in lines.prefix(inner.height).enumerated() {
            let style: Style = line.hasPrefix("  ") || line.isEmpty || line.hasPrefix("{") || line.hasPrefix("}") ? .plain : .title
            grid.put(line, x: inner.x + 1, y: inner.y + i, maxWidth: inner.width - 2, style: style, asciiOnly: glyphs.asciiOnly)
        }
    }
}
