import Foundation
import Hummingbird
import TeletopCore

/// `GET /api/telemetry/events` and `GET /api/telemetry/stats`: what the logger holds.
extension TelemetryRoutes {
    static let maxEventsLimit = 1000

    /// `?event_type=&limit=&since=`: retained events, newest first, as AnalyticsEvents.
    func events(_ request: Request) throws -> Response {
        let query = request.uri.queryParameters
        var issues: [ValidationIssue] = []
        var limit = 100
        if let text = query["limit"].map(String.init) {
            if let n = Int(text), (1...Self.maxEventsLimit).contains(n) {
                limit = n
            } else {
                issues.append(ValidationIssue(field: "limit", problem: .wrongType, expected: "an integer from 1 to \(Self.maxEventsLimit)",
                                              got: Describe.string(text), message: "limit: expected an integer from 1 to \(Self.maxEventsLimit), got \(Describe.string(text))"))
            }
        }
        var since: Timestamp?
        if let text = query["since"].map(String.init) {
            since = Timestamp(iso8601: text)
            if since == nil {
                issues.append(ValidationIssue(field: "since", problem: .badTimestamp, expected: "ISO-8601 timestamp",
                                              got: Describe.string(text), message: "since: expected an ISO-8601 timestamp like 2025-01-27T00:00:00.000Z, got \(Describe.string(text))"))
            }
        }
        let q = try Self.query(request)
        guard issues.isEmpty else { throw APIError(issues: issues, code: "bad_query") }
        let eventType = query["event_type"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        var found: [LoggedEvent]
        if let q {
            // The ring newest first, in chunks, until `limit` match or it is all read.
            found = []
            var upTo: UInt64? = nil
            while found.count < limit {
                let chunk = logger.events(upTo: upTo, limit: 4096, eventType: eventType)
                guard let oldest = chunk.first else { break }
                found = chunk.filter(q.matches).suffix(limit - found.count) + found
                if oldest.sequence <= 1 { break }
                upTo = oldest.sequence - 1
            }
        } else {
            found = logger.recentEvents(limit: limit, eventType: eventType)
        }
        // `user_id=...` (an indexed field): the store has what left the ring, and answers from its index.
        if let q, let analytics, !q.timelineQueries.isEmpty,
           TimelineKey.indexedFields.contains(q.timelineQueries[0].field) {
            var stored: [LoggedEvent] = []
            for t in q.timelineQueries {
                var lookup = t
                lookup.limit = limit
                // The store filters by type as it walks, so `limit` counts events of that type.
                lookup.eventType = eventType
                // A store that cannot answer now leaves the ring's answer, which is still right as far as it goes.
                stored += (try? analytics.timeline(lookup))?.events ?? []
            }
            found = TimelineResult.merge(memory: found, stored: stored).map(\.event).suffix(limit)
        }
        if let since { found = found.filter { $0.timestamp >= since } }
        return Self.json(.array(found.reversed().map(\.analyticsEvent.jsonValue)), status: .ok)
    }

    /// `?q=`: the query language; nil when absent or empty, a 400 naming the position when it does not read.
    static func query(_ request: Request) throws -> EventQuery? {
        guard let text = formValue("q", in: request.uri.query), !text.isEmpty else { return nil }
        do {
            return try EventQuery.parse(text)
        } catch {
            throw APIError(issues: [ValidationIssue(field: "q", problem: .malformedJSON, expected: "a query (see the README's query language)",
                                                    got: Describe.string(text), message: "q: \(error.description)")], code: "bad_query")
        }
    }

    /// A query-string value as forms encode it: `+` is a space, `%2B` a plus (the
    /// framework's own decoding leaves `+` as it is, which would read `a+or+b` as one word).
    static func formValue(_ name: String, in query: String?) -> String? {
        guard let query else { return nil }
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0] == name else { continue }
            let spaced = parts[1].replacingOccurrences(of: "+", with: " ")
            return spaced.removingPercentEncoding ?? spaced
        }
        return nil
    }

    /// Totals, rejections and rates, overall and per event type.
    func stats() -> Response {
        let snap = logger.snapshot()
        func rates(_ r1: Double, _ r10: Double, _ r60: Double) -> [(String, JSONValue)] {
            [("rate_1s", .double(r1)), ("rate_10s", .double(r10)), ("rate_60s", .double(r60))]
        }
        var overall: [(String, JSONValue)] = [
            ("instance", .string(instance)), ("started_at", .string(snap.startedAt.iso8601)),
            ("events_logged", .int(Int64(snap.eventsLogged))), ("rejected", .int(Int64(snap.totalRejected))),
            ("evicted", .int(Int64(snap.evicted))), ("evicted_for_bytes", .int(Int64(snap.evictedForBytes))),
            ("ring_bytes", .int(Int64(snap.ringBytes))), ("ring_byte_capacity", .int(Int64(snap.ringByteCapacity))),
            // Each event once, however many consumers missed it; then per kind of consumer.
            ("dropped", .int(Int64(snap.dropped))),
            ("dropped_by_consumer", .object(JSONObject(snap.droppedByConsumer.sorted { $0.key < $1.key }
                .map { .init(key: $0.key, value: .int(Int64($0.value))) }))),
        ]
        overall += rates(snap.rate1s, snap.rate10s, snap.rate60s)
        let types: [JSONValue] = snap.types.map { t in
            var fields: [(String, JSONValue)] = [
                ("event_type", .string(t.name)), ("planned", .bool(t.planned)),
                ("accepted", .int(Int64(t.accepted))), ("rejected", .int(Int64(t.rejected))),
            ]
            fields += rates(t.rate1s, t.rate10s, t.rate60s)
            fields.append(("last_event_at", t.lastEventAt.map { .string($0.iso8601) } ?? .null))
            return .object(JSONObject(fields.map { .init(key: $0.0, value: $0.1) }))
        }
        overall.append(("event_types", .array(types)))
        overall.append(("health", snap.healthResponse.jsonValue))
        overall.append(("sdk", sdkStatus))
        // The store's fleet: collectors on one database report the same id, and their totals are the fleet's.
        overall.append(("fleet", analytics?.fleet.map { .string($0) } ?? .null))
        return Self.json(.object(JSONObject(overall.map { .init(key: $0.0, value: $0.1) })), status: .ok)
    }
}
