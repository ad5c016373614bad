import TeletopCore

/// `teletop 0.1.0 │ up 00:12:34 │ SIM on 5/s │ 1,234 events │ 5.0/s │ PAUSED +12 new`
enum HeaderWidget {
    static func draw(_ state: DashboardState, into grid: inout CellGrid, at rect: Rect) {
        let g = state.glyphs
        let snap = state.snapshot
        let sep = " \(g.vertical) "
        var x = rect.x
        func segment(_ text: String, _ style: Style) {
            guard x < rect.maxX else { return }
            x += grid.put(text, x: x, y: rect.y, maxWidth: rect.maxX - x, style: style, asciiOnly: g.asciiOnly)
        }
        grid.fill(rect, style: Style(.title, reverse: true))
        let bar = Style(.title, reverse: true)
        let status = snap.health.status
        let word = " \(symbol(status, g)) \(status.rawValue.uppercased()) "
        let w = DisplayWidth.of(word)
        let events = sep + Format.grouped(snap.eventsLogged) + " events"
        let rate = sep + Format.rate(snap.rate1s) + "/s"
        let paused = state.pausedAt.map { _ in " PAUSED +\(Format.grouped(state.newWhilePaused)) new " }
        // Room kept for what matters most when the terminal is narrow: the
        // counts, the paused badge and the status word. A source line that
        // would not fit whole in what is left is left out (the health pane lists it).
        let reserved = DisplayWidth.of(events) + DisplayWidth.of(rate) + (paused.map { DisplayWidth.of($0) + 1 } ?? 0) + w + 1
        segment(" teletop \(state.version)", Style(.title, bold: true, reverse: true))
        segment(sep + "up " + Format.uptime(seconds: (snap.takenAt.millisecondsSinceEpoch - snap.startedAt.millisecondsSinceEpoch) / 1000), bar)
        for source in state.sources {
            let text = sep + source.name + " " + source.state
            if x + DisplayWidth.of(text) + reserved <= rect.maxX { segment(text, bar) }
        }
        segment(events, bar)
        segment(rate, bar)
        if let paused {
            segment(" ", bar)
            segment(paused, Style(.degraded, bold: true, reverse: false))
        }
        if rect.maxX - w > x + 1 {
            grid.put(word, x: rect.maxX - w, y: rect.y, style: Style(role(status), bold: true), asciiOnly: g.asciiOnly)
        }
    }

    static func symbol(_ s: HealthStatus, _ g: Glyphs) -> String {
        switch s {
        case .healthy: g.healthy
        case .degraded: g.degraded
        case .unhealthy: g.unhealthy
        }
    }

    static func role(_ s: HealthStatus) -> ColorRole {
        switch s {
        case .healthy: .healthy
        case .degraded: .degraded
        case .unhealthy: .unhealthy
        }
    }
}

/// The keys that matter in the current mode.
enum FooterWidget {
    static func draw(_ state: DashboardState, into grid: inout CellGrid, at rect: Rect) {
        let keys: [(String, String)]
        switch state.mode {
        case .filtering:
            keys = [("type", "filter"), ("enter", "keep"), ("esc", "clear"), ("ctrl-u", "erase")]
        case .help:
            keys = [("esc", "close"), ("j/k", "scroll"), ("q", "quit")]
        case .detail:
            keys = [("esc", "close"), ("j/k", "scroll"), ("q", "quit")]
        case .analytics:
            keys = [("w", "window"), ("r", "refresh"), ("esc", "back"), ("q", "quit")]
        case .form:
            if case .chooseType? = state.form?.stage {
                keys = [("j/k", "move"), ("enter", "choose"), ("esc", "close")]
            } else {
                keys = [("tab", "next field"), ("enter", "submit"), ("ctrl-r", "raw JSON"), ("f2", "curl"),
                        ("ctrl-u/w", "erase"), ("esc", "close, keep draft")]
            }
        case .normal:
            if let notice = state.notice {
                grid.put(" " + notice, x: rect.x, y: rect.y, maxWidth: rect.width, style: Style(.accent, bold: true),
                         asciiOnly: state.glyphs.asciiOnly)
                return
            }
            var k: [(String, String)] = [("q", "quit"), ("?", "help"), ("a", "analytics"), ("space", state.pausedAt == nil ? "pause" : "resume")]
            if !state.follow { k.append(("G", "follow")) }
            k += [("/", "filter"), ("t", "type"), ("enter", "details"), ("n", state.form == nil ? "new event" : "draft")]
            if !state.fired.isEmpty { k.append(("r", "re-fire")) }
            k.append(("tab", "focus"))
            if !state.textFilter.isEmpty || state.typeFilter != nil { k.append(("esc", "clear filter")) }
            if state.simulator != nil { k += [("s", "sim"), ("+/-", "rate"), ("b", "burst"), ("e", "error storm")] }
            keys = k
        }
        var x = rect.x + 1
        for (key, label) in keys {
            guard x < rect.maxX - 2 else { break }
            x += grid.put(key, x: x, y: rect.y, maxWidth: rect.maxX - x, style: Style(.accent, bold: true), asciiOnly: state.glyphs.asciiOnly)
            x += grid.put(" " + label + "  ", x: x, y: rect.y, maxWidth: rect.maxX - x, style: .muted, asciiOnly: state.glyphs.asciiOnly)
        }
    }
}
