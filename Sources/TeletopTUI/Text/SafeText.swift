/// Text from events is untrusted: a payload may carry ESC sequences that would
/// clear the screen, move the cursor or recolour the terminal. Everything that
/// reaches the screen passes through here first, and control characters come
/// out as visible escapes (`\x1b`, `\n`), never as themselves.
public enum SafeText {
    /// `asciiOnly` is for terminals without a UTF-8 locale: anything outside
    /// ASCII becomes `?` so that widths stay predictable.
    public static func clean(_ s: String, asciiOnly: Bool = false) -> String {
        // Fast path: plain printable ASCII needs no copy.
        if s.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return s }
        var out = ""
        out.reserveCapacity(s.utf8.count + 8)
        var scalars = s.unicodeScalars.makeIterator()
        var next = scalars.next()
        while let scalar = next {
            next = scalars.next()
            let v = scalar.value
            switch v {
            case 0x200D where next.map { $0.properties.isEmoji && $0.value >= 0x2000 } == true:
                // A joiner between emoji: terminals disagree on the joined width
                // (see DisplayWidth), so it is shown, and the parts are drawn apart.
                out += "\\u200d"
            case 0x0A: out += "\\n"
            case 0x09: out += "\\t"
            case 0x0D: out += "\\r"
            case 0x00..<0x20, 0x7F:
                out += "\\x" + hex2(v)
            case 0x80..<0xA0:
                // C1 controls: 0x9B is a one-byte CSI on some terminals.
                out += "\\u" + hex4(v)
            case 0x202A...0x202E, 0x2066...0x2069:
                // Bidirectional overrides could make the line read differently from what it holds.
                out += "\\u" + hex4(v)
            default:
                if asciiOnly && v >= 0x80 {
                    out += "?"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    static func hex2(_ v: UInt32) -> String {
        let s = String(v, radix: 16)
        return s.count == 1 ? "0" + s : s
    }

    static func hex4(_ v: UInt32) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: max(0, 4 - s.count)) + s
    }
}
