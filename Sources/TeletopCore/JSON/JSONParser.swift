/// Why a document was refused, and where: `offset` is the byte index at which
/// the parser gave up, so a client can point at the bad character.
public struct JSONParseError: Error, Equatable, Sendable, CustomStringConvertible {
    public var offset: Int
    public var reason: String

    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "invalid JSON at byte \(offset): \(reason)" }
}

public struct JSONParserLimits: Sendable, Equatable {
    /// Arrays and objects nested deeper than this are refused (stack safety).
    public var maxDepth: Int
    /// The whole document, in bytes.
    public var maxBytes: Int
    /// One string (key or value), in bytes of UTF-8 after unescaping.
    public var maxStringBytes: Int

    public init(maxDepth: Int = 64, maxBytes: Int = 1 << 20, maxStringBytes: Int = 64 << 10) {
        self.maxDepth = maxDepth
        self.maxBytes = maxBytes
        self.maxStringBytes = maxStringBytes
    }

    public static let `default` = JSONParserLimits()
}

/// A strict RFC 8259 parser that works on bytes and builds `JSONValue` directly.
///
/// Strictness, on purpose: invalid UTF-8, lone surrogates, control characters in
/// strings, leading zeros, trailing garbage and numbers that do not fit
/// (integers beyond Int64, doubles beyond Double) are errors. Duplicate object
/// keys are errors too: silently keeping the first or last would let two
/// readers of the same event disagree about its contents.
public enum JSONParser {
    public static func parse(_ bytes: [UInt8], limits: JSONParserLimits = .default) throws(JSONParseError) -> JSONValue {
        let result: Result<JSONValue, JSONParseError> = bytes.withUnsafeBufferPointer { buffer in
            do throws(JSONParseError) {
                return .success(try parse(buffer, limits: limits))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    public static func parse(_ text: String, limits: JSONParserLimits = .default) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8), limits: limits)
    }

    public static func parse(_ buffer: UnsafeBufferPointer<UInt8>, limits: JSONParserLimits = .default) throws(JSONParseError) -> JSONValue {
        if buffer.count > limits.maxBytes {
            throw JSONParseError(offset: limits.maxBytes, reason: "document is \(buffer.count) bytes, over the limit of \(limits.maxBytes)")
        }
        var reader = ByteReader(buffer: buffer, limits: limits)
        reader.skipWhitespace()
        let value = try reader.parseValue(depth: 0)
        reader.skipWhitespace()
        if reader.index < buffer.count {
            throw JSONParseError(offset: reader.index, reason: "unexpected \(describeByte(buffer[reader.index])) after the end of the document")
        }
        return value
    }

    static func describeByte(_ byte: UInt8) -> String {
        if byte >= 0x21 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        let hex = String(byte, radix: 16, uppercase: true)
        return "byte 0x" + (hex.count == 1 ? "0" + hex : hex)
    }
}

enum JSONByte {
    static let quote: UInt8 = 0x22, backslash: UInt8 = 0x5C, slash: UInt8 = 0x2F
    static let openBrace: UInt8 = 0x7B, closeBrace: UInt8 = 0x7D
    static let openBracket: UInt8 = 0x5B, closeBracket: UInt8 = 0x5D
    static let comma: UInt8 = 0x2C, colon: UInt8 = 0x3A, minus: UInt8 = 0x2D, plus: UInt8 = 0x2B
    static let dot: UInt8 = 0x2E, zero: UInt8 = 0x30, nine: UInt8 = 0x39
    static let lowerE: UInt8 = 0x65, upperE: UInt8 = 0x45
}

/// Internal, not private: `JSONPacking.swift` extends it to pack payloads without building values.
struct ByteReader {
    let buffer: UnsafeBufferPointer<UInt8>
    let limits: JSONParserLimits
    var index = 0
    /// Reused across strings that contain escapes, so only the first one allocates.
    var scratch: [UInt8] = []

