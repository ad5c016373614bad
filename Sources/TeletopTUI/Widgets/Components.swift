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

/// Bars of eighths over time, the newest value at the right edge under
/// "now": the analytics view's events per minute, the counters' last ten
/// minutes. The bottom row is the time axis; the top of the y axis is the
/// tallest column. Narrow: a column sums several values. Wide: a value spans
/// several columns, the remainder spread evenly, so the chart spans the width.
struct BarChart {
    var values: [Int]
    /// How long one value covers, for the time axis ("-60 min").
    var secondsPerValue: Int
    /// The y axis in events per second (the counters) rather than per column (the analytics view).
    var perSecondAxis = false
    var role: ColorRole = .accent
    var glyphs: Glyphs

    func draw(into grid: inout CellGrid, at rect: Rect) {
        let g = glyphs
        let peak = values.max() ?? 0
        let height = rect.height - 1
        // A rate label ("12.5/s") needs its own room, known before the columns are.
        let axisW = max(perSecondAxis ? 8 : 4, Format.grouped(peak).count + 1)
        let room = rect.width - axisW - 1
        guard height >= 1, room >= 10, !values.isEmpty else { return }
        let perColumn = (values.count + room - 1) / room
        let sums = stride(from: 0, to: values.count, by: perColumn).map { values[$0..<min(values.count, $0 + perColumn)].reduce(0, +) }
        let columns = perColumn > 1 ? sums : sums.indices.flatMap { i in
            Array(repeating: sums[i], count: (i + 1) * room / sums.count - i * room / sums.count)
        }
        let top = max(1, columns.max() ?? 1)
        let topLabel = perSecondAxis ? Format.rate(Double(top) / Double(perColumn * secondsPerValue)) + "/s" : Format.grouped(top)
        let levels = g.spark.count
        let chartX = rect.x + axisW + 1 + max(0, rect.width - axisW - 1 - columns.count)
        grid.put(Format.column(topLabel, axisW, right: true), x: rect.x, y: rect.y, maxWidth: axisW, style: .muted, asciiOnly: g.asciiOnly)
        grid.put(Format.column("0", axisW, right: true), x: rect.x, y: rect.y + height - 1, maxWidth: axisW, style: .muted, asciiOnly: g.asciiOnly)
        for (i, v) in columns.enumerated() {
            // In eighths of a row, rounded up so a single event still shows.
            let eighths = v == 0 ? 0 : max(1, (v * height * levels + top - 1) / top)
            for row in 0..<height {
                let filled = eighths - row * levels
                guard filled > 0 else { break }
                let glyph = filled >= levels ? g.spark[levels - 1] : g.spark[filled - 1]
                grid.put(String(glyph), x: chartX + i, y: rect.y + height - 1 - row, style: Style(role), asciiOnly: g.asciiOnly)
            }
        }
        let span = "-\(perColumn * sums.count * secondsPerValue / 60) min"
        grid.put(span, x: chartX, y: rect.maxY - 1, maxWidth: rect.maxX - chartX, style: .muted, asciiOnly: g.asciiOnly)
        grid.put("now", x: chartX + columns.count - 3, y: rect.maxY - 1, maxWidth: 3, style: .muted, asciiOnly: g.asciiOnly)
    }
}
