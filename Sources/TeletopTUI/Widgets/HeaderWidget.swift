import TeletopCore

/// `teletop 0.1.0 │ up 00:12:34 │ SIM on 5/s │ 1,234 events │ 5.0/s │ PAUSED +12 new   ✔ HEALTHY`
struct HeaderWidget {
    var version: String
    var uptimeSeconds: Int64
    var sources: [SourceStatus]
    var eventsLogged: UInt64
    var rate: Double
    /// Events since the feed was paused; nil when it is not.
    var newWhilePaused: UInt64?
    var status: HealthStatus
    /// On while the SDK endpoints fail on purpose: shown first, so no one misses it.
    var fault: SDKFault?
    /// Alerts on that nobody acknowledged: the newest is shown after the fault mode, in red.
    var alerts: [AlertEvent]
    var glyphs: Glyphs

    init(_ state: DashboardState) {
        let snap = state.snapshot
        version = state.version
        uptimeSeconds = (snap.takenAt.millisecondsSinceEpoch - snap.startedAt.millisecondsSinceEpoch) / 1000
        sources = state.sources
        eventsLogged = snap.eventsLogged
        rate = snap.rate1s
        newWhilePaused = state.pausedAt.map { _ in state.newWhilePaused }
        status = snap.health.status
        fault = state.fault
        alerts = state.unacknowledgedAlerts
        glyphs = state.glyphs
    }

    func draw(into grid: inout CellGrid, at rect: Rect) {
        let sep = " \(glyphs.vertical) "
        var x = rect.x
        func segment(_ text: String, _ style: Style) {
            guard x < rect.maxX else { return }
            x += grid.put(text, x: x, y: rect.y, maxWidth: rect.maxX - x, style: style, asciiOnly: glyphs.asciiOnly)
        }
        let bar = Style(.title, reverse: true)
        grid.fill(rect, style: bar)
        let word = " \(Theme.statusWord(status, glyphs)) "
        let w = DisplayWidth.of(word)
        let events = sep + Describe.count(eventsLogged, "event")
        let rateText = sep + Format.rate(rate) + "/s"
        let paused = newWhilePaused.map { " PAUSED +\(Format.grouped($0)) new " }
        // Room kept for what matters most when the terminal is narrow: the
        // counts, the paused badge and the status word. A source line that
        // would not fit whole in what is left is left out (the health pane lists it).
        // A source with a short form (the HTTP port) is always shown: room is
        // kept for the short forms of those still to come.
        func shortText(_ s: SourceStatus) -> String? { s.short.map { sep + s.name + " " + $0 } }
        var reserved = DisplayWidth.of(events) + DisplayWidth.of(rateText) + (paused.map { DisplayWidth.of($0) + 1 } ?? 0) + w + 1
        reserved += sources.compactMap(shortText).reduce(0) { $0 + DisplayWidth.of($1) }
        segment(" teletop \(version)", Style(.title, bold: true, reverse: true))
        if let fault {
            // The long form when there is room, else the short one; reserved like the status word.
            let long = " FAULT MODE: \(fault.description) "
            let short = " FAULT \(fault.spelled) "
            let text = x + DisplayWidth.of(long) + reserved + 24 <= rect.maxX ? long : short
            segment(" ", bar)
            segment(text, Style(.unhealthy, bold: true, reverse: true))
        }
        if let newest = alerts.last {
            // What fired, cut to the room left; at least the word, so no one misses it.
            let more = alerts.count > 1 ? " (+\(alerts.count - 1) more, ! to see)" : " (! to see)"
            let room = rect.maxX - x - reserved - 24
            var text = " ALERT: " + SafeText.clean(newest.message, asciiOnly: glyphs.asciiOnly) + more + " "
            if DisplayWidth.of(text) > room { text = room >= 12 ? " ALERT: " + SafeText.clean(newest.message, asciiOnly: glyphs.asciiOnly) + " " : " ALERT " }
            segment(" ", bar)
            // Cut where the room ends (never below the word), so the rest of the header still follows.
            x += grid.put(text, x: x, y: rect.y, maxWidth: min(rect.maxX - x, max(room, 7)), style: Style(.unhealthy, bold: true, reverse: true),
                          asciiOnly: glyphs.asciiOnly)
        }
        segment(sep + "up " + Format.uptime(seconds: uptimeSeconds), bar)
        for source in sources {
            let short = shortText(source)
            if let short { reserved -= DisplayWidth.of(short) }
            let text = sep + source.name + " " + source.state
            if x + DisplayWidth.of(text) + reserved <= rect.maxX {
                segment(text, bar)
            } else if let short {
                segment(short, bar)
            }
        }
        segment(events, bar)
        segment(rateText, bar)
        if let paused {
            segment(" ", bar)
            segment(paused, Style(.degraded, bold: true, reverse: false))
        }
        // At least one column between the last segment and the status word.
        if rect.maxX - w >= x + 1 {
            grid.put(word, x: rect.maxX - w, y: rect.y, style: Style(Theme.role(status), bold: true), asciiOnly: glyphs.asciiOnly)
        }
    }
}
