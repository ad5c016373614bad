#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One thing wrong with an event, shaped for humans and for machines alike.
public struct ValidationIssue: Sendable, Equatable, Hashable, CustomStringConvertible {
    public enum Problem: String, Sendable, Equatable, Hashable, CaseIterable {
        case missing, wrongType = "wrong_type", unplannedEventType = "unplanned_event_type", empty
        case tooLong = "too_long", badName = "bad_name", unexpectedField = "unexpected_field"
        case malformedJSON = "malformed_json", badTimestamp = "bad_timestamp", tooLarge = "too_large"
        /// Accepted, but the store could not confirm it on disk.
        case notStored = "not_stored"
    }

    /// Where: `event_type`, `payload`, `payload.chapter_id`, `body`, `line`.
    public var field: String
    public var problem: Problem
    public var expected: String
    public var got: String
    /// One line a person can read: `payload.chapter_id: expected integer, got string "one"`.
    public var message: String

    public init(field: String, problem: Problem, expected: String, got: String, message: String? = nil) {
        self.field = field
        self.problem = problem
        self.expected = expected
        self.got = got
        self.message = message ?? "\(field): expected \(expected), got \(got)"
    }

    public var description: String { message }
}

/// The verdict on one event against a plan.
public struct ValidationResult: Sendable, Equatable {
    /// Index of the event type in the plan, when it is planned.
    public var planIndex: Int?
    public var issues: [ValidationIssue]
    /// Accepted although the plan does not list the type (the plan allows it).
    public var unplanned: Bool

    public var isValid: Bool { issues.isEmpty }
}

extension TrackingPlan {
    public func validate(eventType: String, payload: JSONObject) -> ValidationResult {
        validate(eventType: eventType, payload: PackedPayload(payload))
    }

    public func validate(eventType: String, payload: PackedPayload) -> ValidationResult {
        // Plan names were checked when the plan was built, so a planned type skips the name rule.
        guard let index = index(of: eventType) else {
            if let problem = EventTypeName.problem(eventType) {
                let issue = ValidationIssue(
                    field: "event_type", problem: eventType.isEmpty ? .empty : eventType.utf8.count > EventTypeName.maxBytes ? .tooLong : .badName,
                    expected: "1-64 bytes of a-z, 0-9, '_', '.', '-'", got: Describe.string(eventType), message: "event_type: \(problem)")
                return ValidationResult(planIndex: nil, issues: [issue], unplanned: false)
            }
            if acceptUnplanned { return ValidationResult(planIndex: nil, issues: [], unplanned: true) }
            let allowed = typeNames.joined(separator: ", ")
            let issue = ValidationIssue(
                field: "event_type", problem: .unplannedEventType, expected: "one of \(allowed)", got: Describe.string(eventType),
                message: "event_type: \(Describe.string(eventType)) is not a planned event type; allowed types: \(allowed)")
            return ValidationResult(planIndex: nil, issues: [issue], unplanned: false)
        }
        // The fast pass touches only the compiled rules; issues are built for failures alone.
        if compiledRules[index].accepts(payload) {
            return ValidationResult(planIndex: index, issues: [], unplanned: false)
        }
        return ValidationResult(planIndex: index, issues: eventTypes[index].check(payload), unplanned: false)
    }
}

extension EventTypeSpec {
    /// Every problem with `payload` against this type's fields. Reads the
    /// packed bytes in place: nothing is allocated unless something is wrong.
    func check(_ payload: PackedPayload) -> [ValidationIssue] {
        var issues: [ValidationIssue] = []
        // Bit i set = field i was present; past 64 fields "missing" falls back to a lookup.
        var seen: UInt64 = 0
        let rules = self.rules
        var next = 0
        payload.forEachMember { member in
            let found = rules.index(of: member.key, hint: next)
            guard let fieldIndex = found else {
                if !allowAdditionalFields && !SDKMetadata.isKey(member.key) {
                    let key = member.keyString
                    issues.append(ValidationIssue(field: "payload.\(key)", problem: .unexpectedField,
                        expected: "only \(fields.map(\.name).joined(separator: ", "))", got: "an unplanned field",
                        message: "payload.\(key): not in the plan for \(name)"))
                }
                return
            }
            next = fieldIndex + 1
            if fieldIndex < 64 { seen |= 1 << UInt64(fieldIndex) }
            if !FieldRules.passes(member, rules.rules[fieldIndex]), let issue = Self.check(member, against: fields[fieldIndex]) {
                issues.append(issue)
            }
        }
        for i in 0..<rules.count where rules.rules[i].required {
            let present = i < 64 ? seen & (1 << UInt64(i)) != 0 : payload.unpack()[fields[i].name] != nil
            if !present {
                let field = fields[i]
                issues.append(ValidationIssue(field: "payload.\(field.name)", problem: .missing,
                    expected: field.type.expectation, got: "nothing",
                    message: "payload.\(field.name): missing (required \(field.type.expectation) for \(name))"))
            }
        }
        return issues
    }

    private static func check(_ member: PackedPayload.MemberView, against field: FieldSpec) -> ValidationIssue? {
        var path: String { "payload.\(field.name)" }
        guard field.type.accepts(tag: member.tag, data: member.data) else {
            let got = Describe.value(member.decode())
            if field.type == .timestamp, member.tag == .string {
                return ValidationIssue(field: path, problem: .badTimestamp, expected: field.type.expectation, got: got)
            }
            return ValidationIssue(field: path, problem: .wrongType, expected: field.type.expectation, got: got)
        }
        if member.tag == .string {
            let length = member.data.count
            if length == 0 && field.required {
                return ValidationIssue(field: path, problem: .empty, expected: "a non-empty string", got: "\"\"",
                                       message: "\(path): must not be empty")
            }
            // Characters (code points), as JSON Schema's maxLength counts; bytes are never fewer.
            if length > field.maxLength, case let characters = FieldRules.characters(member.data), characters > field.maxLength {
                return ValidationIssue(field: path, problem: .tooLong, expected: "at most \(field.maxLength) characters",
                                       got: "\(characters) characters", message: "\(path): \(characters) characters, longer than \(field.maxLength)")
            }
        }
        return nil
    }
}
