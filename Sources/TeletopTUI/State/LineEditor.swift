/// One line of editable text, as people expect from a shell's line editor:
/// the cursor moves by user-perceived characters (so a wide character or an
/// emoji is one step), Ctrl-U erases to the start, Ctrl-W the word before.
public struct LineEditor: Equatable, Sendable {
    public private(set) var text: String
    /// Cursor position in characters (grapheme clusters), 0...text.count.
    public private(set) var cursor: Int

    public init(_ text: String = "") {
        self.text = text
        cursor = text.count
    }

    public var isEmpty: Bool { text.isEmpty }

    private func index(_ i: Int) -> String.Index { text.index(text.startIndex, offsetBy: i) }

    public mutating func insert(_ s: String) {
        let before = String(text[..<index(cursor)]) + s
        // A combining mark joins the character before it: count, do not assume.
        text = before + text[index(cursor)...]
        cursor = before.count
    }

    public mutating func left() { cursor = max(0, cursor - 1) }
    public mutating func right() { cursor = min(text.count, cursor + 1) }
    public mutating func home() { cursor = 0 }
    public mutating func end() { cursor = text.count }

    public mutating func backspace() {
        guard cursor > 0 else { return }
        text.remove(at: index(cursor - 1))
        cursor -= 1
    }

    public mutating func delete() {
        guard cursor < text.count else { return }
        text.remove(at: index(cursor))
    }

    /// Ctrl-U.
    public mutating func eraseToStart() {
        text = String(text[index(cursor)...])
        cursor = 0
    }

    /// Ctrl-W: the spaces before the cursor, then the word before them.
    public mutating func eraseWordBack() {
        var start = cursor
        let chars = Array(text)
        while start > 0 && chars[start - 1] == " " { start -= 1 }
        while start > 0 && chars[start - 1] != " " { start -= 1 }
        text = String(chars[..<start]) + String(chars[cursor...])
        cursor = start
    }

    /// Handles an editing key; false when the key is not an editing key.
    public mutating func handle(_ key: Key) -> Bool {
        switch key {
        case .char(let c): insert(String(c))
        case .left, .ctrl("b"): left()
        case .right, .ctrl("f"): right()
        case .home, .ctrl("a"): home()
        case .end, .ctrl("e"): end()
        case .backspace, .ctrl("h"): backspace()
        case .delete, .ctrl("d"): delete()
        case .ctrl("u"): eraseToStart()
        case .ctrl("w"): eraseWordBack()
        default: return false
        }
        return true
    }

    /// The part to show in `width` columns: scrolled so the cursor stays
    /// visible, never cut inside a wide character. Returns the text and the
    /// cursor's column within it.
    public func visible(width: Int) -> (text: String, cursorColumn: Int) {
        guard width > 1 else { return ("", 0) }
        let chars = Array(text)
        let widths = chars.map { DisplayWidth.of(String($0)) }
        // Start as far left as possible while the cursor (plus one cell for it) fits.
        var start = 0
        var used = widths[..<cursor].reduce(0, +) + 1
        while used > width && start < cursor {
            used -= widths[start]
            start += 1
        }
        var shown = ""
        var columns = 0
        var cursorColumn = 0
        for i in start..<chars.count {
            if i == cursor { cursorColumn = columns }
            if columns + widths[i] > width { break }
            shown.append(chars[i])
            columns += widths[i]
        }
        if cursor == chars.count { cursorColumn = columns }
        return (shown, min(cursorColumn, width - 1))
    }
}
