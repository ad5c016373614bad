import Foundation
import Logging
import Synchronization
import TeletopCore

/// The one writer: takes accepted events from the logger through a bounded
/// subscription and writes them in batches (group commit: whatever queued up
/// during the last commit goes in the next, up to `maxBatch`), then tells the
/// `DurabilityTracker` so HTTP answers can go out.
///
/// Producers never wait for the disk: they only push into the subscription.
/// When the store fails, events wait in that queue (up to `bufferCapacity`),
/// the same batch is retried with backoff, health says unhealthy with the
/// reason, and HTTP writes are refused with 503 until a commit succeeds.
public final class StoreWriter: Sendable {
    public struct Options: Sendable {
        public var maxBatch = 4_096
        /// A batch that is not full waits this long for more, so a trickle of
        /// events still shares commits (and fsyncs); but only while no HTTP
        /// client waits on it: those send their next event only once answered.
        public var gatherWindow: Duration = .milliseconds(2)
        /// Events held in memory while the store cannot take them (~200 B each).
        public var bufferCapacity = 1 << 18
        public var retainEvents: Int?
        public var retainDays: Int?
        public var pruneInterval: Duration = .seconds(10)
        public var tick: Duration = .seconds(1)
        public var retryInitial: Duration = .milliseconds(100)
        public var retryMax: Duration = .seconds(5)
        /// At most this many recent events are put back into the feed at start.
        public var restoreRecent = 10_000
        public init() {}
    }

    /// What the health pane and header show about the store.
    public struct Status: Sendable, Equatable {
        public var path: String
        /// Whether the file is open now (derived from the writer's state when read).
        public var isOpen = false
        /// Why the store is not taking writes (nil: it is).
        public var failure: String?
        public var eventsStored = 0
        public var sizeOnDisk: Int64 = 0
        /// Smoothed commit time of one batch, in milliseconds.
        public var writeMilliseconds = 0.0
        public var batches: UInt64 = 0
        public var written: UInt64 = 0
        public var pruned: UInt64 = 0
        /// Accepted events waiting in memory for the store.
        public var waiting = 0
        /// When stopped: accepted events that never reached the store.
        public var unwritten = 0
    }

    struct State {
        var store: EventStore?
        /// The failure behind `status.failure`, to hand to a reader as it is.
        var lastError: StoreError?
        /// Events taken from the queue for the batch being written (or retried).
        var inBatch = 0
        var status: Status
        var stopping = false
        var finished = false
        /// The store's totals are in the logger's counters (they are added once).
        var historyRestored = false
    }

    public let path: String
    public let options: Options
    public let tracker: DurabilityTracker
    let logger: EventLogger
    let subscription: EventSubscription
    let log: Logger
    let state: Mutex<State>
    let done = DispatchSemaphore(value: 0)

    /// Opens the store at `path` (a failure is reported in health and retried,
    /// never thrown), puts its history back into `logger`, and starts writing.
    public init(path: String, logger: EventLogger, options: Options = Options(), log: Logger = Logger(label: "teletop.store")) {
        self.path = path
        self.options = options
        self.logger = logger
        self.log = log
        state = Mutex(State(status: Status(path: path)))
        var opened: Result<EventStore, StoreError>
        do {
            opened = .success(try EventStore(path: path))
        } catch {
            opened = .failure(error)
        }
        // History goes into the logger before the tracker and the subscription
        // start counting, so restored events are neither waited on nor written again.
        let newest = (try? opened.get()).map { Self.restore(from: $0, into: logger, recent: options.restoreRecent, log: log) }
            ?? logger.sequenceRange.newest
        if case .success = opened { state.withLock { $0.historyRestored = true } }
        tracker = DurabilityTracker(startingAfter: newest)
        subscription = logger.subscribe(name: "store", capacity: options.bufferCapacity, lossless: true)
        switch opened {
        case .success(let store): adopt(store)
        case .failure(let error): fail(error)
        }
        let startAfter = newest
        Task.detached { [self] in await self.writeLoop(expectedNext: startAfter + 1) }
        Task.detached { [self] in await self.tickLoop() }
    }

    /// Lifetime totals into the counters, the newest events into the feed.
    static func restore(from store: EventStore, into logger: EventLogger, recent: Int, log: Logger) -> UInt64 {
        var newest = logger.sequenceRange.newest
        do {
            let totals = try store.totals()
            logger.restoreTotals(accepted: totals.values.reduce(0, +), perType: totals)
            let events = try store.recent(limit: recent)
            newest = logger.restoreRecent(events.map(\.event), sources: events.map(\.source))
            log.info("store restored", metadata: ["events": "\(totals.values.reduce(0, +))", "feed": "\(events.count)"])
        } catch {
            log.error("store history could not be read", metadata: ["error": "\(error)"])
        }
        return newest
    }

