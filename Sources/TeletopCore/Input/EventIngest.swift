/// Turns raw bytes (an HTTP body, a JSON Lines line) into a call to
/// `EventLogger.log`, with the same structured errors for every source.
/// A line is an EventLogRequest `{"event_type", "payload"}` or a full
/// AnalyticsEvent. Its `timestamp` is the event's stamp for local recorded
/// input (files, pipes, replays); from an HTTP client it is only kept beside
/// teletop's own stamp (see `clientTimestampIssue`).
public enum EventIngest {
    public struct Decoded: Sendable, Equatable {
        public var eventType: String
        public var packedPayload: PackedPayload
        public var timestamp: Timestamp?

        public init(eventType: String, packedPayload: PackedPayload, timestamp: Timestamp?) {
            self.eventType = eventType
            self.packedPayload = packedPayload
            self.timestamp = timestamp
        }

        public init(eventType: String, payload: JSONObject, timestamp: Timestamp?) {
            self.init(eventType: eventType, packedPayload: PackedPayload(payload), timestamp: timestamp)
        }

        public var payload: JSONObject { packedPayload.unpack() }
    }

    public static func decode(_ bytes: UnsafeBufferPointer<UInt8>, limits: JSONParserLimits = .default) -> Result<Decoded, IngestError> {
        // Most lines and bodies: the payload packed as it is read, with no values built for it.
        if let e = JSONParser.parseEnvelope(bytes, limits: limits) {
            return decode(eventType: e.eventType, payload: .packed(e.packed), timestamp: e.timestamp, stamp: e.stamp)
        }
        // Anything else (invalid, not an object, a payload that is not one) is read
        // again by the parser, which words what is wrong and where.
        let value: JSONValue
        do throws(JSONParseError) {
            value = try JSONParser.parse(bytes, limits: limits)
        } catch {
            let problem: ValidationIssue.Problem = bytes.count > limits.maxBytes ? .tooLarge : .malformedJSON
            return .failure(IngestError(eventType: nil, issues: [ValidationIssue(
                field: "body", problem: problem, expected: "a JSON object", got: "invalid JSON at byte \(error.offset)",
                message: "body: \(error.description)")]))
        }
        return decode(value)
    }

    public static func decode(_ bytes: [UInt8], limits: JSONParserLimits = .default) -> Result<Decoded, IngestError> {
        bytes.withUnsafeBufferPointer { decode($0, limits: limits) }
    }

    public static func decode(_ value: JSONValue) -> Result<Decoded, IngestError> {
        guard case .object(let body) = value else {
            return .failure(IngestError(eventType: nil, issues: [ValidationIssue(
                field: "body", problem: .wrongType, expected: "object", got: Describe.value(value))]))
        }
        return decode(eventType: body["event_type"], payload: body["payload"].map { .value($0) }, timestamp: body["timestamp"], stamp: nil)
    }

    /// Where a body's `payload` is: already packed, or a parsed value still to check.
    enum PayloadMember {
        case packed(PackedPayload)
        case value(JSONValue)
    }

    /// The envelope's three members, as found (nil: absent); `stamp` is a
    /// timestamp the packer already read from its bytes.
    static func decode(eventType typeMember: JSONValue?, payload member: PayloadMember?, timestamp timeMember: JSONValue?,
                       stamp: Timestamp?) -> Result<Decoded, IngestError> {
        var issues: [ValidationIssue] = []
        var eventType: String?
        switch typeMember {
        case nil:
            issues.append(ValidationIssue(field: "event_type", problem: .missing, expected: "string", got: "nothing",
                                          message: "event_type: missing (required string)"))
        case .string(let s)?: eventType = s
        case let other?:
            issues.append(ValidationIssue(field: "event_type", problem: .wrongType, expected: "string", got: Describe.value(other)))
        }
        var payload: PackedPayload?
        switch member {
        case nil:
            issues.append(ValidationIssue(field: "payload", problem: .missing, expected: "object", got: "nothing",
                                          message: "payload: missing (required object)"))
        case .packed(let p)?: payload = p
        case .value(.object(let o))?: payload = PackedPayload(o)
        case .value(let other)?:
            issues.append(ValidationIssue(field: "payload", problem: .wrongType, expected: "object", got: Describe.value(other)))
        }
        var timestamp = stamp
        if let t = timeMember {
            if case .string(let s) = t, let parsed = Timestamp(iso8601: s) {
                timestamp = parsed
            } else {
                issues.append(ValidationIssue(field: "timestamp", problem: .badTimestamp,
                                              expected: "ISO-8601 timestamp string", got: Describe.value(t)))
            }
        }
        guard issues.isEmpty, let eventType, let payload else {
            return .failure(IngestError(eventType: eventType, issues: issues))
        }
        return .success(Decoded(eventType: eventType, packedPayload: payload, timestamp: timestamp))
    }

