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
        /// Events whose clients were told "not stored": the writer must not
        /// store them later, or a client's retry would store them twice.
        var refused: Set<UInt64> = []
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
                if let failure = s.failure {
                    // Its client hears "not stored", so it must not be stored later.
                    s.refused.insert(sequence)
                    return .notDurable(failure)
                }
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

    /// Everything up to `sequence` is settled without a write (the batch held
    /// only refused events); a failure, if any, stands.
    public func settled(through sequence: UInt64) {
        let ready = state.withLock { s -> [(CheckedContinuation<Durability, Never>, Durability)] in
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

    /// A write failed: everyone waiting is told now that their event is not
    /// stored (and it will not be: see `isRefused`), and new waiters are
    /// refused until the store takes writes again. Events nobody waits for
    /// (the simulator's, a file's) stay queued and are written on recovery.
    public func failing(_ reason: String) {
        let waiting = state.withLock { s -> [CheckedContinuation<Durability, Never>] in
            s.failure = reason
            s.refused.formUnion(s.waiters.keys)
            defer { s.waiters.removeAll() }
            return Array(s.waiters.values)
        }
        for c in waiting { c.resume(returning: .notDurable(reason)) }
    }

    /// The store opened again (nothing was waiting to be committed): writes are welcome.
    public func recovered() {
        state.withLock { $0.failure = nil }
    }

    /// Takes out of `events` those whose clients were already told they are
    /// not stored (the writer calls this before each write).
    public func dropRefused(_ events: inout [LoggedEvent]) {
        state.withLock { s in
            guard !s.refused.isEmpty else { return }
            events.removeAll { s.refused.remove($0.sequence) != nil }
        }
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
