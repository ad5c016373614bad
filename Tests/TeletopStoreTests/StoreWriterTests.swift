import Foundation
import GRDB
import Testing
import TeletopCore
@testable import TeletopStore

@Suite("StoreWriter")
struct StoreWriterTests {
    @Test func anHTTPWriteIsOnDiskWhenItsWaitEnds() async throws {
        let dir = TempDir()
        let logger = EventLogger()
        var options = quickOptions()
        // A write wakes the writer itself: it never waits for the housekeeping tick.
        // The tick is an hour, so a write that waited for it could not end within
        // the bound below however slow or busy the machine.
        options.tick = .seconds(3600)
        let writer = StoreWriter(path: dir.file(), logger: logger, options: options, log: quietLog)
        let started = ContinuousClock.now
        defer { Task { await writer.stop() } }
        #expect(writer.refusal == nil)
        for i in 0..<50 {
            #expect(await writer.write([httpEvent(user: "u\(i)")]) == .durable)
            // Another connection sees it at once: it was committed, not just queued.
            let other = try EventStore(path: dir.file(), readOnly: true)
            #expect(try other.count() == i + 1)
        }
        #expect(writer.status.written == 50)
        #expect(ContinuousClock.now - started < .seconds(600), "50 writes took \(ContinuousClock.now - started): they waited for the tick")
        // Written before it was logged: the logger has not seen it, so the feed and counters hold nothing the store lacks.
        #expect(logger.snapshot().eventsLogged == 0)
    }

    @Test func anEventLoggedAsStoredIsNotWrittenTwice() async throws {
        let dir = TempDir()
        let logger = EventLogger()
        let writer = StoreWriter(path: dir.file(), logger: logger, options: quickOptions(), log: quietLog)
        let event = httpEvent()
        #expect(await writer.write([event]) == .durable)
        logger.log(event.eventType, event.packedPayload, source: .http, timestamp: event.timestamp, stored: true)
        logger.log("ai_block_used", aiPayload, source: .sim)
        #expect(await eventually { writer.status.written == 2 })
        await writer.stop()
        #expect(try EventStore(path: dir.file()).count() == 2)
        #expect(try EventStore(path: dir.file()).totals() == ["ai_block_used": 2])
    }

    @Test func manyProducersAreWrittenInBatchesNotOneByOne() async throws {
        let dir = TempDir()
        let logger = EventLogger()
        let writer = StoreWriter(path: dir.file(), logger: logger, options: quickOptions(), log: quietLog)
        for i in 0..<20_000 { logger.log("ai_block_used", aiEvent(user: "u\(i % 7)"), source: .sim) }
        #expect(await eventually(30) { writer.status.written == 20_000 })
        // Commits are bounded in count (4,096) and time (the gather window): far fewer than events.
        #expect(writer.status.batches < 400, "20,000 events took \(writer.status.batches) commits")
        await writer.stop()
        #expect(try EventStore(path: dir.file()).count() == 20_000)
    }

    @Test func aSteadyStreamIsGatheredIntoFullBatches() async throws {
        let dir = TempDir()
        let logger = EventLogger()
        var options = quickOptions()
        options.maxBatch = 500
        options.gatherWindow = .seconds(30)
        let writer = StoreWriter(path: dir.file(), logger: logger, options: options, log: quietLog)
        // A stream as a followed file brings it, a little at a time: 2,000 events in 100 lots.
        for lot in 0..<100 {
            for i in 0..<20 { logger.log("ai_block_used", aiEvent(user: "u\(lot * 20 + i)"), source: .replay) }
            try await Task.sleep(for: .milliseconds(2))
        }
        #expect(await eventually(30) { writer.status.written == 2_000 })
        // Each commit waited for a full batch (the window is far longer than the stream).
        #expect(writer.status.batches == 4, "2,000 events took \(writer.status.batches) commits of at most 500")
        await writer.stop()
    }

