import Foundation
import Logging
import Synchronization
import TeletopCore

/// The one writer: takes accepted events from the logger through a bounded
/// subscription and writes them in batches (group commit: whatever queued up
/// during the last commit goes in the next, up to `maxBatch`).
///
/// Two kinds of event reach it. Events from the simulator, the form, files
/// and pipes were logged first and are written afterwards: producers never
/// wait for the disk, and when the store fails these wait in the queue (up to
/// its count and byte bounds) and the same batch is retried with backoff.
/// Events from HTTP clients are written *before* they are logged (`write`):
/// the client's answer waits for the commit, and an event whose commit failed
/// is answered 503 and never logged, counted, shown or stored later, so a
/// client's retry cannot make it twice and no view holds what the store lacks.
///
/// While the store fails, health says unhealthy with the reason, HTTP writes
/// are refused with 503, and the writer probes the store on its own schedule
/// (backoff up to `retryMax`) whether or not anything is waiting to be written,
/// so a lock released or a disk with room again ends the outage by itself.
public final class StoreWriter: Sendable {
    public struct Options: Sendable {
        /// A batch pays one upsert per distinct aggregate value and timeline
        /// key (a stream's 900 users cost the same in a batch of 4,096 as in one
        /// of 16,384), so a fast stream's batches are big: following a file at
        /// 100k lines/s took 64-69% of a core in batches of 16,384 against
        /// 71-75% in 4,096s (scripts/bench-follow.sh); 32,768 was no better.
        public var maxBatch = 16_384
        /// A batch that is not full waits up to this long for more (see
        /// `gather`), so a trickle still shares commits and fsyncs and a fast
        /// stream writes full batches (100k/s fills one in 164 ms); but only
        /// while no HTTP client waits on it: those send their next event only
        /// once answered. Views read live counts from memory, not from here;
        /// the store's answers (`/top`, export) trail by at most this.
        public var gatherWindow: Duration = .milliseconds(200)
        public var gatherStep: Duration = .milliseconds(2)
        /// The step while no HTTP client has written for `httpQuiet`: a stream's
        /// batch fills in fewer wakeups (500 a second at 2 ms took 2% of a core
        /// following a file at 100k lines/s), and the first client to come waits
        /// one step longer, once.
        public var quietGatherStep: Duration = .milliseconds(10)
        public var httpQuiet: Duration = .seconds(5)
        /// Events held in memory while the store cannot take them; the byte
        /// bound is the logger's `queueBytes`, whichever comes first.
        public var bufferCapacity = 1 << 18
        public var retainEvents: Int?
        public var retainDays: Int?
        /// Hour and day aggregates outlive the raw rows by default, so 7d and
        /// 30d still answer after `retainDays` pruned them.
        public var retainAggregatesDays = 400
        public var pruneInterval: Duration = .seconds(10)
        /// How often the minutes' counts are folded into hours, days and the window sums.
        public var foldInterval: Duration = .seconds(5)
        /// Hears the rebuild of a store made by an older release (`serve` prints it).
        public var upgradeProgress: @Sendable (StoreUpgrade.Progress) -> Void = { _ in }
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
        /// While a store made by an older release is being rebuilt: how far it is.
        public var upgrade: StoreUpgrade.Progress?
    }

    /// An HTTP client's events, waiting for the next commit.
    struct DirectWrite {
        var events: [LoggedEvent]
        var bytes: Int
        var answer: CheckedContinuation<Durability, Never>
    }

    struct State {
        var store: (any StoreBackend)?
        /// The failure behind `status.failure`, to hand to a reader as it is.
        var lastError: StoreError?
        /// Events taken from the queue for the batch being written (or retried).
        var inBatch = 0
        var status: Status
        var direct: [DirectWrite] = []
        var directBytes = 0
        /// When an HTTP client last wrote (see `quietGatherStep`).
        var lastDirect: ContinuousClock.Instant?
        var stopping = false
        var finished = false
        /// The store's totals are in the logger's counters (they are added once).
        var historyRestored = false
        /// A shared store: the other writers' lifetime counts already added to the
        /// logger's counters (at restore, then as they grow), so its totals are the fleet's.
        var othersCounted: [String: UInt64] = [:]
    }

