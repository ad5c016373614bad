import TeletopCore

/// What the analytics view shows: answers to fixed questions about stored
/// history, worked out off the UI thread (see `AnalyticsLoader`) and kept in
/// the state as plain values, so rendering stays pure.
public struct AnalyticsReport: Equatable, Sendable {
    public struct Question: Equatable, Sendable {
        public var title: String
        public var eventType: String?
        public var field: String
    }

    public struct Panel: Equatable, Sendable {
        public var question: Question
        public var result: TopResult
    }

    public static let questions: [Question] = [
        Question(title: "Top chapters", eventType: "ai_block_used", field: "chapter_id"),
        Question(title: "Top sections", eventType: "ai_block_used", field: "section_id"),
        Question(title: "Top block types", eventType: "ai_block_used", field: "block_type"),
        Question(title: "Top error types", eventType: "error_event", field: "error_type"),
        Question(title: "Busiest users", eventType: nil, field: "user_id"),
    ]

    public static let chartMinutes = 60

    public var window: AnalyticsWindow
    public var panels: [Panel]
    /// Events per minute for the last hour, oldest first.
    public var perMinute: [Int]
    public var computedAt: Timestamp
    public var elapsedMillis: Double
    /// Why there is nothing to show (no store, or it failed).
    public var error: String?

    public init(window: AnalyticsWindow, panels: [Panel], perMinute: [Int], computedAt: Timestamp, elapsedMillis: Double = 0,
                error: String? = nil) {
        self.window = window
        self.panels = panels
        self.perMinute = perMinute
        self.computedAt = computedAt
        self.elapsedMillis = elapsedMillis
        self.error = error
    }

    /// Asks `source` every question; a failure becomes the report's error, never a crash.
    public static func load(from source: (any AnalyticsSource)?, window: AnalyticsWindow, now: Timestamp, limit: Int = 10) -> AnalyticsReport {
        guard let source else {
            return AnalyticsReport(window: window, panels: [], perMinute: [], computedAt: now,
                                   error: "No store in this run (--in-memory, or a replay without --db): there is no history to aggregate.")
        }
        let started = monotonicNanos()
        do {
            let panels = try questions.map { q in
                Panel(question: q, result: try source.top(TopQuery(eventType: q.eventType, field: q.field, windowSeconds: window.seconds,
                                                                   limit: limit, now: now)))
            }
            let perMinute = try source.perMinute(minutes: chartMinutes, now: now)
            return AnalyticsReport(window: window, panels: panels, perMinute: perMinute, computedAt: now,
                                   elapsedMillis: Double(monotonicNanos() - started) / 1e6)
        } catch {
            return AnalyticsReport(window: window, panels: [], perMinute: [], computedAt: now, error: "The store could not answer: \(error)")
        }
    }

    /// A value as a bar's label: a string bare; a number or boolean with its
    /// field's name (`chapter_id=3`), so a list of ids does not read as ranks.
    public static func label(_ json: String, field: String) -> String {
        if case .string(let s)? = try? JSONParser.parse(Array(json.utf8)) { return s }
        return "\(field)=\(json)"
    }
}
