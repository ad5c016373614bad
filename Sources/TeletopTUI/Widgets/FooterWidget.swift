import TeletopCore

/// The keys that matter now, from the key map (or a one-line notice after a key like `r`).
struct FooterWidget {
    var keys: [(key: String, label: String)]
    var notice: String?
    var glyphs: Glyphs

    init(_ state: DashboardState) {
        keys = KeyMap.footer(state)
        // A notice replaces the main view's keys until the next key.
        notice = state.mode == .normal ? state.notice : nil
        glyphs = state.glyphs
    }

    func draw(into grid: inout CellGrid, at rect: Rect) {
        if let notice {
            grid.put(" " + notice, x: rect.x, y: rect.y, maxWidth: rect.width, style: Style(.accent, bold: true), asciiOnly: glyphs.asciiOnly)
            return
        }
        var x = rect.x + 1
        // Whole entries only: one that does not fit is left out, never cut mid-word (? help lists them all).
        for (key, label) in keys {
            guard x + DisplayWidth.of(key + " " + label) <= rect.maxX - 1 else { break }
            x += grid.put(key, x: x, y: rect.y, maxWidth: rect.maxX - x, style: Style(.accent, bold: true), asciiOnly: glyphs.asciiOnly)
            x += grid.put(" " + label + "  ", x: x, y: rect.y, maxWidth: rect.maxX - x, style: .muted, asciiOnly: glyphs.asciiOnly)
        }
    }
}
