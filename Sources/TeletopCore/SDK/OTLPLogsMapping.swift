/// OpenTelemetry log records (OTLP/HTTP `POST /v1/logs`) onto the contract.
///
/// | OTLP                                     | contract                                   |
/// |------------------------------------------|--------------------------------------------|
/// | attribute `event.name`, else the record's `eventName`, else `otel_log` | event type by `SDKEventName` |
/// | the record's `attributes`                | the payload's fields (values as plain JSON: kvlist → object, bytes → base64) |
/// | `timeUnixNano` (else `observedTimeUnixNano`) | the client timestamp                   |
/// | `body`, `severityNumber`, `severityText`, `traceId`, `spanId`, `flags`, times, `eventName` | `_sdk` |
/// | the resource's attributes (`service.name`, ...) | `_sdk.resource`                     |
/// | the scope's `name` and `version`         | `_sdk.scope`                               |
///
/// OTLP gives a record no id: a retry is recognised by a hash of the record
/// with its resource and scope (the same time, body, attributes and ids twice).
public enum OTLPLogsMapping {
    public static let fallbackEventType = "otel_log"

    public static func map(_ request: JSONValue) -> Result<[Result<SDKEvent, IngestError>], IngestError> {
        guard case .object(let root) = request else {
            return .failure(IngestError(eventType: nil, issues: [ValidationIssue(
                field: "body", problem: .wrongType, expected: "an ExportLogsServiceRequest object", got: Describe.value(request))]))
        }
        guard let resourceLogs = root["resourceLogs"] ?? root["resource_logs"] else { return .success([]) }
        guard case .array(let resources) = resourceLogs else {
            return .failure(IngestError(eventType: nil, issues: [ValidationIssue(
                field: "resourceLogs", problem: .wrongType, expected: "array", got: Describe.value(resourceLogs))]))
        }
        var events: [Result<SDKEvent, IngestError>] = []
        for (i, r) in resources.enumerated() {
            let resource = r["resource"]
            let resourceAttributes = attributesObject(resource?["attributes"])
            guard case .array(let scopes)? = r["scopeLogs"] ?? r["scope_logs"] else { continue }
            for (j, s) in scopes.enumerated() {
                var scope = JSONObject()
                if let name = s["scope"]?["name"] { scope["name"] = name }
                if let version = s["scope"]?["version"] { scope["version"] = version }
                if let attrs = s["scope"]?["attributes"] { scope["attributes"] = .object(attributesObject(attrs)) }
                guard case .array(let records)? = s["logRecords"] ?? s["log_records"] else { continue }
                for (k, record) in records.enumerated() {
                    let path = "resourceLogs[\(i)].scopeLogs[\(j)].logRecords[\(k)]"
                    events.append(event(record, path: path, resource: resourceAttributes, scope: scope))
                }
            }
        }
        return .success(events)
    }

    static func event(_ value: JSONValue, path: String, resource: JSONObject, scope: JSONObject) -> Result<SDKEvent, IngestError> {
        guard case .object(let record) = value else {
            return .failure(IngestError(eventType: nil, issues: [ValidationIssue(
                field: path, problem: .wrongType, expected: "a LogRecord object", got: Describe.value(value))]))
        }
        let attributes = attributesObject(record["attributes"])
        let name = attributes["event.name"]?.stringValue ?? record["eventName"]?.stringValue
        let eventType = name.map(SDKEventName.eventType(for:)) ?? fallbackEventType
        var meta = JSONObject()
        meta["protocol"] = .string(SDKProtocol.otlp.rawValue)
        for key in ["timeUnixNano", "observedTimeUnixNano", "severityNumber", "severityText", "eventName",
                    "traceId", "spanId", "flags", "droppedAttributesCount"] {
            if let v = record[key] { meta[key] = v }
        }
        if let body = record["body"] { meta["body"] = plain(body, depth: 0) }
        meta["resource"] = .object(resource)
        if !scope.isEmpty { meta["scope"] = .object(scope) }
        meta["fields_from"] = .string("attributes")
        let nanos = nanoseconds(record["timeUnixNano"]).flatMap { $0 > 0 ? $0 : nil } ?? nanoseconds(record["observedTimeUnixNano"])
        let stamp = SDKEvent.clientStamp(nanos.map { Timestamp(millisecondsSinceEpoch: Int64($0 / 1_000_000)) })
        let key = "otlp:" + String(Fingerprint.of(JSONWriter.compactBytes(.object(["r": .object(resource), "s": .object(scope), "l": value]))), radix: 16)
        return .success(SDKEvent(eventType: eventType, fields: attributes, metadata: meta, clientTimestamp: stamp, dedupeKey: key))
    }

    /// A KeyValue list as one object, each AnyValue as plain JSON.
    static func attributesObject(_ value: JSONValue?) -> JSONObject {
        guard case .array(let list)? = value else { return [:] }
        var out = JSONObject()
        for kv in list {
            guard let key = kv["key"]?.stringValue else { continue }
            out[key] = kv["value"].map { plain($0, depth: 0) } ?? .null
        }
        return out
    }

    /// An OTLP AnyValue (`{"stringValue": "x"}`, ...) as the JSON value it holds.
    static func plain(_ any: JSONValue, depth: Int) -> JSONValue {
        guard depth < OTLPProtobuf.maxDepth, case .object(let o) = any, let member = o.members.first else { return .null }
        switch (member.key, member.value) {
        case ("stringValue", let v), ("boolValue", let v), ("doubleValue", let v), ("bytesValue", let v): return v
        case ("intValue", .string(let s)): return Int64(s).map(JSONValue.int) ?? .string(s)
        case ("intValue", let v): return v
        case ("arrayValue", let a):
            guard case .array(let values)? = a["values"] else { return .array([]) }
            return .array(values.map { plain($0, depth: depth + 1) })
        case ("kvlistValue", let l):
            var out = JSONObject()
            if case .array(let values)? = l["values"] {
                for kv in values {
                    if let key = kv["key"]?.stringValue { out[key] = kv["value"].map { plain($0, depth: depth + 1) } ?? .null }
                }
            }
            return .object(out)
        default: return .null
        }
    }

    /// OTLP JSON writes 64-bit integers as strings; some encoders write numbers.
    static func nanoseconds(_ value: JSONValue?) -> UInt64? {
        switch value {
        case .string(let s)?: UInt64(s)
        case .int(let i)? where i >= 0: UInt64(i)
        case .double(let d)? where d >= 0 && d < 1.8e19: UInt64(d)
        default: nil
        }
    }
}