    /// Where the store is, for status lines and errors (a PostgreSQL address without its password).
    public let path: String
    public let address: StoreAddress
    public let options: Options
    let logger: EventLogger
    let subscription: EventSubscription
    let log: Logger
    let state: Mutex<State>
    let done = DispatchSemaphore(value: 0)
    let executor = WriterExecutor(label: "teletop.store.writer")

    /// Opens the store at `path` (a failure is reported in health and retried,
    /// never thrown), puts its history back into `logger`, and starts writing.
    public convenience init(path: String, logger: EventLogger, options: Options = Options(), log: Logger = Logger(label: "teletop.store")) {
        self.init(address: .file(path), logger: logger, options: options, log: log)
    }

    public init(address: StoreAddress, logger: EventLogger, options: Options = Options(), log: Logger = Logger(label: "teletop.store")) {
        self.address = address
        let path = address.place
        self.path = path
        self.options = options
        self.logger = logger
        self.log = log
        state = Mutex(State(status: Status(path: path)))
        var opened: Result<any StoreBackend, StoreError>
        if address.needsUpgrade {
            // A big store takes a while to rebuild: in the write loop, with its
            // progress in the status, while the dashboard or server runs; a stop
            // waits for it (see `stop`).
            state.withLock { $0.status.upgrade = StoreUpgrade.Progress(done: 0, total: 0) }
            opened = .failure(StoreError(path: path, kind: .other, message: Self.upgradeText(StoreUpgrade.Progress(done: 0, total: 0))))
        } else {
            do {
                opened = .success(try address.open())
            } catch {
                opened = .failure(error)
            }
        }
        // History goes into the logger before the subscription starts, so restored
        // events are not written again.
        if case .success(let store) = opened {
            let totals = Self.restore(from: store, into: logger, recent: options.restoreRecent, log: log)
            state.withLock { $0.historyRestored = true; $0.othersCounted = totals }
        }
        subscription = logger.subscribe(name: "store", capacity: options.bufferCapacity, lossless: true, skipsStored: true)
        switch opened {
        case .success(let store): adopt(store, stored: (store as? EventStore).flatMap { try? $0.count() })
        case .failure(let error): fail(error)
        }
        Task.detached(executorPreference: executor) { [self] in await self.writeLoop() }
        Task.detached(executorPreference: executor) { [self] in await self.tickLoop() }
    }

    /// Lifetime totals into the counters, the newest events into the feed.
    /// Returns the totals restored (this run has written nothing yet: all are others').
    @discardableResult
    static func restore(from store: any StoreBackend, into logger: EventLogger, recent: Int, log: Logger) -> [String: UInt64] {
        do {
            let totals = try store.totals()
            logger.restoreTotals(accepted: totals.values.reduce(0, +), perType: totals)
            let events = try store.recent(limit: recent)
            logger.restoreRecent(events.map(\.event), sources: events.map(\.source))
            log.info("store restored", metadata: ["events": "\(totals.values.reduce(0, +))", "feed": "\(events.count)"])
            return totals
        } catch {
            log.error("store history could not be read", metadata: ["error": "\(error)"])
            return [:]
        }
    }

    /// A shared store: what the other collectors wrote since the last look goes
    /// into the counters, so this collector's totals (and `/stats`) are the fleet's.
    private func countOthers(_ store: any StoreBackend) async {
        guard let others = try? await store.othersTotals() else { return }
        let grown = state.withLock { s -> [String: UInt64] in
            var grown: [String: UInt64] = [:]
            for (type, n) in others where n > s.othersCounted[type, default: 0] {
                grown[type] = n - s.othersCounted[type, default: 0]
                s.othersCounted[type] = n
            }
            return grown
        }
        if !grown.isEmpty { logger.restoreTotals(accepted: grown.values.reduce(0, +), perType: grown) }
    }

    /// Why the store did not open (at start, or since): nil once it is open.
    public var openFailure: StoreError? {
        state.withLock { $0.store == nil ? $0.lastError : nil }
    }

