import TeletopCore

/// The "new event" popup: the type list, then one editor per payload field
/// with its JSON type and any problem right under it.
struct FormWidget {
    var form: EventForm
    var plannedTypes: [EventTypeSpec]
    var fired: [FiredEvent]
    var apiBaseURL: String
    var apiNeedsToken: Bool
    /// For `now` in a timestamp field, in the curl line.
    var now: Timestamp
    var glyphs: Glyphs

    /// The config file's colours per event type.
    var colors: [String: TypeColor]

    init?(_ state: DashboardState) {
        colors = state.typeColors
        guard let form = state.form else { return nil }
        self.form = form
        plannedTypes = state.plan.eventTypes
        fired = state.fired
        apiBaseURL = state.apiBaseURL
        apiNeedsToken = state.apiNeedsToken
        now = state.snapshot.takenAt
        glyphs = state.glyphs
    }

    func draw(into grid: inout CellGrid) {
        let width = min(grid.width - 4, 110)
        switch form.stage {
        case .chooseType(let selected): drawChooser(selected: selected, width: width, into: &grid)
        case .edit: drawEditor(width: width, into: &grid)
        }
    }

    func drawChooser(selected: Int, width: Int, into grid: inout CellGrid) {
        var entries: [(String, Style)] = plannedTypes.map { spec in
            (Format.column(spec.name, 22) + spec.description, Style(Theme.role(forEventType: spec.name, colors: colors)))
        }
        entries.append((Format.column("custom type", 22) + "any event_type, payload as raw JSON", .plain))
        for fired in fired {
            let mark = Theme.outcomeMark(accepted: fired.accepted, glyphs)
            entries.append(("\(mark) " + Format.column(fired.eventType, 20) + JSONWriter.compact(.object(fired.payload)), .muted))
        }
        let historyStart = plannedTypes.count + 1
        let rows = entries.count + (fired.isEmpty ? 0 : 1) + 2
        let rect = Popup.open(&grid, width: width, rows: rows, title: "New event: choose a type", note: "Enter chooses, q closes", glyphs: glyphs)
        let inner = rect.inner
        var y = inner.y
        let visible = inner.height - 2
        let first = max(0, min(selected - visible / 2, entries.count - visible))
        for (i, entry) in entries.enumerated() where i >= first {
            if i == historyStart {
                guard y < inner.maxY else { break }
                grid.put("recently fired (Enter re-opens one to edit)", x: inner.x + 1, y: y, maxWidth: inner.width - 2,
                         style: Style(.muted, bold: true), asciiOnly: glyphs.asciiOnly)
                y += 1
            }
            guard y < inner.maxY else { break }
            let style = i == selected ? Style(.selection, reverse: true) : entry.1
            if i == selected { grid.fill(Rect(x: inner.x, y: y, width: inner.width, height: 1), style: style) }
            grid.put(" " + entry.0, x: inner.x, y: y, maxWidth: inner.width - 1, style: style, asciiOnly: glyphs.asciiOnly)
            y += 1
        }
    }

    struct Row {
        var label: String
        var type: String
        var editor: LineEditor?
        var style: Style
        var focusIndex: Int?
    }

