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

    /// The help's lines for a popup whose text is `width` columns wide: each
    /// description wrapped under its own column, never cut at the edge.
    func lines(width: Int = .max) -> [String] {
        let keyColumn = min(Self.keyColumn, max(12, width / 3))
        var lines: [String] = []
        for section in HelpSection.allCases where section != .simulator || hasSimulator {
            let rows = KeyMap.helpRows(section)
            guard !rows.isEmpty else { continue }
            if !lines.isEmpty { lines.append("") }
            lines.append(section.rawValue)
            for row in rows {
                let keys = "  " + row.keysText
                // A long key list takes its own line rather than pushing the text out of line.
                if DisplayWidth.of(keys) >= keyColumn {
                    lines.append(keys)
                    lines += Wrap.hanging(String(repeating: " ", count: keyColumn) + row.help, indent: keyColumn, width: width)
                } else {
                    lines += Wrap.hanging(Format.column(keys, keyColumn) + row.help, indent: keyColumn, width: width)
                }
            }
        }
        let notes = [
            "",
            "Panes",
            "  Feed       time, event type, source, payload as key=value in arrival order",
            "  Counters   total, rate in the last second, share of the last 60 s, rejected, 60 s sparkline",
            "  Health     the contract's health status with its reasons and signals",
            "",
            "Control characters in events are shown escaped (\\x1b); they never reach the terminal.",
            "Log file: " + (logPath.isEmpty ? "(none)" : logPath),
        ]
        for note in notes { lines += Wrap.hanging(note, indent: note.hasPrefix("  ") ? 13 : 2, width: width) }
        return lines
    }

    func draw(into grid: inout CellGrid) {
        let width = min(grid.width - 4, max(60, lines().map { DisplayWidth.of($0) }.max()! + 4))
        let lines = self.lines(width: width - 4)
        let inner = min(grid.height - 4, lines.count)
        let window = ScrollWindow(total: lines.count, visible: inner, requested: scroll)
        let rect = Popup.open(&grid, width: width, rows: lines.count, title: "Help", note: window.note(otherwise: "q closes"),
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
