import TeletopCore

/// Enter: the event as stored, pretty-printed.
struct DetailPopup {
    var event: LoggedEvent
    var scroll: Int
    var glyphs: Glyphs

    var lines: [String] {
        let payload = event.payload
        var head = "sequence \(event.sequence)   source \(event.source)" + (event.unplanned ? "   unplanned type" : "")
        if SDKMetadata.isDuplicate(payload) { head += "   DUPLICATE: a retry of an event already taken" }
        var lines = [head, ""]
        lines += JSONWriter.pretty(event.analyticsEvent.jsonValue).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if let original = SDKMetadata.original(payload), let proto = SDKMetadata.of(payload)?["protocol"]?.stringValue {
            lines += ["", "As the \(proto) SDK sent it:"]
            lines += JSONWriter.pretty(.object(original)).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        }
        return lines
    }

    /// The lines wrapped to `width` columns: a long value continues on the
    /// next lines, indented under its key, so the whole of it can be read.
    func lines(width: Int) -> [String] {
        lines.flatMap { line -> [String] in
            let shown = SafeText.clean(line)
            let indent = shown.prefix { $0 == " " }.count + 2
            return Wrap.hanging(shown, indent: min(indent, width / 2), width: width)
        }
    }

    func draw(into grid: inout CellGrid) {
        let width = min(grid.width - 4, max(50, min(110, (self.lines.map { DisplayWidth.of(SafeText.clean($0)) }.max() ?? 0) + 4)))
        let lines = self.lines(width: width - 4)
        let window = ScrollWindow(total: lines.count, visible: min(grid.height - 4, lines.count), requested: scroll)
        let rect = Popup.open(&grid, width: width, rows: lines.count, title: "Event \(event.eventType)",
                              note: window.note(otherwise: "q closes"), glyphs: glyphs)
        TextLines.draw(Array(lines.dropFirst(window.offset)), in: rect.inner, glyphs: glyphs, into: &grid)
    }
}
