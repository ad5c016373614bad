import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing
import TeletopCore
@testable import TeletopServer

/// A store stand-in: refuses up front, or fails its writes, or keeps them.
final class FakeGate: DurabilityGate {
    let refusalText: String?
    let failure: String?
    let written = Mutex<[LoggedEvent]>([])

    init(refusal: String? = nil, failing failure: String? = nil) {
        refusalText = refusal
        self.failure = failure
    }

    var refusal: String? { refusalText }

    func write(_ events: [LoggedEvent]) async -> Durability {
        if let failure { return .notDurable(failure) }
        written.withLock { $0 += events }
        return .durable
    }
}

final class FakeAnalytics: AnalyticsSource {
    let queries = Mutex<[TopQuery]>([])

    func top(_ query: TopQuery) throws -> TopResult {
        queries.withLock { $0.append(query) }
        return TopResult(values: [TopValue(value: "3", count: 5), TopValue(value: #""ch-1""#, count: 2)], total: 9, withField: 7)
    }

    func perMinute(minutes: Int, now: Timestamp) throws -> [Int] { [Int](repeating: 0, count: minutes) }

    let seriesQueries = Mutex<[SeriesQuery]>([])
    func series(_ query: SeriesQuery) throws -> [SeriesPoint] {
        seriesQueries.withLock { $0.append(query) }
        return [SeriesPoint(start: query.now.adding(milliseconds: -60_000), count: 4), SeriesPoint(start: query.now, count: 1)]
    }
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

    @Test func aWriteIsStoredFirstThenLoggedOnce() async throws {
        let logger = EventLogger(clock: clock)
        let gate = FakeGate()
        let store = logger.subscribe(name: "store", lossless: true, skipsStored: true)
        let stream = logger.subscribe(name: "http stream")
        try await app(logger, gate: gate).test(.router) { client in
            try await client.execute(uri: "/api/telemetry/log", method: .post, body: Self.body) { response in
                #expect(response.status == .ok)
            }
        }
        #expect(gate.written.withLock { $0.map(\.eventType) } == ["ai_block_used"])
        #expect(logger.snapshot().totalAccepted == 1)
        // The store's own queue does not get it again; every other consumer does.
        #expect(store.drain().isEmpty)
        #expect(stream.drain().count == 1)
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

    /// Issue 11, wrong answer 5: what a client was told is not stored is in no view.
    @Test func anEventTheStoreCouldNotTakeIs503AndInNoView() async throws {
        let logger = EventLogger(clock: clock)
        let stream = logger.subscribe(name: "http stream")
        try await app(logger, gate: FakeGate(failing: "disk full")).test(.router) { client in
            try await client.execute(uri: "/api/telemetry/log", method: .post, body: Self.body) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.retryAfter] == "1")
                let o = try object(response.body)
                #expect(o["message"] as? String == "disk full")
            }
            try await client.execute(uri: "/api/telemetry/events", method: .get) { response in
                #expect(String(buffer: response.body) == "[]")
            }
        }
        let snap = logger.snapshot()
        #expect(snap.eventsLogged == 0 && snap.totalAccepted == 0)
        #expect(snap.types.first { $0.name == "ai_block_used" }?.accepted == 0)
        #expect(logger.recentEvents(limit: 10).isEmpty)
        #expect(stream.drain().isEmpty)
        // Not the client's mistake: not counted as a rejection either.
        #expect(snap.totalRejected == 0)
    }

    @Test func aBatchIsStoredWholeOrAnswered503Whole() async throws {
        let logger = EventLogger(clock: clock)
        let body = "[" + Array(repeating: TelemetryRoutesTests.contractBody, count: 3).joined(separator: ",") + #",{"event_type":"nope","payload":{}}]"#
        let gate = FakeGate()
        try await app(logger, gate: gate).test(.router) { client in
            try await client.execute(uri: "/api/telemetry/batch", method: .post, body: ByteBuffer(string: body)) { response in
                #expect(response.status == .ok)
                let o = try object(response.body)
                #expect(o["accepted"] as? Int == 3)
                #expect(o["rejected"] as? Int == 1)
                let items = try #require(o["rejected_items"] as? [[String: Any]])
                #expect(items.map { $0["index"] as? Int } == [3])
            }
        }
        #expect(gate.written.withLock { $0.count } == 3)
        #expect(logger.snapshot().totalAccepted == 3)
        let failing = EventLogger(clock: clock)
        try await app(failing, gate: FakeGate(failing: "the event store cannot take writes: locked")).test(.router) { client in
            try await client.execute(uri: "/api/telemetry/batch", method: .post, body: ByteBuffer(string: body)) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.retryAfter] == "1")
            }
        }
        #expect(failing.snapshot().totalAccepted == 0)
    }

    /// Issue 16: `/series` answers from the aggregates and says which window a bucket allows.
    @Test func seriesAnswersPerBucketAndChecksItsQuery() async throws {
        let logger = EventLogger(clock: clock)
        let analytics = FakeAnalytics()
        try await app(logger, analytics: analytics).test(.router) { client in
            try await client.execute(uri: "/api/telemetry/series?event_type=error_event&bucket=hour&window=7d", method: .get) { response in
                #expect(response.status == .ok)
                let o = try object(response.body)
                #expect(o["bucket"] as? String == "hour" && o["window"] as? String == "7d" && o["total"] as? Int == 5)
                let points = try #require(o["points"] as? [[String: Any]])
                #expect(points.map { $0["count"] as? Int } == [4, 1])
                #expect(points.last?["start"] as? String == clock.now().iso8601)
            }
            // Any bucket with any window: the newest 2,000 points at most (schemathesis holds us to it).
            try await client.execute(uri: "/api/telemetry/series?bucket=minute&window=all", method: .get) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/api/telemetry/series?bucket=week", method: .get) { response in
                #expect(response.status == .badRequest)
                let message = try object(response.body)["message"] as? String ?? ""
                #expect(message.contains("minute, hour, day"), "\(message)")
            }
        }
        let query = try #require(analytics.seriesQueries.withLock { $0.first })
        #expect(query == SeriesQuery(eventType: "error_event", bucket: .hour, window: .week, now: clock.now()))
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
                #expect(o["approximate"] as? Bool == false && o["other"] as? Int == 0)
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
