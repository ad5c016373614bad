import TeletopCore

/// The live feed: one line per event, newest at the bottom, with the filter
/// line in its title.
struct FeedWidget {
    var events: ArraySlice<LoggedEvent>
    var highlighted: Int?
    var typeFilter: String?
    var filterEditor: LineEditor
    var filterError: QueryError?
    /// Highlighted in the lines: only a plain free-text filter.
    var highlightText: String?
    var editingFilter: Bool
    /// Matching retained events when filtered (-1: not counted).
    var matching: Int?
    var paused: Bool
    var following: Bool
    var retained: Int
    var ringCapacity: Int
    var evicted: UInt64
    var focused: Bool
    /// Columns the payloads are scrolled sideways.
    var scroll: Int
    var glyphs: Glyphs
    /// Attached to several collectors: their names, for a column; and the one narrowed to.
    var origins: [String]
    var originWidth: Int
    var onlyOrigin: String?

    /// The widest the filter text gets in the title before it scrolls.
    static let filterWidth = 40

    /// The config file's colours per event type.
    var colors: [String: TypeColor]
    /// Payload fields shown as aligned columns instead of `key=value` (the config file's `[feed] columns`).
    var columns: [String]

    init(_ state: DashboardState) {
        colors = state.typeColors
        columns = state.feedColumns
        (events, highlighted) = state.visibleFeed
        typeFilter = state.typeFilter
        filterEditor = state.filterEditor
        filterError = state.mode == .filtering ? state.filterError : nil
        highlightText = state.appliedFilter.isPlainText ? state.appliedFilter.text : nil
        editingFilter = state.mode == .filtering
        matching = !state.filter.isEmpty && state.feed.matching >= 0 ? state.feed.matching : nil
        paused = state.pausedAt != nil
        following = state.follow
        retained = state.snapshot.retained
        ringCapacity = state.snapshot.ringCapacity
        evicted = state.snapshot.evicted
        focused = state.focus == .feed
        scroll = state.feedScroll
        glyphs = state.glyphs
        origins = state.origins
        originWidth = min(24, state.origins.map { DisplayWidth.of($0) }.max() ?? 0)
        onlyOrigin = state.onlyOrigin.flatMap { Int($0) < state.origins.count ? state.origins[Int($0)] : nil }
    }

    func draw(into grid: inout CellGrid, at rect: Rect) {
        var title = "1 Feed"
        if let o = onlyOrigin { title += " only \(o)" }
        if let t = typeFilter { title += " type=\(t)" }
        var cursorColumn: Int?
        if !filterEditor.isEmpty || editingFilter {
            let shown = filterEditor.visible(width: Self.filterWidth)
            title += " /"
            if editingFilter { cursorColumn = DisplayWidth.of(SafeText.clean(title, asciiOnly: glyphs.asciiOnly)) + shown.cursorColumn }
            title += shown.text
        }
        if let matching { title += " " + Describe.count(matching, "match", plural: "matches") }
        if scroll > 0 { title += " →\(scroll)" }
        title += paused ? " (paused)" : following ? " (following)" : " (scrolled, G follows)"
        // Say plainly that the feed is bounded and what fell out of it.
        var note = "\(Format.grouped(retained)) of \(Format.grouped(ringCapacity)) held, \(Format.grouped(evicted)) evicted"
        // A half-typed query: where and what, while the last good filter stays applied.
        if let filterError { note = "\(glyphs.asciiOnly ? "x" : "✘") \(filterError.description); the last good filter stays" }
        grid.box(rect, title: title, note: note, focused: focused, glyphs: glyphs)
        if let cursorColumn {
            // The box puts " title " at x + 2; the cursor is drawn into the grid, as in the form.
            let cx = rect.x + 3 + cursorColumn
            if cx < rect.maxX - 2 {
                let under = grid[cx, rect.y]
                grid.put(under.continuation ? " " : String(under.character), x: cx, y: rect.y, maxWidth: max(1, DisplayWidth.of(under.character)),
                         style: Style(.accent, reverse: true), asciiOnly: glyphs.asciiOnly)
            }
        }
        let inner = rect.inner
        if events.isEmpty {
            let message = typeFilter == nil && filterEditor.isEmpty ? "waiting for events…" : "no retained event matches the filter"
            grid.put(message, x: inner.x + 1, y: inner.y, maxWidth: inner.width - 1, style: .muted, asciiOnly: glyphs.asciiOnly)
            return
        }
        let typeWidth = min(16, max(11, events.map { DisplayWidth.of($0.eventType) }.max() ?? 11))
        let table = columns.isEmpty ? nil : ColumnTable(columns: columns, events: events, asciiOnly: glyphs.asciiOnly)
        // Columns line up only if every row's payload starts at the same place: DUP keeps its room on every row then.
        let anyDuplicate = table != nil && events.contains { SDKMetadata.isDuplicate($0.payload) }
        if let table {
            // The column names on the top border, where the title leaves room.
            let titleEnd = rect.x + 4 + DisplayWidth.of(SafeText.clean(title, asciiOnly: glyphs.asciiOnly))
            var hx = inner.x + 13 + typeWidth + 1 + 8 + (origins.count > 1 ? originWidth + 1 : 0) + (anyDuplicate ? 4 : 0)
            for (name, width) in zip(table.columns, table.widths) {
                if hx > titleEnd && hx + width < inner.maxX {
                    grid.put(SafeText.clean(name, asciiOnly: glyphs.asciiOnly), x: hx, y: rect.y, maxWidth: width,
                             style: Style(.title, bold: true), asciiOnly: glyphs.asciiOnly)
                }
                hx += width + 1
            }
        }
        for (row, event) in events.enumerated() {
            let y = inner.y + row
            let isHighlighted = highlighted == row
            var x = inner.x
            func cell(_ text: String, _ width: Int?, _ style: Style) {
                let maxW = min(width ?? (inner.maxX - x), inner.maxX - x)
                guard maxW > 0 else { return }
                grid.put(text, x: x, y: y, maxWidth: maxW, style: isHighlighted ? Style.selected : style, asciiOnly: glyphs.asciiOnly)
                x += maxW
            }
            // A type name longer than its column (an unplanned one) ends in "…" and keeps a space after it.
            func typeCell(_ name: String, _ width: Int, _ style: Style) {
                let maxW = min(width, inner.maxX - x)
                guard maxW > 1 else { return }
                grid.put(name, x: x, y: y, maxWidth: maxW - 1, style: isHighlighted ? Style.selected : style, asciiOnly: glyphs.asciiOnly,
                         clipMark: glyphs.ellipsis)
                x += maxW
            }
            if isHighlighted { grid.fill(Rect(x: inner.x, y: y, width: inner.width, height: 1), style: .selected) }
            cell(event.timestamp.timeOfDay + " ", 13, .muted)
            typeCell(event.eventType, typeWidth + 1, Style(Theme.role(forEventType: event.eventType, colors: colors), bold: true))
            let payload = event.payload  // unpacked once for the row's marks and its line
            cell(event.source.description + " ", 8, .muted)
            // Attached to several collectors: which one it came from.
            if origins.count > 1 {
                let name = Int(event.origin) < origins.count ? origins[Int(event.origin)] : "?"
                cell(name + " ", originWidth + 1, Style(.title))
            }
            // A retry of an SDK event already taken: marked, so a retry storm is plain to see.
            if SDKMetadata.isDuplicate(payload) {
                cell("DUP ", 4, Style(.degraded, bold: true))
            } else if anyDuplicate {
                cell("", 4, .plain)
            }
            let summaryX = x
            let line = table.map { $0.line(payload) } ?? SafeText.clean(FeedLine.summary(payload), asciiOnly: glyphs.asciiOnly)
            // Scrolled sideways by whole clusters; a line cut at the edge ends in "…".
            grid.put(Format.dropColumns(line, scroll),
                     x: x, y: y, maxWidth: inner.maxX - x, style: isHighlighted ? Style.selected : .plain, asciiOnly: glyphs.asciiOnly,
                     clipMark: glyphs.ellipsis)
            if let highlightText {
                Self.highlight(highlightText, in: &grid, y: y, from: inner.x, to: inner.maxX, payloadX: summaryX, selected: isHighlighted)
            }
        }
    }

