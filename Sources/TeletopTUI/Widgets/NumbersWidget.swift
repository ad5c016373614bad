import TeletopCore

/// The numbers view (`%`): for each event type's numeric payload fields,
/// p50, p95, p99 and max over the last minute and over the session, from the
/// tally's HdrHistograms; and what the tally left out to stay bounded.
struct NumbersWidget {
    var report: NumbersReport?
    var scroll: Int
    var glyphs: Glyphs

    /// The config file's colours per event type.
    var colors: [String: TypeColor]

    init(_ state: DashboardState) {
        colors = state.typeColors
        report = state.numbers
        if case .numbers(let s) = state.mode { scroll = s } else { scroll = 0 }
        glyphs = state.glyphs
    }

    static let spans = ["last minute", "session"]

    func draw(into grid: inout CellGrid, at rect: Rect) {
        guard rect.height >= 6 else { return }
        let g = glyphs
        grid.fill(rect)
        var note = "HdrHistogram, within 1%"
        if let r = report {
            if r.dropped > 0 { note += ", \(Describe.grouped(r.dropped)) events missed (queue full)" }
            if r.untrackedValues > 0 { note += ", \(Describe.grouped(r.untrackedValues)) values of fields beyond the bound" }
            if r.evictedFields > 0 { note += ", \(Describe.count(UInt64(r.evictedFields), "field")) evicted" }
            if r.outOfRange > 0 { note += ", \(Describe.grouped(r.outOfRange)) negative or huge values left out" }
        }
        grid.box(rect, title: "Numbers: percentiles of payload fields (j/k scroll, q back)", note: note, focused: true, glyphs: g)
        let inner = rect.inner
        let x = inner.x + 1, width = inner.width - 2
        guard let report, !report.rows.isEmpty else {
            let text = report == nil ? "Counting..." : "No numeric payload fields yet: integers and numbers at the top level of a payload are counted here."
            grid.put(text, x: x, y: inner.y, maxWidth: width, style: .muted, asciiOnly: g.asciiOnly)
            return
        }
        let typeW = min(18, max(8, report.rows.map { DisplayWidth.of($0.eventType) }.max() ?? 8))
        let fieldW = min(18, max(6, report.rows.map { DisplayWidth.of($0.field) }.max() ?? 6))
        let numbers = ["n", "p50", "p95", "p99", "max"]
        let numberW = 9
        let spanW = numbers.count * (numberW + 1) + 2
        // The session's columns only where both fit: the last minute is what an operator watches.
        let spans = typeW + fieldW + 2 + 2 * spanW <= width ? 2 : 1
        var cx = x + typeW + fieldW + 2
        for s in 0..<spans {
            grid.put(Format.column(Self.spans[s], spanW - 2, right: true), x: cx, y: inner.y, maxWidth: x + width - cx, style: .title,
                     asciiOnly: g.asciiOnly)
            cx += spanW
        }
        var header = Format.column("type", typeW) + " " + Format.column("field", fieldW) + " "
        for _ in 0..<spans { header += "  " + numbers.map { Format.column($0, numberW, right: true) }.joined(separator: " ") }
        grid.put(header, x: x, y: inner.y + 1, maxWidth: width, style: Style(.muted, bold: true), asciiOnly: g.asciiOnly)

        let top = inner.y + 2
        let window = ScrollWindow(total: report.rows.count, visible: inner.maxY - top, requested: scroll)
        for (i, row) in report.rows.enumerated().dropFirst(window.offset).prefix(window.visible) {
            let y = top + i - window.offset
            grid.put(row.eventType, x: x, y: y, maxWidth: typeW, style: Style(Theme.role(forEventType: row.eventType, colors: colors), bold: true),
                     asciiOnly: g.asciiOnly, clipMark: g.ellipsis)
            grid.put(row.field, x: x + typeW + 1, y: y, maxWidth: fieldW, style: .plain, asciiOnly: g.asciiOnly, clipMark: g.ellipsis)
            var nx = x + typeW + fieldW + 2
            for summary in [row.lastMinute, row.session].prefix(spans) {
                let cells = summary.map { s in [Format.grouped(s.count)] + [s.p50, s.p95, s.p99, s.max].map(Self.value) }
                    ?? ["0", "-", "-", "-", "-"]
                let text = "  " + cells.map { Format.column($0, numberW, right: true) }.joined(separator: " ")
                nx += grid.put(text, x: nx, y: y, maxWidth: x + width - nx, style: summary == nil ? .muted : .plain, asciiOnly: g.asciiOnly)
            }
        }
    }

    /// A measured value as it reads best: whole numbers grouped, fractions to three significant digits.
    static func value(_ v: Double) -> String {
        if v >= 100 || v == v.rounded() { return Format.grouped(Int64(v.rounded())) }
        if v >= 10 { return Format.oneDecimal(v) }
        let hundredths = Int((v * 100).rounded())
        let cents = hundredths % 100
        return "\(hundredths / 100).\(cents < 10 ? "0" : "")\(cents)"
    }
}
