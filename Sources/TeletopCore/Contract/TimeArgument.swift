/// `--since` and `--until` values: an ISO-8601 time (`2026-11-25T10:00:00Z`),
/// a date (`2026-11-25`, midnight UTC), or a span back from now (`90s`, `15m`,
/// `2h`, `7d`).
public enum TimeArgument {
    public static func parse(_ text: String, now: Timestamp) -> Timestamp? {
        if let t = Timestamp(iso8601: text) { return t }
        let parts = text.split(separator: "-")
        if parts.count == 3, let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
           parts[0].count == 4, (1...12).contains(m), (1...31).contains(d) {
            return Timestamp(year: y, month: m, day: d)
        }
        guard let unit = text.last, let n = Int64(text.dropLast()), n >= 0 else { return nil }
        let scale: Int64
        switch unit {
        case "s": scale = 1000
        case "m": scale = 60_000
        case "h": scale = 3_600_000
        case "d": scale = 86_400_000
        default: return nil
        }
        let (span, overflow) = n.multipliedReportingOverflow(by: scale)
        return overflow ? nil : now.adding(milliseconds: -span)
    }

    public static let help = "an ISO-8601 time (2026-11-25T10:00:00Z), a date (2026-11-25), or a span back from now (90s, 15m, 2h, 7d)"
}