    public var status: Status {
        let (status, inBatch, open) = state.withLock { ($0.status, $0.inBatch, $0.store != nil) }
        var s = status
        s.isOpen = open
        s.waiting = subscription.stats.queued + (s.failure == nil ? 0 : inBatch)
        return s
    }

    // MARK: HTTP writes

    /// Writes an HTTP client's events (not yet logged) in the next commit and
    /// returns once it is done. `.notDurable` means not stored and never will
    /// be: nothing is retried behind the client's back.
    public func write(_ events: [LoggedEvent]) async -> Durability {
        guard !events.isEmpty else { return .durable }
        let bytes = events.reduce(0) { $0 + $1.footprint }
        let verdict = await withCheckedContinuation { (c: CheckedContinuation<Durability, Never>) in
            let refused = state.withLock { s -> String? in
                if s.stopping || s.finished { return "teletop is stopping" }
                if let failure = s.status.failure { return Self.refusalText(failure) }
                if s.directBytes > 0 && s.directBytes + bytes > logger.configuration.queueBytes {
                    return "the store's write queue is full (\(logger.configuration.queueBytes >> 20) MiB waiting for the disk)"
                }
                s.direct.append(DirectWrite(events: events, bytes: bytes, answer: c))
                s.directBytes += bytes
                s.lastDirect = .now
                return nil
            }
            if let refused { c.resume(returning: .notDurable(refused)) } else { subscription.wake() }
        }
        return verdict
    }

    static func refusalText(_ failure: String) -> String { "the event store cannot take writes: \(failure)" }

    private func takeDirect() -> [DirectWrite] {
        state.withLock { s in
            defer { s.direct = []; s.directBytes = 0 }
            return s.direct
        }
    }

    private var hasDirect: Bool { state.withLock { !$0.direct.isEmpty } }

    // MARK: writing

    /// Fills a batch that is not full for up to `gatherWindow`, in steps of
    /// `gatherStep` (`quietGatherStep` while no HTTP client writes), and stops as soon as an HTTP client waits (it is answered
    /// only once its batch commits, so it waits at most one step) or the batch
    /// is full. Followed files, pipes and the simulator wait for no answer:
    /// fuller batches share each distinct aggregate value's upsert among more
    /// events, which is most of what a commit costs beyond its rows.
    private func gather(into pending: inout [LoggedEvent], bound: Int) async {
        let deadline = ContinuousClock.now + options.gatherWindow
        let httpRecently = state.withLock { s in s.lastDirect.map { ContinuousClock.now - $0 < options.httpQuiet } ?? false }
        let step = httpRecently ? options.gatherStep : options.quietGatherStep
        var held = pending.reduce(0) { $0 + $1.footprint }
        while pending.count < options.maxBatch && held < bound && ContinuousClock.now < deadline {
            try? await Task.sleep(for: step)
            if hasDirect || state.withLock({ $0.stopping }) { break }
            let more = subscription.drain(max: options.maxBatch - pending.count, maxBytes: bound - held)
            held += more.reduce(0) { $0 + $1.footprint }
            pending += more
        }
    }

