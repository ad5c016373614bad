import Synchronization

/// A bounded hand-off from the logger to one consumer (the store, the HTTP
/// stream). The logger never waits for it: when the queue is full, in events
/// or in bytes, the event is not queued for this consumer and `overflow`
/// counts it, so a slow consumer shows up in health instead of stalling every
/// producer or growing memory without bound (one 1 MB event per slot would
/// otherwise make a 65,536-slot queue tens of GB).
public final class EventSubscription: Sendable {
    public let name: String
    public let capacity: Int
    /// The most payload bytes (with a per-event overhead, see `LoggedEvent.footprint`) queued at once.
    public let byteCapacity: Int
    /// A consumer that must see every event (the store): sources that can
    /// wait (files, pipes) pause while its queue is nearly full instead of
    /// overflowing it. See `EventLogger.waitForRoom`.
    public let lossless: Bool
    /// The store's own queue: events it already holds (written before they
    /// were logged, see `EventLogger.log(stored:)`) are not handed to it again.
    public let skipsStored: Bool

    struct State {
        var queue: [LoggedEvent] = []
        var head = 0
        var bytes = 0
        var overflow: UInt64 = 0
        var delivered: UInt64 = 0
        var waiter: CheckedContinuation<Void, Never>?
        var cancelled = false
        /// Set by `wake()`: the waiting `next()` returns empty-handed once.
        var woken = false
        var count: Int { queue.count - head }
    }

    let state: Mutex<State>
    /// Set by the logger so that cancelling also unsubscribes.
    let onCancel: Mutex<(@Sendable () -> Void)?> = Mutex(nil)

    init(name: String, capacity: Int, byteCapacity: Int, lossless: Bool = false, skipsStored: Bool = false) {
        precondition(capacity > 0 && byteCapacity > 0, "subscription capacity must be positive")
        self.name = name
        self.capacity = capacity
        self.byteCapacity = byteCapacity
        self.lossless = lossless
        self.skipsStored = skipsStored
        state = Mutex(State())
    }

    /// Called by the logger under its own lock; O(1), never blocks on the consumer.
    /// Returns false when the event overflowed.
    func push(_ event: LoggedEvent) -> Bool {
        let (accepted, waiter) = state.withLock { s -> (Bool, CheckedContinuation<Void, Never>?) in
            if s.cancelled { return (true, nil) }
            let size = event.footprint
            // An empty queue takes any one event, so an event larger than the bound still gets through.
            if s.count >= capacity || (s.count > 0 && s.bytes + size > byteCapacity) {
                s.overflow += 1
                return (false, nil)
            }
            s.queue.append(event)
            s.bytes += size
            let w = s.waiter
            s.waiter = nil
            return (true, w)
        }
        waiter?.resume()
        return accepted
    }

    /// Takes up to `max` queued events, oldest first, without waiting: at
    /// most `maxBytes` of them by footprint (but at least one), so a consumer
    /// holding what it took is bounded in bytes as the queue is.
    public func drain(max: Int = .max, maxBytes: Int = .max) -> [LoggedEvent] {
        state.withLock { s in
            var n = Swift.min(max, s.count)
            if maxBytes < .max {
                var bytes = 0, taken = 0
                while taken < n {
                    bytes += s.queue[s.head + taken].footprint
                    if taken > 0 && bytes > maxBytes { break }
                    taken += 1
                }
                n = taken
            }
            guard n > 0 else { return [] }
            // The usual case for the store, which takes everything queued: the storage
            // itself changes hands, with no copy (and no retain and release) per event.
            if s.head == 0 && n == s.queue.count {
                let out = s.queue
                s.queue = []
                s.queue.reserveCapacity(Swift.min(capacity, Swift.max(16, n)))
                s.bytes = 0
                s.delivered += UInt64(n)
                return out
            }
            let out = Array(s.queue[s.head..<(s.head + n)])
            for event in out { s.bytes -= event.footprint }
            // Taken events no longer pin their payloads from the queue's storage.
            for i in s.head..<(s.head + n) { s.queue[i] = LoggedEvent.placeholder }
            s.head += n
            s.delivered += UInt64(n)
            // Compact once the consumed prefix dominates, so memory stays bounded.
            if s.head > 1024 && s.head * 2 > s.queue.count {
                s.queue.removeFirst(s.head)
                s.head = 0
            } else if s.head == s.queue.count {
                s.queue.removeAll(keepingCapacity: true)
                s.head = 0
            }
            return out
        }
    }

    /// Waits until at least one event is queued (or the subscription is
    /// cancelled), then drains up to `max` (and `maxBytes`). An empty result means cancelled.
    /// `wake()` also ends the wait with an empty result (check `isCancelled`).
    public func next(max: Int = .max, maxBytes: Int = .max) async -> [LoggedEvent] {
        while true {
            let batch = drain(max: max, maxBytes: maxBytes)
            if !batch.isEmpty { return batch }
            if isCancelled { return [] }
            let woken = state.withLock { s -> Bool in
                defer { s.woken = false }
                return s.woken
            }
            if woken { return [] }
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if s.count > 0 || s.cancelled || s.woken { return true }
                    s.waiter = c
                    return false
                }
                if resumeNow { c.resume() }
            }
        }
    }

    /// Makes a waiting `next()` return (empty) without cancelling: a consumer
    /// that must do something on a timer, such as a stream's keep-alive.
    public func wake() {
        releaseWaiter { $0.woken = true }
    }

    public var isCancelled: Bool { state.withLock { $0.cancelled } }

    public func cancel() {
        releaseWaiter { $0.cancelled = true }
        onCancel.withLock { $0 }?()
    }

    /// Changes the state, then resumes a waiting `next()` outside the lock.
    private func releaseWaiter(_ change: (inout State) -> Void) {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            change(&s)
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume()
    }

    public struct Stats: Sendable, Equatable {
        public var name: String
        public var queued: Int
        public var capacity: Int
        public var queuedBytes: Int
        public var byteCapacity: Int
        public var overflow: UInt64
        public var delivered: UInt64
        public var lossless: Bool
        /// How full the queue is, by whichever bound is nearer.
        public var backlogShare: Double { max(Double(queued) / Double(capacity), Double(queuedBytes) / Double(byteCapacity)) }
    }

    /// An eighth full or more, in events or bytes: plenty for the consumer's
    /// next batches, while the rest of the queue stays free for live sources.
    var backlogged: Bool { state.withLock { $0.count * 8 >= capacity || $0.bytes * 8 >= byteCapacity } }

    public var stats: Stats {
        state.withLock { Stats(name: name, queued: $0.count, capacity: capacity, queuedBytes: $0.bytes, byteCapacity: byteCapacity,
                               overflow: $0.overflow, delivered: $0.delivered, lossless: lossless) }
    }
}