    @Test func anHTTPWriteIsNotHeldByTheGatherWindow() async throws {
        let dir = TempDir()
        let logger = EventLogger()
        var options = quickOptions()
        options.gatherWindow = .seconds(30)
        let writer = StoreWriter(path: dir.file(), logger: logger, options: options, log: quietLog)
        defer { Task { await writer.stop() } }
        #expect(await writer.write([httpEvent(user: "first")]) == .durable)
        // A followed file's event starts a batch that would wait 30 s to fill...
        logger.log("ai_block_used", aiEvent(user: "followed"), source: .replay)
        try await Task.sleep(for: .milliseconds(50))
        // ...until a client waits on it: then it commits at once, with the client's event.
        let started = ContinuousClock.now
        #expect(await writer.write([httpEvent(user: "waiting")]) == .durable)
        // One gather step and a commit, about 65 ms alone; 5 s leaves room for the fsyncs of every other
        // store test running beside it (1.2 s was seen), and is still far below the 30 s window.
        #expect(ContinuousClock.now - started < .seconds(5), "the client waited \(ContinuousClock.now - started)")
        #expect(writer.status.written == 3)
    }

    @Test func aRestartBringsBackCountersAndFeed() async throws {
        let dir = TempDir()
        do {
            let logger = EventLogger()
            let writer = StoreWriter(path: dir.file(), logger: logger, options: quickOptions(), log: quietLog)
            for i in 0..<30 { logger.log("ai_block_used", aiEvent(user: "u\(i)"), source: .form) }
            for _ in 0..<5 { logger.log("error_event", ["error_type": "timeout", "error_message": "slow"], source: .http) }
            await writer.stop()
        }
        let logger = EventLogger(configuration: .init(ringCapacity: 10))
        var options = quickOptions()
        options.restoreRecent = 10
        let writer = StoreWriter(path: dir.file(), logger: logger, options: options, log: quietLog)
        defer { Task { await writer.stop() } }
        let snap = logger.snapshot()
        #expect(snap.eventsLogged == 35)
        #expect(snap.types.first { $0.name == "ai_block_used" }?.accepted == 30)
        #expect(snap.types.first { $0.name == "error_event" }?.accepted == 5)
        let feed = logger.recentEvents(limit: 10)
        #expect(feed.count == 10)
        #expect(feed.last?.eventType == "error_event" && feed.last?.source == .http)
        #expect(feed.first?.payload["user_id"] == .string("u25"))
        // New events follow the restored ones, are stored once, and the restored ones are not written again.
        let next = try #require(logger.log("ai_block_used", aiPayload, source: .sim).event)
        #expect(next.sequence == 11)
        #expect(await eventually { writer.status.written == 1 })
        #expect(try EventStore(path: dir.file()).count() == 36)
    }

    @Test func aClientTimestampIsStoredBesideTheStampAndComesBack() async throws {
        let dir = TempDir()
        let sent = Timestamp(year: 2026, month: 1, day: 2)
        do {
            let logger = EventLogger()
            let writer = StoreWriter(path: dir.file(), logger: logger, options: quickOptions(), log: quietLog)
            #expect(await writer.write([httpEvent(clientTimestamp: sent)]) == .durable)
            await writer.stop()
        }
        let logger = EventLogger()
        let writer = StoreWriter(path: dir.file(), logger: logger, options: quickOptions(), log: quietLog)
        defer { Task { await writer.stop() } }
        let restored = try #require(logger.recentEvents(limit: 1).first)
        #expect(restored.clientTimestamp == sent)
        #expect(restored.timestamp != sent)
        #expect(restored.analyticsEvent.jsonValue.objectValue?["client_timestamp"] == .string(sent.iso8601))
    }