    /// What the filter matched, case-insensitively, in each shown line: reversed
    /// (underlined on the highlighted line, which is reversed already).
    static func highlight(_ needle: String, in grid: inout CellGrid, y: Int, from x0: Int, to x1: Int, payloadX: Int, selected: Bool) {
        let wanted = Array(needle.lowercased())
        guard !wanted.isEmpty else { return }
        var xs: [Int] = []
        var chars: [Character] = []
        for x in x0..<x1 where !grid[x, y].continuation {
            xs.append(x)
            chars.append(Character(grid[x, y].character.lowercased()))
        }
        guard chars.count >= wanted.count else { return }
        var i = 0
        while i + wanted.count <= chars.count {
            if Array(chars[i..<(i + wanted.count)]) == wanted {
                for k in i..<(i + wanted.count) {
                    let x = xs[k]
                    let w = k + 1 < xs.count ? xs[k + 1] - x : DisplayWidth.of(grid[x, y].character)
                    grid.restyle(x: x, y: y, width: max(1, w), style: selected ? Style(.selection, bold: true, reverse: true, underline: true)
                                                                               : Style(.accent, bold: true, reverse: true))
                }
                i += wanted.count
            } else {
                i += 1
            }
        }
    }
}

/// The feed's chosen payload fields as aligned columns: each as wide as its
/// widest shown value or its name (at most 24), a missing one as `-`.
struct ColumnTable {
    let columns: [String]
    let widths: [Int]
    let asciiOnly: Bool
    static let maxWidth = 24

    init(columns: [String], events: ArraySlice<LoggedEvent>, asciiOnly: Bool) {
        self.columns = columns
        self.asciiOnly = asciiOnly
        let payloads = events.map(\.payload)
        widths = columns.map { name in
            let widest = payloads.map { p in p[name].map { DisplayWidth.of(SafeText.clean(EventQuery.valueText($0), asciiOnly: asciiOnly)) } ?? 1 }.max() ?? 1
            return min(Self.maxWidth, max(DisplayWidth.of(name), widest))
        }
    }

    func line(_ payload: JSONObject) -> String {
        zip(columns, widths).map { name, width in
            let text = payload[name].map { SafeText.clean(EventQuery.valueText($0), asciiOnly: asciiOnly) } ?? "-"
            return Format.column(DisplayWidth.of(text) > width ? Format.keepColumns(text, width - 1) + (asciiOnly ? "~" : "…") : text, width)
        }.joined(separator: " ")
    }
}
