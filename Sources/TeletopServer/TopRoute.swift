import Dispatch
import Hummingbird
import TeletopCore

/// `GET /api/telemetry/top?event_type=&field=&window=&limit=`: the most
/// frequent values of a payload field over stored history, as the dashboard's
/// analytics view shows them.
extension TelemetryRoutes {
    static let maxTopLimit = 100
    /// One query at a time: a burst of them queues here instead of competing with the writer.
    static let queries = DispatchQueue(label: "teletop.top")

    func top(_ request: Request) async -> Response {
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
        guard issues.isEmpty, let window else { return ErrorBody(error: "bad_query", issues: issues).response(.badRequest) }
        guard let analytics else {
            return ErrorBody(error: "store_unavailable", message: "no event store in this run (--in-memory, or a replay without --db): there is no history to aggregate")
                .response(.serviceUnavailable)
        }
        let eventType = query["event_type"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        let topQuery = TopQuery(eventType: eventType, field: field, windowSeconds: window.seconds, limit: limit, now: logger.clock.now())
        // A query over all history can take a while: not on the threads every request shares.
        let answer = await withCheckedContinuation { (c: CheckedContinuation<Result<TopResult, any Error>, Never>) in
            Self.queries.async { c.resume(returning: Result { try analytics.top(topQuery) }) }
        }
        do {
            let result = try answer.get()
            let values: [JSONValue] = result.values.map { v in
                let value = (try? JSONParser.parse(Array(v.value.utf8))) ?? .string(v.value)
                return .object(["value": value, "count": .int(Int64(v.count))])
            }
            return Self.json(.object([
                "event_type": eventType.map { .string($0) } ?? .null, "field": .string(field), "window": .string(window.rawValue),
                "total": .int(Int64(result.total)), "with_field": .int(Int64(result.withField)), "values": .array(values),
            ]), status: .ok)
        } catch {
            return ErrorBody(error: "store_unavailable", message: "the event store could not answer: \(error)").response(.serviceUnavailable)
        }
    }
}
