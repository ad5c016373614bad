/// Walking a packed payload without decoding it: validation reads keys and
/// values in place, so checking an event allocates nothing when it is valid.
extension PackedPayload {
    /// One top-level member, valid only inside the `forEachMember` body.
    struct MemberView {
        let key: UnsafeBufferPointer<UInt8>
        let tag: Tag
        /// For strings: the UTF-8 bytes. For other values: the encoded value after its tag.
        let data: UnsafeBufferPointer<UInt8>
        /// The whole encoded value, tag included, for decoding on the error path.
        let encoded: UnsafeBufferPointer<UInt8>

        var keyString: String { String(decoding: key, as: UTF8.self) }

        func decode() -> JSONValue {
            var i = 0
            return PackedPayload.read(encoded, &i)
        }
    }

    var memberCount: Int {
        withBytes { b in
            guard b.count > 1, b[0] == Tag.object.rawValue else { return 0 }
            var i = 1
            return Int(Self.readVarint(b, &i))
        }
    }

    @inline(__always)
    func forEachMember(_ body: (MemberView) -> Void) {
        walkMembers { body($0); return true }
    }

    /// The first top-level member with this key, given to `body`; the walk
    /// stops there (the query language's field terms, a timeline's match).
    @inline(__always)
    func withMember<R>(named name: [UInt8], _ body: (MemberView) -> R) -> R? {
        var result: R?
        walkMembers { m in
            guard Bytes.equal(m.key, name) else { return true }
            result = body(m)
            return false
        }
        return result
    }

    /// The members in order, until `visit` says false.
    @inline(__always)
    private func walkMembers(_ visit: (MemberView) -> Bool) {
        withBytes { b in
            guard b.count > 1, b[0] == Tag.object.rawValue else { return }
            var i = 1
            let n = Int(Self.readVarint(b, &i))
            for _ in 0..<n {
                let keyLength = Int(Self.readVarint(b, &i))
                let key = UnsafeBufferPointer(rebasing: b[i..<(i + keyLength)])
                i += keyLength
                let valueStart = i
                let tag = Tag(rawValue: b[i])!
                i += 1
                let dataStart: Int
                if tag == .string {
                    let length = Int(Self.readVarint(b, &i))
                    dataStart = i
                    i += length
                } else {
                    dataStart = i
                    Self.skipBody(of: tag, b, &i)
                }
                guard visit(MemberView(key: key, tag: tag, data: UnsafeBufferPointer(rebasing: b[dataStart..<i]),
                                       encoded: UnsafeBufferPointer(rebasing: b[valueStart..<i]))) else { return }
            }
        }
    }

    static func skipBody(of tag: Tag, _ b: UnsafeBufferPointer<UInt8>, _ i: inout Int) {
        switch tag {
        case .null, .falseValue, .trueValue: return
        case .int: _ = readVarint(b, &i)
        case .double: i += 8
        case .string: i += Int(readVarint(b, &i))
        case .array:
            let n = Int(readVarint(b, &i))
            for _ in 0..<n {
                let t = Tag(rawValue: b[i])!
                i += 1
                skipBody(of: t, b, &i)
            }
        case .object:
            let n = Int(readVarint(b, &i))
            for _ in 0..<n {
                i += Int(readVarint(b, &i))
                let t = Tag(rawValue: b[i])!
                i += 1
                skipBody(of: t, b, &i)
            }
        }
    }
}

/// Builds a packed payload directly, with no `JSONObject` in between: the
/// fast path for benchmarks and any producer of many events (the simulator
/// builds `JSONObject`s, which the logger packs).
/// Keep one builder per producer and `reset()` it per event; only `build()`
/// allocates. A class, because its scratch buffer must never be shared by two copies.
public final class PayloadBuilder {
    private var buffer: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var used = 0
    private var count = 0

    public init(capacity: Int = 512) {
        self.capacity = max(16, capacity)
        buffer = .allocate(capacity: self.capacity)
    }

    deinit { buffer.deallocate() }

    public func reset() {
        used = 0
        count = 0
    }

    @inline(__always)
    private func reserve(_ n: Int) {
        if used + n > capacity { grow(to: used + n) }
    }

    private func grow(to needed: Int) {
        let newCapacity = max(needed, capacity * 2)
        let newBuffer = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBuffer.update(from: buffer, count: used)
        buffer.deallocate()
        buffer = newBuffer
        capacity = newCapacity
    }

    @inline(__always)
    private func putVarint(_ v: UInt64) {
        reserve(10)
        var v = v
        while v >= 0x80 {
            buffer[used] = UInt8(truncatingIfNeeded: v) | 0x80
            v >>= 7
            used += 1
        }
        buffer[used] = UInt8(v)
        used += 1
    }

    @inline(__always)
    private func putByte(_ v: UInt8) {
        reserve(1)
        buffer[used] = v
        used += 1
    }

    private func putString(_ s: String) {
        let done: Void? = s.utf8.withContiguousStorageIfAvailable { utf8 in
            putVarint(UInt64(utf8.count))
            reserve(utf8.count)
            // Keys and most values are a few bytes: a loop beats a call to memmove.
            let n = utf8.count
            if n <= 24 {
                for i in 0..<n { buffer[used + i] = utf8[i] }
            } else {
                (buffer + used).update(from: utf8.baseAddress!, count: n)
            }
            used += utf8.count
        }
        if done == nil {
            putVarint(UInt64(s.utf8.count))
            for b in s.utf8 { putByte(b) }
        }
    }

    public func add(_ key: String, _ value: String) {
        putString(key)
        putByte(PackedPayload.Tag.string.rawValue)
        putString(value)
        count += 1
    }

    public func add(_ key: String, _ value: Int64) {
        putString(key)
        putByte(PackedPayload.Tag.int.rawValue)
        putVarint(PackedPayload.zigzag(value))
        count += 1
    }

    public func add(_ key: String, _ value: Int) { add(key, Int64(value)) }

    public func add(_ key: String, _ value: Bool) {
        putString(key)
        putByte(value ? PackedPayload.Tag.trueValue.rawValue : PackedPayload.Tag.falseValue.rawValue)
        count += 1
    }

    /// Any other value, through the general packer.
    public func add(_ key: String, _ value: JSONValue) {
        putString(key)
        let packed = PackedPayload(JSONObject([JSONObject.Member(key: "", value: value)]))
        // Skip the wrapper object's header (tag, count 1, empty key) and keep the value.
        for b in packed.bytes[3...] { putByte(b) }
        count += 1
    }

    /// One exact-size allocation: the object header followed by the members.
    public func build() -> PackedPayload {
        let header = 1 + PackedPayload.varintSize(UInt64(count))
        let total = header + used
        return PackedPayload(count: total) { out in
            out[0] = PackedPayload.Tag.object.rawValue
            var v = UInt64(count), i = 1
            while v >= 0x80 {
                out[i] = UInt8(truncatingIfNeeded: v) | 0x80
                v >>= 7
                i += 1
            }
            out[i] = UInt8(v)
            if used > 0 { (out + header).update(from: buffer, count: used) }
        }
    }
}
