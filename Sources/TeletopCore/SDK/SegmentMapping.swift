/// Segment's HTTP Tracking API (RudderStack speaks the same) onto the contract.
///
/// | call       | event type                   | payload fields | kept in `_sdk`                |
/// |------------|------------------------------|----------------|-------------------------------|
/// | `track`    | `event` by `SDKEventName`    | `properties`   | every other member of the call |
/// | `page`     | `page`                       | `properties`   | (`name`, `category` included) |
/// | `screen`   | `screen`                     | `properties`   |                               |
/// | `identify` | `identify`                   | `traits`       |                               |
/// | `group`    | `group`                      | `traits`       | (`groupId` included)          |
/// | `alias`    | `alias`                      | none           | (`previousId` included)       |
///
/// A batch's own `context`, `integrations` and `sentAt` are given to each
/// call that lacks them, as Segment does. The write key is authentication,
/// not data: it is never stored.
public enum SegmentMapping {
    public static let calls = ["track", "identify", "page", "screen", "group", "alias"]

    public struct Request: Sendable {
        /// `writeKey` from the body (the batch's, else the first call's).
        public var writeKey: String?
        public var events: [Result<SDKEvent, IngestError>]
    }

    /// One call (`call` is its path: track, page, ...) or, with `call` nil, a `/v1/batch` body.
    public static func map(_ body: JSONValue, call: String?) -> Result<Request, IngestError> {
        guard case .object(let root) = body else {
            return .failure(IngestError(eventType: nil, issues: [ValidationIssue(
                field: "body", problem: .wrongType, expected: "a JSON object", got: Describe.value(body))]))
        }
        guard call == nil else {
            let event = item(root, call: call, at: "body", inherited: [:])
            return .success(Request(writeKey: root["writeKey"]?.stringValue, events: [event]))
        }
        guard case .array(let items)? = root["batch"] else {
            return .failure(IngestError(eventType: nil, issues: [ValidationIssue(
                field: "batch", problem: root["batch"] == nil ? .missing : .wrongType,
                expected: "an array of calls, each with a \"type\"", got: root["batch"].map(Describe.value) ?? "nothing")]))
        }
        var inherited = JSONObject()
        for key in ["context", "integrations", "sentAt"] { if let v = root[key] { inherited[key] = v } }
        var writeKey = root["writeKey"]?.stringValue
        var events: [Result<SDKEvent, IngestError>] = []
        events.reserveCapacity(items.count)
        for (i, value) in items.enumerated() {
            guard case .object(let o) = value else {
                events.append(.failure(IngestError(eventType: nil, issues: [ValidationIssue(
                    field: "batch[\(i)]", problem: .wrongType, expected: "object", got: Describe.value(value))])))
                continue
            }
            if writeKey == nil { writeKey = o["writeKey"]?.stringValue }
            events.append(item(o, call: nil, at: "batch[\(i)]", inherited: inherited))
        }
        return .success(Request(writeKey: writeKey, events: events))
    }

    static func item(_ o: JSONObject, call: String?, at path: String, inherited: JSONObject) -> Result<SDKEvent, IngestError> {
        func fail(_ field: String, _ problem: ValidationIssue.Problem, _ expected: String, _ got: String) -> Result<SDKEvent, IngestError> {
            .failure(IngestError(eventType: nil, issues: [ValidationIssue(field: "\(path).\(field)", problem: problem, expected: expected, got: got)]))
        }
        let type: String
        if let call {
            type = call
        } else {
            guard case .string(let t)? = o["type"] else {
                return fail("type", o["type"] == nil ? .missing : .wrongType, "one of " + calls.joined(separator: ", "),
                            o["type"].map(Describe.value) ?? "nothing")
            }
            guard calls.contains(t) else { return fail("type", .badName, "one of " + calls.joined(separator: ", "), Describe.string(t)) }
            type = t
        }
        let eventType: String
        switch type {
        case "track":
            guard case .string(let name)? = o["event"], !name.isEmpty else {
                return fail("event", o["event"] == nil ? .missing : .wrongType, "the event's name, a non-empty string",
                            o["event"].map(Describe.value) ?? "nothing")
            }
            eventType = SDKEventName.eventType(for: name)
        default:
            eventType = type
        }
        let hasUser = o["userId"].map { $0 != .null && $0 != .string("") } ?? false
        let hasAnonymous = o["anonymousId"].map { $0 != .null && $0 != .string("") } ?? false
        guard hasUser || hasAnonymous else {
            return fail("userId", .missing, "userId or anonymousId (Segment requires one)", "neither")
        }
        let fieldsKey: String? = switch type {
        case "identify", "group": "traits"
        case "alias": nil
        default: "properties"
        }
        var fields = JSONObject()
        if let fieldsKey, let value = o[fieldsKey], value != .null {
            guard case .object(let f) = value else { return fail(fieldsKey, .wrongType, "object", Describe.value(value)) }
            fields = f
        }
        var meta = JSONObject()
        meta["protocol"] = .string(SDKProtocol.segment.rawValue)
        if call != nil { meta["type"] = .string(type) }
        for member in o.members where member.key != fieldsKey && member.key != "writeKey" {
            meta.members.append(member)
        }
        for member in inherited.members where meta[member.key] == nil { meta.members.append(member) }
        meta["fields_from"] = .string(fieldsKey ?? "none")
        let stamp = SDKEvent.clientStamp(iso: o["timestamp"])
        let key = o["messageId"]?.stringValue.map { "segment:" + $0 }
        return .success(SDKEvent(eventType: eventType, fields: fields, metadata: meta, clientTimestamp: stamp, dedupeKey: key))
    }
}