    func writeLoop() async {
        // Logged events taken from the queue: retried until written.
        var pending: [LoggedEvent] = []
        // A batch whose COMMIT got no answer (a shared store): its HTTP clients
        // wait for the truth instead of a 503 that might be false, and its
        // events are not written again until the store says whether they are in.
        var unsettled: (direct: [DirectWrite], count: Int, started: ContinuousClock.Instant)?
        var backoff = options.retryInitial
        var giveUpAt: ContinuousClock.Instant?
        // A store opened in `init` whose rows were not counted there (a database: the answer is awaited here).
        if let store = state.withLock({ $0.store }), !(store is EventStore), let n = try? await store.storedCount() {
            state.withLock { $0.status.eventsStored += n }
        }
        while true {
            let (store, stopping, failing) = state.withLock { ($0.store, $0.stopping, $0.status.failure != nil) }
            if stopping && giveUpAt == nil { giveUpAt = .now + .seconds(5) }
            if let giveUpAt, ContinuousClock.now > giveUpAt { break }
            guard let store else {
                answer(takeDirect(), .notDurable(Self.refusalText(state.withLock { $0.status.failure } ?? "the store is not open")))
                if !(await reopen()) {
                    if stopping { break }
                    try? await Task.sleep(for: backoff)
                    backoff = min(backoff * 2, options.retryMax)
                }
                continue
            }
            if let held = unsettled {
                do {
                    _ = try await store.settle()
                    unsettled = nil
                    let recovered = recordCommit(count: held.count, elapsed: ContinuousClock.now - held.started)
                    answer(held.direct, .durable)
                    pending = []
                    backoff = options.retryInitial
                    if recovered { endFailure() }
                } catch {
                    fail(error)
                    if error.kind != .unsettled {
                        // Known not stored: its clients hear so, its logged events are written again.
                        unsettled = nil
                        answer(held.direct, .notDurable(Self.refusalText(error.description)))
                    } else if stopping && (giveUpAt.map { ContinuousClock.now > $0 } ?? true) {
                        answer(held.direct, .notDurable("teletop is stopping, and whether these events were stored is not known (the store did not answer)"))
                        break
                    }
                    try? await Task.sleep(for: backoff)
                    backoff = min(backoff * 2, options.retryMax)
                }
                continue
            }
            if pending.isEmpty {
                // While failing, or with a client waiting, do not sleep in `next`:
                // the probe and the client each need this loop to go round.
                // The batch being written (or retried) holds at most the queue's byte
                // bound, so the queue and the batch together hold at most twice it.
                let bound = logger.configuration.queueBytes
                pending = stopping || failing || hasDirect
                    ? subscription.drain(max: options.maxBatch, maxBytes: bound)
                    : await subscription.next(max: options.maxBatch, maxBytes: bound)
                if !pending.isEmpty && !stopping && !hasDirect { await gather(into: &pending, bound: bound) }
            }
            let direct = takeDirect()
            if pending.isEmpty && direct.isEmpty {
                if stopping { break }
                if failing {
                    // Nothing to retry with: ask the store itself, on this schedule, whatever the traffic.
                    do {
                        try await store.probe(at: logger.clock.now())
                        endFailure()
                        backoff = options.retryInitial
                    } catch {
                        fail(error)
                        if error.needsReopen { state.withLock { $0.store = nil } }
                        try? await Task.sleep(for: backoff)
                        backoff = min(backoff * 2, options.retryMax)
                    }
                }
                continue
            }
            let batch = direct.isEmpty ? pending : pending + direct.flatMap(\.events)
            let started = ContinuousClock.now
            state.withLock { $0.inBatch = pending.count }
            do {
                try await store.insert(batch)
                let recovered = recordCommit(count: batch.count, elapsed: ContinuousClock.now - started)
                answer(direct, .durable)
                pending = []
                backoff = options.retryInitial
                if recovered { endFailure() }
            } catch {
                fail(error)
                if error.kind == .unsettled {
                    // Answered once settled (see the top of the loop).
                    unsettled = (direct, batch.count, started)
                    try? await Task.sleep(for: backoff)
                    backoff = min(backoff * 2, options.retryMax)
                    continue
                }
                answer(direct, .notDurable(Self.refusalText(error.description)))
                if error.needsReopen { state.withLock { $0.store = nil } }
                if stopping && (giveUpAt.map { ContinuousClock.now > $0 } ?? true) { break }
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, options.retryMax)
            }
        }
        let unwritten = pending.count + subscription.stats.queued
        if unwritten > 0 { log.error("store stopped with events not written", metadata: ["events": "\(unwritten)"]) }
        state.withLock { $0.status.unwritten = unwritten; $0.stopping = true }
        subscription.cancel()
        // Anyone still waiting (a request that came in during shutdown) gets its answer.
        answer(takeDirect(), .notDurable("teletop is stopping"))
        // The aggregates held back for later batches (were this skipped, the next open would count them from the rows).
        if let store = state.withLock({ $0.store }) { try? await store.flushAggregates() }
        // Closes the file once the last reader (an analytics query) lets go.
        state.withLock { $0.finished = true; $0.store = nil }
        done.signal()
    }

    private func answer(_ writes: [DirectWrite], _ verdict: Durability) {
        for write in writes { write.answer.resume(returning: verdict) }
    }

    /// The store takes writes again: say so once, in health and the log.
    private func endFailure() {
        let was = state.withLock { s -> String? in
            defer { s.status.failure = nil; s.lastError = nil }
            return s.status.failure
        }
        publishHealth()
        if was != nil { log.notice("store recovered", metadata: ["path": "\(path)"]) }
    }

    /// Returns true when this commit ended a failure.
    private func recordCommit(count: Int, elapsed: Duration) -> Bool {
        let ms = Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
        return state.withLock { s in
            let wasFailing = s.status.failure != nil
            s.status.batches += 1
            s.status.written += UInt64(count)
            s.status.eventsStored += count
            s.status.writeMilliseconds = s.status.batches == 1 ? ms : s.status.writeMilliseconds * 0.9 + ms * 0.1
            return wasFailing
        }
    }

    private func fail(_ error: StoreError) {
        // HTTP writes that queued while the failing batch was being written are
        // answered now, under the lock that sets the failure: from here on
        // `write` refuses at once, so none can wait for the outage to end.
        let (first, stranded) = state.withLock { s -> (Bool, [DirectWrite]) in
            defer {
                s.status.failure = error.description
                s.lastError = error
                s.direct = []
                s.directBytes = 0
            }
            return (s.status.failure != error.description, s.direct)
        }
        answer(stranded, .notDurable(Self.refusalText(error.description)))
        publishHealth()
        let upgrading = state.withLock { $0.status.upgrade != nil }
        if first && !upgrading { log.error("store failed; retrying", metadata: ["error": "\(error)"]) }
    }

    /// Health's line for the store, read from the state and published under
    /// the same lock, so a failure read just before a recovery is never
    /// published after it. The waiting count is the status line's.
    private func publishHealth() {
        let queued = subscription.stats.queued
        state.withLock { s in
            if let reason = s.status.failure {
                logger.setComponentHealth(ComponentHealth(name: "store", status: .unhealthy,
                    message: "\(reason); \(Describe.count(queued + s.inBatch, "event")) waiting in memory"))
            } else {
                logger.setComponentHealth(ComponentHealth(name: "store", status: .healthy, message: "ok"))
            }
        }
    }

    /// Takes an open store into use: its figures into the status, writes
    /// welcome again, health healthy.
    /// `stored` nil: counted by the write loop, which may wait for the answer.
    private func adopt(_ store: any StoreBackend, stored: Int?) {
        state.withLock {
            $0.store = store
            if let stored { $0.status.eventsStored = stored }
            $0.status.failure = nil
            $0.lastError = nil
        }
        publishHealth()
    }


    static func upgradeText(_ p: StoreUpgrade.Progress) -> String {
        p.total == 0 ? "upgrading the store made by an older release (rewriting its events into blocks)"
            : "upgrading the store made by an older release: \(p.percent)% (\(Describe.grouped(p.done)) of \(Describe.grouped(p.total)) events)"
    }

    /// Opens the store again after a failure at start or a corrupt file, or
    /// for the first time when it must be upgraded. Only the totals are
    /// restored (the first time): older events arriving in the feed mid-run
    /// would read as new.
    private func reopen() async -> Bool {
        do {
            let store = try await open()
            let restored = state.withLock { s -> Bool in
                defer { s.historyRestored = true }
                return s.historyRestored
            }
            if !restored, let totals = try? store.totals() {
                logger.restoreTotals(accepted: totals.values.reduce(0, +), perType: totals)
                state.withLock { $0.othersCounted = totals }
            }
            adopt(store, stored: try? await store.storedCount())
            state.withLock { $0.status.upgrade = nil }
            log.notice("store opened", metadata: ["path": "\(path)"])
            return true
        } catch {
            fail(error)
            return false
        }
    }

    /// Opens the file on a thread of its own: an upgrade can take seconds,
    /// which must not hold one of the few threads every task shares.
    private func open() async throws(StoreError) -> any StoreBackend {
        let address = address, options = options, log = log
        let result = await withCheckedContinuation { (c: CheckedContinuation<Result<any StoreBackend, StoreError>, Never>) in
            Thread.detachNewThread { [self] in
                c.resume(returning: Result { () throws(StoreError) -> any StoreBackend in
                    try address.open { progress in
                        let text = Self.upgradeText(progress)
                        self.state.withLock { $0.status.upgrade = progress; $0.status.failure = text }
                        log.notice("store upgrade", metadata: ["done": "\(progress.done)", "total": "\(progress.total)"])
                        options.upgradeProgress(progress)
                    }
                })
            }
        }
        return try result.get()
    }

    // MARK: housekeeping

    /// Once a second: wake the writer (so a dropped tail is settled and stop is
    /// seen), refresh the file size, and now and then prune.
    func tickLoop() async {
        var lastPrune = ContinuousClock.now
        var lastFold = ContinuousClock.now
        var lastBeat = ContinuousClock.now
        var evictionsLogged = 0
        while !state.withLock({ $0.finished }) {
            try? await Task.sleep(for: options.tick)
            subscription.wake()
            // Keep health's waiting count current while the store fails, and health
            // itself in step with the state (a recovery between a read and a publish).
            publishHealth()
            guard let store = state.withLock({ $0.store }) else { continue }
            let size = await store.storedBytes()
            state.withLock { $0.status.sizeOnDisk = size }
            await countOthers(store)
            if ContinuousClock.now - lastBeat >= .seconds(30) {
                lastBeat = .now
                await store.heartbeat()
            }
            // The write cache's bounds at work (a replay over many old minutes): say so.
            let evictions = store.cacheEvictions
            if evictions > evictionsLogged {
                log.notice("aggregate write cache evicted value sets to stay in its bounds; they are read back from the file when needed",
                           metadata: ["evicted": "\(evictions - evictionsLogged)", "total": "\(evictions)"])
                evictionsLogged = evictions
            }
            if ContinuousClock.now - lastFold >= options.foldInterval {
                lastFold = .now
                do {
                    // Passes until one leaves nothing behind; not until nothing is unfolded,
                    // which, under steady ingest, is never.
                    while try await store.foldPass(now: logger.clock.now()) {}
                } catch {
                    log.warning("folding aggregates failed; will try again", metadata: ["error": "\(error)"])
                }
            }
            if ContinuousClock.now - lastPrune >= options.pruneInterval {
                lastPrune = .now
                await prune(store)
            }
        }
    }

    /// Deletes beyond the retention limits in small transactions, so batches
    /// of new events are written between them.
    func prune(_ store: any StoreBackend) async {
        do {
            try await store.pruneAggregates(now: logger.clock.now(), days: options.retainAggregatesDays)
        } catch {
            log.warning("pruning aggregates failed; will try again", metadata: ["error": "\(error)"])
        }
        guard options.retainEvents != nil || options.retainDays != nil else { return }
        let before = options.retainDays.map { logger.clock.now().adding(milliseconds: -Int64($0) * 86_400_000) }
        do {
            _ = try await store.pruneRows(keep: options.retainEvents, before: before) { n in
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
        // An upgrade under way finishes first (stopped part way, it would be rolled back and
        // start over next time), so the events waiting for it are written.
        while state.withLock({ $0.status.upgrade != nil && !$0.finished }) { Thread.sleep(forTimeInterval: 0.05) }
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
    public var refusal: String? { state.withLock { $0.status.failure.map(Self.refusalText) } }
}

/// The analytics view and `/api/telemetry/top` read through the writer, which
/// knows whether the store is open right now.
extension StoreWriter: AnalyticsSource {
    func openStore() throws(StoreError) -> any StoreBackend {
        let (store, lastError) = state.withLock { ($0.store, $0.lastError) }
        guard let store else { throw lastError ?? StoreError(path: path, message: "the store is not open") }
        return store
    }

    public func top(_ query: TopQuery) throws -> TopResult { try openStore().top(query) }
    public func perMinute(minutes: Int, now: Timestamp) throws -> [Int] { try openStore().perMinute(minutes: minutes, now: now) }
    public func series(_ query: SeriesQuery) throws -> [SeriesPoint] { try openStore().series(query) }
    public func timeline(_ query: TimelineQuery) throws -> TimelineResult { try openStore().timeline(query) }
    public var fleet: String? { state.withLock { $0.store?.fleet } }
}
