import Dispatch
import Hummingbird
import Synchronization
import TeletopCore

/// `GET /api/telemetry/top?event_type=&field=&window=&limit=`: the most
/// frequent values of a payload field over stored history, as the dashboard's
/// analytics view shows them.
///
/// Queries run one at a time, off the shared pool, behind a short queue: a
/// full queue answers 429 with `Retry-After`; a query whose client has gone is
/// dropped (before it starts, or part way); each has `queryTimeLimit`, waiting
/// included, after which it stops and answers 503 `query_timeout`.
extension TelemetryRoutes {
    static let maxTopLimit = 100
    static let queryTimeLimit: Duration = .seconds(10)
    /// A full queue is waited on this long before 429, by at most
    /// `QueryGate.limit` requests: places come back as soon as queries end or
    /// their clients leave, which a burst of abandoned requests makes happen a
    /// moment after the honest one arrives.
    static let placeWait: Duration = .milliseconds(750)
    /// One query at a time: a burst of them queues here instead of competing with the writer.
    static let queries = DispatchQueue(label: "teletop.top")

    func top(_ request: Request, _ context: TeletopRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        var issues: [ValidationIssue] = []
        func bad(_ field: String, _ expected: String, _ got: String) {
            issues.append(ValidationIssue(field: field, problem: .wrongType, expected: expected, got: Describe.string(got)))
        }
        let field = query["field"].map(String.init) ?? ""
        if field.isEmpty {
            issues.append(ValidationIssue(field: "field", problem: .missing, expected: "a payload field name, like chapter_id", got: "nothing"))
        } else if let problem = TopQuery.problem(withField: field) {
            issues.append(ValidationIssue(field: "field", problem: .badName, expected: "letters, digits, _ and -", got: Describe.string(field),
                                          message: problem))
        }
        let windowText = query["window"].map(String.init) ?? "1h"
        let window = AnalyticsWindow(rawValue: windowText)
        if window == nil { bad("window", "one of " + AnalyticsWindow.allCases.map(\.rawValue).joined(separator: ", "), windowText) }
        var limit = 10
        if let text = query["limit"].map(String.init) {
            if let n = Int(text), (1...Self.maxTopLimit).contains(n) { limit = n } else { bad("limit", "an integer from 1 to \(Self.maxTopLimit)", text) }
        }
        guard issues.isEmpty, let window else { throw APIError(issues: issues, code: "bad_query") }
        guard let analytics else {
            throw APIError(.serviceUnavailable, "store_unavailable",
                           "no event store in this run (--in-memory, or a replay without --db): there is no history to aggregate")
        }
        let eventType = query["event_type"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        let topQuery = TopQuery(eventType: eventType, field: field, windowSeconds: window.seconds, limit: limit, now: logger.clock.now())
        let result = try await runQuery(context) { cancellation in
            var q = topQuery
            q.cancellation = cancellation
            return try analytics.top(q)
        }
        let values: [JSONValue] = result.values.map { v in
            let value = (try? JSONParser.parse(Array(v.value.utf8))) ?? .string(v.value)
            return .object(["value": value, "count": .int(Int64(v.count))])
        }
        return Self.json(.object([
            "event_type": eventType.map { .string($0) } ?? .null, "field": .string(field), "window": .string(window.rawValue),
            "total": .int(Int64(result.total)), "with_field": .int(Int64(result.withField)), "values": .array(values),
            "approximate": .bool(result.approximate), "other": .int(Int64(result.other)),
        ]), status: .ok)
    }

    /// Runs a store query one at a time, off the shared pool, behind the
    /// queue's gate, stopped when its client leaves or its time runs out.
    func runQuery<T: Sendable>(_ context: TeletopRequestContext, _ body: @escaping @Sendable (QueryCancellation) throws -> T) async throws -> T {
        let cancellation = QueryCancellation(timeLimit: Self.queryTimeLimit)
        // A client that leaves while waiting for a place stops waiting, so the places it
        // waited for go to the clients still there (40 that send and close must not crowd one out).
        context.onClientGone { cancellation.cancel() }
        guard let ticket = await queryGate.enter(waitingUpTo: Self.placeWait, unless: { cancellation.isCancelled }) else {
            if cancellation.isCancelled { throw CancellationError() }
            throw APIError(.tooManyRequests, "too_many_queries",
                           "\(QueryGate.limit) analytics queries are running or waiting; try again shortly", headers: [.retryAfter: "1"])
        }
        // A client that leaves gives its place back at once, and its query stops where it is.
        context.onClientGone {
            cancellation.cancel()
            ticket.release()
        }
        // A query over a long window can take a while: not on the threads every request shares.
        let answer = await withCheckedContinuation { (c: CheckedContinuation<Result<T, any Error>, Never>) in
            Self.queries.async {
                defer { ticket.release() }
                c.resume(returning: Result { try body(cancellation) })
            }
        }
        if cancellation.timedOut, case .failure = answer {
            throw APIError(.serviceUnavailable, "query_timeout",
                           "the query took longer than \(Self.queryTimeLimit) (waiting included) and was stopped; try a shorter window",
                           headers: [.retryAfter: "5"])
        }
        do {
            return try answer.get()
        } catch {
            throw APIError(.serviceUnavailable, "store_unavailable", "the event store could not answer: \(error)")
        }
    }
}

/// Counts analytics queries running or waiting, so a burst cannot queue without bound.
final class QueryGate: Sendable {
    /// One running and four waiting.
    static let limit = 5
    fileprivate let count = Atomic<Int>(0)
    /// Requests waiting for a place (at most `limit` more).
    private let waiting = Atomic<Int>(0)

