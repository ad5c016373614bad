import PropertyBased
import Testing
import TeletopCore
@testable import TeletopTUI

/// `FeedSource.page` keeps an index of matches that it extends and trims as
/// the ring moves; here it must always agree with a brute-force filter over
/// what the ring holds, while events arrive and old ones are evicted.
@Suite("Feed paging against a brute-force filter")
struct FeedSourcePropertyTests {
    static let plan = try! TrackingPlan.load(json: Array(#"""
        {"event_types": {"alpha": {"fields": {"word": {"type": "string"}}},
                         "beta": {"fields": {"word": {"type": "string"}}},
                         "gamma": {"fields": {"word": {"type": "string"}}}}}
        """#.utf8))
    static let types = ["alpha", "beta", "gamma"]
    static let words = ["red", "Red car", "blue", "beta", "ab", "中文", "😀 x"]
    static let needles = ["", "re", "RED", "blue", "a", "beta", "中", "x"]

    @Test func pagesMatchABruteForceFilterAcrossEvictions() async {
        await propertyCheck(count: 150, input: Gen.int(in: 0...Int.max)) { seed in
            var rng = SplitMix64(seed: UInt64(seed))
            func pick(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
            let logger = EventLogger(plan: Self.plan, configuration: .init(ringCapacity: 40, ringBytes: 2_500), clock: ManualClock())
            let source = FeedSource(logger: logger)
            // A few filters, reused across steps, so the index is extended and trimmed rather than rebuilt.
            let filters = (0..<3).map { _ in
                FeedFilter(eventType: pick(3) == 0 ? Self.types[pick(3)] : nil, text: Self.needles[pick(Self.needles.count)])
            }
            for _ in 0..<30 {
                for _ in 0..<pick(25) {
                    logger.log(Self.types[pick(3)], ["word": .string(Self.words[pick(Self.words.count)])], source: .sim)
                }
                let range = logger.sequenceRange
                let span = range.newest + 3
                let cap: UInt64? = pick(3) == 0 ? UInt64(pick(Int(span))) : nil
                let anchor: FeedAnchor
                switch pick(3) {
                case 0: anchor = .tail(upTo: cap)
                case 1: anchor = .head
                default: anchor = .around(UInt64(pick(Int(span))), upTo: cap)
                }
                let query = FeedQuery(anchor: anchor, before: pick(12), after: pick(12), filter: filters[pick(filters.count)])
                let page = source.page(for: query)
                let expected = Self.bruteForce(query, logger: logger)
                #expect(page.events.map(\.sequence) == expected.sequences, "seed \(seed) query \(query)")
                #expect(page.matching == expected.matching, "seed \(seed) query \(query)")
            }
        }
    }

    /// The same answer from first principles: filter everything the ring holds, then window it.
    static func bruteForce(_ q: FeedQuery, logger: EventLogger) -> (sequences: [UInt64], matching: Int) {
        let retained = logger.events(after: 0, limit: Int.max)
        // Plain texts (no query syntax): a case-insensitive substring of the line as shown.
        let needle = q.filter.text.lowercased()
        let matches = retained.filter { e in
            (q.filter.eventType == nil || e.eventType == q.filter.eventType)
                && (needle.isEmpty || (e.eventType + " " + e.source.description + " " + FeedLine.summary(e.payload)).lowercased().contains(needle))
        }.map(\.sequence)
        let matching = !q.filter.text.isEmpty ? matches.count : q.filter.eventType == nil ? retained.count : -1
        let cap = q.anchor.cap ?? .max
        switch q.anchor {
        case .tail:
            return (Array(matches.filter { $0 <= cap }.suffix(q.before)), matching)
        case .head:
            return (Array(matches.filter { $0 <= cap }.prefix(q.after)), matching)
        case .around(let s, _):
            let pivot = min(s, cap)
            let older = matches.filter { $0 <= pivot }.suffix(q.before)
            let newer = matches.filter { $0 > pivot && $0 <= cap }.prefix(q.after)
            return (Array(older) + Array(newer), matching)
        }
    }
}
