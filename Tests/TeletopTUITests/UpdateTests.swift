import Testing
import TeletopCore
@testable import TeletopTUI

@Suite("Key handling (pure update)")
struct UpdateTests {
    let fixture = Fixture()

    @Test func pauseFreezesTheFeedButCountersKeepCounting() {
        let s = fixture.session(width: 160, height: 45)
        let before = s.state.snapshot.lastSequence
        s.send(.key(.char(" ")))
        #expect(s.state.pausedAt == before)
        for _ in 0..<5 { fixture.logger.log("error_event", ["error_type": "x", "error_message": "y"], source: .sim) }
        s.refresh()
        #expect(s.state.feed.events.last?.sequence == before, "the feed stays where it was paused")
        #expect(s.state.snapshot.eventsLogged == before + 5, "counters keep counting")
        #expect(s.state.newWhilePaused == 5)
        #expect(s.render().lines[0].contains("PAUSED +5 new"))
        s.send(.key(.char(" ")))
        s.refresh()
        #expect(s.state.pausedAt == nil && s.state.follow)
        #expect(s.state.feed.events.last?.sequence == before + 5, "resumes at the tail")
    }

    @Test func scrollingUpStopsFollowingAndGResumes() {
        let s = fixture.session(width: 160, height: 45)
        let newest = s.state.snapshot.lastSequence
        s.send(.key(.char("k")))
        s.send(.key(.up))
        #expect(!s.state.follow)
        #expect(s.state.selected == newest - 2)
        fixture.logger.log("error_event", ["error_type": "x", "error_message": "y"], source: .sim)
        s.refresh()
        #expect(s.state.selected == newest - 2, "new events do not move the selection")
        #expect(s.state.visibleFeed.highlighted != nil)
        s.send(.key(.char("G")))
        s.refresh()
        #expect(s.state.follow && s.state.selected == nil)
        #expect(s.state.feed.events.last?.sequence == newest + 1)
    }

    @Test func pagingAndJumpingToTheOldest() {
        let s = fixture.session(width: 160, height: 45)
        s.send(.key(.char("g")))
        s.refresh()
        let oldest = fixture.logger.sequenceRange.oldest
        #expect(!s.state.follow && s.state.selected == oldest)
        s.send(.key(.pageDown))
        #expect(s.state.selected == oldest + UInt64(s.state.layout.feedRows))
        s.send(.key(.char("j")))
        #expect(s.state.selected == oldest + UInt64(s.state.layout.feedRows) + 1)
        s.refresh()
        s.send(.key(.pageUp))
        #expect(s.state.selected == oldest + 1)
    }

    @Test func textFilterNarrowsTheFeedAsYouType() {
        let s = fixture.session(width: 160, height: 45)
        s.send(.key(.char("/")))
        #expect(s.state.mode == .filtering)
        for c in "provider_t" { s.send(.key(.char(c))) }
        s.refresh()
        #expect(!s.state.feed.events.isEmpty)
        #expect(s.state.feed.events.allSatisfy { FeedLine.summary($0.payload).contains("provider_timeout") })
        let matching = s.state.feed.matching
        s.send(.key(.backspace))
        #expect(s.state.textFilter == "provider_")
        s.send(.key(.enter))
        #expect(s.state.mode == .normal && s.state.textFilter == "provider_")
        s.refresh()
        #expect(s.state.feed.matching >= matching)
        s.send(.key(.escape))
        #expect(s.state.textFilter.isEmpty && s.state.typeFilter == nil)
    }

    @Test func filterIsCaseInsensitiveAndCoversTypeAndSource() {
        let s = fixture.session(width: 160, height: 45)
        s.send(.key(.char("/")))
        s.type("FORM")
        #expect(s.state.feed.events.map(\.source) == [.form])
    }

    @Test func typeFilterCycles() {
        let s = fixture.session(width: 160, height: 45)
        s.send(.key(.char("t")))
        #expect(s.state.typeFilter == "ai_block_used")
        s.refresh()
        #expect(s.state.feed.events.allSatisfy { $0.eventType == "ai_block_used" })
        s.send(.key(.char("t")))
        s.send(.key(.char("t")))
        #expect(s.state.typeFilter == "error_event")
        s.send(.key(.char("t")))
        #expect(s.state.typeFilter == nil)
    }

    /// Issue 17, point 1: q closes the topmost overlay, as in less, lnav and k9s; only the main view quits with it.
    @Test func qClosesEveryOverlayAndQuitsOnlyTheMainView() {
        let s = fixture.session(width: 160, height: 45)
        let opens: [(String, [Key])] = [("help", [.char("?")]), ("detail", [.enter]), ("analytics", [.char("a")]), ("type list", [.char("n")])]
        for (name, keys) in opens {
            for key in keys { s.send(.key(key)) }
            #expect(s.state.mode != .normal, "\(name) did not open")
            #expect(!s.send(.key(.char("q"))).contains(.quit), "q quit from \(name)")
            #expect(s.state.mode == .normal, "q did not close \(name)")
        }
        #expect(s.send(.key(.char("q"))) == [.quit])
    }

    @Test func popupsCloseWithEscapeAndNeverQuit() {
        let s = fixture.session(width: 160, height: 45)
        #expect(s.send(.key(.f1)) == [])
        #expect(s.state.mode == .help(scroll: 0))
        #expect(s.send(.key(.escape)) == [])
        #expect(s.state.mode == .normal)
        s.send(.key(.enter))
        guard case .detail(let event, _) = s.state.mode else {
            Issue.record("Enter did not open the detail popup")
            return
        }
        #expect(event.sequence == s.state.snapshot.lastSequence)
        #expect(s.send(.key(.escape)) == [])
        #expect(s.state.mode == .normal)
        s.send(.key(.char("/")))
        #expect(s.send(.key(.escape)) == [])
        #expect(s.state.mode == .normal)
    }

    @Test func quitAndEffects() {
        let s = fixture.session(width: 160, height: 45)
        #expect(s.send(.key(.char("q"))) == [.quit])
        #expect(s.send(.key(.ctrl("c"))) == [.quit])
        #expect(s.send(.key(.ctrl("l"))) == [.forceRedraw])
        #expect(s.send(.key(.char("s"))) == [.toggleSimulator])
        #expect(s.send(.key(.char("+"))) == [.stepSimulatorRate(up: true)])
        #expect(s.send(.key(.char("-"))) == [.stepSimulatorRate(up: false)])
        #expect(s.send(.key(.char("b"))) == [.burst])
        #expect(s.send(.key(.char("e"))) == [.toggleErrorStorm])
        s.send(.key(.char("/")))
        #expect(!s.send(.key(.char("q"))).contains(.quit), "q is text while typing a filter")
        #expect(s.state.textFilter == "q")
    }

    @Test func focusAndSorting() {
        let s = fixture.session(width: 160, height: 45)
        s.send(.key(.tab))
        #expect(s.state.focus == .counters)
        s.send(.key(.backTab))
        #expect(s.state.focus == .feed)
        s.send(.key(.char("3")))
        #expect(s.state.focus == .health)
        s.send(.key(.char("o")))
        #expect(s.state.counterSort == .total)
    }

    @Test func resizeKeepsTheSelectionOnScreen() {
        let s = fixture.session(width: 160, height: 45)
        for _ in 0..<30 { s.send(.key(.up)) }
        s.send(.resize(width: 80, height: 24))
        #expect(s.state.selectedRow < s.state.layout.feedRows)
        s.refresh()
        #expect(s.state.visibleFeed.highlighted != nil)
    }
}
