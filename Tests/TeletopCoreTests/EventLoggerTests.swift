import Foundation
import Testing
@testable import TeletopCore

let validAI: JSONObject = ["user_id": "user_1", "chapter_id": 1, "section_id": "what-is-physical-ai", "block_type": "ask-question"]
let validError: JSONObject = ["error_type": "provider_timeout", "error_message": "slow"]

@Suite("EventLogger")
struct EventLoggerTests {
    @Test func stampsSequencesAndKeepsSource() throws {
        let clock = ManualClock()
        let logger = EventLogger(clock: clock)
        let a = try #require(logger.log("ai_block_used", validAI, source: .sim).event)
        clock.advance(milliseconds: 1234)
        let b = try #require(logger.log("error_event", validError, source: .http).event)
        #expect(a.sequence == 1 && b.sequence == 2)
        #expect(a.timestamp.iso8601 == "2025-01-27T00:00:00.000Z")
        #expect(b.timestamp.iso8601 == "2025-01-27T00:00:01.234Z")
        #expect(a.source == .sim && b.source == .http)
        #expect(a.payload == validAI)
        #expect(JSONWriter.compact(b.analyticsEvent.jsonValue).hasPrefix(#"{"event_type":"error_event","payload":{"#))
    }

    @Test func keepsAGivenTimestamp() throws {
        let logger = EventLogger(clock: ManualClock())
        let old = Timestamp(year: 2024, month: 6, day: 1)
        #expect(logger.log("error_event", validError, source: .replay, timestamp: old).event?.timestamp == old)
    }

    @Test func rejectionsAreCountedWithReasons() {
        let logger = EventLogger(clock: ManualClock())
        let outcome = logger.log("ai_block_used", ["user_id": 5], source: .form)
        #expect(outcome.event == nil)
        #expect(outcome.issues.map(\.field) == ["payload.user_id", "payload.chapter_id", "payload.section_id", "payload.block_type"])
        logger.log("nope", [:], source: .stdin, line: 7)
        let snap = logger.snapshot()
        #expect(snap.totalRejected == 2 && snap.totalAccepted == 0)
        #expect(snap.types.first { $0.name == "ai_block_used" }?.rejected == 1)
        #expect(snap.unknownTypeRejected == 1)
        #expect(snap.recentRejections.last?.line == 7)
        #expect(snap.recentRejections.last?.summary.hasPrefix("line 7: event_type: \"nope\" is not a planned event type") == true)
    }

    @Test func ringIsBoundedAndCountsEvictions() {
        let logger = EventLogger(configuration: .init(ringCapacity: 3), clock: ManualClock())
        for i in 0..<5 { logger.log("error_event", ["error_type": .string("t\(i)"), "error_message": "m"], source: .sim) }
        let snap = logger.snapshot()
        #expect(snap.retained == 3 && snap.evicted == 2 && snap.totalAccepted == 5 && snap.lastSequence == 5)
        #expect(logger.recentEvents(limit: 10).map(\.sequence) == [3, 4, 5])
        #expect(logger.recentEvents(limit: 2).map { $0.payload["error_type"] } == ["t3", "t4"].map { .string($0) })
        #expect(logger.events(after: 0, limit: 10).map(\.sequence) == [3, 4, 5])
        #expect(logger.events(after: 3, limit: 1).map(\.sequence) == [4])
        #expect(logger.events(after: 5, limit: 10).isEmpty)
    }

    @Test func filtersRecentEventsByType() {
        let logger = EventLogger(clock: ManualClock())
        logger.log("ai_block_used", validAI, source: .sim)
        logger.log("error_event", validError, source: .sim)
        logger.log("ai_block_used", validAI, source: .sim)
        #expect(logger.recentEvents(limit: 10, eventType: "ai_block_used").map(\.sequence) == [1, 3])
        #expect(logger.recentEvents(limit: 10, eventType: "missing").isEmpty)
    }

    @Test func ratesAndHistoryFollowTheClock() throws {
        let clock = ManualClock()
        let logger = EventLogger(clock: clock)
        // 10 events a second for 30 seconds.
        for _ in 0..<300 {
            logger.log("ai_block_used", validAI, source: .sim)
            clock.advance(milliseconds: 100)
        }
        let snap = logger.snapshot()
        let ai = try #require(snap.types.first { $0.name == "ai_block_used" })
        #expect(abs(ai.rate1s - 10) < 0.01)
        #expect(abs(ai.rate10s - 10) < 0.01)
        #expect(abs(ai.rate60s - 10) < 0.01, "60 s rate is over the 30 s of uptime")
        #expect(ai.history.suffix(30).allSatisfy { $0 == 10 })
        #expect(ai.history.prefix(90).allSatisfy { $0 == 0 })
        #expect(ai.acceptedInWindow == 300)
        clock.advance(milliseconds: 120_000)
        let later = logger.snapshot()
        #expect(later.rate1s == 0 && later.types[0].history.allSatisfy { $0 == 0 })
        #expect(later.types[0].accepted == 300)
    }

