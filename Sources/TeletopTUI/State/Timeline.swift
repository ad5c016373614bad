import TeletopCore

/// One value's events through time (`T` on an event: every event with the
/// same `user_id`, or another field chosen with `f`), from the ring at once
/// and then from the store, oldest first.
public struct TimelineView: Equatable, Sendable {
    /// The event `T` was pressed on: its fields are the ones `f` steps through.
    public var anchor: LoggedEvent
    public var query: TimelineQuery
    /// Oldest first, the ring's and the store's together, each event once.
    public var rows: [TimelineRow] = []
    /// The ring's matches, and the store's answer (nil: not in yet, or no store).
    public private(set) var memory: [LoggedEvent] = []
    public private(set) var stored: TimelineResult?
    /// The highlighted row.
    public var selected = 0

    /// The field a timeline follows first: `user_id` when the event has one,
    /// else another indexed field, else its first scalar field.
    public static func defaultField(of event: LoggedEvent) -> String? {
        let fields = followableFields(of: event)
        return TimelineKey.indexedFields.first { fields.contains($0) } ?? fields.first
    }

    /// The payload's top-level strings, integers and booleans, in order.
    public static func followableFields(of event: LoggedEvent) -> [String] {
        event.payload.compactMap { m in
            switch m.value {
            case .string, .int, .bool: m.key
            default: nil
            }
        }
    }

    init?(anchor: LoggedEvent, field: String) {
        guard let value = anchor.payload[field] else { return nil }
        self.anchor = anchor
        query = TimelineQuery(field: field, value: value)
    }

    /// The ring's matches or the store's, merged (`TimelineResult.merge`).
    /// The highlight stays on the event it was on (at first, the anchor).
    mutating func adopt(_ part: TimelinePart) {
        let current = rows.isEmpty ? anchor.identity : rows[min(selected, rows.count - 1)].event.identity
        if let result = part.stored { stored = result } else { memory = part.events }
        rows = TimelineResult.merge(memory: memory, stored: stored?.events ?? []).map { TimelineRow(event: $0.event, fromStore: $0.fromStore) }
        selected = rows.firstIndex { $0.event.identity == current } ?? max(0, rows.count - 1)
    }
}

public struct TimelineRow: Equatable, Sendable {
    public var event: LoggedEvent
    /// Only the store had it (older than the ring holds).
    public var fromStore: Bool
}

/// What a `.loadTimeline` effect found: the ring's matches, or the store's answer.
public struct TimelinePart: Equatable, Sendable {
    public var query: TimelineQuery
    public var events: [LoggedEvent]
    public var stored: TimelineResult?

    public init(query: TimelineQuery, events: [LoggedEvent], stored: TimelineResult? = nil) {
        self.query = query
        self.events = events
        self.stored = stored
    }
}
