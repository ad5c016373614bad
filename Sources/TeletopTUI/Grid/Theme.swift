import TeletopCore
/// The glyphs a terminal can show. A UTF-8 locale gets box lines and block
/// sparklines; anything else (LC_ALL=C, say) gets plain ASCII.
public struct Glyphs: Equatable, Sendable {
    public var horizontal, vertical, topLeft, topRight, bottomLeft, bottomRight: Character
    public var spark: [Character]
    public var healthy, degraded, unhealthy: String
    public var ellipsis: String
    public var asciiOnly: Bool

    public static let unicode = Glyphs(
        horizontal: "─", vertical: "│", topLeft: "┌", topRight: "┐", bottomLeft: "└", bottomRight: "┘",
        spark: ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"], healthy: "✔", degraded: "▲", unhealthy: "✖",
        ellipsis: "…", asciiOnly: false)

    public static let ascii = Glyphs(
        horizontal: "-", vertical: "|", topLeft: "+", topRight: "+", bottomLeft: "+", bottomRight: "+",
        spark: ["_", ".", ",", "-", "=", "+", "*", "#"], healthy: "[OK]", degraded: "[!]", unhealthy: "[X]",
        ellipsis: "~", asciiOnly: true)
}

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

/// Number formatting for narrow columns.
public enum Format {
    /// 1234567 → "1,234,567".
    public static func grouped<T: BinaryInteger>(_ n: T) -> String { Describe.grouped(n) }

    /// Rates: "0", "0.4", "12.5", "1.2k", "98k", "1.5M".
    public static func rate(_ r: Double) -> String {
        if r < 0.05 { return "0" }
        if r < 100 { return oneDecimal(r) }
        if r < 1000 { return String(Int(r.rounded())) }
        if r < 100_000 { return oneDecimal(r / 1000) + "k" }
        if r < 1_000_000 { return String(Int((r / 1000).rounded())) + "k" }
        return oneDecimal(r / 1_000_000) + "M"
    }

    /// Sizes: "812 B", "4.2 KB", "13.0 MB", "1.1 GB" (powers of 1024).
    public static func bytes(_ n: Int64) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = Double(max(0, n))
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(Int(value)) B" : oneDecimal(value) + " " + units[unit]
    }

    public static func oneDecimal(_ x: Double) -> String {
        let tenths = Int((x * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }

    public static func percent(_ share: Double) -> String {
        share <= 0 ? "0%" : share < 0.1 ? oneDecimal(share * 100) + "%" : "\(Int((share * 100).rounded()))%"
    }

    /// 3725 s → "01:02:05"; past a day, "2d 03:04".
    public static func uptime(seconds: Int64) -> String {
        let s = max(0, seconds)
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        if s >= 86_400 { return "\(s / 86_400)d \(two(s % 86_400 / 3600)):\(two(s % 3600 / 60))" }
        return "\(two(s / 3600)):\(two(s % 3600 / 60)):\(two(s % 60))"
    }

    /// An age in milliseconds: "0.3 s", "12 s", "4 min", "2 h".
    public static func age(milliseconds ms: Int64) -> String {
        if ms < 10_000 { return oneDecimal(Double(max(0, ms)) / 1000) + " s" }
        if ms < 120_000 { return "\(ms / 1000) s" }
        if ms < 7_200_000 { return "\(ms / 60_000) min" }
        return "\(ms / 3_600_000) h"
    }

    /// Pads or clips to exactly `width` columns (right-aligned when `right`).
    public static func column(_ s: String, _ width: Int, right: Bool = false) -> String {
        let w = DisplayWidth.of(s)
        if w >= width { return String(s.prefix(width)) }
        let pad = String(repeating: " ", count: width - w)
        return right ? pad + s : s + pad
    }
}
