import Foundation
import Hummingbird
import Logging
import HummingbirdTesting
import Testing
import TeletopCore
@testable import TeletopServer

@Suite("The contract's HTTP endpoints")
struct TelemetryRoutesTests {
    let clock = ManualClock(Timestamp(year: 2025, month: 1, day: 27))

    func app(_ logger: EventLogger, maxBody: Int = 1 << 20) -> some ApplicationProtocol {
        Application(responder: TelemetryRoutes(logger: logger, maxBodyBytes: maxBody).responder())
    }

    func json(_ buffer: ByteBuffer) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any])
    }

    static let contractBody = #"{"event_type": "ai_block_used", "payload": {"user_id": "user_123", "chapter_id": 1, "section_id": "what-is-physical-ai", "block_type": "ask-question", "query": "What is Physical AI?"}}"#

    @Test func theContractExampleIsLoggedAndAnsweredWithItsStoredTimestamp() async throws {
        let logger = EventLogger(clock: clock)
        try await app(logger).test(.router) { client in
            try await client.execute(uri: "/api/telemetry/log", method: .post, headers: [.contentType: "application/json"],
                                     body: ByteBuffer(string: Self.contractBody)) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json")
                let object = try json(response.body)
                #expect(Set(object.keys) == ["message", "event_type", "timestamp"])
                #expect(object["event_type"] as? String == "ai_block_used")
                #expect(object["timestamp"] as? String == "2025-01-27T00:00:00.000Z")
            }
        }
        let stored = try #require(logger.recentEvents(limit: 1).first)
        #expect(stored.source == .http && stored.payload["chapter_id"] == .int(1))
    }

    @Test func anUnknownTypeIs400AndListsTheAllowedTypes() async throws {
        let logger = EventLogger(clock: clock)
        try await app(logger).test(.router) { client in
            try await client.execute(uri: "/api/telemetry/log", method: .post,
                                     body: ByteBuffer(string: #"{"event_type": "page_view", "payload": {}}"#)) { response in
                #expect(response.status == .badRequest)
                let object = try json(response.body)
                #expect(object["error"] as? String == "unknown_event_type")
                #expect((object["message"] as? String)?.contains("allowed types: ai_block_used, chapter_visit, error_event") == true)
            }
        }
        #expect(logger.snapshot().totalRejected == 1)
    }

    @Test func malformedJSONAndPlanViolationsAre400WithDetails() async throws {
        let logger = EventLogger(clock: clock)
        try await app(logger).test(.router) { client in
            try await client.execute(uri: "/api/telemetry/log", method: .post, body: ByteBuffer(string: #"{"event_type": "#)) { response in
                #expect(response.status == .badRequest)
                let object = try json(response.body)
                #expect(object["error"] as? String == "malformed_json")
                #expect((object["message"] as? String)?.contains("at byte") == true)
            }
            let body = #"{"event_type": "ai_block_used", "payload": {"user_id": "u", "chapter_id": "one", "section_id": "s"}}"#
            try await client.execute(uri: "/api/telemetry/log", method: .post, body: ByteBuffer(string: body)) { response in
                #expect(response.status == .badRequest)
                let object = try json(response.body)
                #expect(object["error"] as? String == "validation_failed")
                let details = try #require(object["details"] as? [[String: String]])
                #expect(details.contains(["field": "payload.chapter_id", "problem": "wrong_type", "expected": "integer", "got": #"string "one""#]))
                #expect(details.contains { $0["field"] == "payload.block_type" && $0["problem"] == "missing" })
            }
            try await client.execute(uri: "/api/telemetry/log", method: .post, body: ByteBuffer(string: #"{"event_type": "ai_block_used"}"#)) { response in
                #expect(response.status == .badRequest)
                let details = try json(response.body)["details"] as? [[String: String]]
                #expect(details?.first?["field"] == "payload")
            }
        }
    }

    @Test func oversizedBodiesAndOtherContentTypesAreRefused() async throws {
        let logger = EventLogger(clock: clock)
        try await app(logger, maxBody: 64).test(.router) { client in
            try await client.execute(uri: "/api/telemetry/log", method: .post, body: ByteBuffer(string: Self.contractBody)) { response in
                #expect(response.status == .contentTooLarge)
                let object = try json(response.body)
                #expect(object["error"] as? String == "body_too_large")
            }
            try await client.execute(uri: "/api/telemetry/log", method: .post, headers: [.contentType: "text/plain"],
                                     body: ByteBuffer(string: "{}")) { response in
                #expect(response.status == .unsupportedMediaType)
            }
        }
        #expect(logger.eventsLogged == 0)
    }

    @Test func healthIsRealAnd503OnlyWhenUnhealthy() async throws {
        let logger = EventLogger(clock: clock)
        try await app(logger).test(.router) { client in
            try await client.execute(uri: "/api/telemetry/health", method: .get) { response in
                #expect(response.status == .ok)
                let object = try json(response.body)
                #expect(Set(object.keys) == ["status", "message", "events_logged"])
                #expect(object["status"] as? String == "healthy" && object["events_logged"] as? Int == 0)
            }
            // 30 events, all error_event: the watched app's errors degrade, but a load
            // balancer keeps the collector (200).
            for _ in 0..<30 { logger.log("error_event", ["error_type": "t", "error_message": "m"], source: .sim) }
            try await client.execute(uri: "/api/telemetry/health", method: .get) { response in
                #expect(response.status == .ok)
                let object = try json(response.body)
                #expect(object["status"] as? String == "degraded" && object["events_logged"] as? Int == 30)
            }
            // What the collector itself cannot do is unhealthy, and 503.
            logger.setComponentHealth(ComponentHealth(name: "store", status: .unhealthy, message: "the disk is full"))
            try await client.execute(uri: "/api/telemetry/health", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let object = try json(response.body)
                #expect(object["status"] as? String == "unhealthy" && object["events_logged"] as? Int == 30)
            }
        }
    }

    @Test func wrongMethodsAre405WithAllowAndUnknownPaths404InTheSameShape() async throws {
        try await app(EventLogger(clock: clock)).test(.router) { client in
            try await client.execute(uri: "/api/telemetry/log", method: .get) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "POST")
                let object = try json(response.body)
                #expect(object["error"] as? String == "method_not_allowed")
            }
            try await client.execute(uri: "/api/telemetry/health", method: .delete) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "GET")
            }
            try await client.execute(uri: "/api/telemetry/nope", method: .get) { response in
                #expect(response.status == .notFound)
                let object = try json(response.body)
                #expect(object["error"] as? String == "not_found")
                #expect(object["message"] as? String == "no such endpoint: GET /api/telemetry/nope")
            }
        }
    }

    @Test func aBusyPortIsAClearError() async throws {
        var options = TelemetryServer.Options()
        options.port = 0
        let first = TelemetryServer(logger: EventLogger(), options: options, log: quietLogger)
        try await first.start()
        guard case .listening(_, let port) = first.state else { Issue.record("not listening"); return }
        options.port = port
        let second = TelemetryServer(logger: EventLogger(), options: options, log: quietLogger)
        await #expect(throws: ServerError.self) { try await second.start() }
        guard case .failed(let message) = second.state else { Issue.record("no failure"); return }
        #expect(message == "port \(port) on 127.0.0.1 is already in use: choose another with --port, or run without the API with --no-http")
        await first.shutdown()
    }
}
