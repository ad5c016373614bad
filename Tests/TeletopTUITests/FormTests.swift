import Testing
import TeletopCore
@testable import TeletopTUI

@Suite("Line editor")
struct LineEditorTests {
    @Test func editsLikeAShellLine() {
        var e = LineEditor()
        for c in "hello world" { _ = e.handle(.char(c)) }
        e.left(); e.left()
        _ = e.handle(.char("X"))
        #expect(e.text == "hello worXld" && e.cursor == 10)
        _ = e.handle(.home); _ = e.handle(.delete)
        #expect(e.text == "ello worXld" && e.cursor == 0)
        _ = e.handle(.end); _ = e.handle(.backspace)
        #expect(e.text == "ello worXl")
        _ = e.handle(.ctrl("w"))
        #expect(e.text == "ello ")
        _ = e.handle(.ctrl("w"))
        #expect(e.text == "" && e.cursor == 0)
        e = LineEditor("abc def")
        e.left(); e.left(); e.left()
        _ = e.handle(.ctrl("u"))
        #expect(e.text == "def" && e.cursor == 0)
    }

    @Test func wideCharactersAreOneStepAndScrollWithoutSplitting() {
        var e = LineEditor()
        for c in "物理AI😀" { _ = e.handle(.char(c)) }
        #expect(e.cursor == 5)
        e.backspace()
        #expect(e.text == "物理AI")
        // 6 columns of text plus the cursor cell in a 5-column field: scrolled, never half a character.
        let shown = e.visible(width: 5)
        #expect(DisplayWidth.of(shown.text) <= 5)
        #expect(shown.text.hasSuffix("AI") && !shown.text.contains("物"))
        #expect(shown.cursorColumn == DisplayWidth.of(shown.text))
        e.home()
        #expect(e.visible(width: 5).text == "物理A")
    }
}

@Suite("New event form (pure update)")
struct FormTests {
    let fixture = Fixture()

    func type(_ s: inout DashboardState, _ text: String) {
        for c in text { _ = update(&s, .key(.char(c))) }
    }

    /// What the app does with a `.fire` effect.
    func carryOut(_ effects: [Effect], _ s: inout DashboardState) {
        for case .fire(let eventType, let payload) in effects {
            let result: EventForm.Result
            switch fixture.logger.log(eventType, payload, source: .form) {
            case .accepted(let e): result = .accepted(e)
            case .rejected(let issues): result = .rejected(issues)
            }
            _ = update(&s, .fired(FiredEvent(eventType: eventType, payload: payload, accepted: { if case .accepted = result { true } else { false } }()), result))
        }
    }

    func openAIBlockForm(_ s: inout DashboardState) {
        _ = update(&s, .key(.char("n")))
        #expect(s.mode == .form)
        #expect(s.form?.stage == .chooseType(selected: 0))
        _ = update(&s, .key(.enter))  // ai_block_used is first in the plan
        #expect(s.form?.eventType == "ai_block_used")
        #expect(s.form?.fields.map(\.spec.name) == ["user_id", "chapter_id", "section_id", "block_type", "query"])
    }

    @Test func aWrongValueIsMarkedOnLeavingAndSubmittingKeepsTheText() {
        var s = fixture.state(width: 160, height: 45)
        openAIBlockForm(&s)
        type(&s, "user_9"); _ = update(&s, .key(.tab))
        type(&s, "one"); _ = update(&s, .key(.tab))
        #expect(s.form?.fields[1].error == #"payload.chapter_id: expected integer, got string "one""#)
        #expect(s.form?.fields[0].error == nil)
        #expect(s.form?.fields[2].error == nil, "an empty required field is not marked before submitting")
        type(&s, "what-is-physical-ai"); _ = update(&s, .key(.tab))
        let rejectedBefore = fixture.logger.snapshot().totalRejected
        let effects = update(&s, .key(.enter))
        #expect(effects == [.fire(eventType: "ai_block_used", payload: ["user_id": "user_9", "chapter_id": "one", "section_id": "what-is-physical-ai"])])
        carryOut(effects, &s)
        #expect(fixture.logger.snapshot().totalRejected == rejectedBefore + 1, "counted like any other source")
        guard case .rejected(let issues)? = s.form?.result else { Issue.record("not rejected"); return }
        #expect(issues.count == 2)
        #expect(s.form?.fields[1].error?.contains("expected integer") == true)
        #expect(s.form?.fields[3].error == "payload.block_type: missing (required string for ai_block_used)")
        #expect(s.form?.fields[1].editor.text == "one", "what was typed is kept")
        let screen = render(s).lines.joined(separator: "\n")
        #expect(screen.contains(#"✖ payload.chapter_id: expected integer, got string "one""#))
        #expect(screen.contains("rejected: 2 problems"))

        // Fix both and submit: accepted, in the feed and the counters.
        _ = update(&s, .key(.backTab)); _ = update(&s, .key(.backTab))
        _ = update(&s, .key(.ctrl("u"))); type(&s, "3")
        _ = update(&s, .key(.tab)); _ = update(&s, .key(.tab)); type(&s, "ask-question")
        let before = fixture.logger.eventsLogged
        carryOut(update(&s, .key(.enter)), &s)
        guard case .accepted(let event)? = s.form?.result else { Issue.record("not accepted"); return }
        #expect(fixture.logger.eventsLogged == before + 1)
        #expect(event.source == .form && event.payload["chapter_id"] == .int(3))
        #expect(s.form?.fields.allSatisfy { $0.error == nil } == true)
        fixture.refresh(&s)
        #expect(s.feed.events.last?.sequence == event.sequence)
        #expect(render(s).lines.joined().contains("accepted at \(event.timestamp.iso8601)"))
    }

