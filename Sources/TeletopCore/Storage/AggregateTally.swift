#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The limits every aggregate keeps, whatever the traffic.
public enum AggregateLimits {
    /// Distinct values counted exactly per field, per bucket; beyond them an
    /// event's value is added to the bucket's one "other" count. 1,000 keeps a
    /// top 10 exact for any field of a few hundred values (chapters, block
    /// types, the simulator's 300 users) and bounds a field of user ids to
    /// 1,000 rows a bucket, however many users come.
    public static let valuesPerBucket = 1_000
    /// The same for the lifetime totals that answer `window=all`: they cover
    /// every bucket at once, so they get room for more.
    public static let valuesInLifetime = 10_000
    /// Top-level fields of one event that are aggregated (the first ones, in payload order).
    public static let fieldsPerEvent = 32
    /// A longer value (a free-text query) is counted in "other", not stored as a key.
    public static let valueBytes = 128
}

/// One batch of events counted the way the store's aggregates count them, in
/// memory, before a single SQL statement: per minute and event type, how many;
/// per minute, type, payload field and value, how many. A value that cannot
/// be a key (an object, an array, a string over `AggregateLimits.valueBytes`)
/// is counted under its field as "other".
///
/// Built for the store writer's hot loop: the keys live in one byte arena
/// and an open-addressed table finds them, so counting an event allocates
/// nothing once the arena has grown to the batch's distinct values.
public struct AggregateTally: Sendable {
    public struct Entry: Sendable {
        public var minute: Int64
        public var typeIndex: Int32
        /// Into `fields`.
        public var fieldIndex: Int32
        var valueStart: Int32, valueLength: Int32
        public var count: Int
        /// Counted as "other": the value is not kept as a key.
        public var isOther: Bool { valueLength == 0 }
    }

    public struct TypeCount: Equatable, Sendable {
        public var minute: Int64
        public var typeIndex: Int32
        public var count: Int
    }

    /// Event types in first-seen order; `Entry.typeIndex` points here.
    public private(set) var types: [String] = []
    /// Field names in first-seen order; `Entry.fieldIndex` points here.
    public private(set) var fields: [String] = []
    /// Each field's name in the arena, and the field each member position of the last event had:
    /// events of a stream mostly repeat their fields in the same order, so a name is matched by one compare.
    private var fieldBytes: [(start: Int32, length: Int32)] = []
    private var fieldAt: [Int32] = []
    private var fieldIndexes: [String: Int32] = [:]
    public private(set) var entries: [Entry] = []
    public private(set) var typeCounts: [TypeCount] = []
    public private(set) var events = 0
    private var arena: [UInt8] = []
    private var slots: [Int32] = Array(repeating: -1, count: 1024)
    private var hashes: [UInt64] = []
    private var lastType: String?
    private var lastTypeIndex: Int32 = 0

    public init() {}

    public static func minute(of timestamp: Timestamp) -> Int64 {
        let ms = timestamp.millisecondsSinceEpoch
        return ms >= 0 ? ms / 60_000 : (ms - 59_999) / 60_000
    }

    public mutating func add(_ event: LoggedEvent) {
        let minute = Self.minute(of: event.timestamp)
        let type = typeIndex(event.eventType)
        events += 1
        if let last = typeCounts.indices.last, typeCounts[last].minute == minute, typeCounts[last].typeIndex == type {
            typeCounts[last].count += 1
        } else if let i = typeCounts.firstIndex(where: { $0.minute == minute && $0.typeIndex == type }) {
            typeCounts[i].count += 1
        } else {
            typeCounts.append(TypeCount(minute: minute, typeIndex: type, count: 1))
        }
        var position = 0
        event.packedPayload.forEachMember { member in
            position += 1
            guard position <= AggregateLimits.fieldsPerEvent, member.key.count <= 64 else { return }
            let keyable: Bool
            switch member.tag {
            case .object, .array: keyable = false
            case .string: keyable = member.data.count <= AggregateLimits.valueBytes
            default: keyable = true
            }
            let field = fieldIndex(member.key, at: position - 1)
            count(minute, type, field, keyable ? member.encoded : UnsafeBufferPointer(start: nil, count: 0))
        }
    }

    private mutating func fieldIndex(_ key: UnsafeBufferPointer<UInt8>, at position: Int) -> Int32 {
        if position < fieldAt.count {
            let known = fieldAt[position]
            let (start, length) = fieldBytes[Int(known)]
            if Int(length) == key.count, same(start, key) { return known }
        }
        let name = String(decoding: key, as: UTF8.self)
        let index: Int32
        if let i = fieldIndexes[name] { index = i } else {
            index = Int32(fields.count)
            fields.append(name)
            fieldBytes.append((Int32(arena.count), Int32(key.count)))
            arena.append(contentsOf: key)
            fieldIndexes[name] = index
        }
        while fieldAt.count <= position { fieldAt.append(index) }
        fieldAt[position] = index
        return index
    }

