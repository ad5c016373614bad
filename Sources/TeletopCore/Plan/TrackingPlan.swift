/// What a payload field must hold. `timestamp` is a string that parses as ISO-8601.
public enum FieldType: String, Sendable, CaseIterable {
    case string, integer, number, boolean, object, array, timestamp, any

    func accepts(_ value: JSONValue) -> Bool {
        switch (self, value) {
        case (.any, _), (.string, .string), (.integer, .int), (.number, .int), (.number, .double),
             (.boolean, .bool), (.object, .object), (.array, .array):
            return true
        case (.timestamp, .string(let s)):
            return Timestamp(iso8601: s) != nil
        case (.integer, .double(let d)):
            return Self.isIntegral(d)
        default:
            return false
        }
    }

    /// 3.0 is an integer, as JSON Schema says (a Python client sends floats so);
    /// 3.5 and values past 64 bits are not. Both bounds are exclusive: an
    /// integer literal past 64 bits, read as a double, rounds to at least ±2^63.
    static func isIntegral(_ d: Double) -> Bool {
        d == d.rounded(.towardZero) && d > -9.223372036854775808e18 && d < 9.223372036854775808e18
    }

    /// Which packed tags this type accepts, as a bit set for the hot path.
    var allowedTags: UInt8 {
        func bit(_ t: PackedPayload.Tag) -> UInt8 { 1 << t.rawValue }
        switch self {
        case .any: return 0xFF
        case .string, .timestamp: return bit(.string)
        case .integer: return bit(.int) | bit(.double)  // a double only when integral: see accepts(tag:data:)
        case .number: return bit(.int) | bit(.double)
        case .boolean: return bit(.trueValue) | bit(.falseValue)
        case .object: return bit(.object)
        case .array: return bit(.array)
        }
    }

    /// The same rule on a packed value.
    func accepts(tag: PackedPayload.Tag, data: UnsafeBufferPointer<UInt8>) -> Bool {
        switch (self, tag) {
        case (.any, _), (.string, .string), (.integer, .int), (.number, .int), (.number, .double),
             (.boolean, .trueValue), (.boolean, .falseValue), (.object, .object), (.array, .array):
            return true
        case (.timestamp, .string):
            return Timestamp(iso8601Bytes: data) != nil
        case (.integer, .double):
            guard data.count == 8 else { return false }
            var bits: UInt64 = 0
            for i in 0..<8 { bits |= UInt64(data[i]) << (8 * UInt64(i)) }
            return Self.isIntegral(Double(bitPattern: bits))
        default:
            return false
        }
    }

    /// How the plan's type reads in an error message.
    var expectation: String {
        self == .timestamp ? "ISO-8601 timestamp string" : rawValue
    }
}

public struct FieldSpec: Sendable, Equatable {
    public var name: String
    public var type: FieldType
    public var required: Bool
    /// For string and timestamp fields, in characters (Unicode code points), as
    /// JSON Schema's `maxLength` counts them, so the published schema says exactly this.
    public var maxLength: Int

    public init(_ name: String, _ type: FieldType, required: Bool, maxLength: Int = 4096) {
        self.name = name
        self.type = type
        self.required = required
        self.maxLength = maxLength
    }
}

public struct EventTypeSpec: Sendable, Equatable {
    public var name: String
    public var description: String
    public var fields: [FieldSpec] { didSet { rules = FieldRules(fields, allowAdditionalFields: allowAdditionalFields) } }
    /// Payload members that the plan does not list are kept; set false to reject them.
    public var allowAdditionalFields: Bool { didSet { rules = FieldRules(fields, allowAdditionalFields: allowAdditionalFields) } }
    /// `fields` compiled for the hot path; kept in step by `fields`' didSet.
    private(set) var rules: FieldRules

    public init(name: String, description: String = "", fields: [FieldSpec], allowAdditionalFields: Bool = true) {
        self.name = name
        self.description = description
        self.fields = fields
        self.allowAdditionalFields = allowAdditionalFields
        rules = FieldRules(fields, allowAdditionalFields: allowAdditionalFields)
    }

    public static func == (a: EventTypeSpec, b: EventTypeSpec) -> Bool {
        a.name == b.name && a.description == b.description && a.fields == b.fields && a.allowAdditionalFields == b.allowAdditionalFields
    }
}

