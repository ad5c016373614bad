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

    func openAIBlockForm(_ s: Session) {
        s.send(.key(.char("n")))
        #expect(s.state.mode == .form)
        #expect(s.state.form?.stage == .chooseType(selected: 0))
        s.send(.key(.enter))  // ai_block_used is first in the plan
        #expect(s.state.form?.eventType == "ai_block_used")
        #expect(s.state.form?.fields.map(\.spec.name) == ["user_id", "chapter_id", "section_id", "block_type", "query"])
    }

    @Test func aWrongValueIsMarkedOnLeavingAndSubmittingKeepsTheText() {
        let s = fixture.session(width: 160, height: 45)
        openAIBlockForm(s)
        s.type("user_9"); s.send(.key(.tab))
        s.type("one"); s.send(.key(.tab))
        #expect(s.state.form?.fields[1].error == #"payload.chapter_id: expected integer, got string "one""#)
        #expect(s.state.form?.fields[0].error == nil)
        #expect(s.state.form?.fields[2].error == nil, "an empty required field is not marked before submitting")
        s.type("what-is-physical-ai"); s.send(.key(.tab))
        let rejectedBefore = fixture.logger.snapshot().totalRejected
        let effects = s.send(.key(.enter))
        #expect(effects == [.fire(eventType: "ai_block_used", payload: ["user_id": "user_9", "chapter_id": "one", "section_id": "what-is-physical-ai"])])
                #expect(fixture.logger.snapshot().totalRejected == rejectedBefore + 1, "counted like any other source")
        guard case .rejected(let issues)? = s.state.form?.result else { Issue.record("not rejected"); return }
        #expect(issues.count == 2)
        #expect(s.state.form?.fields[1].error?.contains("expected integer") == true)
        #expect(s.state.form?.fields[3].error == "payload.block_type: missing (required string for ai_block_used)")
        #expect(s.state.form?.fields[1].editor.text == "one", "what was typed is kept")
        let screen = s.render().lines.joined(separator: "\n")
        #expect(screen.contains(#"✖ payload.chapter_id: expected integer, got string "one""#))
        #expect(screen.contains("rejected: 2 problems"))

        // Fix both and submit: accepted, in the feed and the counters.
        s.send(.key(.backTab)); s.send(.key(.backTab))
        s.send(.key(.ctrl("u"))); s.type("3")
        s.send(.key(.tab)); s.send(.key(.tab)); s.type("ask-question")
        let before = fixture.logger.eventsLogged
        _ = s.send(.key(.enter))
        guard case .accepted(let event)? = s.state.form?.result else { Issue.record("not accepted"); return }
        #expect(fixture.logger.eventsLogged == before + 1)
        #expect(event.source == .form && event.payload["chapter_id"] == .int(3))
        #expect(s.state.form?.fields.allSatisfy { $0.error == nil } == true)
        s.refresh()
        #expect(s.state.feed.events.last?.sequence == event.sequence)
        #expect(s.render().lines.joined().contains("accepted at \(event.timestamp.iso8601)"))
    }

    @Test func escKeepsADraftAndTheNextFormIsPrefilled() {
        let s = fixture.session(width: 160, height: 45)
        openAIBlockForm(s)
        s.type("half typed")
        s.send(.key(.escape))
        #expect(s.state.mode == .normal && s.state.notice == "draft kept: n brings it back")
        s.send(.key(.char("n")))
        #expect(s.state.mode == .form && s.state.form?.fields[0].editor.text == "half typed", "the draft comes back")

        // Submit a valid event; the next form for that type starts from its values.
        s.send(.key(.ctrl("u"))); s.type("user_1"); s.send(.key(.tab))
        s.type("2"); s.send(.key(.tab)); s.type("s"); s.send(.key(.tab)); s.type("b")
        _ = s.send(.key(.enter))
        s.send(.key(.escape))
        #expect(s.state.form == nil, "nothing unsent: no draft")
        openAIBlockForm(s)
        #expect(s.state.form?.fields.map(\.editor.text) == ["user_1", "2", "s", "b", ""])
    }

    @Test func historyReopensAndRRefires() {
        let s = fixture.session(width: 160, height: 45)
        #expect(s.send(.key(.char("r"))) == [])
        #expect(s.state.notice == "nothing fired yet: n opens the form")
        openAIBlockForm(s)
        for (i, v) in ["u", "1", "s", "b"].enumerated() {
            s.type(v)
            if i < 3 { s.send(.key(.tab)) }
        }
        _ = s.send(.key(.enter))
        s.send(.key(.escape))
        #expect(s.state.fired.count == 1)
        let refire = s.send(.key(.char("r")))
        #expect(refire == [.fire(eventType: "ai_block_used", payload: ["user_id": "u", "chapter_id": 1, "section_id": "s", "block_type": "b"])])
                #expect(s.state.notice?.hasPrefix("fired ai_block_used: accepted at") == true)
        #expect(s.state.fired.count == 2)
        // The type list ends with the history; choosing an entry opens it for editing.
        s.send(.key(.char("n")))
        let planned = s.state.plan.eventTypes.count
        for _ in 0...(planned) { s.send(.key(.down)) }
        #expect(s.render().lines.joined(separator: "\n").contains("recently fired"))
        s.send(.key(.enter))
        #expect(s.state.form?.stage == .edit && s.state.form?.fields[1].editor.text == "1")
    }

    @Test func customTypesUseRawJSONWithPositions() {
        let s = fixture.session(width: 160, height: 45)
        s.send(.key(.char("n")))
        for _ in 0..<s.state.plan.eventTypes.count { s.send(.key(.down)) }
        s.send(.key(.enter))
        #expect(s.state.form?.isCustom == true && s.state.form?.raw == true)
        s.type("page_view")
        s.send(.key(.tab))
        s.send(.key(.ctrl("u"))); s.type(#"{"a": tru}"#)
        #expect(s.send(.key(.enter)) == [])
        #expect(s.state.form?.rawError?.hasPrefix("payload: invalid JSON at byte 6") == true)
        s.send(.key(.ctrl("u"))); s.type(#"{"a": 1}"#)
        let effects = s.send(.key(.enter))
        #expect(effects == [.fire(eventType: "page_view", payload: ["a": 1])])
                #expect(s.state.form?.generalErrors.first?.hasPrefix(#"event_type: "page_view" is not a planned event type"#) == true)
    }

    @Test func rawToggleCarriesValuesAndCurlIsPasteable() {
        let s = fixture.session(width: 160, height: 45)
        openAIBlockForm(s)
        s.type("it's"); s.send(.key(.tab)); s.type("7")
        s.send(.key(.ctrl("r")))
        #expect(s.state.form?.raw == true && s.state.form?.rawEditor.text == #"{"user_id":"it's","chapter_id":7}"#)
        s.send(.key(.ctrl("r")))
        #expect(s.state.form?.raw == false && s.state.form?.fields[1].editor.text == "7")
        #expect(s.state.form?.curl(baseURL: "http://127.0.0.1:7311") ==
            #"curl -sS -X POST http://127.0.0.1:7311/api/telemetry/log -H 'Content-Type: application/json' -d '{"event_type":"ai_block_used","payload":{"user_id":"it'\''s","chapter_id":7}}'"#)
        s.send(.key(.f2))
        #expect(s.render().lines.joined().contains("curl -sS -X POST"))
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