    private mutating func typeIndex(_ name: String) -> Int32 {
        if let lastType, lastType == name { return lastTypeIndex }
        let index: Int
        if let i = types.firstIndex(of: name) { index = i } else { types.append(name); index = types.count - 1 }
        lastType = name
        lastTypeIndex = Int32(index)
        return lastTypeIndex
    }

    private mutating func count(_ minute: Int64, _ type: Int32, _ field: Int32, _ value: UnsafeBufferPointer<UInt8>) {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(bitPattern: minute) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(type) ^ UInt64(field) << 32
        // Eight bytes a step (a value is a few dozen bytes at most: see `AggregateLimits.valueBytes`).
        var k = 0
        if let base = UnsafeRawPointer(value.baseAddress) {
            while k + 8 <= value.count {
                h = (h ^ base.loadUnaligned(fromByteOffset: k, as: UInt64.self)) &* 0x100_0000_01b3
                h ^= h >> 32
                k += 8
            }
        }
        while k < value.count { h = (h ^ UInt64(value[k])) &* 0x100_0000_01b3; k += 1 }
        let found: Int32? = slots.withUnsafeBufferPointer { slots in
            hashes.withUnsafeBufferPointer { hashes in
                entries.withUnsafeBufferPointer { entries in
                    let mask = slots.count - 1
                    var slot = Int(truncatingIfNeeded: h ^ (h >> 29)) & mask
                    while true {
                        let found = slots[slot]
                        if found < 0 { return ~Int32(slot) }
                        let e = entries[Int(found)]
                        if hashes[Int(found)] == h, e.minute == minute, e.typeIndex == type, e.fieldIndex == field,
                           Int(e.valueLength) == value.count, same(e.valueStart, value) {
                            return found
                        }
                        slot = (slot + 1) & mask
                    }
                }
            }
        }
        // A hit is its entry; a miss, the free slot it ends on (complemented, so negative).
        let f = found!
        if f >= 0 {
            entries[Int(f)].count += 1
            return
        }
        let slot = Int(~f)
        let valueStart = Int32(arena.count)
        arena.append(contentsOf: value)
        slots[slot] = Int32(entries.count)
        entries.append(Entry(minute: minute, typeIndex: type, fieldIndex: field,
                             valueStart: valueStart, valueLength: Int32(value.count), count: 1))
        hashes.append(h)
        if entries.count * 2 > slots.count { grow() }
    }

    /// Whether the arena holds `bytes` at `start` (the caller has compared the lengths).
    private func same(_ start: Int32, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        arena.withUnsafeBufferPointer { Bytes.equal(UnsafeBufferPointer(rebasing: $0[Int(start)..<(Int(start) + bytes.count)]), bytes) }
    }

    private mutating func grow() {
        slots = Array(repeating: -1, count: slots.count * 2)
        let mask = slots.count - 1
        for (i, h) in hashes.enumerated() {
            var slot = Int(truncatingIfNeeded: h ^ (h >> 29)) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(i)
        }
    }

    public func fieldName(_ e: Entry) -> String { fields[Int(e.fieldIndex)] }

    /// The value as compact JSON text (`"ch-3"`, `4`, `true`), as the aggregates key it; nil for "other".
    public func valueJSON(_ e: Entry) -> String? {
        guard !e.isOther else { return nil }
        var out: [UInt8] = []
        arena.withUnsafeBufferPointer { b in
            var i = 0
            PackedPayload.writeJSON(UnsafeBufferPointer(rebasing: b[Int(e.valueStart)..<Int(e.valueStart + e.valueLength)]), &i, into: &out)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Bytes it holds (its arena, entries and table), to bound a tally kept across batches.
    public var footprint: Int {
        arena.capacity + entries.capacity * MemoryLayout<Entry>.stride + hashes.capacity * 8 + slots.count * 4
            + typeCounts.capacity * MemoryLayout<TypeCount>.stride + fields.reduce(0) { $0 + $1.utf8.count + 32 }
    }

    /// Empties the tally for the next batch, keeping its memory.
    public mutating func removeAll() {
        entries.removeAll(keepingCapacity: true)
        typeCounts.removeAll(keepingCapacity: true)
        hashes.removeAll(keepingCapacity: true)
        arena.removeAll(keepingCapacity: true)
        types.removeAll(keepingCapacity: true)
        fields.removeAll(keepingCapacity: true)
        fieldBytes.removeAll(keepingCapacity: true)
        fieldAt.removeAll(keepingCapacity: true)
        fieldIndexes.removeAll(keepingCapacity: true)
        lastType = nil
        events = 0
        if slots.count > 1 << 16 { slots = Array(repeating: -1, count: 1024) } else { for i in slots.indices { slots[i] = -1 } }
    }
}