    /// A client's timestamp must name a year from 2000 to 2099 (in its own
    /// offset): it is only kept beside teletop's stamp, so the bound is a
    /// sanity check that turns a client's bug (year 0000, 9999) into a clear
    /// 400, not a limit on clock skew. The instants allow any offset up to a day.
    public static let earliestClientTimestamp = Timestamp(year: 1999, month: 12, day: 31)
    public static let latestClientTimestamp = Timestamp(year: 2100, month: 1, day: 2)

    /// nil when an HTTP client's `timestamp` is within bounds; otherwise the issue to answer.
    public static func clientTimestampIssue(_ t: Timestamp) -> ValidationIssue? {
        guard t < earliestClientTimestamp || t >= latestClientTimestamp else { return nil }
        return ValidationIssue(field: "timestamp", problem: .badTimestamp,
                               expected: "a time in the years 2000 to 2099 (teletop stamps the event; this is kept beside as client_timestamp)",
                               got: t.iso8601)
    }

    /// What an item's `timestamp` means where it came from.
    public enum Stamp: Sendable {
        /// Recorded input (files, pipes, replays): the event's own time.
        case eventTime
        /// A live client (HTTP): teletop stamps the event; the client's time is
        /// kept beside it as `client_timestamp`, within `clientTimestampIssue`'s bounds.
        case client
    }

    /// An item that passed every check but has not been logged yet.
    public struct Vetted: Sendable {
        public var eventType: String
        public var payload: PackedPayload
        /// The event's time when `Stamp.eventTime` gave one (nil: teletop stamps it).
        public var timestamp: Timestamp?
        public var clientTimestamp: Timestamp?
    }

    /// The one road from a decoded item to the logger, for JSON Lines, replay
    /// and HTTP without a store: an item that cannot be an event is counted as
    /// a rejection here, and a valid one is logged (the plan's own rejections
    /// are counted by the logger).
    @discardableResult
    public static func admit(_ item: Result<Decoded, IngestError>, into logger: EventLogger, source: EventSource,
                             line: Int? = nil, stamp: Stamp) -> EventLogger.Outcome {
        switch prepare(item, into: logger, source: source, line: line, stamp: stamp) {
        case .failure(let error): return .rejected(error.issues)
        case .success(let v):
            return logger.log(v.eventType, v.payload, source: source, timestamp: v.timestamp, clientTimestamp: v.clientTimestamp, line: line)
        }
    }

    /// The same checks, the plan's included, for a writer that stores before it
    /// logs (HTTP with a store): a failure is counted as a rejection here; a
    /// vetted item is the caller's to store and then log with `stored: true`.
    public static func vet(_ item: Result<Decoded, IngestError>, into logger: EventLogger, source: EventSource,
                           line: Int? = nil, stamp: Stamp) -> Result<Vetted, IngestError> {
        let prepared = prepare(item, into: logger, source: source, line: line, stamp: stamp)
        guard case .success(let v) = prepared else { return prepared }
        let issues = logger.check(v.eventType, v.payload)
        guard issues.isEmpty else {
            logger.recordRejection(source: source, eventType: v.eventType, line: line, issues: issues)
            return .failure(IngestError(eventType: v.eventType, issues: issues))
        }
        return .success(v)
    }

    /// Decoding failures and a client's timestamp out of bounds, counted; the payload packed.
    private static func prepare(_ item: Result<Decoded, IngestError>, into logger: EventLogger, source: EventSource,
                                line: Int?, stamp: Stamp) -> Result<Vetted, IngestError> {
        let decoded: Decoded
        switch item {
        case .failure(let error):
            logger.recordRejection(source: source, eventType: error.eventType, line: line, issues: error.issues)
            return .failure(error)
        case .success(let d): decoded = d
        }
        switch stamp {
        case .eventTime:
            return .success(Vetted(eventType: decoded.eventType, payload: decoded.packedPayload, timestamp: decoded.timestamp))
        case .client:
            if let sent = decoded.timestamp, let issue = clientTimestampIssue(sent) {
                logger.recordRejection(source: source, eventType: decoded.eventType, line: line, issues: [issue])
                return .failure(IngestError(eventType: decoded.eventType, issues: [issue]))
            }
            return .success(Vetted(eventType: decoded.eventType, payload: decoded.packedPayload, clientTimestamp: decoded.timestamp))
        }
    }

    /// Decodes and logs one line or body of recorded input (its timestamp is the event's).
    @discardableResult
    public static func ingest(_ bytes: UnsafeBufferPointer<UInt8>, into logger: EventLogger, source: EventSource,
                              line: Int? = nil, limits: JSONParserLimits = .default) -> EventLogger.Outcome {
        admit(decode(bytes, limits: limits), into: logger, source: source, line: line, stamp: .eventTime)
    }
}

public struct IngestError: Error, Sendable, Equatable {
    public var eventType: String?
    public var issues: [ValidationIssue]

    public init(eventType: String?, issues: [ValidationIssue]) {
        self.eventType = eventType
        self.issues = issues
    }
}
