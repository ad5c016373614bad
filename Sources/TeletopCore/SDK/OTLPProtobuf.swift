/// OTLP/HTTP's protobuf bodies, read into the same shape as OTLP's JSON
/// encoding (lowerCamelCase keys, 64-bit integers as strings, ids as hex), so
/// one mapping serves both content types.
///
/// A reader of its own, not swift-protobuf: the logs request is ten small
/// messages, and swift-protobuf would need code generated from the
/// OpenTelemetry project's .proto files (theirs, not ours to commit) or its
/// plugin built on every CI run (minutes). Field numbers are those of
/// opentelemetry/proto/{collector/logs/v1,logs/v1,common/v1,resource/v1}.
public enum OTLPProtobuf {
    public struct DecodeError: Error, Sendable, CustomStringConvertible {
        public var offset: Int
        public var reason: String
        public var description: String { "protobuf body at byte \(offset): \(reason)" }
    }

    /// An `ExportLogsServiceRequest` as OTLP JSON would spell it.
    public static func logsRequest(_ bytes: [UInt8]) throws(DecodeError) -> JSONValue {
        try bytes.withUnsafeBufferPointer { (b) throws(DecodeError) -> JSONValue in
            var reader = Reader(bytes: b, start: 0, end: b.count)
            var resourceLogs: [JSONValue] = []
            while let (field, value) = try reader.next() {
                if field == 1, case .bytes(let r) = value { resourceLogs.append(try Self.resourceLogs(r)) }
            }
            return .object(["resourceLogs": .array(resourceLogs)])
        }
    }

    /// `ExportLogsServiceResponse`: empty on full success; with
    /// `partial_success {rejected_log_records, error_message}` when some were refused.
    public static func logsResponse(rejected: Int, message: String) -> [UInt8] {
        guard rejected > 0 else { return [] }
        var inner: [UInt8] = [0x08]
        varint(UInt64(rejected), into: &inner)
        let text = Array(message.utf8)
        inner.append(0x12)
        varint(UInt64(text.count), into: &inner)
        inner += text
        var out: [UInt8] = [0x0A]
        varint(UInt64(inner.count), into: &out)
        return out + inner
    }

    /// A `google.rpc.Status {code, message}`: OTLP/HTTP's error body in protobuf.
    public static func status(code: Int, message: String) -> [UInt8] {
        var out: [UInt8] = [0x08]
        varint(UInt64(code), into: &out)
        let text = Array(message.utf8)
        out.append(0x12)
        varint(UInt64(text.count), into: &out)
        return out + text
    }

