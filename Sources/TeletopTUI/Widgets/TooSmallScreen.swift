import TeletopCore

/// What a terminal below 80x24 shows instead of the dashboard.
struct TooSmallScreen {
    var width: Int
    var height: Int
    var glyphs: Glyphs

    func draw(into grid: inout CellGrid) {
        let lines = [
            "teletop needs at least \(DashboardLayout.minimumWidth)x\(DashboardLayout.minimumHeight);",
            "this terminal is \(width)x\(height).",
            "Enlarge the terminal to at least \(DashboardLayout.minimumWidth)x\(DashboardLayout.minimumHeight)  (q quits)",
        ]
        let top = max(0, (grid.height - lines.count) / 2)
        for (i, line) in lines.enumerated() {
            let w = DisplayWidth.of(line)
            grid.put(line, x: max(0, (grid.width - w) / 2), y: top + i, style: i == 2 ? Style(.degraded, bold: true) : .plain,
                     asciiOnly: glyphs.asciiOnly)
        }
    }
}
