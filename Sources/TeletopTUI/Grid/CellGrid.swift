/// One screen cell. A grapheme cluster sits whole in its first cell; the
/// cells it spans to its right (one for CJK and most emoji, three for 👍🏽)
/// are `continuation`s that the backend skips.
public struct Cell: Equatable, Sendable {
    public var character: Character
    public var style: Style
    public var continuation: Bool

    public static let blank = Cell(character: " ", style: .plain, continuation: false)
}

public struct Rect: Equatable, Sendable {
    public var x, y, width, height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = max(0, width)
        self.height = max(0, height)
    }

    public var maxX: Int { x + width }
    public var maxY: Int { y + height }

    /// The area inside a one-cell border.
    public var inner: Rect { Rect(x: x + 1, y: y + 1, width: width - 2, height: height - 2) }
}

/// The in-memory screen every widget draws into. Rendering is a pure function
/// of state into one of these; tests read it line by line, and the curses
/// backend copies it to the terminal.
public struct CellGrid: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]

    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: .blank, count: self.width * self.height)
    }

    public subscript(x: Int, y: Int) -> Cell {
        cells[y * width + x]
    }

    /// Writes `text` at (x, y), clipped to `maxWidth` columns and to the grid.
    /// Text is sanitised first; a wide character that would not fit whole is
    /// replaced by a space rather than split. Returns the columns used.
    /// `clipMark` (`…`): text that does not fit ends in it, so a cut value is never taken for a whole one.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, maxWidth: Int? = nil, style: Style = .plain, asciiOnly: Bool = false,
                             clipMark: String? = nil) -> Int {
        guard y >= 0, y < height, x < width else { return 0 }
        let limit = min(maxWidth ?? (width - x), width - x)
        guard limit > 0 else { return 0 }
        var shown = SafeText.clean(text, asciiOnly: asciiOnly)
        // Printable ASCII (most of a frame): a column a byte, no clusters to measure.
        if shown.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) {
            let count = shown.utf8.count
            let markWidth = clipMark.map { DisplayWidth.of($0) } ?? 0
            let fit = count <= limit ? count : clipMark == nil ? limit : max(0, limit - markWidth)
            var column = 0
            for byte in shown.utf8.prefix(fit) {
                if x + column >= 0 { setCell(x + column, y, Cell(character: Character(Unicode.Scalar(byte)), style: style, continuation: false)) }
                column += 1
            }
            if count > limit, let clipMark {
                column += put(clipMark, x: x + column, y: y, maxWidth: limit - column, style: style, asciiOnly: asciiOnly)
            }
            return column
        }
        // More columns than bytes is impossible, so only a longer string can need the mark.
        if let clipMark, shown.utf8.count > limit, DisplayWidth.of(shown) > limit {
            // Whole clusters up to the mark's room, then the mark.
            let room = limit - DisplayWidth.of(clipMark)
            var kept = "", used = 0
            for c in shown {
                let w = DisplayWidth.of(c)
                if used + w > room { break }
                kept.append(c)
                used += w
            }
            shown = kept + String(repeating: " ", count: max(0, room - used)) + clipMark
        }
        var column = 0
        for c in shown {
            let w = DisplayWidth.of(c)
            if w == 0 { continue }
            if column + w > limit {
                if column < limit && x + column >= 0 { setCell(x + column, y, Cell(character: " ", style: style, continuation: false)) }
                column = limit
                break
            }
            if x + column >= 0 {
                setCell(x + column, y, Cell(character: c, style: style, continuation: false))
                // A cluster wider than one column (up to four: 👍🏽) owns the cells after it.
                for extra in 1..<max(1, w) { setCell(x + column + extra, y, Cell(character: " ", style: style, continuation: true)) }
            }
            column += w
        }
        return column
    }

    private mutating func setCell(_ x: Int, _ y: Int, _ cell: Cell) {
        guard x >= 0, x < width, y >= 0, y < height else { return }
        let i = y * width + x
        let row = y * width
        // Overwriting part of a wide cluster blanks the rest of it, never
        // leaving half a character: its head and the cells between (when a new
        // character lands on a continuation), and its cells to the right.
        if cells[i].continuation && !cell.continuation {
            var j = i - 1
            while j > row && cells[j].continuation { blank(j); j -= 1 }
            if j >= row { blank(j) }
        }
        var j = i + 1
        while j < row + width && cells[j].continuation { blank(j); j += 1 }
        cells[i] = cell
    }

    private mutating func blank(_ i: Int) {
        cells[i] = Cell(character: " ", style: cells[i].style, continuation: false)
    }

    public mutating func fill(_ rect: Rect, with character: Character = " ", style: Style = .plain) {
        for y in max(0, rect.y)..<min(height, rect.maxY) {
            for x in max(0, rect.x)..<min(width, rect.maxX) {
                setCell(x, y, Cell(character: character, style: style, continuation: false))
            }
        }
    }

    /// Applies `style` to every cell of a row segment, keeping the characters.
    public mutating func restyle(x: Int, y: Int, width w: Int, style: Style) {
        guard y >= 0, y < height else { return }
        for cx in max(0, x)..<min(width, x + w) { cells[y * width + cx].style = style }
    }

    /// The grid as text, one string per row, trailing spaces kept: what golden tests compare.
    public var lines: [String] {
        (0..<height).map { y in
            var s = ""
            for x in 0..<width where !self[x, y].continuation { s.append(self[x, y].character) }
            return s
        }
    }
}
