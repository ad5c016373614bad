import TeletopCore

/// The analytics view (`a`): top values per question as bars, and events per
/// minute for the last hour as a chart, over the whole body of the screen.
struct AnalyticsWidget {
    var window: AnalyticsWindow
    /// The latest report, which may still be for the previous window.
    var report: AnalyticsReport?
    var glyphs: Glyphs

    /// The config file's colours per event type.
    var colors: [String: TypeColor]

    init(_ state: DashboardState) {
        colors = state.typeColors
        window = state.analyticsWindow
        report = state.analytics
        glyphs = state.glyphs
    }

    func draw(into grid: inout CellGrid, at rect: Rect) {
        guard rect.height >= 6 else { return }
        let g = glyphs
        grid.fill(rect)
        let windowText = window == .all ? "all history this store counted" : "last \(window.rawValue)"
        var note = "loading"
        if let r = report, r.window == window {
            note = r.error == nil ? "from the store in \(Format.oneDecimal(r.elapsedMillis)) ms" : "no data"
        }
        grid.box(rect, title: "Analytics: \(windowText) (w window, r refresh, q back)", note: note, focused: true, glyphs: g)
        let inner = rect.inner
        guard let report else {
            grid.put("Asking the store...", x: inner.x + 1, y: inner.y, maxWidth: inner.width - 2, style: .muted, asciiOnly: g.asciiOnly)
            return
        }
        if let error = report.error {
            grid.put(error, x: inner.x + 1, y: inner.y, maxWidth: inner.width - 2, style: Style(.degraded, bold: true), asciiOnly: g.asciiOnly)
            return
        }
        let chartHeight = max(3, min(8, inner.height / 4))
        let chartRect = Rect(x: inner.x + 1, y: inner.maxY - chartHeight - 2, width: inner.width - 2, height: chartHeight + 2)
        let panelsRect = Rect(x: inner.x, y: inner.y, width: inner.width, height: chartRect.y - inner.y - 1)
        drawPanels(report.panels, in: panelsRect, into: &grid)
        drawChart(report.perMinute, in: chartRect, into: &grid)
    }

    func drawPanels(_ panels: [AnalyticsReport.Panel], in rect: Rect, into grid: inout CellGrid) {
        guard !panels.isEmpty, rect.height >= 2 else { return }
        let columns = rect.width >= 70 ? 2 : 1
        let rows = (panels.count + columns - 1) / columns
        let height = rect.height / rows
        let width = rect.width / columns
        guard height >= 2 else { return }
        for (i, panel) in panels.enumerated() {
            let r = Rect(x: rect.x + (i % columns) * width + 1, y: rect.y + (i / columns) * height, width: width - 2, height: height - 1)
            drawPanel(panel, in: r, into: &grid)
        }
    }

    func drawPanel(_ panel: AnalyticsReport.Panel, in rect: Rect, into grid: inout CellGrid) {
        let g = glyphs
        let q = panel.question
        let scope = (q.eventType.map { "\($0)." } ?? "") + q.field
        var x = rect.x
        x += grid.put(q.title, x: x, y: rect.y, maxWidth: rect.width, style: .title, asciiOnly: g.asciiOnly)
        var events = Describe.count(panel.result.total, "event")
        // Some values were counted only as "other": the bars are lower bounds.
        if panel.result.other > 0 { events += ", approximate: \(Format.grouped(panel.result.other)) in other" }
        // Merged from several collectors' own top lists, one cut at the limit.
        if panel.result.partial { events += ", approximate: merged from each collector's top \(panel.result.values.count)" }
        grid.put("  \(scope), \(events)", x: x, y: rect.y, maxWidth: rect.maxX - x, style: .muted, asciiOnly: g.asciiOnly,
                 clipMark: g.ellipsis)
        let values = panel.result.values.prefix(max(0, rect.height - 1))
        guard !values.isEmpty else {
            if rect.height > 1 {
                grid.put("  nothing in this window", x: rect.x, y: rect.y + 1, maxWidth: rect.width, style: .muted, asciiOnly: g.asciiOnly)
            }
            return
        }
        let top = values.map(\.count).max() ?? 1
        let countW = max(3, values.map { Format.grouped($0.count).count }.max() ?? 3)
        let labels = values.map { SafeText.clean(AnalyticsReport.label($0.value, field: q.field), asciiOnly: g.asciiOnly) }
        let labelW = min(max(8, rect.width / 3), max(4, labels.map { DisplayWidth.of($0) }.max() ?? 4))
        let barW = max(0, rect.width - labelW - countW - 4)
        let role = Theme.role(forEventType: q.eventType ?? "", colors: colors)
        for (i, v) in values.enumerated() {
            let y = rect.y + 1 + i
            var x = rect.x + 1
            let label = labels[i]
            grid.put(label, x: x, y: y, maxWidth: labelW, style: .plain, asciiOnly: g.asciiOnly, clipMark: g.ellipsis)
            x += labelW + 1
            let filled = top > 0 ? max(1, (v.count * barW + top - 1) / top) : 0
            x += grid.put(String(repeating: g.spark[g.spark.count - 1], count: min(barW, filled)), x: x, y: y, maxWidth: barW,
                          style: Style(q.eventType == nil ? .accent : role), asciiOnly: g.asciiOnly)
            grid.put(Format.column(Format.grouped(v.count), countW, right: true), x: rect.x + rect.width - countW, y: y,
                     maxWidth: countW, style: Style(.normal, bold: true), asciiOnly: g.asciiOnly)
        }
    }

    /// Its title, then the bars: a column is a minute (or several, when narrow), the newest on the right.
    func drawChart(_ perMinute: [Int], in rect: Rect, into grid: inout CellGrid) {
        let g = glyphs
        let total = perMinute.reduce(0, +)
        let peak = perMinute.max() ?? 0
        grid.put("Events per minute, last hour", x: rect.x, y: rect.y, maxWidth: rect.width, style: .title, asciiOnly: g.asciiOnly)
        let title = DisplayWidth.of("Events per minute, last hour")
        grid.put("  \(Describe.count(total, "event")), peak \(Format.grouped(peak))/min", x: rect.x + title, y: rect.y,
                 maxWidth: rect.width - title, style: .muted, asciiOnly: g.asciiOnly)
        BarChart(values: perMinute, secondsPerValue: 60, glyphs: g)
            .draw(into: &grid, at: Rect(x: rect.x, y: rect.y + 1, width: rect.width, height: rect.height - 1))
    }
}
