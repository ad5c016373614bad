/// PostHog's capture API (`/batch/`, `/capture/`, `/e/`, `/i/v0/e/`) onto the contract.
///
/// | PostHog        | contract                                                   |
/// |----------------|------------------------------------------------------------|
/// | `event`        | event type by `SDKEventName` (`$pageview` → `pageview`)    |
/// | `properties`   | the payload's fields (`$lib`, `$current_url`, ... included)|
/// | everything else (`event`, `distinct_id`, `uuid`, `timestamp`, `type`, ...) | `_sdk` |
///
/// A body is one event, `{"batch": [...]}`, or a bare array of events. The
/// project key (`api_key`, or `token`, at the top or in an event) is
/// authentication, not data: it is never stored.
public enum PostHogMapping {
    public struct Request: Sendable {
        public var apiKey: String?
        public var events: [Result<SDKEvent, IngestError>]
    }

    public static func map(_ body: JSONValue) -> Result<Request, IngestError> {
        var apiKey: String?
        var inherited = JSONObject()
        let items: [JSONValue]
        let prefix: String
        switch body {
        case .array(let a):
            items = a
            prefix = "body"
        case .object(let root):
            apiKey = root["api_key"]?.stringValue ?? root["token"]?.stringValue
            if let sent = root["sent_at"] { inherited["sent_at"] = sent }
            if let b = root["batch"] {
                guard case .array(let a) = b else {
                    return .failure(IngestError(eventType: nil, issues: [ValidationIssue(
                        field: "batch", problem: .wrongType, expected: "an array of events", got: Describe.value(b))]))
                }
                items = a
                prefix = "batch"
            } else {
                items = [body]
                prefix = ""
            }
        default:
            return .failure(IngestError(eventType: nil, issues: [ValidationIssue(
                field: "body", problem: .wrongType, expected: "an event object, {\"batch\": [...]}, or an array of events",
                got: Describe.value(body))]))
        }
        var events: [Result<SDKEvent, IngestError>] = []
        events.reserveCapacity(items.count)
        for (i, value) in items.enumerated() {
            let path = prefix.isEmpty ? "" : "\(prefix)[\(i)]."
            guard case .object(let o) = value else {
                events.append(.failure(IngestError(eventType: nil, issues: [ValidationIssue(
                    field: prefix.isEmpty ? "body" : "\(prefix)[\(i)]", problem: .wrongType, expected: "object", got: Describe.value(value))])))
                continue
            }
            if apiKey == nil { apiKey = o["api_key"]?.stringValue ?? o["properties"]?["token"]?.stringValue }
            events.append(item(o, at: path, inherited: inherited))
        }
        return .success(Request(apiKey: apiKey, events: events))
    }

    static func item(_ o: JSONObject, at path: String, inherited: JSONObject) -> Result<SDKEvent, IngestError> {
        func fail(_ field: String, _ problem: ValidationIssue.Problem, _ expected: String, _ got: JSONValue?) -> Result<SDKEvent, IngestError> {
            .failure(IngestError(eventType: nil, issues: [ValidationIssue(
                field: path + field, problem: problem, expected: expected, got: got.map(Describe.value) ?? "nothing")]))
        }
        guard case .string(let name)? = o["event"], !name.isEmpty else {
            return fail("event", o["event"] == nil ? .missing : .wrongType, "the event's name, a non-empty string", o["event"])
        }
        let distinct = o["distinct_id"] ?? o["properties"]?["distinct_id"] ?? o["$distinct_id"]
        switch distinct {
        case .string(let s)? where !s.isEmpty: break
        case .int?: break
        default: return fail("distinct_id", distinct == nil ? .missing : .wrongType, "the person's distinct_id, a non-empty string", distinct)
        }
        var fields = JSONObject()
        if let p = o["properties"], p != .null {
            guard case .object(let f) = p else { return fail("properties", .wrongType, "object", p) }
            fields = f
        }
        var meta = JSONObject()
        meta["protocol"] = .string(SDKProtocol.posthog.rawValue)
        for member in o.members where member.key != "properties" && member.key != "api_key" {
            meta.members.append(member)
        }
        for member in inherited.members where meta[member.key] == nil { meta.members.append(member) }
        meta["fields_from"] = .string("properties")
        let stamp = SDKEvent.clientStamp(iso: o["timestamp"])
        let key = o["uuid"]?.stringValue.map { "posthog:" + $0 }
        return .success(SDKEvent(eventType: SDKEventName.eventType(for: name), fields: fields, metadata: meta,
                                 clientTimestamp: stamp, dedupeKey: key))
    }
}
