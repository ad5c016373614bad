/// Where an event came in. Recorded beside the event, never inside its JSON,
/// so the contract's AnalyticsEvent shape stays exactly as specified.
public enum EventSource: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case sim, form, http, stdin, file, replay
    /// The analytics SDKs' own wire protocols (Segment, PostHog, OTLP logs), on the HTTP server.
    case segment, posthog, otlp

    public var description: String {
        switch self {
        case .sim: "sim"
        case .form: "form"
        case .http: "http"
        case .stdin: "stdin"
        case .file: "file"
        case .replay: "replay"
        case .segment: "segment"
        case .posthog: "posthog"
        case .otlp: "otlp"
        }
    }
}

/// An accepted event as the logger keeps it and hands it on.
public struct LoggedEvent: Sendable, Equatable {
    /// Position in the logger's stream: 1, 2, 3, ... with no gaps.
    public let sequence: UInt64
    public let eventType: String
    public let timestamp: Timestamp
    public let source: EventSource
    /// Accepted although the tracking plan does not list its type.
    public let unplanned: Bool
    public let packedPayload: PackedPayload
    /// The time an HTTP client put in its request, kept beside teletop's own
    /// stamp (`timestamp`, which orders, windows and retains); nil when none was sent.
    public let clientTimestamp: Timestamp?
    /// Which collector an attached dashboard had it from (an index into its
    /// list of collectors); 0 for an event of this process.
    public let origin: UInt8

    public init(sequence: UInt64, eventType: String, timestamp: Timestamp, source: EventSource, unplanned: Bool,
                packedPayload: PackedPayload, clientTimestamp: Timestamp? = nil, origin: UInt8 = 0) {
        self.origin = origin
        self.sequence = sequence
        self.eventType = eventType
        self.timestamp = timestamp
        self.source = source
        self.unplanned = unplanned
        self.packedPayload = packedPayload
        self.clientTimestamp = clientTimestamp
    }

    public var payload: JSONObject { packedPayload.unpack() }

    /// The contract's AnalyticsEvent.
    public var analyticsEvent: AnalyticsEvent {
        AnalyticsEvent(eventType: eventType, payload: payload, timestamp: timestamp, clientTimestamp: clientTimestamp)
    }

    /// What one event costs a queue or the ring, in bytes: its packed payload
    /// plus the fixed part (the struct, the type name is shared), so byte
    /// bounds hold for small events as well as huge ones.
    @inline(__always)
    public var footprint: Int { packedPayload.count + Self.fixedFootprint }
    public static let fixedFootprint = 64

    /// Fills slots that no longer hold an event, so they pin no payload.
    static let placeholder = LoggedEvent(sequence: 0, eventType: "", timestamp: Timestamp(millisecondsSinceEpoch: 0),
                                         source: .sim, unplanned: false, packedPayload: .empty)
}

/// A refused event: kept in a short list so the health pane, the summary and
/// the log can say what was wrong and where (a stdin line number, say).
public struct Rejection: Sendable, Equatable {
    public let at: Timestamp
    public let source: EventSource
    /// The event type as sent, when there was one.
    public let eventType: String?
    /// For JSON Lines: the 1-based line number.
    public let line: Int?
    public let issues: [ValidationIssue]

    public init(at: Timestamp, source: EventSource, eventType: String?, line: Int?, issues: [ValidationIssue]) {
        self.at = at
        self.source = source
        self.eventType = eventType
        self.line = line
        self.issues = issues
    }

    public var summary: String {
        let place = line.map { "line \($0): " } ?? ""
        return place + issues.map(\.message).joined(separator: "; ")
    }
}
