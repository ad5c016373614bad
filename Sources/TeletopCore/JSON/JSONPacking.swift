/// An event's envelope as the packer reads it: the members `EventIngest`
/// looks at, with the payload packed, and any other members as values (an
/// event from a collector's stream has a few more; a line rarely has any, and
/// then nothing is allocated for them).
public struct PackedEnvelope: Sendable {
    /// `event_type`'s value, whatever it is (nil: absent).
    public var eventType: JSONValue?
    /// `timestamp` when it is a string that names a time (a plain one is read
    /// from its bytes, with no String made); otherwise nil, and `timestamp` holds it.
    public var stamp: Timestamp?
    /// `timestamp`'s value when `stamp` could not be read from it (nil: absent).
    public var timestamp: JSONValue?
    public var packed: PackedPayload
    /// The other members, in order.
    public var others: JSONObject
}

/// Parsing straight into `PackedPayload`'s layout: every line of a followed
/// file and every HTTP body is an object whose `payload` ends up packed, and
/// building it as `JSONValue` first (a String per key and value, an array per
/// object) was most of the cost of reading a line.
///
/// The packer accepts exactly what `JSONParser` accepts and writes exactly
/// the bytes `PackedPayload(JSONObject)` would; it does not word its errors.
/// A document it refuses is parsed again by `JSONParser`, which says what is
/// wrong and where (a property test holds the two together).
extension JSONParser {
    /// A top-level object whose `payload` is an object, packed, with its
    /// `event_type` and `timestamp`; nil when the document is not valid JSON,
    /// not an object, or has no object `payload`.
    public static func parseEnvelope(_ buffer: UnsafeBufferPointer<UInt8>, limits: JSONParserLimits) -> PackedEnvelope? {
        guard buffer.count <= limits.maxBytes else { return nil }
        var reader = ByteReader(buffer: buffer, limits: limits)
        do throws(JSONParseError) {
            reader.skipWhitespace()
            guard reader.index < buffer.count, buffer[reader.index] == JSONByte.openBrace else { return nil }
            reader.index += 1
            var eventType: JSONValue?, timestamp: JSONValue?, stamp: Timestamp?, packed: PackedPayload?
            var others: [JSONObject.Member] = []
            reader.skipWhitespace()
            if reader.index < buffer.count, buffer[reader.index] == JSONByte.closeBrace { return nil }
            while true {
                reader.skipWhitespace()
                guard reader.index < buffer.count, buffer[reader.index] == JSONByte.quote else { return nil }
                let key = try reader.envelopeKey()
                reader.skipWhitespace()
                guard reader.index < buffer.count, buffer[reader.index] == JSONByte.colon else { return nil }
                reader.index += 1
                reader.skipWhitespace()
                switch key {
                case .payload:
                    guard packed == nil, reader.index < buffer.count, buffer[reader.index] == JSONByte.openBrace else { return nil }
                    var out: [UInt8] = []
                    out.reserveCapacity(256)
                    // Depths as `JSONParser` counts them: the envelope is 1, its members' objects 2.
                    try reader.packObject(depth: 2, into: &out)
                    packed = PackedPayload(bytes: out)
                case .eventType:
                    guard eventType == nil else { return nil }
                    eventType = try reader.parseValue(depth: 1)
                case .timestamp:
                    guard timestamp == nil, stamp == nil else { return nil }
                    (stamp, timestamp) = try reader.envelopeTimestamp()
                case .other(let name):
                    if others.contains(where: { $0.key == name }) { return nil }
                    others.append(JSONObject.Member(key: name, value: try reader.parseValue(depth: 1)))
                }
                reader.skipWhitespace()
                guard reader.index < buffer.count else { return nil }
                if buffer[reader.index] == JSONByte.comma { reader.index += 1; continue }
                if buffer[reader.index] == JSONByte.closeBrace { reader.index += 1; break }
                return nil
            }
            reader.skipWhitespace()
            guard reader.index == buffer.count, let packed else { return nil }
            return PackedEnvelope(eventType: eventType, stamp: stamp, timestamp: timestamp, packed: packed, others: JSONObject(others))
        } catch {
            return nil
        }
    }
}

extension ByteReader {
    enum EnvelopeKey: Equatable {
        case eventType, payload, timestamp
        case other(String)
    }

    /// The key at `index` (its quote): a plain one is told by its bytes, with
    /// no String made; one with escapes is decoded first, so `"payl\u006fad"`
    /// is `payload` here as it is to the parser.
    mutating func envelopeKey() throws(JSONParseError) -> EnvelopeKey {
        let open = index
        index += 1
        if let plain = try scanPlainString(open: open) {
            let bytes = UnsafeBufferPointer(rebasing: buffer[plain])
            if Bytes.equal(bytes, "payload") { return .payload }
            if Bytes.equal(bytes, "event_type") { return .eventType }
            if Bytes.equal(bytes, "timestamp") { return .timestamp }
            return .other(String(decoding: bytes, as: UTF8.self))
        }
        index = open
        switch try parseString() {
        case "payload": return .payload
        case "event_type": return .eventType
        case "timestamp": return .timestamp
        case let name: return .other(name)
        }
    }

    /// A timestamp's value: a string that names a time as that time (a plain
    /// one straight from its bytes); anything else as a value, for `EventIngest` to word.
    mutating func envelopeTimestamp() throws(JSONParseError) -> (Timestamp?, JSONValue?) {
        if index < buffer.count, buffer[index] == JSONByte.quote {
            let open = index
            index += 1
            if let plain = try scanPlainString(open: open) {
                let bytes = UnsafeBufferPointer(rebasing: buffer[plain])
                if let t = Timestamp(iso8601Bytes: bytes) { return (t, nil) }
                return (nil, .string(String(decoding: bytes, as: UTF8.self)))
            }
            index = open
        }
        let value = try parseValue(depth: 1)
        if case .string(let s) = value, let t = Timestamp(iso8601: s) { return (t, nil) }
        return (nil, value)
    }
}

