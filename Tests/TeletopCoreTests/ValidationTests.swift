import Testing
@testable import TeletopCore

@Suite("Tracking plan validation")
struct ValidationTests {
    let plan = TrackingPlan.contract

    @Test func contractTypesValidate() {
        #expect(plan.validate(eventType: "ai_block_used", payload: ["user_id": "u", "chapter_id": 1, "section_id": "s", "block_type": "b"]).isValid)
        #expect(plan.validate(eventType: "ai_block_used", payload: ["user_id": "u", "chapter_id": 1, "section_id": "s", "block_type": "b", "query": "q", "extra": 1]).isValid)
        #expect(plan.validate(eventType: "chapter_visit", payload: ["user_id": "u", "chapter_id": 1, "timestamp": "2025-01-27T00:00:00Z"]).isValid)
        #expect(plan.validate(eventType: "error_event", payload: ["error_type": "t", "error_message": "m"]).isValid)
    }

    @Test func wrongTypeMessageNamesFieldExpectedAndGot() {
        let r = plan.validate(eventType: "ai_block_used", payload: ["user_id": "u", "chapter_id": "one", "section_id": "s", "block_type": "b"])
        #expect(r.issues == [ValidationIssue(field: "payload.chapter_id", problem: .wrongType, expected: "integer", got: "string \"one\"")])
        #expect(r.issues.first?.message == "payload.chapter_id: expected integer, got string \"one\"")
        let d = plan.validate(eventType: "error_event", payload: ["error_type": "t", "error_message": "m", "chapter_id": 1.5])
        #expect(d.issues.first?.message == "payload.chapter_id: expected integer, got number 1.5")
    }

    /// max_length counts characters, as JSON Schema's maxLength does: 4,096 of 「日」 (12,288 bytes) fit.
    @Test func maxLengthCountsCharactersNotBytes() {
        let fits: JSONObject = ["user_id": .string(String(repeating: "日", count: 4096)), "chapter_id": 1, "section_id": "s", "block_type": "b"]
        #expect(plan.validate(eventType: "ai_block_used", payload: fits).isValid)
        #expect(plan.validate(eventType: "ai_block_used", payload: PackedPayload(fits)).isValid)
        let over: JSONObject = ["user_id": .string(String(repeating: "日", count: 4097)), "chapter_id": 1, "section_id": "s", "block_type": "b"]
        #expect(plan.validate(eventType: "ai_block_used", payload: PackedPayload(over)).issues.first?.message == "payload.user_id: 4097 characters, longer than 4096")
    }

    /// JSON Schema's integer: 3.0 is one (a Python client sends floats so), 3.5 and 1e300 are not.
    @Test func anIntegralNumberIsAnInteger() {
        for (value, valid) in [(JSONValue.double(3.0), true), (.double(-7), true), (.double(3.5), false), (.double(1e300), false),
                               // -9223372036854775809 read as a double rounds to -2^63: still not an integer
                               (.double(-9223372036854775809), false), (.int(.min), true)] {
            let payload: JSONObject = ["user_id": "u", "chapter_id": value, "section_id": "s", "block_type": "b"]
            #expect(plan.validate(eventType: "ai_block_used", payload: payload).isValid == valid, "\(value)")
            #expect(plan.validate(eventType: "ai_block_used", payload: PackedPayload(payload)).isValid == valid, "packed \(value)")
        }
    }

    @Test func missingEmptyTooLongAndBadTimestamp() {
        let r = plan.validate(eventType: "ai_block_used", payload: ["user_id": "", "chapter_id": 1, "block_type": .string(String(repeating: "b", count: 5000))])
        #expect(r.issues.map(\.field) == ["payload.user_id", "payload.block_type", "payload.section_id"])
        #expect(r.issues.map(\.problem) == [.empty, .tooLong, .missing])
        #expect(r.issues[2].message == "payload.section_id: missing (required string for ai_block_used)")
        let t = plan.validate(eventType: "chapter_visit", payload: ["user_id": "u", "chapter_id": 1, "timestamp": "yesterday"])
        #expect(t.issues.map(\.problem) == [.badTimestamp])
        #expect(t.issues[0].message == "payload.timestamp: expected ISO-8601 timestamp string, got string \"yesterday\"")
    }

    @Test func unplannedTypeListsAllowedTypes() {
        let r = plan.validate(eventType: "page_view", payload: [:])
        #expect(r.issues.count == 1)
        #expect(r.issues[0].problem == .unplannedEventType)
        #expect(r.issues[0].message == "event_type: \"page_view\" is not a planned event type; allowed types: ai_block_used, chapter_visit, error_event")
        var lenient = plan
        lenient.acceptUnplanned = true
        let l = lenient.validate(eventType: "page_view", payload: [:])
        #expect(l.isValid && l.unplanned)
    }

    @Test func eventTypeNamingRule() {
        #expect(plan.validate(eventType: "", payload: [:]).issues.first?.problem == .empty)
        #expect(plan.validate(eventType: String(repeating: "a", count: 65), payload: [:]).issues.first?.problem == .tooLong)
        let bad = plan.validate(eventType: "Bad Type\u{1b}", payload: [:]).issues.first
        #expect(bad?.problem == .badName)
        #expect(bad?.message == #"event_type: event type "Bad Type\u001b" may only contain a-z, 0-9, '_', '.' and '-'"#)
        #expect(EventTypeName.problem("a.b-c_9") == nil)
    }

    @Test func planFileLoadsAndReportsErrorsByPath() throws {
        let text = #"""
        {"accept_unplanned": true, "event_types": {
          "signup": {"description": "A new account", "additional_fields": false,
                     "fields": {"user_id": {"type": "string", "required": true, "max_length": 8}, "plan": {"type": "string"}}}}}
        """#
        let loaded = try TrackingPlan.load(json: Array(text.utf8))
        #expect(loaded.acceptUnplanned)
        #expect(loaded.typeNames == ["signup"])
        #expect(loaded.eventTypes[0].fields == [FieldSpec("user_id", .string, required: true, maxLength: 8), FieldSpec("plan", .string, required: false)])
        let r = loaded.validate(eventType: "signup", payload: ["user_id": "123456789", "other": 1])
        #expect(r.issues.map(\.problem) == [.tooLong, .unexpectedField])

        func error(_ s: String) -> String? {
            do { _ = try TrackingPlan.load(json: Array(s.utf8)); return nil } catch { return error.description }
        }
        #expect(error(#"{"event_types": {"x": {"fields": {"f": {"type": "strng"}}}}}"#)
            == #"plan.event_types.x.fields.f.type: expected one of string, integer, number, boolean, object, array, timestamp, any, got string "strng""#)
        #expect(error(#"{"event_types": {}}"#) == "plan.event_types: expected a non-empty object, got object")
        #expect(error(#"{"event_types": {"Bad": {}}}"#)?.hasPrefix("plan.event_types.Bad: event type") == true)
        #expect(error("{")?.hasPrefix("plan: invalid JSON at byte 1") == true)
    }
}