/// A type's fields as plain data: every name in one byte buffer and the rules
/// in a buffer of trivial structs, behind one class reference, so checking a
/// payload costs one reference count instead of several per field (which cost
/// more than the check itself on the hot path). Immutable after init.
final class FieldRules: @unchecked Sendable {
    struct Rule {
        var nameStart: Int
        var nameLength: Int
        /// Bit n set = a value with packed tag n has the right JSON type.
        var allowedTags: UInt8
        var isTimestamp: Bool
        /// An integer field: a double passes only when it is integral.
        var isInteger: Bool
        var required: Bool
        var maxLength: Int
    }

    let names: UnsafeMutablePointer<UInt8>
    let rules: UnsafeMutablePointer<Rule>
    let count: Int
    /// Bit i set = field i is required (fields past 64 always take the slow path).
    let requiredMask: UInt64
    let allowAdditionalFields: Bool

    init(_ fields: [FieldSpec], allowAdditionalFields: Bool) {
        self.allowAdditionalFields = allowAdditionalFields
        var mask: UInt64 = 0
        for (i, f) in fields.enumerated() where f.required && i < 64 { mask |= 1 << UInt64(i) }
        requiredMask = fields.count > 64 ? .max : mask
        var allNames: [UInt8] = []
        let list = fields.map { f in
            let start = allNames.count
            allNames.append(contentsOf: f.name.utf8)
            return Rule(nameStart: start, nameLength: allNames.count - start, allowedTags: f.type.allowedTags,
                        isTimestamp: f.type == .timestamp, isInteger: f.type == .integer, required: f.required, maxLength: f.maxLength)
        }
        count = list.count
        names = .allocate(capacity: max(1, allNames.count))
        names.initialize(from: allNames, count: allNames.count)
        rules = .allocate(capacity: max(1, list.count))
        rules.initialize(from: list, count: list.count)
    }

    deinit {
        names.deallocate()
        rules.deallocate()
    }

    /// The allocation-free verdict: true when the payload has every required
    /// field with the right type and nothing forbidden. Issues are worked out
    /// separately, only for payloads that fail.
    func accepts(_ payload: PackedPayload) -> Bool {
        guard count <= 64 else { return false }
        var seen: UInt64 = 0
        var ok = true
        // Payloads mostly list the plan's fields in its order, with others between
        // (a sequence number, an SDK's context): the field after the last one found comes next.
        var next = 0
        payload.forEachMember { member in
            guard ok else { return }
            let found = index(of: member.key, hint: next)
            guard let f = found else {
                // `_sdk` carries what an SDK sent besides its properties: never the plan's to check.
                if !allowAdditionalFields && !SDKMetadata.isKey(member.key) { ok = false }
                return
            }
            next = f + 1
            seen |= 1 << UInt64(f)
            if !Self.passes(member, rules[f]) { ok = false }
        }
        return ok && requiredMask & ~seen == 0
    }

    @inline(__always)
    static func passes(_ member: PackedPayload.MemberView, _ rule: Rule) -> Bool {
        guard rule.allowedTags & (1 << member.tag.rawValue) != 0 else { return false }
        if rule.isTimestamp && Timestamp(iso8601Bytes: member.data) == nil { return false }
        if rule.isInteger && member.tag == .double && !FieldType.integer.accepts(tag: .double, data: member.data) { return false }
        if member.tag == .string {
            let length = member.data.count
            if length == 0 && rule.required { return false }
            if length > rule.maxLength && characters(member.data) > rule.maxLength { return false }
        }
        return true
    }

    /// Code points in valid UTF-8: the bytes that do not continue a sequence.
    /// Only counted when the byte count is over a limit.
    static func characters(_ utf8: UnsafeBufferPointer<UInt8>) -> Int {
        var n = 0
        for b in utf8 where b & 0xC0 != 0x80 { n += 1 }
        return n
    }