extension ByteReader {
    mutating func packValue(depth: Int, into out: inout [UInt8]) throws(JSONParseError) {
        guard index < buffer.count else { throw unexpected(expecting: "a value") }
        switch buffer[index] {
        case JSONByte.quote:
            out.append(PackedPayload.Tag.string.rawValue)
            try packString(into: &out)
        case JSONByte.openBrace: try packObject(depth: depth + 1, into: &out)
        case JSONByte.openBracket: try packArray(depth: depth + 1, into: &out)
        case 0x74: try expectLiteral("true"); out.append(PackedPayload.Tag.trueValue.rawValue)
        case 0x66: try expectLiteral("false"); out.append(PackedPayload.Tag.falseValue.rawValue)
        case 0x6E: try expectLiteral("null"); out.append(PackedPayload.Tag.null.rawValue)
        case JSONByte.minus, JSONByte.zero...JSONByte.nine: PackedPayload.appendNumber(try parseNumber(), to: &out)
        default: throw unexpected(expecting: "a value")
        }
    }

    /// The object at `index` (its `{`): the tag, the member count, then each key
    /// (length and bytes) and value. The count is known only at the end, so it
    /// is put in front of the members once they are written.
    mutating func packObject(depth: Int, into out: inout [UInt8]) throws(JSONParseError) {
        if depth > limits.maxDepth { throw fail("nesting deeper than the limit of \(limits.maxDepth)") }
        index += 1
        out.append(PackedPayload.Tag.object.rawValue)
        let countAt = out.count
        skipWhitespace()
        if index < buffer.count && buffer[index] == JSONByte.closeBrace {
            index += 1
            out.append(0)
            return
        }
        // Where each key's bytes are in `out`, to refuse a duplicate as the parser does.
        var keys: [Range<Int>] = []
        keys.reserveCapacity(8)
        var seen: Set<[UInt8]>?
        while true {
            skipWhitespace()
            guard index < buffer.count, buffer[index] == JSONByte.quote else { throw unexpected(expecting: "a string key") }
            let key = try packString(into: &out)
            // The parser refuses duplicates as Strings, which are equal when canonically
            // equivalent ("\u00e9" and "e\u0301", "K" and the Kelvin sign): bytes say the
            // same only for ASCII, so a key beyond it is left to the parser.
            if key.escaped && out[key.bytes].contains(where: { $0 >= 0x80 }) { throw fail("a key beyond ASCII") }
            let duplicate = keys.count < 16 && out.withUnsafeBufferPointer { o in
                keys.contains { Bytes.equal(UnsafeBufferPointer(rebasing: o[$0]), UnsafeBufferPointer(rebasing: o[key.bytes])) }
            }
            if duplicate { throw fail("duplicate key") }
            if keys.count >= 16 {
                if seen == nil { seen = Set(keys.map { Array(out[$0]) }) }
                if !seen!.insert(Array(out[key.bytes])).inserted { throw fail("duplicate key") }
            }
            keys.append(key.bytes)
            skipWhitespace()
            guard index < buffer.count, buffer[index] == JSONByte.colon else { throw unexpected(expecting: "':' after an object key") }
            index += 1
            skipWhitespace()
            try packValue(depth: depth, into: &out)
            skipWhitespace()
            guard index < buffer.count else { throw unexpected(expecting: "',' or '}'") }
            if buffer[index] == JSONByte.comma { index += 1; continue }
            if buffer[index] == JSONByte.closeBrace { index += 1; break }
            throw unexpected(expecting: "',' or '}'")
        }
        PackedPayload.insertVarint(UInt64(keys.count), at: countAt, &out)
    }

    mutating func packArray(depth: Int, into out: inout [UInt8]) throws(JSONParseError) {
        if depth > limits.maxDepth { throw fail("nesting deeper than the limit of \(limits.maxDepth)") }
        index += 1
        out.append(PackedPayload.Tag.array.rawValue)
        let countAt = out.count
        skipWhitespace()
        if index < buffer.count && buffer[index] == JSONByte.closeBracket {
            index += 1
            out.append(0)
            return
        }
        var count: UInt64 = 0
        while true {
            skipWhitespace()
            try packValue(depth: depth, into: &out)
            count += 1
            skipWhitespace()
            guard index < buffer.count else { throw unexpected(expecting: "',' or ']'") }
            if buffer[index] == JSONByte.comma { index += 1; continue }
            if buffer[index] == JSONByte.closeBracket { index += 1; break }
            throw unexpected(expecting: "',' or ']'")
        }
        PackedPayload.insertVarint(count, at: countAt, &out)
    }

    /// The string at `index` (its opening quote) as its UTF-8 length and bytes,
    /// unescaped; returns where the bytes went in `out` (a key's, to compare),
    /// and whether it took the slow path (escapes, or bytes beyond ASCII).
    @discardableResult
    mutating func packString(into out: inout [UInt8]) throws(JSONParseError) -> (bytes: Range<Int>, escaped: Bool) {
        let open = index
        index += 1
        let start = index
        let length: Int
        let escaped: Bool
        if let plain = try scanPlainString(open: open) {
            length = plain.count
            PackedPayload.appendVarint(UInt64(length), &out)
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[plain]))
            escaped = false
        } else {
            try scanStringSlow(open: open, start: start)
            length = scratch.count
            PackedPayload.appendVarint(UInt64(length), &out)
            out.append(contentsOf: scratch)
            escaped = true
        }
        return ((out.count - length)..<out.count, escaped)
    }

}