    init(buffer: UnsafeBufferPointer<UInt8>, limits: JSONParserLimits) {
        self.buffer = buffer
        self.limits = limits
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while index < buffer.count {
            switch buffer[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    func fail(_ reason: String, at offset: Int? = nil) -> JSONParseError {
        JSONParseError(offset: offset ?? index, reason: reason)
    }

    func unexpected(expecting: String) -> JSONParseError {
        if index >= buffer.count { return fail("unexpected end of input, expected \(expecting)") }
        return fail("unexpected \(JSONParser.describeByte(buffer[index])), expected \(expecting)")
    }

    mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
        guard index < buffer.count else { throw unexpected(expecting: "a value") }
        switch buffer[index] {
        case JSONByte.quote: return .string(try parseString())
        case JSONByte.openBrace: return try parseObject(depth: depth + 1)
        case JSONByte.openBracket: return try parseArray(depth: depth + 1)
        case 0x74: try expectLiteral("true"); return .bool(true)
        case 0x66: try expectLiteral("false"); return .bool(false)
        case 0x6E: try expectLiteral("null"); return .null
        case JSONByte.minus, JSONByte.zero...JSONByte.nine: return try parseNumber()
        case 0x41...0x5A, 0x61...0x7A: throw unknownWord(expected: nil)
        default: throw unexpected(expecting: "a value")
        }
    }

    mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        let ptr = literal.utf8Start
        guard buffer.count - index >= count, (0..<count).allSatisfy({ buffer[index + $0] == ptr[$0] }) else {
            throw unknownWord(expected: "\(literal)")
        }
        // `nullx` is not null followed by garbage the caller would report vaguely.
        if index + count < buffer.count, Self.isWordByte(buffer[index + count]) { throw unknownWord(expected: "\(literal)") }
        index += count
    }

    static func isWordByte(_ b: UInt8) -> Bool {
        (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) || (0x30...0x39).contains(b) || b == 0x5F
    }

    /// A bare word where a value goes: `tru` is a cut-off `true`; `not json`
    /// is text that needed quotes, and the message says so.
    func unknownWord(expected literal: String?) -> JSONParseError {
        var end = index
        while end < buffer.count, end - index < 24, Self.isWordByte(buffer[end]) { end += 1 }
        let word = String(decoding: UnsafeBufferPointer(rebasing: buffer[index..<end]), as: UTF8.self)
        if let literal, literal.hasPrefix(word) {
            return fail("invalid literal \"\(word)\", expected \(literal)")
        }
        return fail("unexpected word \"\(word)\": a JSON value is an object, an array, a \"quoted string\", a number, true, false or null")
    }

    mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONValue {
        if depth > limits.maxDepth { throw fail("nesting deeper than the limit of \(limits.maxDepth)") }
        index += 1
        var members: [JSONObject.Member] = []
        skipWhitespace()
        if index < buffer.count && buffer[index] == JSONByte.closeBrace {
            index += 1
            return .object(JSONObject(members))
        }
        members.reserveCapacity(8)
        var seenKeys: Set<String>? = nil
        while true {
            skipWhitespace()
            guard index < buffer.count, buffer[index] == JSONByte.quote else { throw unexpected(expecting: "a string key") }
            let keyOffset = index
            let key = try parseString()
            // Small objects: a scan is cheaper than hashing. Larger: switch to a set.
            if members.count < 16 {
                for m in members where m.key == key { throw fail("duplicate key \"\(key)\"", at: keyOffset) }
            } else {
                if seenKeys == nil { seenKeys = Set(members.map(\.key)) }
                if !seenKeys!.insert(key).inserted { throw fail("duplicate key \"\(key)\"", at: keyOffset) }
            }
            skipWhitespace()
            guard index < buffer.count, buffer[index] == JSONByte.colon else { throw unexpected(expecting: "':' after an object key") }
            index += 1
            skipWhitespace()
            let value = try parseValue(depth: depth)
            members.append(JSONObject.Member(key: key, value: value))
            skipWhitespace()
            guard index < buffer.count else { throw unexpected(expecting: "',' or '}'") }
            if buffer[index] == JSONByte.comma { index += 1; continue }
            if buffer[index] == JSONByte.closeBrace { index += 1; break }
            throw unexpected(expecting: "',' or '}'")
        }
        return .object(JSONObject(members))
    }

    mutating func parseArray(depth: Int) throws(JSONParseError) -> JSONValue {
        if depth > limits.maxDepth { throw fail("nesting deeper than the limit of \(limits.maxDepth)") }
        index += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if index < buffer.count && buffer[index] == JSONByte.closeBracket {
            index += 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            items.append(try parseValue(depth: depth))
            skipWhitespace()
            guard index < buffer.count else { throw unexpected(expecting: "',' or ']'") }
            if buffer[index] == JSONByte.comma { index += 1; continue }
            if buffer[index] == JSONByte.closeBracket { index += 1; break }
            throw unexpected(expecting: "',' or ']'")
        }
        return .array(items)
    }

    // MARK: strings

    mutating func parseString() throws(JSONParseError) -> String {
        let open = index
        index += 1
        let start = index
        if let plain = try scanPlainString(open: open) {
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[plain]), as: UTF8.self)
        }
        return try parseStringSlow(open: open, start: start)
    }

    /// The fast path, from just after the opening quote at `open`: a string of
    /// plain ASCII with no escapes is its bytes in the buffer, and `index` moves
    /// past its closing quote. nil leaves `index` at the first byte that needs
    /// the slow path (an escape, a control character, non-ASCII, the end).
    @inline(__always)
    mutating func scanPlainString(open: Int) throws(JSONParseError) -> Range<Int>? {
        let start = index
        // Eight bytes a step while none of them can end the fast path; the byte loop finds which one does.
        if let base = UnsafeRawPointer(buffer.baseAddress) {
            while index + 8 <= buffer.count, !Self.mayEndPlainRun(base.loadUnaligned(fromByteOffset: index, as: UInt64.self)) {
                index += 8
            }
        }
        while index < buffer.count {
            let b = buffer[index]
            if b == JSONByte.quote {
                if index - start > limits.maxStringBytes { throw tooLong(at: open) }
                index += 1
                return start..<(index - 1)
            }
            if b == JSONByte.backslash || b < 0x20 || b >= 0x80 { return nil }
            index += 1
        }
        return nil
    }

    /// Whether any of eight bytes is a quote, a backslash, below 0x20 or
    /// beyond ASCII (exact for "none": the bit tricks for a zero byte and for
    /// a byte below n, as in `JSONWriter.mayNeedEscape`).
    @inline(__always)
    static func mayEndPlainRun(_ x: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        func hasZero(_ v: UInt64) -> Bool { (v &- ones) & ~v & highs != 0 }
        return x & highs != 0 || (x &- ones &* 0x20) & ~x & highs != 0 || hasZero(x ^ (ones &* 0x22)) || hasZero(x ^ (ones &* 0x5C))
    }

    func tooLong(at offset: Int) -> JSONParseError {
        fail("string longer than the limit of \(limits.maxStringBytes) bytes", at: offset)
    }

    mutating func parseStringSlow(open: Int, start: Int) throws(JSONParseError) -> String {
        try scanStringSlow(open: open, start: start)
        return String(decoding: scratch, as: UTF8.self)
    }

    /// The string from `start` (its opening quote at `open`), unescaped into `scratch`.
    mutating func scanStringSlow(open: Int, start: Int) throws(JSONParseError) {
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[start..<index]))
        while true {
            guard index < buffer.count else { throw fail("unterminated string", at: open) }
            let b = buffer[index]
            if scratch.count > limits.maxStringBytes { throw tooLong(at: open) }
            switch b {
            case JSONByte.quote:
                index += 1
                return
            case JSONByte.backslash:
                try parseEscape()
            case 0..<0x20:
                throw fail("control character \(JSONParser.describeByte(b)) inside a string must be escaped")
            case 0x20..<0x80:
                scratch.append(b)
                index += 1
            default:
                let length = try validateUTF8Sequence()
                scratch.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[index..<(index + length)]))
                index += length
            }
        }
    }

    /// Checks one multi-byte UTF-8 sequence at `index` (RFC 3629: no overlongs,
    /// no surrogates, nothing above U+10FFFF) and returns its length.
    func validateUTF8Sequence() throws(JSONParseError) -> Int {
        let b0 = buffer[index]
        let length: Int
        var secondRange: ClosedRange<UInt8> = 0x80...0xBF
        switch b0 {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; secondRange = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; secondRange = 0x80...0x9F
        case 0xF0: length = 4; secondRange = 0x90...0xBF
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; secondRange = 0x80...0x8F
        default: throw fail("invalid UTF-8 lead \(JSONParser.describeByte(b0))")
        }
        guard buffer.count - index >= length else { throw fail("truncated UTF-8 sequence") }
        guard secondRange.contains(buffer[index + 1]) else { throw fail("invalid UTF-8 sequence") }
        for i in 2..<length where buffer[index + i] & 0xC0 != 0x80 {
            throw fail("invalid UTF-8 sequence")
        }
        return length
    }

    mutating func parseEscape() throws(JSONParseError) {
        let escapeStart = index
        guard index + 1 < buffer.count else { throw fail("unterminated escape sequence") }
        let c = buffer[index + 1]
        index += 2
        switch c {
        case JSONByte.quote: scratch.append(JSONByte.quote)
        case JSONByte.backslash: scratch.append(JSONByte.backslash)
        case JSONByte.slash: scratch.append(JSONByte.slash)
        case 0x62: scratch.append(0x08)  // b
        case 0x66: scratch.append(0x0C)  // f
        case 0x6E: scratch.append(0x0A)  // n
        case 0x72: scratch.append(0x0D)  // r
        case 0x74: scratch.append(0x09)  // t
        case 0x75:  // u
            var scalar = try readHex4(escapeStart: escapeStart)
            if (0xD800...0xDBFF).contains(scalar) {
                guard index + 1 < buffer.count, buffer[index] == JSONByte.backslash, buffer[index + 1] == 0x75 else {
                    throw fail("lone high surrogate \\u\(hex(scalar)) without a low surrogate", at: escapeStart)
                }
                index += 2
                let low = try readHex4(escapeStart: index - 2)
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw fail("high surrogate \\u\(hex(scalar)) followed by \\u\(hex(low)), not a low surrogate", at: escapeStart)
                }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(scalar) {
                throw fail("lone low surrogate \\u\(hex(scalar))", at: escapeStart)
            }
            appendUTF8(scalar)
        default:
            throw fail("invalid escape \\\(Character(Unicode.Scalar(c)))", at: escapeStart)
        }
    }

    func hex(_ v: UInt32) -> String {
        let s = String(v, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - s.count)) + s
    }

    mutating func readHex4(escapeStart: Int) throws(JSONParseError) -> UInt32 {
        guard buffer.count - index >= 4 else { throw fail("truncated \\u escape", at: escapeStart) }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let b = buffer[index]
            let d: UInt8
            switch b {
            case 0x30...0x39: d = b - 0x30
            case 0x41...0x46: d = b - 0x41 + 10
            case 0x61...0x66: d = b - 0x61 + 10
            default: throw fail("invalid hex digit in \\u escape", at: escapeStart)
            }
            v = v << 4 | UInt32(d)
            index += 1
        }
        return v
    }

    mutating func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case 0..<0x80:
            scratch.append(UInt8(scalar))
        case 0x80..<0x800:
            scratch.append(UInt8(0xC0 | (scalar >> 6)))
            scratch.append(UInt8(0x80 | (scalar & 0x3F)))
        case 0x800..<0x10000:
            scratch.append(UInt8(0xE0 | (scalar >> 12)))
            scratch.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            scratch.append(UInt8(0x80 | (scalar & 0x3F)))
        default:
            scratch.append(UInt8(0xF0 | (scalar >> 18)))
            scratch.append(UInt8(0x80 | ((scalar >> 12) & 0x3F)))
            scratch.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            scratch.append(UInt8(0x80 | (scalar & 0x3F)))
        }
    }

    // MARK: numbers

    mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = index
        var negative = false
        if buffer[index] == JSONByte.minus {
            negative = true
            index += 1
        }
        guard index < buffer.count, (JSONByte.zero...JSONByte.nine).contains(buffer[index]) else {
            throw fail("expected a digit", at: index)
        }
        // Accumulate as a negative number so Int64.min fits.
        var magnitude: Int64 = 0
        var overflow = false
        if buffer[index] == JSONByte.zero {
            index += 1
            if index < buffer.count, (JSONByte.zero...JSONByte.nine).contains(buffer[index]) {
                throw fail("leading zeros are not allowed", at: start)
            }
        } else {
            while index < buffer.count, (JSONByte.zero...JSONByte.nine).contains(buffer[index]) {
                let digit = Int64(buffer[index] - JSONByte.zero)
                let (m, o1) = magnitude.multipliedReportingOverflow(by: 10)
                let (n, o2) = m.subtractingReportingOverflow(digit)
                overflow = overflow || o1 || o2
                magnitude = n
                index += 1
            }
        }
        var isInteger = true
        if index < buffer.count, buffer[index] == JSONByte.dot {
            isInteger = false
            index += 1
            guard index < buffer.count, (JSONByte.zero...JSONByte.nine).contains(buffer[index]) else {
                throw fail("expected a digit after the decimal point")
            }
            while index < buffer.count, (JSONByte.zero...JSONByte.nine).contains(buffer[index]) { index += 1 }
        }
        if index < buffer.count, buffer[index] == JSONByte.lowerE || buffer[index] == JSONByte.upperE {
            isInteger = false
            index += 1
            if index < buffer.count, buffer[index] == JSONByte.plus || buffer[index] == JSONByte.minus { index += 1 }
            guard index < buffer.count, (JSONByte.zero...JSONByte.nine).contains(buffer[index]) else {
                throw fail("expected a digit in the exponent")
            }
            while index < buffer.count, (JSONByte.zero...JSONByte.nine).contains(buffer[index]) { index += 1 }
        }
        if isInteger {
            if !negative {
                let (positive, o) = (0 as Int64).subtractingReportingOverflow(magnitude)
                overflow = overflow || o
                magnitude = positive
            }
            // Beyond 64 bits an integer is kept as a double, as JavaScript would read it
            // (RFC 8259 leaves the range to implementations): a client's huge id is not a reason
            // to refuse its event; a planned `integer` field still refuses it by type.
            if !overflow { return .int(magnitude) }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<index]), as: UTF8.self)
        guard let d = Double(text), d.isFinite else {
            throw fail("number out of range for a double", at: start)
        }
        return .double(d)
    }
}
