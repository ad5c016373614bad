import Foundation
import Testing
@testable import TeletopCore

@Suite("Contract types")
struct ContractTypesTests {
    let examplePayload: JSONObject = [
        "user_id": "user_123", "chapter_id": 1, "section_id": "what-is-physical-ai",
        "block_type": "ask-question", "query": "What is Physical AI?",
    ]
    let t = Timestamp(year: 2025, month: 1, day: 27)

    func keys(_ data: Data) throws -> Set<String> {
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return Set(object.keys)
    }

    @Test func analyticsEventRoundTripsWithSnakeCaseKeys() throws {
        let event = AnalyticsEvent(eventType: "ai_block_used", payload: examplePayload, timestamp: t)
        let data = try JSONEncoder().encode(event)
        #expect(try keys(data) == ["event_type", "payload", "timestamp"])
        let decoded = try JSONDecoder().decode(AnalyticsEvent.self, from: data)
        #expect(decoded.eventType == "ai_block_used")
        #expect(decoded.timestamp == t)
        #expect(decoded.payload["chapter_id"] == .int(1))
        #expect(Set(decoded.payload.keys) == Set(examplePayload.keys))
        // The byte path keeps order exactly.
        #expect(JSONWriter.compact(event.jsonValue)
            == #"{"event_type":"ai_block_used","payload":{"user_id":"user_123","chapter_id":1,"section_id":"what-is-physical-ai","block_type":"ask-question","query":"What is Physical AI?"},"timestamp":"2025-01-27T00:00:00.000Z"}"#)
    }

    @Test func requestResponseAndHealthKeys() throws {
        let request = EventLogRequest(eventType: "chapter_visit", payload: ["user_id": "u", "chapter_id": 2, "timestamp": "2025-01-27T00:00:00Z"])
        let requestData = try JSONEncoder().encode(request)
        #expect(try keys(requestData) == ["event_type", "payload"])
        #expect(try JSONDecoder().decode(EventLogRequest.self, from: requestData).payload["chapter_id"] == .int(2))

        let response = EventLogResponse(message: "Event logged", eventType: "chapter_visit", timestamp: t)
        let responseData = try JSONEncoder().encode(response)
        #expect(try keys(responseData) == ["message", "event_type", "timestamp"])
        #expect(try JSONDecoder().decode(EventLogResponse.self, from: responseData) == response)

        let health = TelemetryHealthResponse(status: .degraded, message: "degraded: x", eventsLogged: 42)
        let healthData = try JSONEncoder().encode(health)
        #expect(try keys(healthData) == ["status", "message", "events_logged"])
        #expect(try JSONDecoder().decode(TelemetryHealthResponse.self, from: healthData) == health)
        #expect(JSONWriter.compact(health.jsonValue) == #"{"status":"degraded","message":"degraded: x","events_logged":42}"#)
    }

    @Test func decodesTheContractExampleText() throws {
        let text = #"{"event_type": "ai_block_used", "payload": {"user_id": "user_123", "chapter_id": 1, "section_id": "what-is-physical-ai", "block_type": "ask-question", "query": "What is Physical AI?"}, "timestamp": "2025-01-27T00:00:00Z"}"#
        let event = try JSONDecoder().decode(AnalyticsEvent.self, from: Data(text.utf8))
        #expect(event.timestamp == t)
        #expect(event.payload["chapter_id"] == .int(1))
        let decoded = try #require(try? EventIngest.decode(Array(text.utf8)).get())
        #expect(decoded.payload == examplePayload)
        #expect(decoded.timestamp == t)
    }
}

@Suite("Timestamps")
struct TimestampTests {
    @Test func formatsISO8601WithMilliseconds() {
        #expect(Timestamp(millisecondsSinceEpoch: 0).iso8601 == "1970-01-01T00:00:00.000Z")
        #expect(Timestamp(year: 2025, month: 1, day: 27).iso8601 == "2025-01-27T00:00:00.000Z")
        #expect(Timestamp(millisecondsSinceEpoch: 1_709_210_096_789).iso8601 == "2024-02-29T12:34:56.789Z")
        #expect(Timestamp(millisecondsSinceEpoch: -1).iso8601 == "1969-12-31T23:59:59.999Z")
        #expect(Timestamp(millisecondsSinceEpoch: 1_709_210_096_789).timeOfDay == "12:34:56.789")
    }

    @Test func agreesWithFoundationOverManyInstants() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var rng = SplitMix64(seed: 7)
        for _ in 0..<2000 {
            let ms = Int64(rng.next() % 8_000_000_000_000)
            let ours = Timestamp(millisecondsSinceEpoch: ms)
            let theirs = formatter.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
            #expect(ours.iso8601 == theirs)
            #expect(Timestamp(iso8601: theirs) == ours)
        }
    }

    @Test func parsesOffsetsAndFractions() {
        let base = Timestamp(year: 2025, month: 1, day: 27)
        #expect(Timestamp(iso8601: "2025-01-27T00:00:00Z") == base)
        #expect(Timestamp(iso8601: "2025-01-27T00:00:00.5Z") == base.adding(milliseconds: 500))
        #expect(Timestamp(iso8601: "2025-01-27T00:00:00.123456Z") == base.adding(milliseconds: 123))
        #expect(Timestamp(iso8601: "2025-01-27T05:30:00+05:30") == base)
        #expect(Timestamp(iso8601: "2025-01-26T19:00:00-05:00") == base)
        for bad in ["2025-01-27", "2025-01-27T00:00:00", "2025-13-01T00:00:00Z", "2025-02-30T00:00:00Z",
                    "2025-01-27T24:00:00Z", "2025-01-27T00:00:00.Z", "2025-01-27T00:00:00Zjunk", "yesterday"] {
            #expect(Timestamp(iso8601: bad) == nil, "\(bad)")
        }
    }
}

@Suite("Packed payloads")
struct PackedPayloadTests {
    @Test func roundTripsGeneratedObjects() {
        for seed in 0..<300 {
            var gen = DocumentGenerator(seed: UInt64(seed))
            var object = JSONObject()
            for i in 0..<gen.int(8) { object.members.append(.init(key: "k\(i)", value: gen.value())) }
            #expect(PackedPayload(object).unpack() == object)
        }
    }

    @Test func builderMatchesPackingAnObject() {
        let b = PayloadBuilder(capacity: 4)
        b.add("user_id", "user_123")
        b.add("chapter_id", 1)
        b.add("ok", true)
        b.add("nested", ["a": [1, 2.5, nil]])
        b.add("long", String(repeating: "x", count: 300))
        let object: JSONObject = ["user_id": "user_123", "chapter_id": 1, "ok": true, "nested": ["a": [1, 2.5, nil]],
                                  "long": .string(String(repeating: "x", count: 300))]
        #expect(b.build() == PackedPayload(object))
        b.reset()
        b.add("x", -5)
        #expect(b.build().unpack() == ["x": -5])
    }

    @Test func contractPayloadIsCompact() {
        let p = PackedPayload(["user_id": "user_123", "chapter_id": 1, "section_id": "what-is-physical-ai",
                               "block_type": "ask-question", "query": "What is Physical AI?"])
        #expect(p.bytes.count < 120)
    }
}
