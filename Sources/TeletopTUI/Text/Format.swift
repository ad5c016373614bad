import TeletopCore

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

    /// Pads to `width` columns (right-aligned when `right`); longer text is
    /// clipped to `width` characters, which is `width` columns for the ASCII
    /// labels and numbers it is used for (wide text is clipped by `CellGrid.put`).
    public static func column(_ s: String, _ width: Int, right: Bool = false) -> String {
        let w = DisplayWidth.of(s)
        if w >= width { return String(s.prefix(width)) }
        let pad = String(repeating: " ", count: width - w)
        return right ? pad + s : s + pad
    }

    /// `text` less its first `columns` columns (never half a cluster).
    /// The first whole clusters of `text` that fit in `columns`.
    public static func keepColumns(_ text: String, _ columns: Int) -> String {
        var used = 0
        var index = text.startIndex
        while index < text.endIndex, used + DisplayWidth.of(text[index]) <= columns {
            used += DisplayWidth.of(text[index])
            index = text.index(after: index)
        }
        return String(text[..<index])
    }

    public static func dropColumns(_ text: String, _ columns: Int) -> String {
        guard columns > 0 else { return text }
        var used = 0
        var index = text.startIndex
        while index < text.endIndex, used < columns {
            used += DisplayWidth.of(text[index])
            index = text.index(after: index)
        }
        return String(text[index...])
    }
}