    @Test func aStoredStampFromTheFutureDoesNotPinTheClockAfterARestart() async throws {
        let dir = TempDir()
        do {
            let logger = EventLogger()
            let writer = StoreWriter(path: dir.file(), logger: logger, options: quickOptions(), log: quietLog)
            logger.log("ai_block_used", aiPayload, source: .replay, timestamp: Timestamp(year: 2099, month: 1, day: 1))
            await writer.stop()
        }
        let clock = ManualClock(Timestamp(year: 2026, month: 11, day: 26))
        let logger = EventLogger(clock: clock)
        let writer = StoreWriter(path: dir.file(), logger: logger, options: quickOptions(), log: quietLog)
        defer { Task { await writer.stop() } }
        let next = try #require(logger.log("ai_block_used", aiPayload, source: .sim).event)
        #expect(next.timestamp == clock.now())
    }

    @Test func aLockedDatabaseIsUnhealthyThenRecovers() async throws {
        let dir = TempDir()
        let logger = EventLogger()
        let writer = StoreWriter(path: dir.file(), logger: logger, options: quickOptions(), log: quietLog)
        defer { Task { await writer.stop() } }
        // Another process's connection takes the write lock and holds it.
        let other = try lockHolder(dir.file())
        try await other.writeWithoutTransaction { try $0.execute(sql: "BEGIN IMMEDIATE") }
        logger.log("ai_block_used", aiPayload, source: .sim)
        #expect(await eventually { writer.refusal != nil })
        #expect(writer.refusal?.contains("locked") == true)
        let health = try #require(storeHealth(logger))
        #expect(health.status == .unhealthy && health.message.contains("locked"))
        #expect(logger.health().status == .unhealthy)
        // Meanwhile events keep coming and wait in memory...
        for _ in 0..<10 { logger.log("ai_block_used", aiPayload, source: .sim) }
        // ...while an HTTP client is told at once that its event is not stored.
        #expect(await writer.write([httpEvent()]) != .durable)
        try await other.writeWithoutTransaction { try $0.execute(sql: "COMMIT") }
        #expect(await eventually { writer.refusal == nil && writer.status.written == 11 })
        #expect(storeHealth(logger)?.status == .healthy)
        // The refused HTTP event is not stored behind its client's back; the rest is.
        #expect(try await other.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM event") } == 11)
    }

    /// Issue 11, outage 1: with only HTTP traffic, refused writes never reach the
    /// writer, so nothing was retried and a brief lock became an outage until restart.
    @Test func aBriefLockWithOnlyHTTPTrafficEndsByItselfWithNoFurtherTraffic() async throws {
        let dir = TempDir()
        let logger = EventLogger()
        let writer = StoreWriter(path: dir.file(), logger: logger, options: quickOptions(), log: quietLog)
        defer { Task { await writer.stop() } }
        let other = try lockHolder(dir.file())
        try await other.writeWithoutTransaction { try $0.execute(sql: "BEGIN EXCLUSIVE") }
        #expect(await writer.write([httpEvent()]) != .durable)
        #expect(writer.refusal?.contains("locked") == true)
        try await other.writeWithoutTransaction { try $0.execute(sql: "COMMIT") }
        // Nothing is sent now: the writer's own probe must find the store writable again.
        #expect(await eventually { writer.refusal == nil })
        #expect(storeHealth(logger)?.status == .healthy)
        #expect(logger.health().status != .unhealthy)
        #expect(await writer.write([httpEvent()]) == .durable)
    }

