import TeletopCore

/// Health as the contract's endpoint would report it, and the signals behind it.
enum HealthWidget {
    struct Line {
        var text: String
        var style: Style
    }

    static func lines(_ state: DashboardState, width: Int) -> [Line] {
        let g = state.glyphs
        let snap = state.snapshot
        let status = snap.health.status
        var out: [Line] = []
        out.append(Line(text: "\(HeaderWidget.symbol(status, g)) \(status.rawValue.uppercased())",
                        style: Style(HeaderWidget.role(status), bold: true)))
        for part in wrap(snap.health.message, width: width) { out.append(Line(text: part, style: .plain)) }
        for reason in snap.health.reasons.dropFirst() {
            for part in wrap("+ \(reason.status.rawValue): \(reason.text)", width: width) {
                out.append(Line(text: part, style: Style(HeaderWidget.role(reason.status))))
            }
        }
        func pair(_ label: String, _ value: String, _ style: Style = .plain) {
            out.append(Line(text: Format.column(label, 14) + value, style: style))
        }
        pair("events_logged", Format.grouped(snap.eventsLogged))
        pair("rejected", Format.grouped(snap.totalRejected) + (snap.unknownTypeRejected > 0 ? " (\(Format.grouped(snap.unknownTypeRejected)) without a known type)" : ""),
             snap.totalRejected > 0 ? Style(.degraded) : .plain)
        pair("dropped", Format.grouped(snap.dropped), snap.dropped > 0 ? Style(.unhealthy, bold: true) : .plain)
        pair("evicted", Format.grouped(snap.evicted) + " (ring of \(Format.grouped(snap.ringCapacity)))")
        if let last = snap.lastEventAt {
            pair("last event", Format.age(milliseconds: snap.takenAt.millisecondsSinceEpoch - last.millisecondsSinceEpoch) + " ago")
        } else {
            pair("last event", "none yet")
        }
        out.append(Line(text: "sources", style: Style(.muted, bold: true)))
        for source in state.sources {
            out.append(Line(text: "  " + Format.column(source.name, 12) + source.state, style: source.active ? .plain : .muted))
        }
        for component in snap.components {
            out.append(Line(text: "  " + Format.column(component.name, 12) + "\(component.status.rawValue): \(component.message)",
                            style: Style(HeaderWidget.role(component.status))))
        }
        out.append(Line(text: "dashboard", style: Style(.muted, bold: true)))
        let lag = state.frame.lagMillis.map { Format.oneDecimal($0) + " ms" } ?? "-"
        out.append(Line(text: "  frame " + Format.oneDecimal(state.frame.frameMillis) + " ms   ingest-to-screen lag " + lag, style: .plain))
        if !snap.recentRejections.isEmpty {
            out.append(Line(text: "recent rejections", style: Style(.muted, bold: true)))
            for r in snap.recentRejections.suffix(5).reversed() {
                for part in wrap("\(r.at.timeOfDay) \(r.source) " + r.summary, width: width - 2) {
                    out.append(Line(text: "  " + part, style: Style(.degraded)))
                }
            }
        }
        if !state.logPath.isEmpty {
            for part in wrap("log file: " + state.logPath, width: width) { out.append(Line(text: part, style: .muted)) }
        }
        return out
    }

    static func draw(_ state: DashboardState, into grid: inout CellGrid, at rect: Rect) {
        let inner = rect.inner
        let all = lines(state, width: max(1, inner.width - 1))
        let maxScroll = max(0, all.count - inner.height)
        let scroll = min(state.healthScroll, maxScroll)
        let note = maxScroll > 0 ? "\(scroll + 1)-\(min(all.count, scroll + inner.height)) of \(all.count)" : ""
        grid.box(rect, title: "3 Health", note: note, focused: state.focus == .health, glyphs: state.glyphs)
        for (i, line) in all.dropFirst(scroll).prefix(inner.height).enumerated() {
            grid.put(line.text, x: inner.x + 1, y: inner.y + i, maxWidth: inner.width - 1, style: line.style, asciiOnly: state.glyphs.asciiOnly)
        }
    }

    /// Greedy word wrap by display width; words longer than a line are cut.
    static func wrap(_ text: String, width: Int) -> [String] {
        guard width > 0 else { return [] }
        var lines: [String] = []
        var current = ""
        var currentWidth = 0
        for word in SafeText.clean(text).split(separator: " ", omittingEmptySubsequences: false) {
            var w = String(word)
            var ww = DisplayWidth.of(w)
            if currentWidth > 0 && currentWidth + 1 + ww > width {
                lines.append(current)
                current = ""
                currentWidth = 0
            }
            while ww > width {
                var head = "", hw = 0
                for c in w {
                    let cw = DisplayWidth.of(c)
                    if hw + cw > width { break }
                    head.append(c)
                    hw += cw
                }
                // A character wider than the line: show nothing rather than loop forever.
                if head.isEmpty { return lines + (current.isEmpty ? [] : [current]) }
                if !current.isEmpty { lines.append(current) }
                lines.append(head)
                current = ""
                currentWidth = 0
                w = String(w.dropFirst(head.count))
                ww = DisplayWidth.of(w)
            }
            if currentWidth > 0 {
                current += " "
                currentWidth += 1
            }
            current += w
            currentWidth += ww
        }
        if !current.isEmpty || lines.isEmpty { lines.append(current) }
        return lines
    }
}
