/// Turns raw bytes (an HTTP body, a JSON Lines line) into a call to
/// `EventLogger.log`, with the same structured errors for every source.
/// A line is an EventLogRequest `{"event_type", "payload"}` or a full
/// AnalyticsEvent. Its `timestamp` is the event's stamp for local recorded
/// input (files, pipes, replays); from an HTTP client it is only kept beside
/// teletop's own stamp (see `clientTimestampIssue`).
public enum EventIngest {
    public struct Decoded: Sendable, Equatable {
        public var eventType: String
        public var payload: JSONObject
        public var timestamp: Timestamp?
    }

    public static func decode(_ bytes: UnsafeBufferPointer<UInt8>, limits: JSONParserLimits = .default) -> Result<Decoded, IngestError> {
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
        var issues: [ValidationIssue] = []
        var eventType: String?
        switch body["event_type"] {
        case nil:
            issues.append(ValidationIssue(field: "event_type", problem: .missing, expected: "string", got: "nothing",
                                          message: "event_type: missing (required string)"))
        case .string(let s)?: eventType = s
        case let other?:
            issues.append(ValidationIssue(field: "event_type", problem: .wrongType, expected: "string", got: Describe.value(other)))
        }
        var payload: JSONObject?
        switch body["payload"] {
        case nil:
            issues.append(ValidationIssue(field: "payload", problem: .missing, expected: "object", got: "nothing",
                                          message: "payload: missing (required object)"))
        case .object(let o)?: payload = o
        case let other?:
            issues.append(ValidationIssue(field: "payload", problem: .wrongType, expected: "object", got: Describe.value(other)))
        }
        var timestamp: Timestamp?
        if let t = body["timestamp"] {
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
        return .success(Decoded(eventType: eventType, payload: payload, timestamp: timestamp))
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

    /// Decodes and logs one line or body; a failure to decode is counted as a rejection.
    @discardableResult
    public static func ingest(_ bytes: UnsafeBufferPointer<UInt8>, into logger: EventLogger, source: EventSource,
                              line: Int? = nil, limits: JSONParserLimits = .default) -> EventLogger.Outcome {
        switch decode(bytes, limits: limits) {
        case .failure(let error):
            logger.recordRejection(source: source, eventType: error.eventType, line: line, issues: error.issues)
            return .rejected(error.issues)
        case .success(let d):
            return logger.log(d.eventType, d.payload, source: source, timestamp: d.timestamp, line: line)
        }
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