    /// Review: a write that queued while the failing batch was being written is
    /// answered when that batch fails, not when the outage ends.
    @Test func aWriteQueuedDuringAFailingCommitIsAnsweredAtOnce() async throws {
        let dir = TempDir()
        let logger = EventLogger()
        let writer = StoreWriter(path: dir.file(), logger: logger, options: quickOptions(), log: quietLog)
        defer { Task { await writer.stop() } }
        // Open and idle first: on a loaded machine the lock below could otherwise come
        // before the writer's own open, which would then fail on it before any batch.
        #expect(await writer.write([httpEvent(user: "before")]) == .durable)
        let other = try lockHolder(dir.file())
        try await other.writeWithoutTransaction { try $0.execute(sql: "BEGIN EXCLUSIVE") }
        // The writer takes this batch and waits on the lock (its busy timeout is 2 s).
        logger.log("ai_block_used", aiPayload, source: .sim)
        let slept = ContinuousClock.now
        try await Task.sleep(for: .milliseconds(200))
        // A loaded machine can hold this task back past the busy timeout (two cooperative threads,
        // other tests blocking them on their own locks): then the batch has failed already, and
        // only the answer below can be checked.
        if ContinuousClock.now - slept < .milliseconds(1_500) {
            #expect(writer.refusal == nil, "not failing yet: the batch is still waiting for the lock")
        }
        let answer = Task { await writer.write([httpEvent()]) }
        // Whichever comes first: the write's answer, or 8 s (then the lock goes, so nothing hangs).
        let first = await withTaskGroup(of: Durability?.self) { group in
            group.addTask { await answer.value }
            group.addTask {
                try? await Task.sleep(for: .seconds(8))
                try? await other.writeWithoutTransaction { try $0.execute(sql: "COMMIT") }
                return nil
            }
            let winner = await group.next() ?? nil
            group.cancelAll()
            return winner
        }
        #expect(first != nil && first != .durable, "the queued write must hear 'not stored' while the lock is still held, got \(String(describing: first))")
        try? await other.writeWithoutTransaction { try $0.execute(sql: "COMMIT") }
        #expect(await eventually { writer.refusal == nil && writer.status.written == 2 })
    }

    @Test func aFullQueueLosesEventsVisibly() async throws {
        let dir = TempDir()
        let logger = EventLogger()
        var options = quickOptions()
        options.bufferCapacity = 5
        let writer = StoreWriter(path: dir.file(), logger: logger, options: options, log: quietLog)
        defer { Task { await writer.stop() } }
        let other = try lockHolder(dir.file())
        try await other.writeWithoutTransaction { try $0.execute(sql: "BEGIN IMMEDIATE") }
        for _ in 0..<40 { logger.log("ai_block_used", aiPayload, source: .sim) }
        #expect(await eventually { logger.snapshot().dropped > 0 })
        #expect(logger.health().message.contains("store"))
        try await other.writeWithoutTransaction { try $0.execute(sql: "COMMIT") }
        #expect(await eventually { writer.refusal == nil && Int(writer.status.written) + Int(logger.snapshot().dropped) == 40 })
        let stored = try await other.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM event") } ?? 0
        #expect(stored + Int(logger.snapshot().dropped) == 40)
        #expect(logger.snapshot().droppedByConsumer["store"] == logger.snapshot().dropped)
    }

    /// Issue 11, outage 2: the store's queue is bounded in bytes, not only in events.
    @Test func theQueueIsBoundedInBytes() async throws {
        let dir = TempDir()
        let logger = EventLogger(configuration: .init(queueBytes: 1 << 16))
        let writer = StoreWriter(path: dir.file(), logger: logger, options: quickOptions(), log: quietLog)
        defer { Task { await writer.stop() } }
        let other = try lockHolder(dir.file())
        try await other.writeWithoutTransaction { try $0.execute(sql: "BEGIN IMMEDIATE") }
        let big = aiEvent(user: String(repeating: "x", count: 4000))
        for _ in 0..<100 { logger.log("ai_block_used", big, source: .sim) }
        let queue = try #require(logger.snapshot().subscribers.first { $0.name == "store" })
        #expect(queue.queuedBytes <= 1 << 16)
        #expect(queue.queued < 20, "64 KiB holds about 16 events of 4 KB, not \(queue.queued)")
        // Held: what the queue's 64 KiB takes, and the batch being retried, which was taken
        // from it (each about 16 events of 4 KB); the rest is dropped, and counted.
        #expect(logger.snapshot().droppedByConsumer["store"] ?? 0 >= 60)
        #expect(logger.health().status == .unhealthy)
        #expect(logger.health().message.contains("store dropped"))
        try await other.writeWithoutTransaction { try $0.execute(sql: "COMMIT") }
    }

