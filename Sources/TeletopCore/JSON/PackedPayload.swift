#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A payload packed into one exact-size byte array for the ring of recent
/// events. A decoded `JSONObject` of a contract-sized payload costs several
/// allocations and ~1 KB; packed it is one allocation of ~150 bytes. The feed
/// unpacks only the few events on screen.
///
/// Layout: a tag byte per value, then its data. Lengths and integers are
/// LEB128 varints (integers zigzag-encoded), doubles are 8 bytes little-endian.
// @unchecked: the storage is written once, inside init, and only read after.
public struct PackedPayload: @unchecked Sendable, Equatable {
    /// Tail-allocated bytes behind a non-generic class: unlike `[UInt8]`'s
    /// storage, making one needs no run-time generic metadata lookup, which was
    /// a measurable share of `log()`.
    final class Storage: ManagedBuffer<Int, UInt8> {}

    private let storage: Storage

    /// Bytes in the packed form.
    public var count: Int { storage.header }

    /// A copy of the packed bytes, for tests and tools.
    public var bytes: [UInt8] { withBytes { Array($0) } }

    public func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try storage.withUnsafeMutablePointerToElements { try body(UnsafeBufferPointer(start: $0, count: storage.header)) }
    }

    /// Allocates exactly `count` bytes and lets `fill` write all of them.
    init(count: Int, fill: (UnsafeMutablePointer<UInt8>) -> Void) {
        storage = unsafeDowncast(Storage.create(minimumCapacity: count) { _ in count }, to: Storage.self)
        storage.withUnsafeMutablePointerToElements { fill($0) }
    }

    public static func == (a: PackedPayload, b: PackedPayload) -> Bool {
        a.count == b.count && (a.storage === b.storage || a.withBytes { x in b.withBytes { y in memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0 } })
    }

    enum Tag: UInt8 {
        case null = 0, falseValue, trueValue, int, double, string, array, object
    }

    /// `{}`: one shared instance, for places that must hold a payload but no longer hold an event.
    public static let empty = PackedPayload([:])

    public init(_ object: JSONObject) {
        self.init(count: Self.size(ofObject: object)) { start in
            var cursor = start
            Self.writeObject(object, to: &cursor)
        }
    }

    /// Wraps bytes that this type wrote (from `bytes`); they are not checked.
    public init(bytes: [UInt8]) {
        self.init(count: bytes.count) { start in
            bytes.withUnsafeBufferPointer { if $0.count > 0 { start.update(from: $0.baseAddress!, count: $0.count) } }
        }
    }

    public func unpack() -> JSONObject {
        withBytes { buffer in
            var index = 0
            guard case .object(let o) = Self.read(buffer, &index) else { return JSONObject() }
            return o
        }
    }

    /// The payload as compact JSON, written straight from the packed bytes:
    /// the same text as `JSONWriter.compactBytes(.object(unpack()))`, without
    /// building the object first (the store writes every event this way).
    public func writeJSON(into out: inout [UInt8]) {
        withBytes { buffer in
            var i = 0
            Self.writeJSON(buffer, &i, into: &out)
        }
    }

    /// Room enough for `writeJSON(to:)`'s output (see below).
    public var jsonBound: Int { 6 * count + 16 }

    /// The same through a pointer with room for `jsonBound` bytes, left past what it wrote.
    public func writeJSON(to p: inout UnsafeMutablePointer<UInt8>) {
        withBytes { buffer in
            var i = 0
            Self.writeJSON(buffer, &i, to: &p)
        }
    }

    /// One packed value from `b[i...]` as compact JSON, appended to `out`.
    ///
    /// Written through a pointer into scratch room on the stack, then copied
    /// once: appending byte by byte to an array (a uniqueness and capacity
    /// check each) was most of the store's cost of writing a payload. The room
    /// is an upper bound of the output: no packed byte becomes more than six
    /// of JSON (a control character's `\u00XX`; an 8-byte double at most 24).
    static func writeJSON(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int, into out: inout [UInt8]) {
        let bound = 6 * (b.count - i) + 16
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: bound) { scratch in
            let start = scratch.baseAddress!
            var p = start
            writeJSON(b, &i, to: &p)
            out.append(contentsOf: UnsafeBufferPointer(start: start, count: p - start))
        }
    }

    private static func writeJSON(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int, to p: inout UnsafeMutablePointer<UInt8>) {
        let tag = Tag(rawValue: b[i])!
        i += 1
        switch tag {
        case .null: putASCII("null", &p)
        case .falseValue: putASCII("false", &p)
        case .trueValue: putASCII("true", &p)
        case .int:
            let z = readVarint(b, &i)
            JSONWriter.writeInt(Int64(bitPattern: (z >> 1) ^ (0 &- (z & 1))), to: &p)
        case .double:
            var bits: UInt64 = 0
            for k in 0..<8 { bits |= UInt64(b[i + k]) << UInt64(8 * k) }
            i += 8
            var text: [UInt8] = []
            JSONWriter.writeDouble(Double(bitPattern: bits), into: &text)
            for byte in text { put(byte, &p) }
        case .string: writeJSONString(b, &i, to: &p)
        case .array:
            let n = Int(readVarint(b, &i))
            put(0x5B, &p)
            for k in 0..<n {
                if k > 0 { put(0x2C, &p) }
                writeJSON(b, &i, to: &p)
            }
            put(0x5D, &p)
        case .object:
            let n = Int(readVarint(b, &i))
            put(0x7B, &p)
            for k in 0..<n {
                if k > 0 { put(0x2C, &p) }
                writeJSONString(b, &i, to: &p)
                put(0x3A, &p)
                writeJSON(b, &i, to: &p)
            }
            put(0x7D, &p)
        }
    }

    @inline(__always) private static func putASCII(_ s: StaticString, _ p: inout UnsafeMutablePointer<UInt8>) {
        p.update(from: s.utf8Start, count: s.utf8CodeUnitCount)
        p += s.utf8CodeUnitCount
    }

    private static func writeJSONString(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int, to p: inout UnsafeMutablePointer<UInt8>) {
        let n = Int(readVarint(b, &i))
        JSONWriter.writeString(utf8: UnsafeBufferPointer(rebasing: b[i..<(i + n)]), to: &p)
        i += n
    }

    // MARK: sizing

    @inline(__always) static func varintSize(_ v: UInt64) -> Int {
        var v = v, n = 1
        while v >= 0x80 { v >>= 7; n += 1 }
        return n
    }

    @inline(__always) static func zigzag(_ i: Int64) -> UInt64 {
        UInt64(bitPattern: (i << 1) ^ (i >> 63))
    }

    private static func size(ofObject o: JSONObject) -> Int {
        var n = 1 + varintSize(UInt64(o.members.count))
        for m in o.members {
            let k = m.key.utf8.count
            n += varintSize(UInt64(k)) + k + size(of: m.value)
        }
        return n
    }

    private static func size(of v: JSONValue) -> Int {
        switch v {
        case .null, .bool: return 1
        case .int(let i): return 1 + varintSize(zigzag(i))
        case .double: return 9
        case .string(let s):
            let k = s.utf8.count
            return 1 + varintSize(UInt64(k)) + k
        case .array(let items):
            var n = 1 + varintSize(UInt64(items.count))
            for item in items { n += size(of: item) }
            return n
        case .object(let o): return size(ofObject: o)
        }
    }

    // MARK: writing

    @inline(__always) private static func put(_ b: UInt8, _ p: inout UnsafeMutablePointer<UInt8>) {
        p.pointee = b
        p += 1
    }

    @inline(__always) private static func putVarint(_ v: UInt64, _ p: inout UnsafeMutablePointer<UInt8>) {
        var v = v
        while v >= 0x80 {
            put(UInt8(truncatingIfNeeded: v) | 0x80, &p)
            v >>= 7
        }
        put(UInt8(v), &p)
    }

    @inline(__always) private static func putString(_ s: String, _ p: inout UnsafeMutablePointer<UInt8>) {
        let count = s.utf8.count
        putVarint(UInt64(count), &p)
        let copied: Void? = s.utf8.withContiguousStorageIfAvailable { utf8 in
            p.update(from: utf8.baseAddress!, count: count)
        }
        if copied == nil {
            for b in s.utf8 { put(b, &p) }
        } else {
            p += count
        }
    }

    private static func writeObject(_ o: JSONObject, to p: inout UnsafeMutablePointer<UInt8>) {
        put(Tag.object.rawValue, &p)
        putVarint(UInt64(o.members.count), &p)
        for m in o.members {
            putString(m.key, &p)
            write(m.value, to: &p)
        }
    }

    private static func write(_ v: JSONValue, to p: inout UnsafeMutablePointer<UInt8>) {
        switch v {
        case .null: put(Tag.null.rawValue, &p)
        case .bool(let b): put(b ? Tag.trueValue.rawValue : Tag.falseValue.rawValue, &p)
        case .int(let i):
            put(Tag.int.rawValue, &p)
            putVarint(zigzag(i), &p)
        case .double(let d):
            put(Tag.double.rawValue, &p)
            var bits = d.bitPattern.littleEndian
            withUnsafeBytes(of: &bits) { raw in
                for b in raw { put(b, &p) }
            }
        case .string(let s):
            put(Tag.string.rawValue, &p)
            putString(s, &p)
        case .array(let items):
            put(Tag.array.rawValue, &p)
            putVarint(UInt64(items.count), &p)
            for item in items { write(item, to: &p) }
        case .object(let o): writeObject(o, to: &p)
        }
    }

    // MARK: writing into a growing array (`JSONPacking`: the size is known only at the end)

    @inline(__always) static func appendVarint(_ v: UInt64, _ out: inout [UInt8]) {
        var v = v
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    /// A container's count, put in front of its members once they are written.
    static func insertVarint(_ v: UInt64, at position: Int, _ out: inout [UInt8]) {
        var bytes: [UInt8] = []
        appendVarint(v, &bytes)
        out.insert(contentsOf: bytes, at: position)
    }

    /// A number as `write` packs it (a parsed number is `.int` or `.double`).
    static func appendNumber(_ v: JSONValue, to out: inout [UInt8]) {
        switch v {
        case .int(let i):
            out.append(Tag.int.rawValue)
            appendVarint(zigzag(i), &out)
        case .double(let d):
            out.append(Tag.double.rawValue)
            let bits = d.bitPattern
            for k in 0..<8 { out.append(UInt8(truncatingIfNeeded: bits >> UInt64(8 * k))) }
        default:
            preconditionFailure("not a number: \(v)")
        }
    }

    // MARK: reading (only ever of bytes this type wrote)

    @inline(__always)
    static func readVarint(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int) -> UInt64 {
        var v: UInt64 = 0, shift: UInt64 = 0
        while true {
            let byte = b[i]
            i += 1
            v |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return v }
            shift += 7
        }
    }

    private static func readString(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int) -> String {
        let n = Int(readVarint(b, &i))
        let s = String(decoding: UnsafeBufferPointer(rebasing: b[i..<(i + n)]), as: UTF8.self)
        i += n
        return s
    }

    static func read(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int) -> JSONValue {
        let tag = Tag(rawValue: b[i])!
        i += 1
        switch tag {
        case .null: return .null
        case .falseValue: return .bool(false)
        case .trueValue: return .bool(true)
        case .int:
            let z = readVarint(b, &i)
            return .int(Int64(bitPattern: (z >> 1) ^ (0 &- (z & 1))))
        case .double:
            var bits: UInt64 = 0
            for k in 0..<8 { bits |= UInt64(b[i + k]) << UInt64(8 * k) }
            i += 8
            return .double(Double(bitPattern: bits))
        case .string: return .string(readString(b, &i))
        case .array:
            let n = Int(readVarint(b, &i))
            var items: [JSONValue] = []
            items.reserveCapacity(n)
            for _ in 0..<n { items.append(read(b, &i)) }
            return .array(items)
        case .object:
            let n = Int(readVarint(b, &i))
            var members: [JSONObject.Member] = []
            members.reserveCapacity(n)
            for _ in 0..<n {
                let key = readString(b, &i)
                members.append(JSONObject.Member(key: key, value: read(b, &i)))
            }
            return .object(JSONObject(members))
        }
    }
}
