import TeletopCore

extension CellGrid {
    /// A bordered box with a title in the top edge and an optional note in the bottom edge.
    public mutating func box(_ rect: Rect, title: String, note: String = "", focused: Bool = false, glyphs: Glyphs) {
        guard rect.width >= 2, rect.height >= 2 else { return }
        let border = focused ? Style(.accent, bold: true) : Style.muted
        let h = String(glyphs.horizontal)
        for x in (rect.x + 1)..<(rect.maxX - 1) {
            put(h, x: x, y: rect.y, style: border)
            put(h, x: x, y: rect.maxY - 1, style: border)
        }
        for y in (rect.y + 1)..<(rect.maxY - 1) {
            put(String(glyphs.vertical), x: rect.x, y: y, style: border)
            put(String(glyphs.vertical), x: rect.maxX - 1, y: y, style: border)
        }
        put(String(glyphs.topLeft), x: rect.x, y: rect.y, style: border)
        put(String(glyphs.topRight), x: rect.maxX - 1, y: rect.y, style: border)
        put(String(glyphs.bottomLeft), x: rect.x, y: rect.maxY - 1, style: border)
        put(String(glyphs.bottomRight), x: rect.maxX - 1, y: rect.maxY - 1, style: border)
        if rect.width > 4 {
            put(" \(title) ", x: rect.x + 2, y: rect.y, maxWidth: rect.width - 4,
                style: focused ? Style(.accent, bold: true, reverse: false) : .title, asciiOnly: glyphs.asciiOnly)
        }
        if !note.isEmpty, rect.width > 6 {
            let text = " \(note) "
            let w = min(DisplayWidth.of(text), rect.width - 4)
            put(text, x: rect.maxX - 2 - w, y: rect.maxY - 1, maxWidth: w, style: .muted, asciiOnly: glyphs.asciiOnly)
        }
    }
}