    static func varint(_ v: UInt64, into out: inout [UInt8]) {
        var v = v
        while v >= 0x80 {
            out.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    // MARK: messages

    private static func resourceLogs(_ r: Reader) throws(DecodeError) -> JSONValue {
        var r = r
        var out = JSONObject()
        var scopeLogs: [JSONValue] = []
        while let (field, value) = try r.next() {
            switch (field, value) {
            case (1, .bytes(let m)): out["resource"] = try resource(m)
            case (2, .bytes(let m)): scopeLogs.append(try self.scopeLogs(m))
            case (3, .bytes(let m)): out["schemaUrl"] = .string(m.string)
            default: continue
            }
        }
        out["scopeLogs"] = .array(scopeLogs)
        return .object(out)
    }

    private static func resource(_ r: Reader) throws(DecodeError) -> JSONValue {
        var r = r
        var attributes: [JSONValue] = []
        var out = JSONObject()
        while let (field, value) = try r.next() {
            switch (field, value) {
            case (1, .bytes(let m)): attributes.append(try keyValue(m, depth: 0))
            case (2, .varint(let n)): out["droppedAttributesCount"] = .int(Int64(truncatingIfNeeded: n))
            default: continue
            }
        }
        out["attributes"] = .array(attributes)
        return .object(out)
    }

    private static func scopeLogs(_ r: Reader) throws(DecodeError) -> JSONValue {
        var r = r
        var out = JSONObject()
        var records: [JSONValue] = []
        while let (field, value) = try r.next() {
            switch (field, value) {
            case (1, .bytes(let m)): out["scope"] = try scope(m)
            case (2, .bytes(let m)): records.append(try logRecord(m))
            case (3, .bytes(let m)): out["schemaUrl"] = .string(m.string)
            default: continue
            }
        }
        out["logRecords"] = .array(records)
        return .object(out)
    }

    private static func scope(_ r: Reader) throws(DecodeError) -> JSONValue {
        var r = r
        var out = JSONObject()
        var attributes: [JSONValue] = []
        while let (field, value) = try r.next() {
            switch (field, value) {
            case (1, .bytes(let m)): out["name"] = .string(m.string)
            case (2, .bytes(let m)): out["version"] = .string(m.string)
            case (3, .bytes(let m)): attributes.append(try keyValue(m, depth: 0))
            default: continue
            }
        }
        if !attributes.isEmpty { out["attributes"] = .array(attributes) }
        return .object(out)
    }

    private static func logRecord(_ r: Reader) throws(DecodeError) -> JSONValue {
        var r = r
        var out = JSONObject()
        var attributes: [JSONValue] = []
        while let (field, value) = try r.next() {
            switch (field, value) {
            case (1, .fixed64(let n)): out["timeUnixNano"] = .string(String(n))
            case (11, .fixed64(let n)): out["observedTimeUnixNano"] = .string(String(n))
            case (2, .varint(let n)): out["severityNumber"] = .int(Int64(truncatingIfNeeded: n))
            case (3, .bytes(let m)): out["severityText"] = .string(m.string)
            case (5, .bytes(let m)): out["body"] = try anyValue(m, depth: 0)
            case (6, .bytes(let m)): attributes.append(try keyValue(m, depth: 0))
            case (7, .varint(let n)): out["droppedAttributesCount"] = .int(Int64(truncatingIfNeeded: n))
            case (8, .fixed32(let n)): out["flags"] = .int(Int64(n))
            case (9, .bytes(let m)): out["traceId"] = .string(m.hex)
            case (10, .bytes(let m)): out["spanId"] = .string(m.hex)
            case (12, .bytes(let m)): out["eventName"] = .string(m.string)
            default: continue
            }
        }
        out["attributes"] = .array(attributes)
        return .object(out)
    }

    /// Attribute values nest (arrays, key-value lists): bounded, so a hostile body cannot recurse without end.
    static let maxDepth = 32

    private static func keyValue(_ r: Reader, depth: Int) throws(DecodeError) -> JSONValue {
        var r = r
        var key = ""
        var value: JSONValue = .object([:])
        while let (field, v) = try r.next() {
            switch (field, v) {
            case (1, .bytes(let m)): key = m.string
            case (2, .bytes(let m)): value = try anyValue(m, depth: depth + 1)
            default: continue
            }
        }
        return .object(["key": .string(key), "value": value])
    }

    private static func anyValue(_ r: Reader, depth: Int) throws(DecodeError) -> JSONValue {
        guard depth < maxDepth else { throw DecodeError(offset: r.position, reason: "values nested deeper than \(maxDepth)") }
        var r = r
        var out: JSONValue = .object([:])
        while let (field, v) = try r.next() {
            switch (field, v) {
            case (1, .bytes(let m)): out = .object(["stringValue": .string(m.string)])
            case (2, .varint(let n)): out = .object(["boolValue": .bool(n != 0)])
            case (3, .varint(let n)): out = .object(["intValue": .string(String(Int64(bitPattern: n)))])
            case (4, .fixed64(let n)): out = .object(["doubleValue": .double(Double(bitPattern: n))])
            case (5, .bytes(let m)):
                var a = m
                var values: [JSONValue] = []
                while let (f, item) = try a.next() {
                    if f == 1, case .bytes(let e) = item { values.append(try anyValue(e, depth: depth + 1)) }
                }
                out = .object(["arrayValue": .object(["values": .array(values)])])
            case (6, .bytes(let m)):
                var l = m
                var values: [JSONValue] = []
                while let (f, item) = try l.next() {
                    if f == 1, case .bytes(let e) = item { values.append(try keyValue(e, depth: depth + 1)) }
                }
                out = .object(["kvlistValue": .object(["values": .array(values)])])
            case (7, .bytes(let m)): out = .object(["bytesValue": .string(m.base64)])
            default: continue
            }
        }
        return out
    }

    // MARK: wire format

    enum Value {
        case varint(UInt64), fixed64(UInt64), fixed32(UInt32), bytes(Reader)
    }

    struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var position: Int
        let end: Int

        init(bytes: UnsafeBufferPointer<UInt8>, start: Int, end: Int) {
            self.bytes = bytes
            position = start
            self.end = end
        }

        var string: String { String(decoding: UnsafeBufferPointer(rebasing: bytes[position..<end]), as: UTF8.self) }

        var hex: String {
            let digits = Array("0123456789abcdef".utf8)
            var out: [UInt8] = []
            for b in bytes[position..<end] { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
            return String(decoding: out, as: UTF8.self)
        }

        var base64: String { Base64.encode(bytes[position..<end]) }

        mutating func readVarint() throws(DecodeError) -> UInt64 {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while position < end {
                let b = bytes[position]
                position += 1
                result |= UInt64(b & 0x7F) << shift
                if b < 0x80 { return result }
                shift += 7
                if shift >= 64 { throw DecodeError(offset: position, reason: "a varint longer than 10 bytes") }
            }
            throw DecodeError(offset: position, reason: "the message ends inside a varint")
        }

        /// The next field and its value; nil at the end of this message.
        mutating func next() throws(DecodeError) -> (Int, Value)? {
            guard position < end else { return nil }
            let tag = try readVarint()
            let field = Int(truncatingIfNeeded: tag >> 3)
            guard field > 0 else { throw DecodeError(offset: position, reason: "field number 0") }
            switch tag & 7 {
            case 0: return (field, .varint(try readVarint()))
            case 1:
                guard end - position >= 8 else { throw DecodeError(offset: position, reason: "the message ends inside a 64-bit field") }
                var v: UInt64 = 0
                for k in 0..<8 { v |= UInt64(bytes[position + k]) << (8 * UInt64(k)) }
                position += 8
                return (field, .fixed64(v))
            case 5:
                guard end - position >= 4 else { throw DecodeError(offset: position, reason: "the message ends inside a 32-bit field") }
                var v: UInt32 = 0
                for k in 0..<4 { v |= UInt32(bytes[position + k]) << (8 * UInt32(k)) }
                position += 4
                return (field, .fixed32(v))
            case 2:
                let length = try readVarint()
                guard length <= UInt64(end - position) else {
                    throw DecodeError(offset: position, reason: "a field of \(length) bytes where \(end - position) remain")
                }
                let sub = Reader(bytes: bytes, start: position, end: position + Int(length))
                position += Int(length)
                return (field, .bytes(sub))
            default:
                throw DecodeError(offset: position, reason: "wire type \(tag & 7), which OTLP does not use")
            }
        }
    }
}
