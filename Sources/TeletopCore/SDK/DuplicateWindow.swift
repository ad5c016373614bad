import Synchronization

/// The ids of the SDK events received lately (Segment's messageId, PostHog's
/// uuid, an OTLP record's hash), so that a retry of one already taken is
/// marked as a duplicate. Bounded in count and in bytes; the oldest ids go
/// first, and how many went is counted. A restart starts it empty.
public final class DuplicateWindow: Sendable {
    public struct Limits: Sendable {
        public var ids: Int
        public var bytes: Int
        public init(ids: Int = 100_000, bytes: Int = 8 << 20) {
            self.ids = max(1, ids)
            self.bytes = max(64, bytes)
        }
    }

    public struct Status: Sendable, Equatable {
        public var ids: Int
        public var bytes: Int
        /// Ids dropped, oldest first, to stay within the limits: a retry of one of them is not recognised.
        public var evicted: Int
        /// Events marked as a retry of one already taken.
        public var duplicates: Int
    }

    private struct State {
        var set: Set<String> = []
        var order: [String] = []
        var head = 0
        var bytes = 0
        var evicted = 0
        var duplicates = 0
    }

    public let limits: Limits
    private let state = Mutex(State())

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Per id: its own bytes plus the set's and the queue's share.
    static func cost(_ id: String) -> Int { id.utf8.count + 48 }

    /// True when an event with `id` was taken before.
    public func contains(_ id: String) -> Bool {
        state.withLock { $0.set.contains(id) }
    }

    /// Remembers the ids of events now taken, evicting the oldest past the
    /// limits, and counts those of them that were duplicates.
    public func remember<S: Sequence<String>>(_ ids: S, duplicates: Int = 0) {
        state.withLock { s in
            s.duplicates += duplicates
            for id in ids where s.set.insert(id).inserted {
                s.order.append(id)
                s.bytes += Self.cost(id)
                while s.order.count - s.head > limits.ids || s.bytes > limits.bytes {
                    let old = s.order[s.head]
                    s.head += 1
                    s.set.remove(old)
                    s.bytes -= Self.cost(old)
                    s.evicted += 1
                }
                // Compact the queue now and then, so its dead front does not grow.
                if s.head > 4096 && s.head * 2 > s.order.count {
                    s.order.removeFirst(s.head)
                    s.head = 0
                }
            }
        }
    }

    public var status: Status {
        state.withLock { s in Status(ids: s.set.count, bytes: s.bytes, evicted: s.evicted, duplicates: s.duplicates) }
    }
}
