import Foundation
import TeletopCore

/// The analytics view over attached collectors: each collector answers from
/// its own aggregates (`/top`, `/series`), where the data lives; the answers
/// are merged here. A merged top-N is marked approximate when a collector's
/// own list was cut at the limit (a value just below one collector's top N
/// may belong in the sum's) or any collector's was.
public struct RemoteAnalytics: AnalyticsSource {
    let fleet: Fleet
    /// nil: every collector; else only this one (the narrowed view).
    let only: @Sendable () -> UInt8?

    public init(fleet: Fleet, only: @escaping @Sendable () -> UInt8? = { nil }) {
        self.fleet = fleet
        self.only = only
    }

    /// The connected collectors to ask, one per fleet: collectors sharing a
    /// store answer from the same aggregates, which must be counted once.
    var links: [CollectorLink] {
        let o = only()
        var fleets = Set<String>()
        return fleet.links.filter { link in
            guard (o == nil || link.index == o) && link.status.state == .connected else { return false }
            guard let shared = link.status.stats?.fleet else { return true }
            return fleets.insert(shared).inserted
        }
    }

    static func window(seconds: Int?) -> AnalyticsWindow {
        guard let seconds else { return .all }
        return AnalyticsWindow.allCases.first { ($0.seconds ?? .max) >= seconds } ?? .all
    }

    static func escape(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "-_.~"))) ?? s
    }

    func answers(_ pathAndQuery: String) throws -> [JSONValue] {
        let links = self.links
        guard !links.isEmpty else { throw RemoteError("no collector is connected") }
        var out: [JSONValue] = []
        var problems: [String] = []
        for (link, answer) in zip(links, Fleet.getJSON(pathAndQuery, from: links, timeout: 10)) {
            switch answer {
            case .success(let (status, value)):
                if status == 200, let value { out.append(value) } else {
                    problems.append("\(link.address.name): \(value?["message"]?.stringValue ?? "status \(status)")")
                }
            case .failure(let error):
                problems.append("\(link.address.name): \(error)")
            }
        }
        if out.isEmpty { throw RemoteError(problems.joined(separator: "; ")) }
        return out
    }

    public func top(_ query: TopQuery) throws -> TopResult {
        var q = "/api/telemetry/top?field=\(Self.escape(query.field))&window=\(Self.window(seconds: query.windowSeconds).rawValue)&limit=\(query.limit)"
        if let t = query.eventType { q += "&event_type=\(Self.escape(t))" }
        let results = try answers(q)
        var counts: [String: Int] = [:]
        var order: [String] = []
        var total = 0, withField = 0, other = 0
        var cut = false
        for r in results {
            total += r["total"]?.intValue.map(Int.init) ?? 0
            withField += r["with_field"]?.intValue.map(Int.init) ?? 0
            other += r["other"]?.intValue.map(Int.init) ?? 0
            guard case .array(let values)? = r["values"] else { continue }
            if values.count >= query.limit { cut = true }
            for v in values {
                guard let value = v["value"], let n = v["count"]?.intValue else { continue }
                let key = JSONWriter.compact(value)
                if counts[key] == nil { order.append(key) }
                counts[key, default: 0] += Int(n)
            }
        }
        let values = order.map { TopValue(value: $0, count: counts[$0]!) }.sorted { ($0.count, $1.value) > ($1.count, $0.value) }
        var result = TopResult(values: Array(values.prefix(query.limit)), total: total, withField: withField, other: other)
        result.partial = results.count > 1 && cut
        return result
    }

    public func perMinute(minutes: Int, now: Timestamp) throws -> [Int] {
        let points = try series(SeriesQuery(eventType: nil, bucket: .minute, window: Self.window(seconds: minutes * 60), now: now))
        let counts = points.map(\.count)
        return counts.count >= minutes ? Array(counts.suffix(minutes)) : Array(repeating: 0, count: minutes - counts.count) + counts
    }

    public func series(_ query: SeriesQuery) throws -> [SeriesPoint] {
        var q = "/api/telemetry/series?bucket=\(query.bucket.rawValue)&window=\(query.window.rawValue)"
        if let t = query.eventType { q += "&event_type=\(Self.escape(t))" }
        var sums: [Int64: Int] = [:]
        for r in try answers(q) {
            guard case .array(let points)? = r["points"] else { continue }
            for p in points {
                guard let start = p["start"]?.stringValue.flatMap({ Timestamp(iso8601: $0) }), let n = p["count"]?.intValue else { continue }
                sums[start.millisecondsSinceEpoch, default: 0] += Int(n)
            }
        }
        return sums.keys.sorted().map { SeriesPoint(start: Timestamp(millisecondsSinceEpoch: $0), count: sums[$0]!) }
    }
}