    @Test func aCorruptFileIsReportedAndReplacedFileIsUsed() async throws {
        let dir = TempDir()
        try Data(repeating: 0x41, count: 8192).write(to: URL(fileURLWithPath: dir.file()))
        let logger = EventLogger()
        let writer = StoreWriter(path: dir.file(), logger: logger, options: quickOptions(), log: quietLog)
        defer { Task { await writer.stop() } }
        #expect(writer.refusal?.contains("corrupt") == true)
        #expect(storeHealth(logger)?.status == .unhealthy)
        #expect(!writer.status.isOpen)
        // The operator moves the bad file away; the writer opens a new one, and writes
        // are welcome again even before any event has been written.
        try FileManager.default.removeItem(atPath: dir.file())
        #expect(await eventually { writer.refusal == nil })
        #expect(storeHealth(logger)?.status == .healthy)
        #expect(await writer.write([httpEvent()]) == .durable)
        #expect(writer.status.written == 1)
    }

    @Test func anUnwritablePathNeverCrashesAndSaysWhy() async throws {
        let dir = TempDir()
        try Data("a file, not a folder".utf8).write(to: URL(fileURLWithPath: dir.file("blocker")))
        let path = dir.file("blocker") + "/events.sqlite"
        let logger = EventLogger()
        let writer = StoreWriter(path: path, logger: logger, options: quickOptions(), log: quietLog)
        defer { Task { await writer.stop() } }
        let reason = try #require(writer.refusal)
        #expect(reason.contains(path))
        #expect(await writer.write([httpEvent()]) != .durable)
        #expect(logger.health().status == .unhealthy)
    }

    @Test(.enabled(if: SmallDisk.canMount)) func aFullDiskIsUnhealthyAndKeepsEventsInMemory() async throws {
        let disk = try SmallDisk(kilobytes: 512)
        defer { disk.unmount() }
        let path = disk.path + "/events.sqlite"
        let logger = EventLogger()
        let writer = StoreWriter(path: path, logger: logger, options: quickOptions(), log: quietLog)
        let big: JSONObject = aiEvent(user: String(repeating: "x", count: 2000))
        for _ in 0..<400 { logger.log("ai_block_used", big, source: .sim) }
        // Generous: beside the end-to-end tests, two cores can be busy for seconds.
        #expect(await eventually(20) { writer.refusal != nil }, "written: \(writer.status.written), failure: \(writer.status.failure ?? "none")")
        #expect(writer.refusal?.contains("full") == true, "\(writer.refusal ?? "")")
        #expect(storeHealth(logger)?.message.contains("waiting in memory") == true)
        // Room again (the operator grows the disk): everything that waited is written.
        try disk.grow(kilobytes: 8192)
        #expect(await eventually(10) { writer.status.written == 400 })
        #expect(writer.refusal == nil)
        await writer.stop()
    }

    /// Issue 11, outage 1 on a disk: HTTP writes fill it, room comes back, nothing else is sent.
    @Test(.enabled(if: SmallDisk.canMount)) func aFullDiskWithOnlyHTTPTrafficRecoversByItself() async throws {
        let disk = try SmallDisk(kilobytes: 512)
        defer { disk.unmount() }
        let logger = EventLogger()
        let writer = StoreWriter(path: disk.path + "/events.sqlite", logger: logger, options: quickOptions(), log: quietLog)
        var refusal: String?
        for _ in 0..<400 where refusal == nil {
            if case .notDurable(let reason) = await writer.write([httpEvent(user: String(repeating: "x", count: 2000))]) { refusal = reason }
        }
        // The reason the client was given (its 503's): the writer's own state may already be probing
        // again, as it retries on its own schedule, so it is not read here.
        #expect(refusal?.contains("full") == true, "refused with: \(refusal ?? "nothing")")
        try disk.grow(kilobytes: 8192)
        #expect(await eventually(10) { writer.refusal == nil })
        #expect(await writer.write([httpEvent()]) == .durable)
        await writer.stop()
    }
}

