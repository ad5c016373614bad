import Testing
import TeletopCore
@testable import TeletopTUI

@Suite("Key handling (pure update)")
struct UpdateTests {
    let fixture = Fixture()

    @Test func pauseFreezesTheFeedButCountersKeepCounting() {
        var s = fixture.state(width: 160, height: 45)
        let before = s.snapshot.lastSequence
        _ = update(&s, .key(.char(" ")))
        #expect(s.pausedAt == before)
        for _ in 0..<5 { fixture.logger.log("error_event", ["error_type": "x", "error_message": "y"], source: .sim) }
        fixture.refresh(&s)
        #expect(s.feed.events.last?.sequence == before, "the feed stays where it was paused")
        #expect(s.snapshot.eventsLogged == before + 5, "counters keep counting")
        #expect(s.newWhilePaused == 5)
        #expect(render(s).lines[0].contains("PAUSED +5 new"))
        _ = update(&s, .key(.char(" ")))
        fixture.refresh(&s)
        #expect(s.pausedAt == nil && s.follow)
        #expect(s.feed.events.last?.sequence == before + 5, "resumes at the tail")
    }

    @Test func scrollingUpStopsFollowingAndGResumes() {
        var s = fixture.state(width: 160, height: 45)
        let newest = s.snapshot.lastSequence
        _ = update(&s, .key(.char("k")))
        _ = update(&s, .key(.up))
        #expect(!s.follow)
        #expect(s.selected == newest - 2)
        fixture.logger.log("error_event", ["error_type": "x", "error_message": "y"], source: .sim)
        fixture.refresh(&s)
        #expect(s.selected == newest - 2, "new events do not move the selection")
        #expect(s.visibleFeed.highlighted != nil)
        _ = update(&s, .key(.char("G")))
        fixture.refresh(&s)
        #expect(s.follow && s.selected == nil)
        #expect(s.feed.events.last?.sequence == newest + 1)
    }

    @Test func pagingAndJumpingToTheOldest() {
        var s = fixture.state(width: 160, height: 45)
        _ = update(&s, .key(.char("g")))
        fixture.refresh(&s)
        let oldest = fixture.logger.sequenceRange.oldest
        #expect(!s.follow && s.selected == oldest)
        _ = update(&s, .key(.pageDown))
        #expect(s.selected == oldest + UInt64(s.layout.feedRows))
        _ = update(&s, .key(.char("j")))
        #expect(s.selected == oldest + UInt64(s.layout.feedRows) + 1)
        fixture.refresh(&s)
        _ = update(&s, .key(.pageUp))
        #expect(s.selected == oldest + 1)
    }

    @Test func textFilterNarrowsTheFeedAsYouType() {
        var s = fixture.state(width: 160, height: 45)
        _ = update(&s, .key(.char("/")))
        #expect(s.mode == .filtering)
        for c in "provider_t" { _ = update(&s, .key(.char(c))) }
        fixture.refresh(&s)
        #expect(!s.feed.events.isEmpty)
        #expect(s.feed.events.allSatisfy { FeedLine.summary($0.payload).contains("provider_timeout") })
        let matching = s.feed.matching
        _ = update(&s, .key(.backspace))
        #expect(s.textFilter == "provider_")
        _ = update(&s, .key(.enter))
        #expect(s.mode == .normal && s.textFilter == "provider_")
        fixture.refresh(&s)
        #expect(s.feed.matching >= matching)
        _ = update(&s, .key(.escape))
        #expect(s.textFilter.isEmpty && s.typeFilter == nil)
    }

    @Test func filterIsCaseInsensitiveAndCoversTypeAndSource() {
        var s = fixture.state(width: 160, height: 45)
        s.textFilter = "FORM"
        fixture.refresh(&s)
        #expect(s.feed.events.map(\.source) == [.form])
    }

    @Test func typeFilterCycles() {
        var s = fixture.state(width: 160, height: 45)
        _ = update(&s, .key(.char("t")))
        #expect(s.typeFilter == "ai_block_used")
        fixture.refresh(&s)
        #expect(s.feed.events.allSatisfy { $0.eventType == "ai_block_used" })
        _ = update(&s, .key(.char("t")))
        _ = update(&s, .key(.char("t")))
        #expect(s.typeFilter == "error_event")
        _ = update(&s, .key(.char("t")))
        #expect(s.typeFilter == nil)
    }

    @Test func popupsCloseWithEscapeAndNeverQuit() {
        var s = fixture.state(width: 160, height: 45)
        #expect(update(&s, .key(.f1)) == [])
        #expect(s.mode == .help(scroll: 0))
        #expect(update(&s, .key(.escape)) == [])
        #expect(s.mode == .normal)
        _ = update(&s, .key(.enter))
        guard case .detail(let event, _) = s.mode else {
            Issue.record("Enter did not open the detail popup")
            return
        }
        #expect(event.sequence == s.snapshot.lastSequence)
        #expect(update(&s, .key(.escape)) == [])
        #expect(s.mode == .normal)
        _ = update(&s, .key(.char("/")))
        #expect(update(&s, .key(.escape)) == [])
        #expect(s.mode == .normal)
    }

    @Test func quitAndEffects() {
        var s = fixture.state(width: 160, height: 45)
        #expect(update(&s, .key(.char("q"))) == [.quit])
        #expect(update(&s, .key(.ctrl("c"))) == [.quit])
        #expect(update(&s, .key(.ctrl("l"))) == [.forceRedraw])
        #expect(update(&s, .key(.char("s"))) == [.toggleSimulator])
        #expect(update(&s, .key(.char("+"))) == [.stepSimulatorRate(up: true)])
        #expect(update(&s, .key(.char("-"))) == [.stepSimulatorRate(up: false)])
        #expect(update(&s, .key(.char("b"))) == [.burst])
        #expect(update(&s, .key(.char("e"))) == [.toggleErrorStorm])
        _ = update(&s, .key(.char("/")))
        #expect(update(&s, .key(.char("q"))) == [], "q is text while typing a filter")
        #expect(s.textFilter == "q")
    }

    @Test func focusAndSorting() {
        var s = fixture.state(width: 160, height: 45)
        _ = update(&s, .key(.tab))
        #expect(s.focus == .counters)
        _ = update(&s, .key(.backTab))
        #expect(s.focus == .feed)
        _ = update(&s, .key(.char("3")))
        #expect(s.focus == .health)
        _ = update(&s, .key(.char("o")))
        #expect(s.counterSort == .total)
    }

    @Test func resizeKeepsTheSelectionOnScreen() {
        var s = fixture.state(width: 160, height: 45)
        for _ in 0..<30 { _ = update(&s, .key(.up)) }
        _ = update(&s, .resize(width: 80, height: 24))
        #expect(s.selectedRow < s.layout.feedRows)
        fixture.refresh(&s)
        #expect(s.visibleFeed.highlighted != nil)
    }
}
