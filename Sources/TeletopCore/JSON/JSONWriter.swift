/// Serialises `JSONValue` back to text. Member order is kept; doubles use
/// Swift's shortest round-tripping form, so parse(write(v)) == v.
public enum JSONWriter {
    public static func compact(_ value: JSONValue) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(128)
        write(value, into: &out, indent: nil, level: 0)
        return String(decoding: out, as: UTF8.self)
    }

    public static func pretty(_ value: JSONValue, indent: Int = 2) -> String {
        var out: [UInt8] = []
        write(value, into: &out, indent: indent, level: 0)
        return String(decoding: out, as: UTF8.self)
    }

    public static func compactBytes(_ value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128)
        write(value, into: &out, indent: nil, level: 0)
        return out
    }

    public static func write(_ value: JSONValue, into out: inout [UInt8], indent: Int?, level: Int) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .double(let d): writeDouble(d, into: &out)
        case .string(let s): writeString(s, into: &out)
        case .array(let items):
            out.append(0x5B)
            for (n, item) in items.enumerated() {
                if n > 0 { out.append(0x2C) }
                newline(&out, indent: indent, level: level + 1)
                write(item, into: &out, indent: indent, level: level + 1)
            }
            if !items.isEmpty { newline(&out, indent: indent, level: level) }
            out.append(0x5D)
        case .object(let object):
            out.append(0x7B)
            for (n, member) in object.members.enumerated() {
                if n > 0 { out.append(0x2C) }
                newline(&out, indent: indent, level: level + 1)
                writeString(member.key, into: &out)
                out.append(0x3A)
                if indent != nil { out.append(0x20) }
                write(member.value, into: &out, indent: indent, level: level + 1)
            }
            if !object.isEmpty { newline(&out, indent: indent, level: level) }
            out.append(0x7D)
        }
    }

    private static func newline(_ out: inout [UInt8], indent: Int?, level: Int) {
        guard let indent else { return }
        out.append(0x0A)
        out.append(contentsOf: repeatElement(0x20, count: indent * level))
    }

    static func writeDouble(_ d: Double, into out: inout [UInt8]) {
        // JSON has no NaN or infinity; the parser never produces them, but a
        // hand-built value might. null is what JavaScript's JSON.stringify writes.
        guard d.isFinite else {
            out.append(contentsOf: "null".utf8)
            return
        }
        out.append(contentsOf: d.description.utf8)
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    public static func writeString(_ s: String, into out: inout [UInt8]) {
        var s = s
        s.withUTF8 { writeString(utf8: $0, into: &out) }
    }

    /// The same through a pointer with room for 6 bytes per byte of `utf8`, plus 2.
    static func writeString(utf8: UnsafeBufferPointer<UInt8>, to p: inout UnsafeMutablePointer<UInt8>) {
        p.pointee = 0x22
        p += 1
        // Runs with no escape are copied whole; eight bytes at a time are checked for one.
        var run = 0
        var k = 0
        let base = UnsafeRawPointer(utf8.baseAddress)
        while k < utf8.count {
            if let base {
                if k + 8 <= utf8.count {
                    if !mayNeedEscape(base.loadUnaligned(fromByteOffset: k, as: UInt64.self)) { k += 8; continue }
                } else {
                    // The last few bytes, in a word padded with a letter (most keys and values are short).
                    var word: UInt64 = 0x6161_6161_6161_6161
                    withUnsafeMutableBytes(of: &word) { $0.copyMemory(from: UnsafeRawBufferPointer(start: base + k, count: utf8.count - k)) }
                    if !mayNeedEscape(word) { k = utf8.count; continue }
                }
            }
            let b = utf8[k]
            k += 1
            guard b < 0x20 || b == 0x22 || b == 0x5C || b == 0x7F else { continue }
            let at = k - 1
            if at > run { p.update(from: utf8.baseAddress! + run, count: at - run); p += at - run }
            run = at + 1
            p.pointee = 0x5C
            switch b {
            case 0x22: p[1] = 0x22; p += 2
            case 0x5C: p[1] = 0x5C; p += 2
            case 0x0A: p[1] = 0x6E; p += 2
            case 0x0D: p[1] = 0x72; p += 2
            case 0x09: p[1] = 0x74; p += 2
            default:
                p[1] = 0x75; p[2] = 0x30; p[3] = 0x30
                p[4] = hexDigits[Int(b >> 4)]; p[5] = hexDigits[Int(b & 0xF)]
                p += 6
            }
        }
        if utf8.count > run { p.update(from: utf8.baseAddress! + run, count: utf8.count - run); p += utf8.count - run }
        p.pointee = 0x22
        p += 1
    }

    /// Whether any of eight bytes is below 0x20, a quote, a backslash or DEL
    /// (exact for "none": the usual bit tricks for a zero byte and a byte below n).
    @inline(__always) static func mayNeedEscape(_ x: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        func hasZero(_ v: UInt64) -> Bool { (v &- ones) & ~v & highs != 0 }
        let below20 = (x &- ones &* 0x20) & ~x & highs != 0
        return below20 || hasZero(x ^ (ones &* 0x22)) || hasZero(x ^ (ones &* 0x5C)) || hasZero(x ^ (ones &* 0x7F))
    }

    /// Decimal digits through a pointer with room for 20 bytes, without a String per number.
    public static func writeInt(_ value: Int64, to p: inout UnsafeMutablePointer<UInt8>) {
        if value < 0 { p.pointee = 0x2D; p += 1 }
        var v = value.magnitude
        var digits = 1
        var probe = v
        while probe >= 10 { probe /= 10; digits += 1 }
        var q = p + digits
        p = q
        repeat {
            q -= 1
            q.pointee = UInt8(truncatingIfNeeded: v % 10) &+ 0x30
            v /= 10
        } while v > 0
    }

    /// A string given as its UTF-8 bytes (a packed payload's, say), escaped the same way.
    public static func writeString(utf8: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        // Most strings need no escape: copy them whole.
        if !utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || $0 == 0x7F }) {
            out.append(0x22)
            out.append(contentsOf: utf8)
            out.append(0x22)
            return
        }
        out.append(0x22)
        for b in utf8 {
            switch b {
            case 0x22: out.append(0x5C); out.append(0x22)
            case 0x5C: out.append(0x5C); out.append(0x5C)
            case 0x0A: out.append(0x5C); out.append(0x6E)
            case 0x0D: out.append(0x5C); out.append(0x72)
            case 0x09: out.append(0x5C); out.append(0x74)
            case 0..<0x20, 0x7F:
                out.append(contentsOf: [0x5C, 0x75, 0x30, 0x30])
                out.append(hexDigits[Int(b >> 4)])
                out.append(hexDigits[Int(b & 0xF)])
            default: out.append(b)
            }
        }
        out.append(0x22)
    }
}
