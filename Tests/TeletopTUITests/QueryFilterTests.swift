import Foundation
import Testing
import TeletopCore
@testable import TeletopTUI

@Suite("The / filter takes queries")
struct QueryFilterTests {
    let fixture = Fixture()

    @Test func aQueryNarrowsTheFeedAndAHalfTypedOneKeepsTheLastGoodFilter() {
        let s = fixture.session(width: 160, height: 45)
        s.send(.key(.char("/")))
        s.type("chapter_id=3")
        s.refresh()
        #expect(!s.state.feed.events.isEmpty)
        #expect(s.state.feed.events.allSatisfy { $0.payload["chapter_id"] == .int(3) })
        // Half typed: the error is shown where it is, and the last text that read
        // as a query (here with `latency_ms` as free text) stays applied.
        s.type(" and latency_ms>")
        #expect(s.state.filterError?.position == 28)
        #expect(s.state.textFilter == "chapter_id=3 and latency_ms")
        s.refresh()
        let matching = s.state.feed.matching
        #expect(matching > 0)
        let screen = render(s.state).lines
        #expect(screen[1].contains("/chapter_id=3 and latency_ms>"))
        #expect(screen.contains { $0.contains("✘ at 29: expected a value after latency_ms>; the last good filter stays") })
        s.type("1000")
        #expect(s.state.filterError == nil && s.state.textFilter == "chapter_id=3 and latency_ms>1000")
        s.refresh()
        #expect(s.state.feed.events.allSatisfy {
            guard case .int(let ms)? = $0.payload["latency_ms"] else { return false }
            return $0.payload["chapter_id"] == .int(3) && ms > 1000
        })
        // Enter on a text that does not read goes back to the good one.
        s.type(" or (")
        #expect(s.state.filterError != nil)
        let good = s.state.textFilter
        s.send(.key(.enter))
        #expect(s.state.mode == .normal && s.state.filterError == nil && s.state.filterEditor.text == good)
    }

    @Test func sourceAndEventTypeAreFieldsToo() {
        let s = fixture.session(width: 160, height: 45)
        s.send(.key(.char("/")))
        s.type("source=form or event_type=error_event")
        s.refresh()
        #expect(!s.state.feed.events.isEmpty)
        #expect(s.state.feed.events.allSatisfy { $0.source == .form || $0.eventType == "error_event" })
    }
}

extension QueryFilterTests {
    @Test func upAndDownWalkTheFiltersKeptBefore() {
        let s = fixture.session(width: 160, height: 45)
        for text in ["chapter_id=3", "source=form", "chapter_id=3"] {
            s.send(.key(.char("/")))
            s.type(text)
            let effects = s.send(.key(.enter))
            #expect(effects.contains { if case .saveFilterHistory = $0 { true } else { false } } || s.state.filterHistory.last == text)
            s.send(.key(.char("/")))
            s.send(.key(.escape))
        }
        // Kept once each, the newest last.
        #expect(s.state.filterHistory == ["source=form", "chapter_id=3"])
        s.send(.key(.char("/")))
        s.send(.key(.up))
        #expect(s.state.filterEditor.text == "chapter_id=3" && s.state.textFilter == "chapter_id=3")
        s.send(.key(.up))
        #expect(s.state.filterEditor.text == "source=form")
        s.send(.key(.up))
        #expect(s.state.filterEditor.text == "source=form", "the oldest stays")
        s.send(.key(.down))
        s.send(.key(.down))
        #expect(s.state.filterEditor.text.isEmpty, "past the newest: the empty line")
    }

    @Test func theHistoryFileRoundTrips() throws {
        let path = "/tmp/teletop-history-\(UInt32.random(in: 0...UInt32.max))/sub/filters"
        defer { _ = try? FileManager.default.removeItem(atPath: String(path.dropLast("/sub/filters".count))) }
        #expect(DashboardApp.saveFilterHistory(["a=1", "two\nlines"], to: path) == nil)
        #expect(DashboardApp.loadFilterHistory(path) == ["a=1", "two lines"])
        #expect(DashboardApp.loadFilterHistory("/nonexistent/x").isEmpty)
    }
}
