import TeletopCore

/// The "new event" form as a value: which type, one editor per payload field
/// (or one raw JSON editor), the problems found, and the last result.
public struct EventForm: Equatable, Sendable {
    public enum Stage: Equatable, Sendable {
        /// Picking the type: the plan's types, then "custom", then recent events.
        case chooseType(selected: Int)
        case edit
    }

    public struct Field: Equatable, Sendable {
        public var spec: FieldSpec
        public var editor: LineEditor
        /// The problem shown under the field, from the tracking plan.
        public var error: String?
    }

    /// What the logger answered the fired event: the form shows it as it is.
    public typealias Result = EventLogger.Outcome

    public var stage: Stage = .chooseType(selected: 0)
    public var eventType = ""
    /// A type the plan does not list: its name is typed, its payload is raw JSON.
    public var isCustom = false
    /// Raw JSON payload instead of one editor per field (Ctrl-R).
    public var raw = false
    public var typeEditor = LineEditor()
    public var rawEditor = LineEditor("{}")
    public var rawError: String?
    public var fields: [Field] = []
    /// Index of the focused row (see `rowCount`).
    public var focus = 0
    public var result: Result?
    /// Problems not tied to one field (the event type, say).
    public var generalErrors: [String] = []
    public var showCurl = false
    /// Columns the curl line is scrolled sideways (Shift-Left/Right).
    public var curlScroll = 0
    /// Typed into since it was opened or last submitted.
    public var changed = false

    public init() {}

    /// Rows that take the focus: the type name (custom only), then the raw
    /// editor or the fields.
    public var rowCount: Int { (isCustom ? 1 : 0) + (raw ? 1 : fields.count) }
    public var typeRow: Int? { isCustom ? 0 : nil }
    public var firstPayloadRow: Int { isCustom ? 1 : 0 }

    /// Opens the editor for `spec` (nil: a custom type), pre-filled from
    /// `remembered`; a timestamp field nothing was remembered for starts at `now`.
    public mutating func begin(_ spec: EventTypeSpec?, remembered: [String: String], now: Timestamp? = nil) {
        stage = .edit
        result = nil
        generalErrors = []
        rawError = nil
        focus = 0
        changed = false
        showCurl = false
        if let spec {
            eventType = spec.name
            isCustom = false
            raw = false
            fields = spec.fields.map { field in
                let start = remembered[field.name] ?? (field.type == .timestamp ? now?.iso8601 ?? "" : "")
                return Field(spec: field, editor: LineEditor(start), error: nil)
            }
        } else {
            eventType = ""
            isCustom = true
            raw = true
            typeEditor = LineEditor(remembered["event_type"] ?? "")
            rawEditor = LineEditor(remembered["payload"] ?? "{}")
            fields = []
        }
    }

    /// Fills the editor from an event fired before.
    public mutating func begin(from fired: FiredEvent, plan: TrackingPlan) {
        if let spec = plan.eventTypes.first(where: { $0.name == fired.eventType }) {
            begin(spec, remembered: [:])
            let extra = fired.payload.keys.contains { key in !spec.fields.contains { $0.name == key } }
            for i in fields.indices {
                if let value = fired.payload[fields[i].spec.name] { fields[i].editor = LineEditor(Self.text(of: value)) }
            }
            if extra { switchToRaw(payload: fired.payload) }
        } else {
            begin(nil, remembered: [:])
            typeEditor = LineEditor(fired.eventType)
            rawEditor = LineEditor(JSONWriter.compact(.object(fired.payload)))
        }
    }

    /// How a value is typed into a field: strings bare, everything else as JSON.
    static func text(of value: JSONValue) -> String {
        if case .string(let s) = value { return s }
        return JSONWriter.compact(value)
    }

    /// Ctrl-R: between one editor per field and the payload as raw JSON,
    /// carrying what was typed across.
    public mutating func toggleRaw() {
        guard !isCustom else { return }
        if raw {
            guard case .success(let object) = parseRaw() else { return }  // keep raw until it parses
            // Fields only if nothing would be lost or change type on the way.
            if let key = object.keys.first(where: { key in !fields.contains { $0.spec.name == key } }) {
                rawError = "stays raw JSON: \"\(key)\" is not a field of \(eventType)"
                return
            }
            for field in fields {
                if let value = object[field.spec.name], Self.value(Self.text(of: value), as: field.spec.type) != value {
                    rawError = "stays raw JSON: \(field.spec.name) would not keep its JSON type in a \(field.spec.type.rawValue) field"
                    return
                }
            }
            raw = false
            for i in fields.indices {
                fields[i].editor = LineEditor(object[fields[i].spec.name].map(Self.text(of:)) ?? "")
            }
            focus = 0
            rawError = nil
        } else {
            switchToRaw(payload: fieldsPayload())
            rawError = nil
        }
    }