    /// The ring against a plain model (an array that drops from the front), with
    /// sizes that make the byte bound evict while the ring is still growing,
    /// then the count bound, then both: every retained slot, in order, each time.
    @Test func theRingMatchesAPlainModelUnderBothBounds() {
        var ring = EventRing(capacity: 50, byteCapacity: 20_000)
        var model: [(sequence: UInt64, size: Int)] = []
        var rng = SplitMix64(seed: 7)
        for sequence in UInt64(1)...3_000 {
            let length = sequence < 1_000 ? Int(rng.next() % 2_000) : sequence < 2_000 ? Int(rng.next() % 50) : Int(rng.next() % 1_500)
            let payload = PackedPayload(["v": .string(String(repeating: "x", count: length))])
            _ = ring.append(EventRing.Slot(sequence: sequence, timestamp: Timestamp(millisecondsSinceEpoch: 0), payload: payload,
                                           typeIndex: 0, source: .sim, unplanned: false, clientTimestamp: nil))
            model.append((sequence, payload.count + LoggedEvent.fixedFootprint))
            if model.count > 50 { model.removeFirst() }
            while model.reduce(0, { $0 + $1.size }) > 20_000 && model.count > 1 { model.removeFirst() }
            #expect(ring.count == model.count)
            #expect((0..<ring.count).map { ring[$0].sequence } == model.map(\.sequence), "after \(sequence)")
            #expect(ring.bytes == model.reduce(0) { $0 + $1.size })
        }
        #expect(ring.evicted == 3_000 - UInt64(ring.count))
        #expect(ring.evictedForBytes > 0 && ring.evictedForBytes < ring.evicted)
    }

    /// Issue 11, outage 2: memory is bounded in bytes, not only in events.
    @Test func theRingAndEachQueueAreBoundedInBytes() {
        let logger = EventLogger(configuration: .init(ringCapacity: 10_000, ringBytes: 1 << 16, queueBytes: 1 << 16))
        let stream = logger.subscribe(name: "http stream")
        let big: JSONObject = ["error_type": "t", "error_message": "m", "trace": .string(String(repeating: "x", count: 4000))]
        for _ in 0..<100 { logger.log("error_event", big, source: .http) }
        let snap = logger.snapshot()
        #expect(snap.ringBytes <= 1 << 16)
        #expect(snap.retained < 20 && snap.retained > 10, "64 KiB holds about 16 events of 4 KB, not \(snap.retained)")
        #expect(snap.evictedForBytes == UInt64(100 - snap.retained))
        #expect(snap.eventsLogged == 100)  // evicted from memory, still counted
        let queue = stream.stats
        #expect(queue.queuedBytes <= 1 << 16 && queue.queued < 20)
        #expect(snap.droppedByConsumer["http stream"] == UInt64(100 - queue.queued))
        // The newest events are the ones kept.
        #expect(logger.recentEvents(limit: 1).first?.sequence == 100)
        // One event larger than the whole bound is still kept (alone), not refused.
        let huge: JSONObject = ["error_type": "t", "error_message": "m", "trace": .string(String(repeating: "y", count: 60_000)), "more": .string(String(repeating: "z", count: 60_000))]
        #expect(logger.log("error_event", huge, source: .http).event != nil)
        #expect(logger.snapshot().retained == 1)
    }

    @Test func subscribersGetEveryEventInOrderAndOverflowIsCounted() async {
        let logger = EventLogger(clock: ManualClock())
        let fast = logger.subscribe(name: "fast", capacity: 100)
        let slow = logger.subscribe(name: "store", capacity: 2, lossless: true)
        for i in 0..<5 { logger.log("error_event", ["error_type": .string("\(i)"), "error_message": "m"], source: .sim) }
        #expect(fast.drain().map(\.sequence) == [1, 2, 3, 4, 5])
        #expect(await slow.next().map(\.sequence) == [1, 2])
        #expect(slow.stats.overflow == 3)
        let snap = logger.snapshot()
        #expect(snap.dropped == 3)
        #expect(snap.health.status == .unhealthy)
        #expect(snap.health.message == "unhealthy: store dropped 3 accepted events in the last 60 s: its queue was full")
        #expect(snap.droppedByConsumer == ["store": 3])
        slow.cancel()
        logger.log("error_event", validError, source: .sim)
        #expect(slow.drain().isEmpty)
        #expect(await slow.next().isEmpty)
        #expect(logger.snapshot().subscribers.map(\.name) == ["fast"])
    }

