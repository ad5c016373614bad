import Hummingbird
import TeletopCore

/// `GET /api/telemetry/series?event_type=&bucket=&window=`: events per bucket
/// over a window, every bucket present, oldest first: the dashboard's
/// per-minute chart, for a client elsewhere. At most 2,000 points, the newest
/// (so a minute series reaches back 2,000 minutes; minutes are kept 25 hours).
extension TelemetryRoutes {
    func series(_ request: Request, _ context: TeletopRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        var issues: [ValidationIssue] = []
        let bucketText = query["bucket"].map(String.init) ?? "minute"
        let bucket = SeriesBucket(rawValue: bucketText)
        if bucket == nil {
            issues.append(ValidationIssue(field: "bucket", problem: .wrongType, expected: "one of minute, hour, day", got: Describe.string(bucketText)))
        }
        let windowText = query["window"].map(String.init) ?? "1h"
        let window = AnalyticsWindow(rawValue: windowText)
        if window == nil {
            issues.append(ValidationIssue(field: "window", problem: .wrongType,
                                          expected: "one of " + AnalyticsWindow.allCases.map(\.rawValue).joined(separator: ", "),
                                          got: Describe.string(windowText)))
        }
        guard issues.isEmpty, let bucket, let window else { throw APIError(issues: issues, code: "bad_query") }
        guard let analytics else {
            throw APIError(.serviceUnavailable, "store_unavailable",
                           "no event store in this run (--in-memory, or a replay without --db): there is no history to count")
        }
        let eventType = query["event_type"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        let now = logger.clock.now()
        let points = try await runQuery(context) { _ in
            try analytics.series(SeriesQuery(eventType: eventType, bucket: bucket, window: window, now: now))
        }
        return Self.json(.object([
            "event_type": eventType.map { .string($0) } ?? .null, "bucket": .string(bucket.rawValue), "window": .string(window.rawValue),
            "total": .int(Int64(points.reduce(0) { $0 + $1.count })),
            "points": .array(points.map { .object(["start": .string($0.start.iso8601), "count": .int(Int64($0.count))]) }),
        ]), status: .ok)
    }

}
