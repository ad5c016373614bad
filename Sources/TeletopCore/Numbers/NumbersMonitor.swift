import Synchronization

/// Keeps a `NumberTally` of the logger's events on a subscription of its
/// own (`numbers`): the producers never wait for it, and an overflowed queue
/// shows as that consumer's drops, which the report carries.
public final class NumbersMonitor: Sendable {
    private let tally = Mutex(NumberTally())
    private let subscription: EventSubscription
    private let task = Mutex<Task<Void, Never>?>(nil)

    static let batch = 4_096
    static let nap = Duration.milliseconds(50)

    public init(logger: EventLogger) {
        subscription = logger.subscribe(name: "numbers", capacity: 65_536)
    }

    public func start() {
        let subscription = self.subscription
        let started = Task.detached { [self] in
            while !Task.isCancelled {
                let batch = await subscription.next(max: Self.batch)
                if batch.isEmpty && subscription.isCancelled { return }
                add(batch)
                // The view reads these once a second. Taken as they come, a fast
                // stream's events would wake this task (a futex call on the
                // producer's thread and a thread switch here) every few events;
                // after a short batch it naps instead and takes the next many at
                // once. A full batch goes on at once, so the queue cannot fill.
                if batch.count < Self.batch { try? await Task.sleep(for: Self.nap) }
            }
        }
        task.withLock { $0 = started }
    }

    public func stop() {
        subscription.cancel()
        task.withLock { $0?.cancel() }
    }

    /// Counts these events (the task does; tests call it directly).
    public func add(_ events: [LoggedEvent]) {
        guard !events.isEmpty else { return }
        tally.withLock { t in
            for e in events { t.add(e) }
            t.enforceBound()
        }
    }

    /// Counts what is queued now, without the task (tests and tools that never `start`).
    public func catchUp() {
        add(subscription.drain())
    }

    public func report(now: Timestamp) -> NumbersReport {
        let dropped = subscription.stats.overflow
        return tally.withLock { $0.report(now: now, dropped: dropped) }
    }
}