    @Test func escKeepsADraftAndTheNextFormIsPrefilled() {
        var s = fixture.state(width: 160, height: 45)
        openAIBlockForm(&s)
        type(&s, "half typed")
        _ = update(&s, .key(.escape))
        #expect(s.mode == .normal && s.notice == "draft kept: n brings it back")
        _ = update(&s, .key(.char("n")))
        #expect(s.mode == .form && s.form?.fields[0].editor.text == "half typed", "the draft comes back")

        // Submit a valid event; the next form for that type starts from its values.
        _ = update(&s, .key(.ctrl("u"))); type(&s, "user_1"); _ = update(&s, .key(.tab))
        type(&s, "2"); _ = update(&s, .key(.tab)); type(&s, "s"); _ = update(&s, .key(.tab)); type(&s, "b")
        carryOut(update(&s, .key(.enter)), &s)
        _ = update(&s, .key(.escape))
        #expect(s.form == nil, "nothing unsent: no draft")
        openAIBlockForm(&s)
        #expect(s.form?.fields.map(\.editor.text) == ["user_1", "2", "s", "b", ""])
    }

    @Test func historyReopensAndRRefires() {
        var s = fixture.state(width: 160, height: 45)
        #expect(update(&s, .key(.char("r"))) == [])
        #expect(s.notice == "nothing fired yet: n opens the form")
        openAIBlockForm(&s)
        for (i, v) in ["u", "1", "s", "b"].enumerated() {
            type(&s, v)
            if i < 3 { _ = update(&s, .key(.tab)) }
        }
        carryOut(update(&s, .key(.enter)), &s)
        _ = update(&s, .key(.escape))
        #expect(s.fired.count == 1)
        let refire = update(&s, .key(.char("r")))
        #expect(refire == [.fire(eventType: "ai_block_used", payload: ["user_id": "u", "chapter_id": 1, "section_id": "s", "block_type": "b"])])
        carryOut(refire, &s)
        #expect(s.notice?.hasPrefix("fired ai_block_used: accepted at") == true)
        #expect(s.fired.count == 2)
        // The type list ends with the history; choosing an entry opens it for editing.
        _ = update(&s, .key(.char("n")))
        let planned = s.plan.eventTypes.count
        for _ in 0...(planned) { _ = update(&s, .key(.down)) }
        #expect(render(s).lines.joined(separator: "\n").contains("recently fired"))
        _ = update(&s, .key(.enter))
        #expect(s.form?.stage == .edit && s.form?.fields[1].editor.text == "1")
    }

    @Test func customTypesUseRawJSONWithPositions() {
        var s = fixture.state(width: 160, height: 45)
        _ = update(&s, .key(.char("n")))
        for _ in 0..<s.plan.eventTypes.count { _ = update(&s, .key(.down)) }
        _ = update(&s, .key(.enter))
        #expect(s.form?.isCustom == true && s.form?.raw == true)
        type(&s, "page_view")
        _ = update(&s, .key(.tab))
        _ = update(&s, .key(.ctrl("u"))); type(&s, #"{"a": tru}"#)
        #expect(update(&s, .key(.enter)) == [])
        #expect(s.form?.rawError?.hasPrefix("payload: invalid JSON at byte 6") == true)
        _ = update(&s, .key(.ctrl("u"))); type(&s, #"{"a": 1}"#)
        let effects = update(&s, .key(.enter))
        #expect(effects == [.fire(eventType: "page_view", payload: ["a": 1])])
        carryOut(effects, &s)
        #expect(s.form?.generalErrors.first?.hasPrefix(#"event_type: "page_view" is not a planned event type"#) == true)
    }

    @Test func rawToggleCarriesValuesAndCurlIsPasteable() {
        var s = fixture.state(width: 160, height: 45)
        openAIBlockForm(&s)
        type(&s, "it's"); _ = update(&s, .key(.tab)); type(&s, "7")
        _ = update(&s, .key(.ctrl("r")))
        #expect(s.form?.raw == true && s.form?.rawEditor.text == #"{"user_id":"it's","chapter_id":7}"#)
        _ = update(&s, .key(.ctrl("r")))
        #expect(s.form?.raw == false && s.form?.fields[1].editor.text == "7")
        #expect(s.form?.curl(baseURL: "http://127.0.0.1:7311") ==
            #"curl -sS -X POST http://127.0.0.1:7311/api/telemetry/log -H 'Content-Type: application/json' -d '{"event_type":"ai_block_used","payload":{"user_id":"it'\''s","chapter_id":7}}'"#)
        _ = update(&s, .key(.f2))
        #expect(render(s).lines.joined().contains("curl -sS -X POST"))
    }
}

@Suite("Form raw JSON round trip")
struct FormRawRoundTripTests {
    @Test func ctrlRStaysRawWhenFieldsWouldLoseSomething() {
        var form = EventForm()
        form.begin(TrackingPlan.contract.eventTypes.first { $0.name == "ai_block_used" }!, remembered: [:])
        form.toggleRaw()
        form.rawEditor = LineEditor(#"{"user_id":"u","note":"x"}"#)
        form.toggleRaw()
        #expect(form.raw && form.rawError == #"stays raw JSON: "note" is not a field of ai_block_used"#)
        form.rawEditor = LineEditor(#"{"user_id":"u","chapter_id":"1"}"#)
        form.toggleRaw()
        #expect(form.raw && form.rawError?.contains("chapter_id would not keep its JSON type") == true)
        form.rawEditor = LineEditor(#"{"user_id":"u","chapter_id":1}"#)
        form.toggleRaw()
        #expect(!form.raw && form.rawError == nil && form.fields[1].editor.text == "1")
    }
}
