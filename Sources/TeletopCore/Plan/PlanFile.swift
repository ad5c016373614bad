/// A plan as the plan file spells it (the format `TrackingPlan.load(json:)`
/// reads): what `teletop plan infer` writes, and what a user edits.
extension TrackingPlan {
    public var fileJSON: JSONValue {
        var types = JSONObject()
        for t in eventTypes {
            var fields = JSONObject()
            for f in t.fields {
                var spec: JSONObject = ["type": .string(f.type.rawValue), "required": .bool(f.required)]
                if f.maxLength != FieldSpec.defaultMaxLength && (f.type == .string || f.type == .timestamp) {
                    spec["max_length"] = .int(Int64(f.maxLength))
                }
                fields[f.name] = .object(spec)
            }
            var body: JSONObject = [:]
            if !t.description.isEmpty { body["description"] = .string(t.description) }
            body["additional_fields"] = .bool(t.allowAdditionalFields)
            body["fields"] = .object(fields)
            types[t.name] = .object(body)
        }
        return .object(["accept_unplanned": .bool(acceptUnplanned), "event_types": .object(types)])
    }

    /// The file's text: pretty JSON and a final newline.
    public var fileText: String { JSONWriter.pretty(fileJSON) + "\n" }
}

extension FieldSpec {
    public static let defaultMaxLength = 4096
}