    /// Index of the field named by `key`, trying `hint` first: payloads usually
    /// list fields in plan order.
    @inline(__always)
    func index(of key: UnsafeBufferPointer<UInt8>, hint: Int) -> Int? {
        @inline(__always) func matches(_ f: Int) -> Bool {
            let r = rules[f]
            guard r.nameLength == key.count else { return false }
            let n = names + r.nameStart
            for i in 0..<r.nameLength where n[i] != key[i] { return false }
            return true
        }
        if hint < count && matches(hint) { return hint }
        for f in 0..<count where matches(f) { return f }
        return nil
    }
}

/// The list of event types teletop accepts and what their payloads hold.
public struct TrackingPlan: Sendable, Equatable {
    public var eventTypes: [EventTypeSpec] { didSet { compiledRules = eventTypes.map(\.rules) } }
    /// When true an unplanned event type is accepted (and flagged) instead of rejected.
    public var acceptUnplanned: Bool
    /// Each type's compiled rules, in plan order, for the hot path.
    private(set) var compiledRules: [FieldRules]

    public init(eventTypes: [EventTypeSpec], acceptUnplanned: Bool = false) {
        self.eventTypes = eventTypes
        self.acceptUnplanned = acceptUnplanned
        compiledRules = eventTypes.map(\.rules)
    }

    public static func == (a: TrackingPlan, b: TrackingPlan) -> Bool {
        a.eventTypes == b.eventTypes && a.acceptUnplanned == b.acceptUnplanned
    }

    public var typeNames: [String] { eventTypes.map(\.name) }

    public func index(of eventType: String) -> Int? {
        eventTypes.firstIndex { $0.name == eventType }
    }

    /// The contract's three event types, as shared/notes/event-contract.md lists them.
    public static let contract = TrackingPlan(eventTypes: [
        EventTypeSpec(name: "ai_block_used", description: "An AI block in a chapter was used", fields: [
            FieldSpec("user_id", .string, required: true),
            FieldSpec("chapter_id", .integer, required: true),
            FieldSpec("section_id", .string, required: true),
            FieldSpec("block_type", .string, required: true),
            FieldSpec("query", .string, required: false),
        ]),
        EventTypeSpec(name: "chapter_visit", description: "A learner opened a chapter", fields: [
            FieldSpec("user_id", .string, required: true),
            FieldSpec("chapter_id", .integer, required: true),
            FieldSpec("timestamp", .timestamp, required: true),
        ]),
        EventTypeSpec(name: "error_event", description: "Something failed for a learner", fields: [
            FieldSpec("error_type", .string, required: true),
            FieldSpec("error_message", .string, required: true),
            FieldSpec("chapter_id", .integer, required: false),
            FieldSpec("section_id", .string, required: false),
        ]),
    ])
}

/// A plan file that could not be used: which part of it, and why.
public struct PlanError: Error, Equatable, Sendable, CustomStringConvertible {
    public var path: String
    public var message: String
    public var description: String { "\(path): \(message)" }
}

extension TrackingPlan {
    /// Reads the plan file format documented in the README:
    /// `{"accept_unplanned": false, "event_types": {"name": {"description": "...",
    ///   "additional_fields": true, "fields": {"f": {"type": "string", "required": true, "max_length": 100}}}}}`
    public static func load(json bytes: [UInt8]) throws(PlanError) -> TrackingPlan {
        let root: JSONValue
        do throws(JSONParseError) {
            root = try JSONParser.parse(bytes)
        } catch {
            throw PlanError(path: "plan", message: error.description)
        }
        guard case .object(let top) = root else {
            throw PlanError(path: "plan", message: "expected an object, got \(root.typeName)")
        }
        var acceptUnplanned = false
        if let v = top["accept_unplanned"] {
            guard case .bool(let b) = v else { throw PlanError(path: "plan.accept_unplanned", message: "expected boolean, got \(v.typeName)") }
            acceptUnplanned = b
        }
        guard let typesValue = top["event_types"] else {
            throw PlanError(path: "plan.event_types", message: "missing; expected an object of event type names")
        }
        guard case .object(let types) = typesValue, !types.isEmpty else {
            throw PlanError(path: "plan.event_types", message: "expected a non-empty object, got \(typesValue.typeName)")
        }
        var specs: [EventTypeSpec] = []
        for member in types {
            let path = "plan.event_types.\(member.key)"
            if let problem = EventTypeName.problem(member.key) {
                throw PlanError(path: path, message: problem)
            }
            guard case .object(let body) = member.value else {
                throw PlanError(path: path, message: "expected an object, got \(member.value.typeName)")
            }
            var spec = EventTypeSpec(name: member.key, fields: [])
            if let d = body["description"] {
                guard case .string(let s) = d else { throw PlanError(path: "\(path).description", message: "expected string, got \(d.typeName)") }
                spec.description = s
            }
            if let a = body["additional_fields"] {
                guard case .bool(let b) = a else { throw PlanError(path: "\(path).additional_fields", message: "expected boolean, got \(a.typeName)") }
                spec.allowAdditionalFields = b
            }
            if let f = body["fields"] {
                guard case .object(let fields) = f else { throw PlanError(path: "\(path).fields", message: "expected an object, got \(f.typeName)") }
                for field in fields {
                    spec.fields.append(try parseField(field, path: "\(path).fields.\(field.key)"))
                }
            }
            specs.append(spec)
        }
        return TrackingPlan(eventTypes: specs, acceptUnplanned: acceptUnplanned)
    }

