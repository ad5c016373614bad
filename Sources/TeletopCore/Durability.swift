import Synchronization

/// What a writer (the HTTP API) may tell its client about an accepted event.
public enum Durability: Sendable, Equatable {
    /// The event's batch has committed: it survives a crash.
    case durable
    /// Not confirmed on disk; the reason says why (store failing, buffer full).
    case notDurable(String)
}

/// The store as the HTTP API sees it: may I accept writes now, and has this
/// event reached the disk? Implemented by TeletopStore; the core and the
/// server know only this protocol.
public protocol DurabilityGate: Sendable {
    /// nil while the store takes writes; otherwise why it does not.
    var refusal: String? { get }
    /// Returns once the event with this logger sequence number is committed,
    /// or known not to be.
    func awaitDurable(_ sequence: UInt64) async -> Durability
}

/// Matches logger sequence numbers to commits, so an HTTP answer waits for
/// exactly its own event's batch.
///
/// The writer reports every batch in sequence order: `committed(through:)`
/// after a commit, `lost(_:)` for sequence numbers that never reached it (its
/// queue was full), `failing(_:)` when a write fails. Everything up to
/// `resolvedThrough` is settled; a waiter above it sleeps until a report
/// settles it.
public final class DurabilityTracker: DurabilityGate {
    struct State {
        var resolvedThrough: UInt64
        /// Recent lost ranges, oldest first; a waiter registers microseconds
        /// after its event was logged, so a short history is enough.
        var lost: [ClosedRange<UInt64>] = []
        var failure: String?
        var waiters: [UInt64: CheckedContinuation<Durability, Never>] = [:]
    }

    static let lostRangesKept = 256
    let state: Mutex<State>

    /// `startingAfter`: the newest sequence number already settled (restored
    /// events, or 0).
    public init(startingAfter sequence: UInt64 = 0) {
        state = Mutex(State(resolvedThrough: sequence))
    }

    public var refusal: String? { state.withLock { $0.failure } }

    public func awaitDurable(_ sequence: UInt64) async -> Durability {
        await withCheckedContinuation { (c: CheckedContinuation<Durability, Never>) in
            let now = state.withLock { s -> Durability? in
                if sequence <= s.resolvedThrough { return Self.verdict(sequence, s) }
                if let failure = s.failure { return .notDurable(failure) }
                s.waiters[sequence] = c
                return nil
            }
            if let now { c.resume(returning: now) }
        }
    }

    /// Everything up to `sequence` was written, except the ranges reported lost.
    public func committed(through sequence: UInt64) {
        let ready = state.withLock { s -> [(CheckedContinuation<Durability, Never>, Durability)] in
            s.failure = nil
            s.resolvedThrough = max(s.resolvedThrough, sequence)
            return Self.settle(&s)
        }
        for (c, verdict) in ready { c.resume(returning: verdict) }
    }

    /// These sequence numbers will never be written (the writer's queue overflowed).
    public func lost(_ range: ClosedRange<UInt64>) {
        state.withLock { s in
            s.lost.append(range)
            if s.lost.count > Self.lostRangesKept { s.lost.removeFirst(s.lost.count - Self.lostRangesKept) }
        }
    }

    /// A write failed: everyone waiting is told now (their events stay queued
    /// and are written when the store recovers), and new waiters are refused
    /// until the next commit.
    public func failing(_ reason: String) {
        let waiting = state.withLock { s -> [CheckedContinuation<Durability, Never>] in
            s.failure = reason
            defer { s.waiters.removeAll() }
            return Array(s.waiters.values)
        }
        for c in waiting { c.resume(returning: .notDurable(reason)) }
    }

    public var waiting: Int { state.withLock { $0.waiters.count } }

    private static func settle(_ s: inout State) -> [(CheckedContinuation<Durability, Never>, Durability)] {
        guard !s.waiters.isEmpty else { return [] }
        var ready: [(CheckedContinuation<Durability, Never>, Durability)] = []
        for (sequence, c) in s.waiters where sequence <= s.resolvedThrough {
            ready.append((c, verdict(sequence, s)))
        }
        let through = s.resolvedThrough
        s.waiters = s.waiters.filter { $0.key > through }
        return ready
    }

    private static func verdict(_ sequence: UInt64, _ s: State) -> Durability {
        s.lost.contains { $0.contains(sequence) }
            ? .notDurable("the store's memory buffer was full, so this event was not written")
            : .durable
    }
}
