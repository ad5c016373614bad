/// The bounded store of recent events, bounded twice: at most `capacity`
/// events and at most `byteCapacity` bytes (payloads plus a fixed part per
/// slot), whichever is reached first; the oldest go. A slot is about 48 bytes
/// plus its packed payload; the event type is an index into the logger's
/// type table so that a slot holds no string of its own.
///
/// A circular buffer over one array, written for this one element type: in
/// the steady state (full by count) an append overwrites the oldest slot in
/// place, as cheaply as before the byte bound existed; a generic deque cost
/// 15% of `log()`.
struct EventRing {
    struct Slot {
        var sequence: UInt64
        var timestamp: Timestamp
        var payload: PackedPayload
        var typeIndex: UInt16
        var source: EventSource
        var unplanned: Bool
        var clientTimestamp: Timestamp?
        var origin: UInt8 = 0

        var footprint: Int { payload.count + LoggedEvent.fixedFootprint }
    }

    let capacity: Int
    let byteCapacity: Int
    /// Grows to `capacity` as events come, then stays; `head` is the oldest.
    private var storage: [Slot] = []
    private var head = 0
    private(set) var count = 0
    private(set) var bytes = 0
    /// Pushed out by the count bound, and by the byte bound.
    private(set) var evicted: UInt64 = 0
    private(set) var evictedForBytes: UInt64 = 0

    init(capacity: Int, byteCapacity: Int = .max) {
        precondition(capacity > 0 && byteCapacity > 0, "ring capacity must be positive")
        self.capacity = capacity
        self.byteCapacity = byteCapacity
    }

    /// Appends, returning the evicted slots' payloads so the caller can
    /// release them after dropping its lock. The newest event always stays,
    /// even one larger than the byte bound.
    mutating func append(_ slot: Slot) -> Evicted {
        var released = Evicted()
        let size = slot.footprint
        if count == capacity {
            // Full by count (so `storage` is `capacity` long): the newest takes the oldest's place.
            let old = storage[head]
            storage[head] = slot
            head = head + 1 == storage.count ? 0 : head + 1
            bytes += size - old.footprint
            evicted += 1
            released.first = old.payload
        } else {
            if count == storage.count {
                // Every place is taken but the ring may grow: in order, then one more.
                if head != 0 {
                    storage = Array(storage[head...] + storage[..<head])
                    head = 0
                }
                storage.append(slot)
            } else {
                storage[physical(count)] = slot
            }
            count += 1
            bytes += size
        }
        while bytes > byteCapacity && count > 1 {
            let old = storage[head]
            storage[head].payload = .empty  // the place no longer pins it
            head = head + 1 == storage.count ? 0 : head + 1
            count -= 1
            bytes -= old.footprint
            evicted += 1
            evictedForBytes += 1
            if released.first == nil { released.first = old.payload } else { released.more = (released.more ?? []) + [old.payload] }
        }
        return released
    }

    @inline(__always)
    private func physical(_ i: Int) -> Int {
        let j = head + i
        return j < storage.count ? j : j - storage.count
    }

    /// Payloads pushed out by one append; the usual one needs no array.
    struct Evicted {
        var first: PackedPayload?
        /// nil unless the byte bound pushed out more than one (no array to retain and release per event).
        var more: [PackedPayload]?
    }

    /// The i-th retained slot, oldest first.
    subscript(i: Int) -> Slot { storage[physical(i)] }

    /// The newest `limit` slots, oldest first, those matching `include` only.
    func newest(_ limit: Int, where include: (Slot) -> Bool = { _ in true }) -> [Slot] {
        var out: [Slot] = []
        out.reserveCapacity(min(limit, count))
        var i = count - 1
        while i >= 0 && out.count < limit {
            let s = self[i]
            if include(s) { out.append(s) }
            i -= 1
        }
        out.reverse()
        return out
    }
}

/// Counts per wall-clock second over the last `SecondBuckets.span` seconds.
/// Each bucket is tagged with its second, so stale ones read as zero without a sweep.
struct SecondBuckets {
    static let span = 128
    private var seconds = [Int64](repeating: Int64.min, count: span)
    private var counts = [UInt32](repeating: 0, count: span)

    @inline(__always)
    mutating func add(_ n: UInt32 = 1, at second: Int64) {
        let i = Int(floorMod(second, Int64(Self.span)))
        if seconds[i] != second {
            seconds[i] = second
            counts[i] = 0
        }
        counts[i] &+= n
    }

    @inline(__always)
    func count(at second: Int64) -> Int {
        let i = Int(floorMod(second, Int64(Self.span)))
        return seconds[i] == second ? Int(counts[i]) : 0
    }

    /// Events in the `window` seconds ending at `now`: whole seconds plus the
    /// part of the oldest second still inside the window, for a smooth rate.
    func sum(window: Int, now: Timestamp) -> Double {
        let nowSecond = now.secondsSinceEpoch
        let fraction = Double(floorMod(now.millisecondsSinceEpoch, 1000)) / 1000
        var total = 0.0
        for k in 0..<window { total += Double(count(at: nowSecond - Int64(k))) }
        total += Double(count(at: nowSecond - Int64(window))) * (1 - fraction)
        return total
    }

    /// Whole-second counts for the `n` seconds before the current one, oldest first.
    func history(_ n: Int, now: Timestamp) -> [Int] {
        let nowSecond = now.secondsSinceEpoch
        return (1...n).reversed().map { count(at: nowSecond - Int64($0)) }
    }
}