    private static func parseField(_ member: JSONObject.Member, path: String) throws(PlanError) -> FieldSpec {
        guard case .object(let body) = member.value else {
            throw PlanError(path: path, message: "expected an object like {\"type\": \"string\", \"required\": true}, got \(member.value.typeName)")
        }
        guard let t = body["type"] else {
            throw PlanError(path: "\(path).type", message: "missing; expected one of \(FieldType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard case .string(let typeName) = t, let type = FieldType(rawValue: typeName) else {
            throw PlanError(path: "\(path).type",
                            message: "expected one of \(FieldType.allCases.map(\.rawValue).joined(separator: ", ")), got \(Describe.value(t))")
        }
        var required = false
        var maxLength = 4096
        if let r = body["required"] {
            guard case .bool(let b) = r else { throw PlanError(path: "\(path).required", message: "expected boolean, got \(r.typeName)") }
            required = b
        }
        if let m = body["max_length"] {
            guard case .int(let n) = m, n > 0 else { throw PlanError(path: "\(path).max_length", message: "expected a positive integer, got \(Describe.value(m))") }
            maxLength = Int(n)
        }
        return FieldSpec(member.key, type, required: required, maxLength: maxLength)
    }
}

/// The naming rule for event types: non-empty, at most 64 bytes, `[a-z0-9_.-]`.
public enum EventTypeName {
    public static let maxBytes = 64

    /// nil when the name is fine; otherwise what is wrong with it.
    public static func problem(_ name: String) -> String? {
        if name.isEmpty { return "event type is empty" }
        if name.utf8.count > maxBytes { return "event type is \(name.utf8.count) bytes, longer than \(maxBytes)" }
        for b in name.utf8 {
            switch b {
            case 0x61...0x7A, 0x30...0x39, 0x5F, 0x2E, 0x2D: continue
            default: return "event type \(Describe.string(name)) may only contain a-z, 0-9, '_', '.' and '-'"
            }
        }
        return nil
    }
}

/// Short, safe descriptions of values for error messages.
public enum Describe {
    /// 1,204: counts as people read them (health messages, the dashboard).
    public static func grouped<T: BinaryInteger>(_ n: T) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return n < 0 ? "-" + out : out
    }

    /// "1 event", "1,253 events", "0 events": a count and its noun, agreed.
    public static func count<T: BinaryInteger>(_ n: T, _ noun: String, plural: String? = nil) -> String {
        grouped(n) + " " + (n == 1 ? noun : plural ?? noun + "s")
    }

    public static func string(_ s: String, limit: Int = 40) -> String {
        var clipped = s
        if s.count > limit { clipped = String(s.prefix(limit)) + "…" }
        var out: [UInt8] = []
        JSONWriter.writeString(clipped, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// `string "one"`, `integer 1`, `object`, ...: what came, for "expected X, got Y".
    public static func value(_ v: JSONValue) -> String {
        switch v {
        case .string(let s): "string \(string(s))"
        case .int(let i): "integer \(i)"
        case .double(let d): "number \(d)"
        case .bool(let b): "boolean \(b)"
        case .null: "null"
        case .array(let a): "array of \(a.count)"
        case .object: "object"
        }
    }
}
