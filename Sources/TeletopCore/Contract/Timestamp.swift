import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A point in time with millisecond precision, as the contract's timestamps
/// carry it. Kept as an integer so stamping an event costs one clock read;
/// the ISO-8601 text is made only when something shows or sends it.
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var millisecondsSinceEpoch: Int64

    public init(millisecondsSinceEpoch: Int64) {
        self.millisecondsSinceEpoch = millisecondsSinceEpoch
    }

    public static func < (a: Timestamp, b: Timestamp) -> Bool {
        a.millisecondsSinceEpoch < b.millisecondsSinceEpoch
    }

    public var secondsSinceEpoch: Int64 { floorDiv(millisecondsSinceEpoch, 1000) }

    public func adding(milliseconds: Int64) -> Timestamp {
        Timestamp(millisecondsSinceEpoch: millisecondsSinceEpoch + milliseconds)
    }

    public var description: String { iso8601 }

    /// `2025-01-27T00:00:00.000Z`. Civil-from-days arithmetic (Howard Hinnant's
    /// algorithm) instead of a formatter: no locale, no allocation but the result.
    public var iso8601: String {
        let c = civil
        var bytes = [UInt8](repeating: 0, count: 24)
        func put(_ v: Int, _ at: Int, _ width: Int) {
            var v = v
            for i in stride(from: at + width - 1, through: at, by: -1) {
                bytes[i] = UInt8(0x30 + v % 10)
                v /= 10
            }
        }
        put(c.year, 0, 4); bytes[4] = 0x2D
        put(c.month, 5, 2); bytes[7] = 0x2D
        put(c.day, 8, 2); bytes[10] = 0x54
        put(c.hour, 11, 2); bytes[13] = 0x3A
        put(c.minute, 14, 2); bytes[16] = 0x3A
        put(c.second, 17, 2); bytes[19] = 0x2E
        put(c.millisecond, 20, 3); bytes[23] = 0x5A
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `HH:MM:SS.mmm`, for the feed.
    public var timeOfDay: String {
        let c = civil
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let ms = c.millisecond < 10 ? "00\(c.millisecond)" : c.millisecond < 100 ? "0\(c.millisecond)" : "\(c.millisecond)"
        return "\(two(c.hour)):\(two(c.minute)):\(two(c.second)).\(ms)"
    }

    public struct Civil: Equatable, Sendable {
        public var year, month, day, hour, minute, second, millisecond: Int
    }

    public var civil: Civil {
        let ms = Int(floorMod(millisecondsSinceEpoch, 1000))
        let secs = floorDiv(millisecondsSinceEpoch, 1000)
        let days = floorDiv(secs, 86_400)
        let secOfDay = Int(secs - days * 86_400)
        let z = days + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = Int(doy - (153 * mp + 2) / 5 + 1)
        let month = Int(mp < 10 ? mp + 3 : mp - 9)
        let year = Int(yoe + era * 400) + (month <= 2 ? 1 : 0)
        return Civil(year: year, month: month, day: day, hour: secOfDay / 3600, minute: secOfDay / 60 % 60,
                     second: secOfDay % 60, millisecond: ms)
    }

    public init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0, millisecond: Int = 0) {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = floorDiv(y, 400)
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        let secs = days * 86_400 + Int64(hour) * 3600 + Int64(minute) * 60 + Int64(second)
        millisecondsSinceEpoch = secs * 1000 + Int64(millisecond)
    }

    /// Parses RFC 3339 / ISO-8601 date-times: `2025-01-27T00:00:00Z`, with
    /// optional fractional seconds (kept to the millisecond) and a `Z` or
    /// `±HH:MM` offset, converted to UTC. Anything else is nil.
    public init?(iso8601 text: String) {
        var text = text
        guard let t = text.withUTF8({ Timestamp(iso8601Bytes: $0) }) else { return nil }
        self = t
    }

    public init?(iso8601Bytes b: UnsafeBufferPointer<UInt8>) {
        guard b.count >= 20 else { return nil }
        func num(_ at: Int, _ width: Int) -> Int? {
            guard at + width <= b.count else { return nil }
            var v = 0
            for i in at..<(at + width) {
                guard b[i] >= 0x30 && b[i] <= 0x39 else { return nil }
                v = v * 10 + Int(b[i] - 0x30)
            }
            return v
        }
        guard let year = num(0, 4), b[4] == 0x2D, let month = num(5, 2), b[7] == 0x2D, let day = num(8, 2),
              b[10] == 0x54 || b[10] == 0x74, let hour = num(11, 2), b[13] == 0x3A, let minute = num(14, 2),
              b[16] == 0x3A, let second = num(17, 2)
        else { return nil }
        guard (1...12).contains(month), (1...Timestamp.daysIn(month: month, year: year)).contains(day),
              hour < 24, minute < 60, second < 61
        else { return nil }
        var i = 19
        var millis = 0
        if i < b.count && b[i] == 0x2E {
            i += 1
            var digits = 0
            while i < b.count && b[i] >= 0x30 && b[i] <= 0x39 {
                if digits < 3 { millis = millis * 10 + Int(b[i] - 0x30) }
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<max(digits, 3) { millis *= 10 }
        }
        guard i < b.count else { return nil }
        var offsetMinutes = 0
        if b[i] == 0x5A || b[i] == 0x7A {
            i += 1
        } else if b[i] == 0x2B || b[i] == 0x2D {
            guard let oh = num(i + 1, 2), i + 3 < b.count, b[i + 3] == 0x3A, let om = num(i + 4, 2), oh < 24, om < 60
            else { return nil }
            offsetMinutes = (oh * 60 + om) * (b[i] == 0x2D ? -1 : 1)
            i += 6
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        // A leap second (:60) is read as :59.999 of the same minute rather than refused.
        self.init(year: year, month: month, day: day, hour: hour, minute: minute, second: min(second, 59),
                  millisecond: second == 60 ? 999 : millis)
        millisecondsSinceEpoch -= Int64(offsetMinutes) * 60_000
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}

@inline(__always) func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}

@inline(__always) func floorMod(_ a: Int64, _ b: Int64) -> Int64 {
    a - floorDiv(a, b) * b
}

/// Where "now" comes from. Injected everywhere so tests move time by hand and never sleep.
public protocol TelemetryClock: Sendable {
    func now() -> Timestamp
}

public struct SystemClock: TelemetryClock {
    public init() {}
    public func now() -> Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(millisecondsSinceEpoch: Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000)
    }
}


/// A clock that only moves when told to: for tests and for deterministic demos.
public final class ManualClock: TelemetryClock {
    private let current: Mutex<Timestamp>

    public init(_ start: Timestamp = Timestamp(year: 2025, month: 1, day: 27)) {
        current = Mutex(start)
    }

    public func now() -> Timestamp { current.withLock { $0 } }

    public func advance(milliseconds: Int64) {
        current.withLock { $0 = $0.adding(milliseconds: milliseconds) }
    }

    public func set(_ t: Timestamp) {
        current.withLock { $0 = t }
    }
}