    /// A place in the queue, or nil when it is full.
    func enter() -> Ticket? {
        if count.add(1, ordering: .relaxed).newValue <= Self.limit { return Ticket(gate: self) }
        count.subtract(1, ordering: .relaxed)
        return nil
    }

    /// A place, looked for again every 10 ms for up to `wait`; nil when none
    /// came free, or when `gone` says its client left. At most `limit`
    /// requests wait for a place; one that finds them all taken is refused
    /// unless one of them leaves within `waiterGrace`.
    ///
    /// The grace is for waiters whose clients already left: a burst of clients
    /// that send and close can fill the waiting places for the 10 ms each of
    /// them takes to notice, and an honest request arriving then was refused
    /// at once (a CI run saw a 429 after 40 such clients).
    func enter(waitingUpTo wait: Duration, unless gone: @Sendable () -> Bool = { false }) async -> Ticket? {
        if gone() { return nil }
        if let ticket = enter() { return ticket }
        let giveUp = ContinuousClock.now + wait
        let graceEnds = ContinuousClock.now + Self.waiterGrace
        while waiting.add(1, ordering: .relaxed).newValue > Self.limit {
            waiting.subtract(1, ordering: .relaxed)
            guard ContinuousClock.now < graceEnds, !gone() else { return nil }
            try? await Task.sleep(for: .milliseconds(10))
            if let ticket = enter() { return ticket }
        }
        defer { waiting.subtract(1, ordering: .relaxed) }
        while ContinuousClock.now < giveUp && !gone() {
            try? await Task.sleep(for: .milliseconds(10))
            // A waiter whose client left while it slept takes no place.
            if gone() { return nil }
            if let ticket = enter() { return ticket }
        }
        return nil
    }

    static let waiterGrace: Duration = .milliseconds(100)

    /// Given back once, by whichever comes first: the query's end or its client leaving.
    final class Ticket: Sendable {
        private let gate: QueryGate
        private let released = Atomic<Bool>(false)

        fileprivate init(gate: QueryGate) {
            self.gate = gate
        }

        func release() {
            if !released.exchange(true, ordering: .relaxed) { gate.count.subtract(1, ordering: .relaxed) }
        }
    }
}