    func drawEditor(width: Int, into grid: inout CellGrid) {
        let labelWidth = 18, typeWidth = 10
        let editorWidth = max(10, width - 4 - labelWidth - typeWidth)
        var rows: [Row] = []
        if form.isCustom {
            rows.append(Row(label: "event_type *", type: "string", editor: form.typeEditor, style: .plain, focusIndex: 0))
        }
        if form.raw {
            rows.append(Row(label: "payload *", type: "JSON", editor: form.rawEditor, style: .plain, focusIndex: form.firstPayloadRow))
            for part in form.rawError.map({ Wrap.words("\(glyphs.unhealthy) " + $0, width: width - 8) }) ?? [] {
                rows.append(Row(label: part, type: "", editor: nil, style: Style(.unhealthy), focusIndex: nil))
            }
        } else {
            for (i, field) in form.fields.enumerated() {
                rows.append(Row(label: field.spec.name + (field.spec.required ? " *" : ""), type: field.spec.type.rawValue,
                                editor: field.editor, style: .plain, focusIndex: form.firstPayloadRow + i))
                if let error = field.error {
                    // Right under its field, wrapped rather than clipped in a narrow popup.
                    for part in Wrap.words("\(glyphs.unhealthy) " + error, width: width - 8) {
                        rows.append(Row(label: part, type: "", editor: nil, style: Style(.unhealthy), focusIndex: nil))
                    }
                }
            }
        }
        var tail: [(String, Style)] = []
        // Wrapped, never cut at the popup's edge.
        for e in form.generalErrors {
            for part in Wrap.words("\(glyphs.unhealthy) " + e, width: width - 4) { tail.append((part, Style(.unhealthy))) }
        }
        switch form.result {
        case .accepted(let event)?:
            tail.append(("\(glyphs.healthy) accepted at \(event.timestamp.iso8601) (event #\(event.sequence), source form)", Style(.healthy, bold: true)))
        case .rejected(let issues)?:
            tail.append(("\(glyphs.unhealthy) rejected: \(issues.count) problem\(issues.count == 1 ? "" : "s"); fix and press Enter again", Style(.unhealthy, bold: true)))
        case nil:
            tail.append(("* required.  Values are read as their field's JSON type.", .muted))
        }
        let curl = form.showCurl ? form.curl(baseURL: apiBaseURL, withToken: apiNeedsToken, now: now) : nil
        if form.showCurl {
            tail.append((curl == nil ? "(fix the payload to see the curl command)"
                                     : "curl command on the line below: Ctrl-Y copies it, Shift-Left/Right scroll it", .muted))
        }
        let title = form.isCustom ? "New event: custom type" : "New event: \(form.eventType)" + (form.raw ? " (raw JSON)" : "")
        let rect = Popup.open(&grid, width: width, rows: rows.count + 1 + tail.count, title: title,
                              note: form.changed ? "edited" : "", glyphs: glyphs)
        let inner = rect.inner
        var y = inner.y
        for row in rows where y < inner.maxY {
            let x = inner.x + 1
            if let editor = row.editor {
                let focused = row.focusIndex == form.focus
                grid.put(row.label, x: x, y: y, maxWidth: labelWidth - 1, style: Style(focused ? .accent : .normal, bold: focused),
                         asciiOnly: glyphs.asciiOnly)
                grid.put(row.type, x: x + labelWidth, y: y, maxWidth: typeWidth - 1, style: .muted, asciiOnly: glyphs.asciiOnly)
                let fieldX = x + labelWidth + typeWidth
                let area = Rect(x: fieldX, y: y, width: min(editorWidth, inner.maxX - fieldX - 1), height: 1)
                grid.fill(area, style: Style(.normal, underline: true))
                let shown = editor.visible(width: area.width)
                grid.put(shown.text, x: fieldX, y: y, maxWidth: area.width, style: Style(.normal, underline: true), asciiOnly: glyphs.asciiOnly)
                if focused {
                    // The cursor is drawn into the grid (the terminal's own cursor stays hidden).
                    let cx = fieldX + shown.cursorColumn
                    let under = grid[cx, y].character
                    grid.put(grid[cx, y].continuation ? " " : String(under), x: cx, y: y, maxWidth: max(1, DisplayWidth.of(under)),
                             style: Style(.accent, reverse: true), asciiOnly: glyphs.asciiOnly)
                }
            } else {
                grid.put("    " + row.label, x: x, y: y, maxWidth: inner.maxX - x - 1, style: row.style,
                         asciiOnly: glyphs.asciiOnly)
            }
            y += 1
        }
        y += 1
        for (text, style) in tail where y < inner.maxY {
            grid.put(text, x: inner.x + 1, y: y, maxWidth: inner.width - 2, style: style, asciiOnly: glyphs.asciiOnly, clipMark: glyphs.ellipsis)
            y += 1
        }
        if let curl { Self.drawCurlLine(curl, scroll: form.curlScroll, below: rect, glyphs: glyphs, into: &grid) }
    }

    /// The curl command on one unbroken row of its own, outside every box, so
    /// a terminal selection takes the command and nothing else. Too long for
    /// the screen, it scrolls sideways; a cut end shows "…".
    static func drawCurlLine(_ curl: String, scroll: Int, below rect: Rect, glyphs: Glyphs, into grid: inout CellGrid) {
        // Under the popup, or over the footer when the popup reaches it.
        let y = min(rect.maxY, grid.height - 1)
        let row = Rect(x: 0, y: y, width: grid.width, height: 1)
        grid.fill(row)
        let shown = Format.dropColumns(curl, scroll)
        grid.put(shown, x: 0, y: y, maxWidth: grid.width, style: Style(.accent, bold: true), asciiOnly: glyphs.asciiOnly, clipMark: glyphs.ellipsis)
    }
}
