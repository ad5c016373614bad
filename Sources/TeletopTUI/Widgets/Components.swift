import TeletopCore

/// The pieces several widgets draw the same way.
enum Popup {
    /// A box of `width` columns and `rows` inner rows (clamped to the screen,
    /// never over the header), centred, cleared and framed. Returns its rect.
    @discardableResult
    static func open(_ grid: inout CellGrid, width: Int, rows: Int, title: String, note: String, glyphs: Glyphs) -> Rect {
        let w = min(grid.width - 4, width)
        let height = min(grid.height - 2, rows + 2)
        let rect = Rect(x: (grid.width - w) / 2, y: max(1, (grid.height - height) / 2), width: w, height: height)
        grid.fill(rect)
        grid.box(rect, title: title, note: note, focused: true, glyphs: glyphs)
        return rect
    }
}

/// A scrolled view's place: how far down it may go, and the "a-b of n" note.
struct ScrollWindow {
    let total: Int
    let visible: Int
    let offset: Int

    /// `requested` clamped so the last page stays full.
    init(total: Int, visible: Int, requested: Int) {
        self.total = total
        self.visible = max(0, visible)
        offset = max(0, min(requested, total - self.visible))
    }

    var scrolls: Bool { total > visible }

    /// "11-40 of 52", or `otherwise` when everything fits.
    func note(otherwise: String = "") -> String {
        scrolls ? "\(offset + 1)-\(min(total, offset + visible)) of \(total)" : otherwise
    }
}
