import TeletopCore

/// One row per event type: total, rate now, share of the last 60 s, rejected, and a 60 s sparkline.
struct CountersWidget {
    var types: [TypeStats]
    var eventsLogged: UInt64
    var rate: Double
    var rejected: UInt64
    /// Accepted events in the 60 s window, for each type's share.
    var acceptedInWindow: Int
    var sort: CounterSort
    var focused: Bool
    /// The selected row, shown while the pane has the focus (j/k choose it; Enter filters the feed to it).
    var selection: String?
    var glyphs: Glyphs
    /// The last ten minutes, for the chart under the rows where there is room.
    var history: RateHistory

    /// The config file's colours per event type.
    var colors: [String: TypeColor]

    init(_ state: DashboardState) {
        colors = state.typeColors
        history = state.rateHistory
        let snap = state.snapshot
        types = snap.types
        eventsLogged = snap.eventsLogged
        rate = snap.rate1s
        rejected = snap.totalRejected
        acceptedInWindow = snap.healthInputs.accepted
        sort = state.counterSort
        focused = state.focus == .counters
        selection = focused ? state.selectedCounter : nil
        glyphs = state.glyphs
    }

    func share(of t: TypeStats) -> Double {
        acceptedInWindow > 0 ? Double(t.acceptedInWindow) / Double(acceptedInWindow) : 0
    }

    func draw(into grid: inout CellGrid, at rect: Rect) {
        let g = glyphs
        grid.box(rect, title: "2 Counters (sort: \(sort.label), o)", focused: focused, glyphs: g)
        let inner = rect.inner
        guard inner.height > 0, inner.width > 10 else { return }
        let typeW = min(16, max(10, types.map { DisplayWidth.of($0.name) }.max() ?? 10))
        // Narrow panes (80-column terminals) get tighter number columns.
        let compact = inner.width < 50
        let numbers: [(String, Int)] = compact
            ? [("total", 6), ("rate/s", 6), ("share", 5), ("rej", 4)]
            : [("total", 9), ("rate/s", 7), ("share", 6), ("rej", 5)]
        let fixed = typeW + numbers.reduce(0) { $0 + $1.1 + 1 }
        // The sparkline always spans 60 s; when fewer columns fit, each column sums several seconds.
        let room = max(0, min(60, inner.width - fixed - 2))
        let secondsPerColumn = room > 0 ? (60 + room - 1) / room : 60
        let sparkW = room >= 3 ? 60 / secondsPerColumn : 0
        var header = Format.column("type", typeW)
        for (name, w) in numbers { header += " " + Format.column(name, w, right: true) }
        grid.put(header, x: inner.x, y: inner.y, maxWidth: inner.width, style: Style(.muted, bold: true), asciiOnly: g.asciiOnly)
        // The sparkline ends at the pane's edge, so its newest second is "now"
        // wherever the pane ends (a gap there would read as traffic stalling).
        let sparkX = inner.maxX - sparkW
        if sparkW > 0 {
            grid.put(Format.column(sparkW >= 9 ? "last 60 s" : "60 s", sparkW), x: sparkX, y: inner.y, maxWidth: sparkW,
                     style: Style(.muted, bold: true), asciiOnly: g.asciiOnly)
        }

        let rows = sort.order(types)
        for (i, t) in rows.enumerated() {
            let y = inner.y + 1 + i
            guard y < inner.maxY else { break }
            var x = inner.x
            grid.put(t.name, x: x, y: y, maxWidth: typeW, style: Style(Theme.role(forEventType: t.name, colors: colors), bold: true), asciiOnly: g.asciiOnly,
                     clipMark: g.ellipsis)
            x += typeW
            let values = [Format.grouped(t.accepted), Format.rate(t.rate1s), Format.percent(share(of: t)), Format.grouped(t.rejected)]
            for (column, ((_, w), v)) in zip(numbers, values).enumerated() {
                let isRejected = column == 3
                let style: Style = (v != "0" && isRejected) ? Style(.unhealthy, bold: true) : .plain
                x += grid.put(" " + Format.column(v, w, right: true), x: x, y: y, maxWidth: inner.maxX - x, style: style, asciiOnly: g.asciiOnly)
            }
            if sparkW > 0 {
                x = sparkX
                let columns = stride(from: 0, to: 60, by: secondsPerColumn).map { start in
                    t.history.suffix(60).dropFirst(start).prefix(secondsPerColumn).reduce(0, +)
                }
                grid.put(Self.sparkline(columns[...], glyphs: g), x: x, y: y, maxWidth: inner.maxX - x,
                         style: Style(Theme.role(forEventType: t.name, colors: colors)), asciiOnly: g.asciiOnly)
            }
            // The selected type's name, reversed while the pane has the focus: Enter filters the feed to it.
            if t.name == selection { grid.restyle(x: inner.x, y: y, width: typeW, style: .selected) }
        }
        let totalsY = inner.y + 1 + rows.count
        if totalsY < inner.maxY {
            var line = Format.column("all", typeW)
            // Lifetime, like the per-type totals above it (both include history restored from the store).
            let values = [Format.grouped(eventsLogged), Format.rate(rate), "", Format.grouped(rejected)]
            for ((_, w), v) in zip(numbers, values) { line += " " + Format.column(v, w, right: true) }
            grid.put(line, x: inner.x, y: totalsY, maxWidth: inner.width, style: Style(.normal, bold: true), asciiOnly: g.asciiOnly)
        }
        // Rows to spare (a tall terminal, or zoomed): every type's events per
        // second over the last ten minutes, a column per 10 s.
        let chartY = totalsY + 1
        if inner.maxY - chartY >= 4 {
            let sums = history.sums(step: 10)
            let peak = Double(sums.max() ?? 0) / 10
            grid.put("events/s, last 10 min, peak \(Format.rate(peak))/s", x: inner.x, y: chartY, maxWidth: inner.width,
                     style: Style(.muted, bold: true), asciiOnly: g.asciiOnly)
            BarChart(values: sums, secondsPerValue: 10, perSecondAxis: true, glyphs: g)
                .draw(into: &grid, at: Rect(x: inner.x, y: chartY + 1, width: inner.width, height: inner.maxY - chartY - 1))
        }
    }

    /// Each second's count scaled to the busiest second shown; an empty second is a blank.
    static func sparkline(_ values: ArraySlice<Int>, glyphs: Glyphs) -> String {
        let top = values.max() ?? 0
        return String(values.map { v -> Character in
            guard v > 0, top > 0 else { return " " }
            let level = min(glyphs.spark.count - 1, (v * glyphs.spark.count - 1) / top)
            return glyphs.spark[level]
        })
    }
}
