import TeletopCore

/// The timeline (`T`): one value's events, oldest first, each with the gap
/// since the one before and its type in colour; where they came from (the
/// ring, the store) in the frame's note.
struct TimelineWidget {
    var view: TimelineView?
    /// There is a store to ask (the note says so when there is not).
    var hasStore: Bool
    var glyphs: Glyphs

    /// The config file's colours per event type.
    var colors: [String: TypeColor]

    init(_ state: DashboardState) {
        colors = state.typeColors
        view = state.timeline
        hasStore = state.hasStore
        glyphs = state.glyphs
    }

    func draw(into grid: inout CellGrid, at rect: Rect) {
        guard rect.height >= 6, let view else { return }
        let g = glyphs
        grid.fill(rect)
        let value = SafeText.clean(JSONWriter.compact(view.query.value), asciiOnly: g.asciiOnly)
        grid.box(rect, title: "Timeline: \(view.query.field) = \(value) (f field, Enter open, q back)", note: Self.note(view, hasStore: hasStore),
                 focused: true, glyphs: g)
        let inner = rect.inner
        let x = inner.x + 1, width = inner.width - 2
        guard !view.rows.isEmpty else {
            grid.put(hasStore && view.stored == nil ? "Looking in memory and the store..." : "No events hold this value.",
                     x: x, y: inner.y, maxWidth: width, style: .muted, asciiOnly: g.asciiOnly)
            return
        }
        let typeW = min(18, max(10, view.rows.map { DisplayWidth.of($0.event.eventType) }.max() ?? 10))
        grid.put(Format.column("time", 13) + Format.column("gap", 9, right: true) + "  " + Format.column("type", typeW) + " payload",
                 x: x, y: inner.y, maxWidth: width, style: Style(.muted, bold: true), asciiOnly: g.asciiOnly)
        let top = inner.y + 1
        let visible = inner.maxY - top
        // The highlighted row stays in view, a few rows from the edge when it can.
        let window = ScrollWindow(total: view.rows.count, visible: visible, requested: view.selected - visible / 2)
        let today = view.rows.last!.event.timestamp.civil
        for (i, row) in view.rows.enumerated().dropFirst(window.offset).prefix(visible) {
            let y = top + i - window.offset
            let e = row.event
            let highlighted = i == view.selected
            if highlighted { grid.fill(Rect(x: inner.x, y: y, width: inner.width, height: 1), style: .selected) }
            func style(_ s: Style) -> Style { highlighted ? .selected : s }
            let c = e.timestamp.civil
            // Another day than the newest event's: the date, not the time, says when.
            let when = (c.year, c.month, c.day) == (today.year, today.month, today.day) ? e.timestamp.timeOfDay : Self.date(c)
            var cx = x
            cx += grid.put(Format.column(when, 13), x: cx, y: y, maxWidth: x + width - cx, style: style(row.fromStore ? .muted : .plain),
                           asciiOnly: g.asciiOnly)
            let gap = i == 0 ? "" : Self.gap(milliseconds: e.timestamp.millisecondsSinceEpoch - view.rows[i - 1].event.timestamp.millisecondsSinceEpoch)
            cx += grid.put(Format.column(gap, 9, right: true) + "  ", x: cx, y: y, maxWidth: x + width - cx, style: style(.muted),
                           asciiOnly: g.asciiOnly)
            grid.put(e.eventType, x: cx, y: y, maxWidth: min(typeW, x + width - cx),
                     style: style(Style(Theme.role(forEventType: e.eventType, colors: colors), bold: true)), asciiOnly: g.asciiOnly, clipMark: g.ellipsis)
            cx += typeW + 1
            grid.put(SafeText.clean(FeedLine.summary(e.payload), asciiOnly: g.asciiOnly), x: cx, y: y, maxWidth: max(0, x + width - cx),
                     style: style(.plain), asciiOnly: g.asciiOnly, clipMark: g.ellipsis)
        }
    }

    /// How many, and from where: "42 events: 30 in memory, 12 older from the store in 3.1 ms".
    static func note(_ view: TimelineView, hasStore: Bool) -> String {
        var text = Describe.count(UInt64(view.rows.count), "event")
        let older = view.rows.filter(\.fromStore).count
        text += ": \(view.rows.count - older) in memory"
        guard hasStore else { return text + " (no store)" }
        guard let stored = view.stored else { return text + ", asking the store" }
        guard stored.indexed else { return text + "; the store indexes \(TimelineKey.indexedFields.joined(separator: " and ")) only" }
        text += ", \(older) older from the store in \(Format.oneDecimal(stored.elapsedMillis)) ms"
        if stored.truncated { text += " (its newest \(stored.events.count))" }
        return text
    }

    static func gap(milliseconds ms: Int64) -> String {
        switch ms {
        case ..<1_000: "+\(ms) ms"
        case ..<60_000: "+\(Format.oneDecimal(Double(ms) / 1000)) s"
        case ..<600_000: "+\(Format.oneDecimal(Double(ms) / 60_000)) min"
        case ..<3_600_000: "+\(ms / 60_000) min"
        case ..<86_400_000: "+\(Format.oneDecimal(Double(ms) / 3_600_000)) h"
        default: "+\(ms / 86_400_000) d"
        }
    }

    static func date(_ c: Timestamp.Civil) -> String {
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(c.year)-\(two(c.month))-\(two(c.day))"
    }
}