    public var status: Status {
        let (status, inBatch, open) = state.withLock { ($0.status, $0.inBatch, $0.store != nil) }
        var s = status
        s.isOpen = open
        s.waiting = subscription.stats.queued + (s.failure == nil ? 0 : inBatch)
        return s
    }

    // MARK: writing

    func writeLoop(expectedNext start: UInt64) async {
        var expectedNext = start
        var pending: [LoggedEvent] = []
        var backoff = options.retryInitial
        var giveUpAt: ContinuousClock.Instant?
        while true {
            let (store, stopping) = state.withLock { ($0.store, $0.stopping) }
            if stopping && giveUpAt == nil { giveUpAt = .now + .seconds(5) }
            if let giveUpAt, ContinuousClock.now > giveUpAt { break }
            guard let store else {
                if !(await reopen()) {
                    if stopping { break }
                    try? await Task.sleep(for: backoff)
                    backoff = min(backoff * 2, options.retryMax)
                }
                continue
            }
            if pending.isEmpty {
                // Read before draining: every event up to `newest` has been pushed
                // by now, so one not in the queue was dropped (queue full).
                let newest = logger.sequenceRange.newest
                pending = stopping ? subscription.drain(max: options.maxBatch) : await subscription.next(max: options.maxBatch)
                if !pending.isEmpty && pending.count < options.maxBatch && !stopping && tracker.waiting == 0 {
                    try? await Task.sleep(for: options.gatherWindow)
                    pending += subscription.drain(max: options.maxBatch - pending.count)
                }
                if pending.isEmpty {
                    if newest >= expectedNext {
                        tracker.lost(expectedNext...newest)
                        tracker.committed(through: newest)
                        expectedNext = newest + 1
                    }
                    if stopping { break }
                    continue
                }
                for event in pending {
                    if event.sequence > expectedNext { tracker.lost(expectedNext...(event.sequence - 1)) }
                    expectedNext = event.sequence + 1
                }
            }
            let last = pending[pending.count - 1].sequence
            tracker.dropRefused(&pending)
            if pending.isEmpty {
                tracker.settled(through: last)
                continue
            }
            let started = ContinuousClock.now
            let batchSize = pending.count
            state.withLock { $0.inBatch = batchSize }
            do {
                try await store.insert(pending)
                let elapsed = ContinuousClock.now - started
                let recovered = recordCommit(count: pending.count, elapsed: elapsed)
                tracker.committed(through: last)
                pending = []
                backoff = options.retryInitial
                if recovered {
                    markHealthy()
                    log.notice("store recovered", metadata: ["path": "\(path)"])
                }
            } catch {
                fail(error)
                if error.needsReopen { state.withLock { $0.store = nil } }
                if stopping && (giveUpAt.map { ContinuousClock.now > $0 } ?? true) { break }
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, options.retryMax)
            }
        }
        let unwritten = pending.count + subscription.stats.queued
        if unwritten > 0 { log.error("store stopped with events not written", metadata: ["events": "\(unwritten)"]) }
        state.withLock { $0.status.unwritten = unwritten }
        subscription.cancel()
        // Anyone still waiting (a request that came in during shutdown) gets its answer.
        tracker.failing("teletop is stopping")
        // Closes the file once the last reader (an analytics query) lets go.
        state.withLock { $0.finished = true; $0.store = nil }
        done.signal()
    }

    /// Returns true when this commit ended a failure.
    private func recordCommit(count: Int, elapsed: Duration) -> Bool {
        let ms = Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
        return state.withLock { s in
            let wasFailing = s.status.failure != nil
            s.status.failure = nil
            s.status.batches += 1
            s.status.written += UInt64(count)
            s.status.eventsStored += count
            s.status.writeMilliseconds = s.status.batches == 1 ? ms : s.status.writeMilliseconds * 0.9 + ms * 0.1
            return wasFailing
        }
    }

    private func fail(_ error: StoreError) {
        let first = state.withLock { s -> Bool in
            defer { s.status.failure = error.description; s.lastError = error }
            return s.status.failure != error.description
        }
        publishFailure(error.description)
        tracker.failing("the event store cannot take writes: \(error.description)")
        if first { log.error("store failed; retrying", metadata: ["error": "\(error)"]) }
    }

    /// Health's line for a failing store, with the same waiting count as the status line.
    private func publishFailure(_ reason: String) {
        logger.setComponentHealth(ComponentHealth(name: "store", status: .unhealthy,
            message: "\(reason); \(status.waiting) events waiting in memory"))
    }

    /// Takes an open store into use: its figures into the status, writes
    /// welcome again, health healthy.
    private func adopt(_ store: EventStore) {
        let stored = (try? store.count()) ?? 0
        state.withLock {
            $0.store = store
            $0.status.eventsStored = stored
            $0.status.sizeOnDisk = store.sizeOnDisk
            $0.status.failure = nil
            $0.lastError = nil
        }
        tracker.recovered()
        markHealthy()
    }

    private func markHealthy() {
        logger.setComponentHealth(ComponentHealth(name: "store", status: .healthy, message: "ok"))
    }

    /// Opens the store again after a failure at start or a corrupt file. Only
    /// the totals are restored (the first time): older events arriving in the
    /// feed mid-run would read as new.
    private func reopen() async -> Bool {
        do {
            let store = try EventStore(path: path)
            let restored = state.withLock { s -> Bool in
                defer { s.historyRestored = true }
                return s.historyRestored
            }
            if !restored, let totals = try? store.totals() {
                logger.restoreTotals(accepted: totals.values.reduce(0, +), perType: totals)
            }
            adopt(store)
            log.notice("store opened", metadata: ["path": "\(path)"])
            return true
        } catch {
            fail(error)
            return false
        }
    }

    // MARK: housekeeping

    /// Once a second: wake the writer (so a dropped tail is settled and stop is
    /// seen), refresh the file size, and now and then prune.
    func tickLoop() async {
        var lastPrune = ContinuousClock.now
        while !state.withLock({ $0.finished }) {
            try? await Task.sleep(for: options.tick)
            subscription.wake()
            // Keep health's waiting count current while the store fails.
            if let failure = state.withLock({ $0.status.failure }) { publishFailure(failure) }
            guard let store = state.withLock({ $0.store }) else { continue }
            let size = store.sizeOnDisk
            state.withLock { $0.status.sizeOnDisk = size }
            if ContinuousClock.now - lastPrune >= options.pruneInterval {
                lastPrune = .now
                await prune(store)
            }
        }
    }

    /// Deletes beyond the retention limits in small transactions, so batches
    /// of new events are written between them.
    func prune(_ store: EventStore) async {
        guard options.retainEvents != nil || options.retainDays != nil else { return }
        let before = options.retainDays.map { logger.clock.now().adding(milliseconds: -Int64($0) * 86_400_000) }
        do {
            _ = try await store.prune(keep: options.retainEvents, before: before) { n in
                state.withLock {
                    $0.status.pruned += UInt64(n)
                    $0.status.eventsStored = max(0, $0.status.eventsStored - n)
                }
            }
        } catch {
            log.warning("pruning failed; will try again", metadata: ["error": "\(error)"])
        }
    }

    /// Writes what is queued (for at most 5 s when the store is failing), then
    /// stops. Blocks the calling thread: for the CLI's main thread.
    public func stop() {
        beginStop()
        _ = done.wait(timeout: .now() + 6)
        done.signal()
    }

    /// The same from async code, without holding a thread of the cooperative
    /// pool (the writer itself needs one to finish).
    public func stop() async {
        beginStop()
        for _ in 0..<600 where !state.withLock({ $0.finished }) {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    private func beginStop() {
        let already = state.withLock { s -> Bool in
            defer { s.stopping = true }
            return s.stopping
        }
        if !already { subscription.wake() }
    }
}

extension StoreWriter: DurabilityGate {
    public var refusal: String? { tracker.refusal }
    public func awaitDurable(_ sequence: UInt64) async -> Durability { await tracker.awaitDurable(sequence) }
}

/// The analytics view and `/api/telemetry/top` read through the writer, which
/// knows whether the store is open right now.
extension StoreWriter: AnalyticsSource {
    func openStore() throws(StoreError) -> EventStore {
        let (store, lastError) = state.withLock { ($0.store, $0.lastError) }
        guard let store else { throw lastError ?? StoreError(path: path, message: "the store is not open") }
        return store
    }

    public func top(_ query: TopQuery) throws -> TopResult { try openStore().top(query) }
    public func perMinute(minutes: Int, now: Timestamp) throws -> [Int] { try openStore().perMinute(minutes: minutes, now: now) }
}