    @Test func nextWakesUpWhenAnEventArrives() async {
        let logger = EventLogger(clock: ManualClock())
        let sub = logger.subscribe(name: "waiter")
        async let batch = sub.next()
        try? await Task.sleep(for: .milliseconds(20))
        logger.log("error_event", validError, source: .sim)
        #expect(await batch.map(\.sequence) == [1])
    }

    @Test func twoProducersLoseNothing() {
        let logger = EventLogger(configuration: .init(ringCapacity: 1000))
        let sub = logger.subscribe(name: "all", capacity: 100_000)
        DispatchQueue.concurrentPerform(iterations: 4) { p in
            let b = PayloadBuilder()
            for i in 0..<5000 {
                b.reset()
                b.add("error_type", "p\(p)")
                b.add("error_message", "\(i)")
                logger.log("error_event", b.build(), source: .sim)
            }
        }
        #expect(logger.eventsLogged == 20_000)
        let all = sub.drain()
        #expect(all.map(\.sequence) == Array(1...20_000))
        // Per producer, events arrive in the order they were logged.
        for p in 0..<4 {
            let mine = all.filter { $0.payload["error_type"] == .string("p\(p)") }.map { $0.payload["error_message"]! }
            #expect(mine == (0..<5000).map { .string("\($0)") })
        }
    }

    @Test func unplannedTypesAreCappedWhenAccepted() {
        var plan = TrackingPlan.contract
        plan.acceptUnplanned = true
        var config = EventLogger.Configuration()
        config.maxEventTypes = 4
        let logger = EventLogger(plan: plan, configuration: config, clock: ManualClock())
        #expect(logger.log("custom.one", ["a": 1], source: .http).event?.unplanned == true)
        let refused = logger.log("custom.two", [:], source: .http)
        #expect(refused.issues.first?.problem == .tooLarge)
        #expect(logger.snapshot().types.map(\.name) == ["ai_block_used", "chapter_visit", "error_event", "custom.one"])
    }

    @Test func restoredTotalsCountInEventsLogged() {
        let logger = EventLogger(clock: ManualClock())
        logger.restoreTotals(accepted: 40, perType: ["error_event": 40])
        logger.log("error_event", validError, source: .sim)
        #expect(logger.health().eventsLogged == 41)
        #expect(logger.snapshot().types.first { $0.name == "error_event" }?.accepted == 41)
    }
}

@Suite("Ingest of bodies and lines")
struct EventIngestTests {
    func ingest(_ s: String, _ logger: EventLogger, line: Int? = nil) -> EventLogger.Outcome {
        Array(s.utf8).withUnsafeBufferPointer { EventIngest.ingest($0, into: logger, source: .stdin, line: line) }
    }

    @Test func acceptsRequestsAndFullEvents() {
        let logger = EventLogger(clock: ManualClock())
        #expect(ingest(#"{"event_type":"error_event","payload":{"error_type":"a","error_message":"b"}}"#, logger).event != nil)
        let full = ingest(#"{"event_type":"error_event","payload":{"error_type":"a","error_message":"b"},"timestamp":"2024-05-01T10:00:00.250Z"}"#, logger)
        #expect(full.event?.timestamp.iso8601 == "2024-05-01T10:00:00.250Z")
    }

    @Test func explainsWhatIsWrongWithALine() {
        let logger = EventLogger(clock: ManualClock())
        #expect(ingest(#"{"event_type": "error_event", "payload": {"#, logger, line: 3).issues.first?.message
            == "body: invalid JSON at byte 42: unexpected end of input, expected a string key")
        #expect(ingest("[1]", logger).issues.first?.message == "body: expected object, got array of 1")
        #expect(ingest(#"{"payload": 5}"#, logger).issues.map(\.message)
            == ["event_type: missing (required string)", "payload: expected object, got integer 5"])
        #expect(ingest(#"{"event_type": 1, "payload": {}, "timestamp": "now"}"#, logger).issues.map(\.problem)
            == [.wrongType, .badTimestamp])
        let snap = logger.snapshot()
        #expect(snap.totalRejected == 4)
        #expect(snap.recentRejections.first?.line == 3)
    }
}
