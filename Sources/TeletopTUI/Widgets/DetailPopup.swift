import TeletopCore

/// Enter: the event as stored, pretty-printed.
struct DetailPopup {
    var event: LoggedEvent
    var scroll: Int
    var glyphs: Glyphs

    var lines: [String] {
        var lines = ["sequence \(event.sequence)   source \(event.source)" + (event.unplanned ? "   unplanned type" : ""), ""]
        lines += JSONWriter.pretty(event.analyticsEvent.jsonValue).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        return lines
    }

    func draw(into grid: inout CellGrid) {
        let lines = self.lines
        let width = max(50, min(110, (lines.map { DisplayWidth.of($0) }.max() ?? 0) + 4))
        let window = ScrollWindow(total: lines.count, visible: min(grid.height - 4, lines.count), requested: scroll)
        let rect = Popup.open(&grid, width: width, rows: lines.count, title: "Event \(event.eventType)",
                              note: window.note(otherwise: "Esc closes"), glyphs: glyphs)
        TextLines.draw(Array(lines.dropFirst(window.offset)), in: rect.inner, glyphs: glyphs, into: &grid)
    }
}
