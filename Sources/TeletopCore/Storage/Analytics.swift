import Synchronization

/// A query's way out: cancelled when its client leaves, stopped when its time
/// runs out. The store checks it while the query runs, not only before.
public final class QueryCancellation: Sendable, Equatable {
    private let cancelled = Atomic<Bool>(false)
    public let deadline: ContinuousClock.Instant

    public init(timeLimit: Duration) {
        deadline = .now + timeLimit
    }

    public func cancel() { cancelled.store(true, ordering: .relaxed) }
    public var isCancelled: Bool { cancelled.load(ordering: .relaxed) }
    public var timedOut: Bool { ContinuousClock.now >= deadline }
    public var shouldStop: Bool { isCancelled || timedOut }

    public static func == (a: QueryCancellation, b: QueryCancellation) -> Bool { a === b }
}

/// Aggregates over stored history: the dashboard's analytics view and
/// `GET /api/telemetry/top` ask the same questions of the same source.
public protocol AnalyticsSource: Sendable {
    /// The most frequent values of a payload field, most frequent first.
    /// `eventType` nil: every type. `window` nil: all stored history.
    func top(_ query: TopQuery) throws -> TopResult
    /// Events per minute for the `minutes` minutes before `now`, oldest first
    /// (a minute with no events is 0).
    func perMinute(minutes: Int, now: Timestamp) throws -> [Int]
    /// Events per bucket over a window, oldest first, every bucket present
    /// (0 when empty). `eventType` nil: every type.
    func series(_ query: SeriesQuery) throws -> [SeriesPoint]
    /// The stored events holding one value of an indexed field (`TimelineKey`).
    func timeline(_ query: TimelineQuery) throws -> TimelineResult
    /// The shared store's identity when several collectors write one database:
    /// collectors naming the same fleet answer for the same history, so a view
    /// over several of them counts it once. nil: a store of this process alone.
    var fleet: String? { get }
}

extension AnalyticsSource {
    /// A source with no events of its own to look up (attached: the collectors' aggregates).
    public func timeline(_ query: TimelineQuery) throws -> TimelineResult { TimelineResult(indexed: false) }
    public var fleet: String? { nil }
}

/// The bucket sizes the aggregates keep: minutes for the last day, hours and
/// days for as long as aggregates are retained.
public enum SeriesBucket: String, Sendable, CaseIterable {
    case minute, hour, day
}

public struct SeriesQuery: Sendable, Equatable {
    public var eventType: String?
    public var bucket: SeriesBucket
    public var window: AnalyticsWindow
    public var now: Timestamp

    public init(eventType: String?, bucket: SeriesBucket, window: AnalyticsWindow, now: Timestamp) {
        self.eventType = eventType
        self.bucket = bucket
        self.window = window
        self.now = now
    }
}

public struct SeriesPoint: Sendable, Equatable {
    /// The bucket's first minute.
    public var start: Timestamp
    public var count: Int

    public init(start: Timestamp, count: Int) {
        self.start = start
        self.count = count
    }
}

public struct TopQuery: Sendable, Equatable {
    public var eventType: String?
    public var field: String
    public var windowSeconds: Int?
    public var limit: Int
    /// Where the window ends (the clock's now).
    public var now: Timestamp
    /// Lets the asker stop the query part way (its client left, its time ran out).
    public var cancellation: QueryCancellation?

    public init(eventType: String?, field: String, windowSeconds: Int?, limit: Int = 10, now: Timestamp,
                cancellation: QueryCancellation? = nil) {
        self.eventType = eventType
        self.field = field
        self.windowSeconds = windowSeconds
        self.limit = limit
        self.now = now
        self.cancellation = cancellation
    }

    /// A payload field name as the store can look it up: letters, digits, `_`, `-`.
    /// Returns the problem, or nil when the name is fine.
    public static func problem(withField field: String) -> String? {
        if field.isEmpty { return "field must not be empty" }
        if field.utf8.count > 64 { return "field must be at most 64 bytes, got \(field.utf8.count)" }
        let allowed = field.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == "-") }
        return allowed ? nil : "field may hold only letters, digits, _ and -, got \(Describe.string(field))"
    }
}

public struct TopValue: Sendable, Equatable {
    /// The value as compact JSON (`"ch-3"`, `4`, `true`).
    public var value: String
    public var count: Int

    public init(value: String, count: Int) {
        self.value = value
        self.count = count
    }
}

public struct TopResult: Sendable, Equatable {
    public var values: [TopValue]
    /// Events of the type in the window, with or without the field.
    public var total: Int
    /// Of those, how many had the field.
    public var withField: Int
    /// Of those, how many had a value the aggregates did not keep as its own
    /// (beyond the bucket's distinct values, too long, an object or array):
    /// while it is above 0 the counts are lower bounds and the order may differ.
    public var other: Int

    public init(values: [TopValue], total: Int, withField: Int, other: Int = 0) {
        self.values = values
        self.total = total
        self.withField = withField
        self.other = other
    }

    /// Merged from several collectors' own top-N lists, at least one cut at the
    /// limit: a value below one collector's cut may belong in the sum's.
    public var partial = false

    public var approximate: Bool { other > 0 || partial }

    public var jsonValues: JSONValue {
        .array(values.map { .object(["value": .string($0.value), "count": .int(Int64($0.count))]) })
    }
}

/// The windows the analytics view and the API offer by name.
public enum AnalyticsWindow: String, Sendable, CaseIterable {
    case fiveMinutes = "5m", hour = "1h", day = "24h", week = "7d", month = "30d", all

    public var seconds: Int? {
        switch self {
        case .fiveMinutes: 300
        case .hour: 3600
        case .day: 86_400
        case .week: 604_800
        case .month: 2_592_000
        case .all: nil
        }
    }

    public var next: AnalyticsWindow {
        let all = Self.allCases
        return all[(all.firstIndex(of: self)! + 1) % all.count]
    }
}
