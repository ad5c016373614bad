import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing
import TeletopCore
@testable import TeletopServer

/// A store stand-in: refuses, or answers each sequence number as told.
final class FakeGate: DurabilityGate {
    let refusalText: String?
    let notStored: Set<UInt64>
    let asked = Mutex<[UInt64]>([])

    init(refusal: String? = nil, notStored: Set<UInt64> = []) {
        refusalText = refusal
        self.notStored = notStored
    }

    var refusal: String? { refusalText }

    func awaitDurable(_ sequence: UInt64) async -> Durability {
        asked.withLock { $0.append(sequence) }
        return notStored.contains(sequence) ? .notDurable("disk full") : .durable
    }
}

final class FakeAnalytics: AnalyticsSource {
    let queries = Mutex<[TopQuery]>([])

    func top(_ query: TopQuery) throws -> TopResult {
        queries.withLock { $0.append(query) }
        return TopResult(values: [TopValue(value: "3", count: 5), TopValue(value: #""ch-1""#, count: 2)], total: 9, withField: 7)
    }

    func perMinute(minutes: Int, now: Timestamp) throws -> [Int] { [Int](repeating: 0, count: minutes) }
}

@Suite("HTTP writes with a store")
struct StoreRoutesTests {
    let clock = ManualClock(Timestamp(year: 2025, month: 1, day: 27))
    static let body = ByteBuffer(string: TelemetryRoutesTests.contractBody)

    func app(_ logger: EventLogger, gate: FakeGate? = nil, analytics: FakeAnalytics? = nil) -> some ApplicationProtocol {
        Application(responder: TelemetryRoutes(logger: logger, durability: gate, analytics: analytics).responder())
    }

    func object(_ buffer: ByteBuffer) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any])
    }

    @Test func aWriteIsAnsweredOnlyAfterTheStoreConfirmsIt() async throws {
        let logger = EventLogger(clock: clock)
        let gate = FakeGate()
        try await app(logger, gate: gate).test(.router) { client in
            try await client.execute(uri: "/api/telemetry/log", method: .post, body: Self.body) { response in
                #expect(response.status == .ok)
            }
        }
        #expect(gate.asked.withLock { $0 } == [1])
    }

    @Test func aFailingStoreGets503WithTheReasonAndNothingIsLogged() async throws {
        let logger = EventLogger(clock: clock)
        try await app(logger, gate: FakeGate(refusal: "the event store cannot take writes: /x.sqlite: the database is locked")).test(.router) { client in
            try await client.execute(uri: "/api/telemetry/log", method: .post, body: Self.body) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.retryAfter] == "1")
                let o = try object(response.body)
                #expect(o["error"] as? String == "store_unavailable")
                #expect((o["message"] as? String)?.contains("locked") == true)
            }
            try await client.execute(uri: "/api/telemetry/batch", method: .post, body: ByteBuffer(string: "[\(TelemetryRoutesTests.contractBody)]")) { response in
                #expect(response.status == .serviceUnavailable)
            }
        }
        #expect(logger.snapshot().totalAccepted == 0)
    }

    @Test func anEventTheStoreLostIs503NotAFalse200() async throws {
        let logger = EventLogger(clock: clock)
        try await app(logger, gate: FakeGate(notStored: [1])).test(.router) { client in
            try await client.execute(uri: "/api/telemetry/log", method: .post, body: Self.body) { response in
                #expect(response.status == .serviceUnavailable)
                let o = try object(response.body)
                #expect(o["message"] as? String == "disk full")
            }
        }
    }

    @Test func aBatchCountsOnlyStoredEventsAsAccepted() async throws {
        let logger = EventLogger(clock: clock)
        let body = "[" + Array(repeating: TelemetryRoutesTests.contractBody, count: 3).joined(separator: ",") + #",{"event_type":"nope","payload":{}}]"#
        try await app(logger, gate: FakeGate(notStored: [2])).test(.router) { client in
            try await client.execute(uri: "/api/telemetry/batch", method: .post, body: ByteBuffer(string: body)) { response in
                #expect(response.status == .ok)
                let o = try object(response.body)
                #expect(o["accepted"] as? Int == 2)
                #expect(o["rejected"] as? Int == 2)
                let items = try #require(o["rejected_items"] as? [[String: Any]])
                #expect(items.map { $0["index"] as? Int } == [1, 3])
                let details = try #require(items.first?["details"] as? [[String: Any]])
                #expect(details.first?["problem"] as? String == "not_stored")
            }
        }
    }

    @Test func topAnswersFromTheStoreAndChecksItsQuery() async throws {
        let logger = EventLogger(clock: clock)
        let analytics = FakeAnalytics()
        try await app(logger, analytics: analytics).test(.router) { client in
            try await client.execute(uri: "/api/telemetry/top?event_type=ai_block_used&field=chapter_id&window=24h&limit=5", method: .get) { response in
                #expect(response.status == .ok)
                let o = try object(response.body)
                #expect(o["field"] as? String == "chapter_id" && o["window"] as? String == "24h" && o["total"] as? Int == 9)
                let values = try #require(o["values"] as? [[String: Any]])
                #expect(values.first?["value"] as? Int == 3)
                #expect(values.last?["value"] as? String == "ch-1")
            }
            try await client.execute(uri: "/api/telemetry/top?window=1y", method: .get) { response in
                #expect(response.status == .badRequest)
                let message = try object(response.body)["message"] as? String ?? ""
                #expect(message.contains("field") && message.contains("window"))
            }
        }
        try await Application(responder: TelemetryRoutes(logger: logger, token: "s3cret", analytics: analytics).responder()).test(.router) { client in
            // It returns payload values (busiest user ids): like /events, it needs the token.
            try await client.execute(uri: "/api/telemetry/top?field=user_id", method: .get) { response in
                #expect(response.status == .unauthorized)
            }
        }
        let query = try #require(analytics.queries.withLock { $0.first })
        #expect(query.eventType == "ai_block_used" && query.windowSeconds == 86_400 && query.limit == 5 && query.now == clock.now())
        try await app(logger).test(.router) { client in
            try await client.execute(uri: "/api/telemetry/top?field=user_id", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let o = try object(response.body)
                #expect((o["message"] as? String)?.contains("--in-memory") == true)
            }
        }
    }
}
