import TeletopCore

/// Which events the feed shows.
public struct FeedFilter: Equatable, Sendable {
    public var eventType: String?
    /// The `/` filter, parsed once when it was applied: a query, or plain text
    /// matched against the line as shown.
    public var query: EventQuery
    /// An attached dashboard narrowed to one collector: only its events.
    public var origin: UInt8?

    public init(eventType: String? = nil, query: EventQuery = .all, origin: UInt8? = nil) {
        self.eventType = eventType
        self.query = query
        self.origin = origin
    }

    /// From a text, as the filter line applies it (one that does not read as a query is plain text).
    public init(eventType: String? = nil, text: String, origin: UInt8? = nil) {
        self.init(eventType: eventType, query: (try? EventQuery.parse(text)) ?? .plainText(text), origin: origin)
    }

    public var text: String { query.text }

    public var isEmpty: Bool { eventType == nil && text.isEmpty && origin == nil }
}

/// Where the feed's window sits.
public enum FeedAnchor: Equatable, Sendable {
    /// The newest events, at or below `upTo` when the feed is paused.
    case tail(upTo: UInt64?)
    /// The oldest retained events.
    case head
    /// Events around one sequence number, capped at `upTo` when paused.
    case around(UInt64, upTo: UInt64?)
}

public struct FeedQuery: Equatable, Sendable {
    public var anchor: FeedAnchor
    /// How many matching events to load at or before the anchor, and after it.
    public var before: Int
    public var after: Int
    public var filter: FeedFilter
}

/// The loaded part of the feed: matching events, oldest first.
public struct FeedPage: Equatable, Sendable {
    public var events: [LoggedEvent]
    /// How many retained events match the filter (all retained when unfiltered).
    public var matching: Int

    public init(events: [LoggedEvent] = [], matching: Int = 0) {
        self.events = events
        self.matching = matching
    }
}

/// Answers feed queries from the logger's ring. With a text filter it keeps
/// an index of matching sequence numbers, extended with new events only, so a
/// filtered feed over a full ring costs a scan once per filter change rather
/// than once per frame.
public final class FeedSource {
    let logger: EventLogger
    private var indexedFilter: FeedFilter?
    private var matches: [UInt64] = []
    private var matchHead = 0
    private var scannedUpTo: UInt64 = 0

    public init(logger: EventLogger) {
        self.logger = logger
    }

    public func page(for query: FeedQuery) -> FeedPage {
        let range = logger.sequenceRange
        if query.filter.text.isEmpty && query.filter.origin == nil {
            return unindexedPage(query, range: range)
        }
        syncIndex(query.filter, range: range)
        let live = matches[matchHead...]
        let cap = query.anchor.cap ?? UInt64.max
        let sequences: ArraySlice<UInt64>
        switch query.anchor {
        case .tail:
            let end = upperIndex(live, cap)
            sequences = live[max(live.startIndex, end - query.before)..<end]
        case .head:
            let end = min(live.endIndex, upperIndex(live, cap), live.startIndex + query.after)
            sequences = live[live.startIndex..<end]
        case .around(let s, _):
            let pivot = upperIndex(live, min(s, cap))
            let end = min(upperIndex(live, cap), pivot + query.after)
            sequences = live[max(live.startIndex, pivot - query.before)..<max(pivot, end)]
        }
        return FeedPage(events: logger.events(withSequences: Array(sequences)), matching: live.count)
    }

    /// Index of the first element greater than `value` (sorted input).
    private func upperIndex(_ a: ArraySlice<UInt64>, _ value: UInt64) -> Int {
        var lo = a.startIndex, hi = a.endIndex
        while lo < hi {
            let mid = (lo + hi) / 2
            if a[mid] <= value { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    private func unindexedPage(_ query: FeedQuery, range: (oldest: UInt64, newest: UInt64)) -> FeedPage {
        let type = query.filter.eventType
        let events: [LoggedEvent]
        switch query.anchor {
        case .tail(let upTo):
            events = logger.events(upTo: upTo, limit: query.before, eventType: type)
        case .head:
            events = logger.events(after: 0, limit: query.after, eventType: type).filter { $0.sequence <= (query.anchor.cap ?? .max) }
        case .around(let s, let upTo):
            let pivot = min(s, upTo ?? .max)
            let older = logger.events(upTo: pivot, limit: query.before, eventType: type)
            let newer = logger.events(after: pivot, limit: query.after, eventType: type).filter { $0.sequence <= (upTo ?? .max) }
            events = older + newer
        }
        let retained = range.newest == 0 ? 0 : Int(range.newest - range.oldest + 1)
        return FeedPage(events: events, matching: type == nil ? retained : -1)
    }

    private func syncIndex(_ filter: FeedFilter, range: (oldest: UInt64, newest: UInt64)) {
        if indexedFilter != filter {
            indexedFilter = filter
            matches.removeAll(keepingCapacity: true)
            matchHead = 0
            scannedUpTo = 0
        }
        // Forget matches that have left the ring.
        while matchHead < matches.count && matches[matchHead] < range.oldest { matchHead += 1 }
        if matchHead > 4096 && matchHead * 2 > matches.count {
            matches.removeFirst(matchHead)
            matchHead = 0
        }
        let query = filter.query
        while scannedUpTo < range.newest {
            let batch = logger.events(after: scannedUpTo, limit: 4096, eventType: filter.eventType)
            guard let last = batch.last else {
                scannedUpTo = range.newest
                break
            }
            for event in batch where (filter.origin == nil || event.origin == filter.origin) && query.matches(event) {
                matches.append(event.sequence)
            }
            scannedUpTo = last.sequence
        }
    }
}

extension FeedAnchor {
    var cap: UInt64? {
        switch self {
        case .tail(let upTo): upTo
        case .head: nil
        case .around(_, let upTo): upTo
        }
    }
}
