import Testing
import TeletopCore
@testable import TeletopServer

@Suite("The stream resumed after a break")
struct StreamResumeTests {
    let clock = ManualClock(Timestamp(year: 2026, month: 12, day: 2, hour: 10))

    func logger(ring: Int, events: Int) -> EventLogger {
        let logger = EventLogger(configuration: .init(ringCapacity: ring), clock: clock)
        for i in 0..<events {
            logger.log("error_event", ["error_type": "t", "error_message": .string("m\(i)")], source: .http)
            clock.advance(milliseconds: 10)
        }
        return logger
    }

    @Test func idsAreReadBackAsTheyWereSent() {
        #expect(TelemetryRoutes.ResumePoint("abc/42/1764669600000", currentInstance: "x")
                == .init(instance: "abc", sequence: 42, stampMillis: 1_764_669_600_000))
        #expect(TelemetryRoutes.ResumePoint("42", currentInstance: "x") == .init(instance: "x", sequence: 42, stampMillis: .min))
        #expect(TelemetryRoutes.ResumePoint("a/b/c", currentInstance: "x") == nil)
    }

    @Test func withinTheRingNothingIsMissed() {
        let logger = logger(ring: 100, events: 50)
        let (gap, events) = TelemetryRoutes.catchUp(logger: logger, resume: .init(instance: "me", sequence: 30, stampMillis: 0),
                                                    instance: "me", upTo: 50)
        #expect(gap == nil)
        #expect(events.map(\.sequence) == Array(31...50))
    }

    @Test func pastTheRingTheGapIsCounted() {
        let logger = logger(ring: 20, events: 100)  // the ring holds 81...100
        let (gap, events) = TelemetryRoutes.catchUp(logger: logger, resume: .init(instance: "me", sequence: 50, stampMillis: 0),
                                                    instance: "me", upTo: 100)
        #expect(gap == .some(.some(30)), "51...80 are gone")
        #expect(events.first?.sequence == 81 && events.count == 20)
    }

    @Test func afterARestartTheRingIsReadByTime() {
        let logger = logger(ring: 100, events: 10)
        let fifth = logger.events(after: 4, limit: 1)[0]
        let (gap, events) = TelemetryRoutes.catchUp(logger: logger,
            resume: .init(instance: "old", sequence: 999, stampMillis: fifth.timestamp.millisecondsSinceEpoch), instance: "new", upTo: 10)
        #expect(gap == nil, "the ring reaches back past the client's last event")
        #expect(events.map(\.sequence) == Array(5...10), "from the client's last millisecond on (it skips what it has)")
        let (unknown, _) = TelemetryRoutes.catchUp(logger: logger, resume: .init(instance: "old", sequence: 1, stampMillis: 0),
                                                   instance: "new", upTo: 10)
        #expect(unknown == .some(nil), "older than the ring: how many were lost cannot be known")
    }
}

extension StreamResumeTests {
    /// The frame written from packed bytes reads back as the AnalyticsEvent with its sequence and source.
    @Test func aFrameIsTheEventAsJSON() throws {
        let logger = EventLogger(clock: clock)
        let event = try #require(logger.log("error_event", ["error_type": "t\"q", "error_message": "é \u{1}", "chapter_id": 3],
                                            source: .segment, clientTimestamp: Timestamp(year: 2026, month: 1, day: 2)).event)
        var out: [UInt8] = []
        TelemetryRoutes.frame(event, instance: "abc", into: &out)
        let text = String(decoding: out, as: UTF8.self)
        #expect(text.hasPrefix("id: abc/1/\(event.timestamp.millisecondsSinceEpoch)\nevent: error_event\ndata: "))
        #expect(text.hasSuffix("\n\n"))
        let data = text.split(separator: "\n")[2].dropFirst("data: ".count)
        let value = try JSONParser.parse(Array(data.utf8))
        #expect(value["payload"] == .object(event.payload))
        #expect(value["timestamp"] == .string(event.timestamp.iso8601) && value["client_timestamp"] == "2026-01-02T00:00:00.000Z")
        #expect(value["sequence"] == .int(1) && value["source"] == "segment" && value["event_type"] == "error_event")
    }
}
