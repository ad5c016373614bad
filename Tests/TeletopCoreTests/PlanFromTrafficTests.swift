import Testing
@testable import TeletopCore

@Suite("Plans from traffic: infer, then check")
struct PlanFromTrafficTests {
    @Test func theInferredPlanSaysWhatTheEventsImplyAndLoadsBack() throws {
        var inference = PlanInference()
        inference.add(eventType: "order", payload: ["id": "o1", "total": 3, "at": "2026-12-01T10:00:00Z", "tags": ["a"],
                                                    "_sdk": .object(["protocol": "segment"])])
        inference.add(eventType: "order", payload: ["id": "o2", "total": 2.5, "at": "2026-12-01T10:00:01.5Z", "note": "x"])
        inference.add(eventType: "order", payload: ["id": "o3", "total": 1, "at": "yesterday", "note": .null])
        inference.add(eventType: "ping", payload: [:])
        let plan = inference.plan
        #expect(plan.typeNames == ["order", "ping"])
        let order = plan.eventTypes[0]
        #expect(order.fields.map(\.name) == ["id", "total", "at", "tags", "note"], "_sdk is not a field")
        #expect(order.fields.map(\.type) == [.string, .number, .string, .array, .any])
        #expect(order.fields.map(\.required) == [true, true, true, false, false])
        #expect(!order.allowAdditionalFields && order.description == "inferred from 3 events")
        // The file it writes is a plan teletop loads, equal to the one inferred.
        let again = try TrackingPlan.load(json: Array(plan.fileText.utf8))
        #expect(again == plan)
        // And it accepts the events it came from.
        #expect(again.validate(eventType: "order", payload: ["id": "o9", "total": 1, "at": "now"]).isValid)
        #expect(!again.validate(eventType: "order", payload: ["id": 9, "total": 1, "at": "now"]).isValid)
    }

    @Test func timestampsAreInferredOnlyWhenEveryValueIsOne() {
        var inference = PlanInference()
        inference.add(eventType: "visit", payload: ["at": "2026-12-01T10:00:00Z", "n": 1])
        inference.add(eventType: "visit", payload: ["at": "2026-12-01T10:00:01.250+02:00", "n": 2])
        #expect(inference.plan.eventTypes[0].fields.map(\.type) == [.timestamp, .integer])
    }

    func check(_ lines: [String], plan: TrackingPlan = .contract) -> PlanCheck {
        var check = PlanCheck(plan: plan)
        for (i, line) in lines.enumerated() {
            Array(line.utf8).withUnsafeBufferPointer { check.add(line: $0, file: "f.jsonl", line: i + 1) }
        }
        return check
    }

    @Test func checkCountsPerTypeFieldAndProblemWithTheFirstExamples() {
        let good = #"{"event_type": "error_event", "payload": {"error_type": "t", "error_message": "m"}}"#
        let bad = #"{"event_type": "chapter_visit", "payload": {"user_id": 7, "chapter_id": 1, "timestamp": "2026-12-01T10:00:00Z"}}"#
        let lines = [good, bad, bad, bad, bad, "not json", #"{"event_type": "nope", "payload": {}}"#]
        let result = check(lines)
        #expect(result.events == 7 && result.invalid == 6 && !result.clean)
        let wrong = result.problems.first { $0.field == "payload.user_id" }
        #expect(wrong?.count == 4 && wrong?.problem == "wrong_type")
        #expect(wrong?.examples.map(\.line) == [2, 3, 4], "the first three examples, with their line numbers")
        #expect(result.problems.contains { $0.eventType == PlanCheck.notAnEvent && $0.examples[0].line == 6 })
        #expect(result.types.first { $0.eventType == "error_event" } == .init(eventType: "error_event", events: 1, invalid: 0))
        let json = result.json(files: ["f.jsonl"])
        #expect(json["invalid"] == .int(6) && json["clean"] == .bool(false))
        #expect(result.text(files: ["f.jsonl"], planName: "p").hasPrefix("checked 7 events in 1 file against p: 6 with violations\n"))
        #expect(check([good]).clean)
    }
}
