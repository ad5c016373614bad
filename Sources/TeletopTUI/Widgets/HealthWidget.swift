import TeletopCore

/// Health as the contract's endpoint would report it, and the signals behind it.
struct HealthWidget {
    /// The health report and the signals behind it are the snapshot's.
    var snapshot: TelemetrySnapshot
    var sources: [SourceStatus]
    var frame: FrameStats
    var logPath: String
    var scroll: Int
    var focused: Bool
    var glyphs: Glyphs

    init(_ state: DashboardState) {
        snapshot = state.snapshot
        sources = state.sources
        frame = state.frame
        logPath = state.logPath
        scroll = state.healthScroll
        focused = state.focus == .health
        glyphs = state.glyphs
    }

    struct Line {
        var text: String
        var style: Style
    }

    func lines(width: Int) -> [Line] {
        let g = glyphs
        let snap = snapshot
        let status = snap.health.status
        var out: [Line] = []
        out.append(Line(text: Theme.statusWord(status, g), style: Style(Theme.role(status), bold: true)))
        for part in Wrap.words(snap.health.message, width: width) { out.append(Line(text: part, style: .plain)) }
        for reason in snap.health.reasons.dropFirst() {
            for part in Wrap.words("+ \(reason.status.rawValue): \(reason.text)", width: width) {
                out.append(Line(text: part, style: Style(Theme.role(reason.status))))
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
        for source in sources {
            out.append(Line(text: "  " + Format.column(source.name, 12) + source.state, style: source.active ? .plain : .muted))
        }
        // A healthy component that is also a source line (the store) says nothing the line does not.
        let sourceNames = Set(sources.map { $0.name.lowercased() })
        for component in snap.components where component.status != .healthy || !sourceNames.contains(component.name.lowercased()) {
            out.append(Line(text: "  " + Format.column(component.name, 12) + "\(component.status.rawValue): \(component.message)",
                            style: Style(Theme.role(component.status))))
        }
        out.append(Line(text: "dashboard", style: Style(.muted, bold: true)))
        let lag = frame.lagMillis.map { Format.oneDecimal($0) + " ms" } ?? "-"
        out.append(Line(text: "  frame " + Format.oneDecimal(frame.frameMillis) + " ms   ingest-to-screen lag " + lag, style: .plain))
        if !snap.recentRejections.isEmpty {
            out.append(Line(text: "recent rejections", style: Style(.muted, bold: true)))
            for r in snap.recentRejections.suffix(5).reversed() {
                for part in Wrap.words("\(r.at.timeOfDay) \(r.source) " + r.summary, width: width - 2) {
                    out.append(Line(text: "  " + part, style: Style(.degraded)))
                }
            }
        }
        if !logPath.isEmpty {
            for part in Wrap.words("log file: " + logPath, width: width) { out.append(Line(text: part, style: .muted)) }
        }
        return out
    }

    func draw(into grid: inout CellGrid, at rect: Rect) {
        let inner = rect.inner
        let all = lines(width: max(1, inner.width - 1))
        let window = ScrollWindow(total: all.count, visible: inner.height, requested: scroll)
        grid.box(rect, title: "3 Health", note: window.note(), focused: focused, glyphs: glyphs)
        for (i, line) in all.dropFirst(window.offset).prefix(inner.height).enumerated() {
            grid.put(line.text, x: inner.x + 1, y: inner.y + i, maxWidth: inner.width - 1, style: line.style, asciiOnly: glyphs.asciiOnly,
                     clipMark: glyphs.ellipsis)
        }
    }
}