    private mutating func switchToRaw(payload: JSONObject) {
        raw = true
        rawEditor = LineEditor(JSONWriter.compact(.object(payload)))
        focus = firstPayloadRow
    }

    /// The event type as it will be sent.
    public var typeName: String { isCustom ? typeEditor.text : eventType }

    /// The payload from the field editors. A value that does not read as its
    /// field's type is sent as the string typed, so the tracking plan reports
    /// it in its own words ("expected integer, got string \"one\""). `now` in
    /// a timestamp field is the time `now` given here.
    public func fieldsPayload(now: Timestamp? = nil) -> JSONObject {
        var payload = JSONObject()
        for field in fields where !field.editor.isEmpty {
            payload[field.spec.name] = Self.value(field.editor.text, as: field.spec.type, now: now)
        }
        return payload
    }

    static func value(_ text: String, as type: FieldType, now: Timestamp? = nil) -> JSONValue {
        switch type {
        case .timestamp where text.lowercased() == "now" && now != nil:
            return .string(now!.iso8601)
        case .integer:
            if let i = Int64(text) { return .int(i) }
        case .number:
            if let i = Int64(text) { return .int(i) }
            if let d = Double(text), d.isFinite { return .double(d) }
        case .boolean:
            if text == "true" { return .bool(true) }
            if text == "false" { return .bool(false) }
        case .object, .array, .any:
            if let v = try? JSONParser.parse(Array(text.utf8)) { return v }
        case .string, .timestamp:
            break
        }
        return .string(text)
    }

    func parseRaw() -> Swift.Result<JSONObject, FormError> {
        let value: JSONValue
        do {
            value = try JSONParser.parse(Array(rawEditor.text.utf8))
        } catch {
            return .failure(FormError(message: "payload: \(error.description)"))
        }
        guard case .object(let object) = value else {
            return .failure(FormError(message: "payload: expected a JSON object, got \(Describe.value(value))"))
        }
        return .success(object)
    }

    /// The payload to send, or why there is none (raw JSON that does not parse).
    public func payload(now: Timestamp? = nil) -> Swift.Result<JSONObject, FormError> {
        raw ? parseRaw() : .success(fieldsPayload(now: now))
    }

    /// Puts each problem under its field; the rest go to `generalErrors`.
    /// `only`: mark just this field (leaving it), keep the others as they are.
    public mutating func show(_ issues: [ValidationIssue], only: String? = nil) {
        var byField: [String: String] = [:]
        var general: [String] = []
        for issue in issues {
            let name = issue.field.hasPrefix("payload.") ? String(issue.field.dropFirst("payload.".count)) : nil
            if !raw, let name, fields.contains(where: { $0.spec.name == name }) {
                byField[name] = byField[name].map { $0 + "; " + issue.message } ?? issue.message
            } else {
                general.append(issue.message)
            }
        }
        for i in fields.indices where only == nil || fields[i].spec.name == only {
            fields[i].error = byField[fields[i].spec.name]
        }
        if only == nil { generalErrors = general }
    }

    /// `curl` for the same event against the contract's endpoint.
    /// `withToken`: the API wants a bearer token; the line reads it from
    /// $TELETOP_TOKEN rather than printing the secret on the screen.
    public func curl(baseURL: String, withToken: Bool = false, now: Timestamp? = nil) -> String? {
        guard case .success(let payload) = payload(now: now) else { return nil }
        let body = JSONWriter.compact(.object(["event_type": .string(typeName), "payload": .object(payload)]))
        // Single quotes for the shell; a quote inside becomes '\''.
        let quoted = "'" + body.split(separator: "'", omittingEmptySubsequences: false).joined(separator: #"'\''"#) + "'"
        let auth = withToken ? #" -H "Authorization: Bearer $TELETOP_TOKEN""# : ""
        return "curl -sS -X POST \(baseURL)/api/telemetry/log -H 'Content-Type: application/json'\(auth) -d \(quoted)"
    }
}

public struct FormError: Error, Equatable, Sendable {
    public var message: String
}

/// An event fired from the form, kept for `r` and the history.
public struct FiredEvent: Equatable, Sendable {
    public var eventType: String
    public var payload: JSONObject
    public var accepted: Bool

    public init(eventType: String, payload: JSONObject, accepted: Bool) {
        self.eventType = eventType
        self.payload = payload
        self.accepted = accepted
    }
}
