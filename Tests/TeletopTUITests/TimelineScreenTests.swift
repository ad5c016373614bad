import Foundation
import Testing
import TeletopCore
@testable import TeletopTUI

/// A store that holds older events of user u1, and the ring's newest one too (as a real store does).
struct FakeHistory: AnalyticsSource {
    var stored: [LoggedEvent]
    func top(_ query: TopQuery) throws -> TopResult { TopResult(values: [], total: 0, withField: 0) }
    func perMinute(minutes: Int, now: Timestamp) throws -> [Int] { [] }
    func series(_ query: SeriesQuery) throws -> [SeriesPoint] { [] }
    func timeline(_ query: TimelineQuery) throws -> TimelineResult {
        guard TimelineKey.indexedFields.contains(query.field) else { return TimelineResult(indexed: false) }
        return TimelineResult(events: stored.filter(query.matches), indexed: true, elapsedMillis: 1.5)
    }
}

@Suite("The timeline view")
struct TimelineScreenTests {
    let clock = ManualClock(Timestamp(year: 2026, month: 12, day: 2, hour: 9))

    func visit(_ user: String, chapter: Int64, at: Timestamp, sequence: UInt64 = 0) -> LoggedEvent {
        LoggedEvent(sequence: sequence, eventType: "chapter_visit", timestamp: at, source: .http, unplanned: false,
                    packedPayload: PackedPayload(["user_id": .string(user), "chapter_id": .int(chapter)]))
    }

    /// The app, with u1's two events an hour ago only in the store, and u1's and u2's newer ones in the ring.
    func app() -> (DashboardApp, EventLogger) {
        let logger = EventLogger(plan: .contract, clock: clock)
        let hourAgo = clock.now().adding(milliseconds: -3_600_000)
        var old = [visit("u1", chapter: 1, at: hourAgo), visit("u1", chapter: 2, at: hourAgo.adding(milliseconds: 90_000))]
        for (user, chapter) in [("u1", 3), ("u2", 4), ("u1", 5)] {
            logger.log("chapter_visit", ["user_id": .string(user), "chapter_id": .int(Int64(chapter)), "timestamp": .string(clock.now().iso8601)],
                       source: .http)
            clock.advance(milliseconds: 1_500)
        }
        // The store holds the ring's u1 events too: they must show once.
        old += logger.recentEvents(limit: 10).map { e in
            LoggedEvent(sequence: 9_000 + e.sequence, eventType: e.eventType, timestamp: e.timestamp, source: e.source, unplanned: false,
                        packedPayload: PackedPayload(e.payload))
        }
        var options = DashboardApp.Options()
        options.analytics = FakeHistory(stored: old)
        let app = DashboardApp(backend: FakeBackend(width: 160, height: 45, glyphs: .unicode, script: []), logger: logger, simulator: nil,
                               options: options)
        app.drawFrame()
        return (app, logger)
    }

    func waitForStore(_ app: DashboardApp) {
        for _ in 0..<300 where app.state.timeline?.stored == nil {
            app.deliverInbox()
            Thread.sleep(forTimeInterval: 0.01)
        }
    }

    func screen(_ app: DashboardApp) -> [String] { render(app.state).lines }

    @Test func tOnAnEventShowsItsUsersEventsFromMemoryThenTheStoreOldestFirst() {
        let (app, _) = app()
        // Following: T is on the newest event (u1, chapter 5).
        app.dispatch(.key(.char("T")))
        #expect(app.state.mode == .timeline)
        #expect(screen(app).joined().contains("Timeline: user_id = \"u1\""))
        // The ring's part is there at once.
        #expect(app.state.timeline?.rows.map(\.fromStore) == [false, false])
        waitForStore(app)
        let rows = app.state.timeline?.rows ?? []
        #expect(rows.count == 4, "two from the store, two from memory, none twice: \(rows.map(\.event.timestamp))")
        #expect(rows.map(\.fromStore) == [true, true, false, false])
        #expect(rows.map(\.event.timestamp) == rows.map(\.event.timestamp).sorted())
        let text = screen(app)
        #expect(text.contains { $0.contains("4 events: 2 in memory, 2 older from the store in 1.5 ms") })
        // The gap between events: 1.5 min between the two stored, then the hour or so to the ring's.
        #expect(text.contains { $0.contains("+1.5 min") && $0.contains("chapter_id=2") }, "\(text.prefix(8).joined(separator: "\n"))")
        #expect(text.contains { $0.contains("+58 min") && $0.contains("chapter_id=3") })
        #expect(!text.contains { $0.contains("u2") }, "only u1's events")
        #expect(app.state.timeline?.selected == 3, "the event T was pressed on stays highlighted")
    }

    @Test func enterOpensAnEventAndClosingItComesBackToTheTimeline() {
        let (app, _) = app()
        app.dispatch(.key(.char("T")))
        waitForStore(app)
        app.dispatch(.key(.char("g")))
        app.dispatch(.key(.enter))
        guard case .detail(let event, _) = app.state.mode else { Issue.record("no detail"); return }
        #expect(event.payload["chapter_id"] == .int(1), "the oldest, from the store")
        #expect(screen(app).joined().contains("Timeline: user_id"), "the timeline stays underneath")
        app.dispatch(.key(.char("q")))
        #expect(app.state.mode == .timeline)
        app.dispatch(.key(.char("q")))
        #expect(app.state.mode == .normal && app.state.timeline == nil)
    }

    @Test func fFollowsAnotherFieldAndSaysWhenTheStoreHasNoIndexOfIt() {
        let (app, _) = app()
        app.dispatch(.key(.char("T")))
        app.dispatch(.key(.char("f")))
        #expect(app.state.timeline?.query == TimelineQuery(field: "chapter_id", value: .int(5)))
        waitForStore(app)
        #expect(app.state.timeline?.rows.count == 1)
        #expect(screen(app).contains { $0.contains("the store indexes user_id and session_id only") }, "\(screen(app).prefix(4).joined(separator: "\n"))")
        app.dispatch(.key(.char("f")))
        #expect(app.state.timeline?.query.field == "timestamp")
        // Round again to user_id.
        app.dispatch(.key(.char("f")))
        #expect(app.state.timeline?.query.field == "user_id")
    }

    @Test func aPartForATimelineSinceClosedIsDropped() {
        let (app, _) = app()
        app.dispatch(.key(.char("T")))
        app.dispatch(.key(.escape))
        waitForStore(app)
        app.deliverInbox()
        #expect(app.state.timeline == nil && app.state.mode == .normal)
    }
}
