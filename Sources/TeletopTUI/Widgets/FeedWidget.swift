import TeletopCore

/// The live feed: one line per event, newest at the bottom.
enum FeedWidget {
    static func draw(_ state: DashboardState, into grid: inout CellGrid, at rect: Rect) {
        let g = state.glyphs
        let snap = state.snapshot
        var title = "1 Feed"
        if let t = state.typeFilter { title += " type=\(t)" }
        if !state.textFilter.isEmpty || state.mode == .filtering {
            title += " /\(state.textFilter)" + (state.mode == .filtering ? "_" : "")
        }
        if !state.filter.isEmpty && state.feed.matching >= 0 {
            title += " \(Format.grouped(state.feed.matching)) match"
        }
        title += state.pausedAt != nil ? " (paused)" : state.follow ? " (following)" : " (scrolled, G follows)"
        // Say plainly that the feed is bounded and what fell out of it.
        let note = "\(Format.grouped(snap.retained)) of \(Format.grouped(snap.ringCapacity)) held, \(Format.grouped(snap.evicted)) evicted"
        grid.box(rect, title: title, note: note, focused: state.focus == .feed, glyphs: g)
        let inner = rect.inner
        let visible = state.visibleFeed
        if visible.events.isEmpty {
            let message = state.filter.isEmpty ? "waiting for events…" : "no retained event matches the filter"
            grid.put(message, x: inner.x + 1, y: inner.y, maxWidth: inner.width - 1, style: .muted, asciiOnly: g.asciiOnly)
            return
        }
        let typeWidth = min(16, max(11, visible.events.map { DisplayWidth.of($0.eventType) }.max() ?? 11))
        for (row, event) in visible.events.enumerated() {
            let y = inner.y + row
            let highlighted = visible.highlighted == row
            var x = inner.x
            func cell(_ text: String, _ width: Int?, _ style: Style) {
                let maxW = min(width ?? (inner.maxX - x), inner.maxX - x)
                guard maxW > 0 else { return }
                grid.put(text, x: x, y: y, maxWidth: maxW, style: highlighted ? Style.selected : style, asciiOnly: g.asciiOnly)
                x += maxW
            }
            if highlighted { grid.fill(Rect(x: inner.x, y: y, width: inner.width, height: 1), style: .selected) }
            cell(event.timestamp.timeOfDay + " ", 13, .muted)
            cell(event.eventType + " ", typeWidth + 1, Style(role(for: event.eventType), bold: true))
            cell(event.source.description + " ", 7, .muted)
            cell(FeedLine.summary(event.payload), nil, .plain)
        }
    }

    static func role(for type: String) -> ColorRole {
        switch type {
        case "ai_block_used": .aiBlock
        case "chapter_visit": .chapterVisit
        case "error_event": .errorEvent
        default: .otherType
        }
    }
}