/// An HTTP client's event as the route hands it to the store: stamped, not yet logged.
func httpEvent(user: String = "user_1", clientTimestamp: Timestamp? = nil) -> LoggedEvent {
    LoggedEvent(sequence: 0, eventType: "ai_block_used", timestamp: SystemClock().now(), source: .http, unplanned: false,
                packedPayload: PackedPayload(aiEvent(user: user)), clientTimestamp: clientTimestamp)
}

/// Another connection, as another process would hold it: it may keep a
/// transaction (and so the write lock) open between accesses.
func lockHolder(_ path: String) throws -> DatabaseQueue {
    var config = Configuration()
    config.allowsUnsafeTransactions = true
    // Taking the lock waits out the writer's own short transactions (a retention pass,
    // a flush of the aggregates) instead of failing on one: CI saw BEGIN EXCLUSIVE refused so.
    config.busyMode = .timeout(5)
    return try DatabaseQueue(path: path, configuration: config)
}

/// A tmpfs of a few hundred KiB: a disk that really fills up.
struct SmallDisk {
    let path: String

    static let canMount: Bool = {
        guard getuid() == 0, let disk = try? SmallDisk(kilobytes: 64) else { return false }
        disk.unmount()
        return true
    }()

    init(kilobytes: Int) throws {
        path = NSTemporaryDirectory() + "teletop-disk-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard Self.run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(kilobytes)k", "tmpfs", path]) == 0 else {
            throw CocoaError(.fileWriteUnknown)
        }
    }

    func grow(kilobytes: Int) throws {
        guard Self.run("/bin/mount", ["-o", "remount,size=\(kilobytes)k", path]) == 0 else { throw CocoaError(.fileWriteUnknown) }
    }

    func unmount() {
        // Lazy: a connection still open in the test must not leave the mount behind.
        _ = Self.run("/bin/umount", ["-l", path])
        try? FileManager.default.removeItem(atPath: path)
    }

    static func run(_ tool: String, _ arguments: [String]) -> Int32 {
        var pid: pid_t = 0
        let argv = ([tool] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        guard posix_spawn(&pid, tool, nil, nil, argv, environ) == 0 else { return -1 }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        return status
    }
}

@Suite("Retention")
struct RetentionTests {
    @Test func theWriterPrunesBeyondTheLimitInTheBackground() async throws {
        let dir = TempDir()
        let logger = EventLogger()
        var options = quickOptions()
        options.retainEvents = 100
        let writer = StoreWriter(path: dir.file(), logger: logger, options: options, log: quietLog)
        for i in 0..<500 { logger.log("ai_block_used", aiEvent(user: "u\(i)"), source: .sim) }
        #expect(await eventually(10) { writer.status.written == 500 && writer.status.pruned == 400 })
        let store = try EventStore(path: dir.file(), readOnly: true)
        #expect(try store.count() == 100)
        // The newest are kept, and the lifetime counters are not lowered.
        #expect(try store.recent(limit: 1).first?.event.payload["user_id"] == .string("u499"))
        #expect(try store.totals() == ["ai_block_used": 500])
        #expect(writer.status.eventsStored == 100)
        await writer.stop()
    }

    @Test func eventsOlderThanTheDaysLimitGo() async throws {
        let dir = TempDir()
        let clock = ManualClock()
        let logger = EventLogger(clock: clock)
        var options = quickOptions()
        options.retainDays = 7
        let writer = StoreWriter(path: dir.file(), logger: logger, options: options, log: quietLog)
        // Replayed events keep their old stamps: ten days ago, and today.
        let old = clock.now().adding(milliseconds: -10 * 86_400_000)
        for _ in 0..<30 { logger.log("ai_block_used", aiPayload, source: .replay, timestamp: old) }
        for _ in 0..<5 { logger.log("ai_block_used", aiPayload, source: .sim) }
        #expect(await eventually(10) { writer.status.written == 35 && writer.status.pruned == 30 })
        #expect(try EventStore(path: dir.file(), readOnly: true).count() == 5)
        await writer.stop()
    }
}
