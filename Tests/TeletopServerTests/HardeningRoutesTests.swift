import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing
import TeletopCore
@testable import TeletopServer

/// Issue 11's wrong answers and protocol points that the router alone can show.
@Suite("Hardened routes")
struct HardeningRoutesTests {
    let clock = ManualClock(Timestamp(year: 2026, month: 12, day: 1))

    func app(_ logger: EventLogger, analytics: (any AnalyticsSource)? = nil) -> some ApplicationProtocol {
        Application(responder: TelemetryRoutes(logger: logger, analytics: analytics).responder())
    }

    func json(_ buffer: ByteBuffer) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any])
    }

    static func body(timestamp: String?) -> String {
        let stamp = timestamp.map { #", "timestamp": "\#($0)""# } ?? ""
        return #"{"event_type": "error_event", "payload": {"error_type": "t", "error_message": "m"}\#(stamp)}"#
    }

    /// Issue 11, wrong answer 8: teletop stamps; the client's time is kept beside, bounded.
    @Test func aClientTimestampIsKeptBesideTheServersStampAndBounded() async throws {
        let logger = EventLogger(clock: clock)
        try await app(logger).test(.router) { client in
            try await client.execute(uri: "/api/telemetry/log", method: .post, body: ByteBuffer(string: Self.body(timestamp: "2001-01-01T00:00:00Z"))) { response in
                #expect(response.status == .ok)
                let o = try json(response.body)
                #expect(o["timestamp"] as? String == clock.now().iso8601)
            }
            for bad in ["0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "1999-12-30T00:00:00Z"] {
                try await client.execute(uri: "/api/telemetry/log", method: .post, body: ByteBuffer(string: Self.body(timestamp: bad))) { response in
                    #expect(response.status == .badRequest, "\(bad)")
                    let o = try json(response.body)
                    #expect((o["message"] as? String)?.contains("timestamp") == true)
                }
            }
            try await client.execute(uri: "/api/telemetry/events", method: .get) { response in
                let events = try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [[String: Any]])
                #expect(events.count == 1)
                #expect(events.first?["timestamp"] as? String == clock.now().iso8601)
                #expect(events.first?["client_timestamp"] as? String == "2001-01-01T00:00:00.000Z")
            }
        }
        // Retention and windows go by teletop's stamp: the event is in the last minute.
        #expect(logger.snapshot().healthInputs.accepted == 1)
    }

    /// Issue 11, 14: /batch answers a body that is not a batch as /log answers one.
    @Test(arguments: [("", "empty body"), ("not json", "malformed"), (#"{"event_type":"x"}"#, "array"), ("42", "array")])
    func aBatchBodyThatIsNotABatchIs400(body: String, mentions: String) async throws {
        let logger = EventLogger(clock: clock)
        try await app(logger).test(.router) { client in
            try await client.execute(uri: "/api/telemetry/batch", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body)) { response in
                #expect(response.status == .badRequest, "\(body)")
                let o = try json(response.body)
                #expect(Set(o.keys) == ["error", "message", "details"])
                #expect((o["message"] as? String)?.contains(mentions) == true || (o["details"] as? [[String: Any]])?.first?["expected"] as? String == "a JSON array of events", "\(o)")
            }
        }
    }

    @Test func ndjsonSkipsWhitespaceOnlyLinesAndJSONLinesIsAccepted() async throws {
        let logger = EventLogger(clock: clock)
        let line = Self.body(timestamp: nil)
        try await app(logger).test(.router) { client in
            for type in ["application/x-ndjson", "application/jsonl; charset=utf-8"] {
                try await client.execute(uri: "/api/telemetry/batch", method: .post, headers: [.contentType: type],
                                         body: ByteBuffer(string: "  \n\(line)\n\t \r\n\(line)\n   ")) { response in
                    #expect(response.status == .ok)
                    let o = try json(response.body)
                    #expect(o["accepted"] as? Int == 2 && o["rejected"] as? Int == 0, "\(type): \(o)")
                }
            }
            try await client.execute(uri: "/api/telemetry/batch", method: .post, headers: [.contentType: "application/x-ndjson"],
                                     body: ByteBuffer(string: " \n\t\n")) { response in
                #expect(response.status == .badRequest)
            }
        }
        #expect(logger.snapshot().totalRejected == 1)
    }

    /// Issue 11, 14: the media type is matched exactly, parameters aside.
    @Test func contentTypeIsMatchedAsAMediaType() async throws {
        let logger = EventLogger(clock: clock)
        let body = ByteBuffer(string: Self.body(timestamp: nil))
        try await app(logger).test(.router) { client in
            for (type, status) in [("application/jsonfoo", HTTPResponse.Status.unsupportedMediaType), ("application/json-seq", .unsupportedMediaType),
                                   ("Application/JSON; charset=utf-8", .ok), ("application/json;charset=utf-8", .ok)] {
                try await client.execute(uri: "/api/telemetry/log", method: .post, headers: [.contentType: type], body: body) { response in
                    #expect(response.status == status, "\(type)")
                }
            }
            try await client.execute(uri: "/api/telemetry/batch", method: .post, headers: [.contentType: "application/x-ndjsonx"], body: body) { response in
                #expect(response.status == .unsupportedMediaType)
            }
        }
    }

    /// Issue 11, outage 3: a burst of analytics queries is bounded, not queued without end.
    @Test func analyticsQueriesBeyondTheQueueAreToldToComeBack() async throws {
        let logger = EventLogger(clock: clock)
        let slow = SlowAnalytics()
        try await app(logger, analytics: slow).test(.router) { client in
            let statuses = StatusBox()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<(QueryGate.limit + 3) {
                    group.addTask {
                        try await client.execute(uri: "/api/telemetry/top?field=user_id", method: .get) { response in
                            if response.status == .tooManyRequests { #expect(response.headers[.retryAfter] == "1") }
                            statuses.append(UInt(response.status.code))
                        }
                    }
                }
                // Once the refused ones are answered, let the queue drain.
                while statuses.all.count < 3 { try await Task.sleep(for: .milliseconds(10)) }
                slow.release()
                try await group.waitForAll()
            }
            let all = statuses.all
            #expect(all.filter { $0 == 429 }.count == 3, "\(all)")
            #expect(all.filter { $0 == 200 }.count == QueryGate.limit, "\(all)")
        }
    }

    /// Review: bodies being read at once are bounded across connections.
    @Test func theBodyBudgetRefusesPastItsBytes() throws {
        let budget = BodyBudget(bytes: 3 << 20)
        let held = try (0..<3).map { _ in try budget.reserve(declared: nil, maxBodyBytes: 1 << 20) }  // no length: the most a body may be
        #expect(budget.inUse == 3 << 20)
        #expect(throws: APIError.self) { try budget.reserve(declared: 10, maxBodyBytes: 1 << 20) }
        held[0].release()
        held[0].release()  // once only
        #expect(budget.inUse == 2 << 20)
        _ = try budget.reserve(declared: 1 << 20, maxBodyBytes: 1 << 20)
    }

    /// Issue 11, 14: the document lists each planned type's payload schema, from the loaded plan.
    @Test func theDocumentCarriesTheLoadedPlansSchemas() throws {
        let plan = try TrackingPlan.load(json: Array(#"""
            {"event_types": {"page_view": {"description": "A page was shown", "additional_fields": false,
              "fields": {"path": {"type": "string", "required": true, "max_length": 200}, "ms": {"type": "integer"}}}}}
            """#.utf8))
        let document = TelemetryRoutes(logger: EventLogger(plan: plan)).openAPIDocument
        #expect(document.contains("    Payload.page_view:"))
        #expect(document.contains(#"      required: ["path"]"#))
        #expect(document.contains("      additionalProperties: false"))
        #expect(document.contains(#"        "path": {type: string, minLength: 1, maxLength: 200}"#))
        #expect(document.contains(#"        "ms": {type: integer, minimum: -9223372036854775808, maximum: 9223372036854775807}"#))
        #expect(document.contains(#"event_type: {const: "page_view"}"#))
        #expect(!document.contains("Payload.ai_block_used"))
        #expect(TelemetryRoutes(logger: EventLogger()).openAPIDocument.contains("Payload.ai_block_used"))
    }
}

/// Holds every query until released, like a long scan over a big store.
final class SlowAnalytics: AnalyticsSource {
    private let gate = DispatchSemaphore(value: 0)
    private let released = Atomic<Bool>(false)

    func release() {
        released.store(true, ordering: .relaxed)
        for _ in 0..<64 { gate.signal() }
    }

    func top(_ query: TopQuery) throws -> TopResult {
        if !released.load(ordering: .relaxed) { gate.wait() }
        return TopResult(values: [], total: 0, withField: 0)
    }

    func perMinute(minutes: Int, now: Timestamp) throws -> [Int] { [] }
    func series(_ query: SeriesQuery) throws -> [SeriesPoint] { [] }
}

final class StatusBox: Sendable {
    private let statuses = Mutex<[UInt]>([])
    func append(_ status: UInt) { statuses.withLock { $0.append(status) } }
    var all: [UInt] { statuses.withLock { $0 } }
}
