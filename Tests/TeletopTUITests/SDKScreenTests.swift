import Foundation
import Testing
import TeletopCore
@testable import TeletopTUI

@Suite("What the SDK endpoints put on screen")
struct SDKScreenTests {
    let clock = ManualClock(Timestamp(year: 2026, month: 12, day: 2, hour: 9))

    func app(faults: FaultSwitch?, planDirectory: String = "/tmp") -> (DashboardApp, EventLogger) {
        var plan = TrackingPlan.contract
        plan.acceptUnplanned = true
        let logger = EventLogger(plan: plan, clock: clock)
        let body = try! JSONParser.parse(Array(#"{"event": "Order Completed", "userId": "u1", "messageId": "m1", "properties": {"order_id": "o-1", "revenue": 9.5}}"#.utf8))
        let event = try! SegmentMapping.map(body, call: "track").get().events[0].get()
        for duplicate in [false, true] {
            let d = event.decoded(duplicate: duplicate)
            logger.log(d.eventType, d.payload, source: .segment)
            clock.advance(milliseconds: 10)
        }
        var options = DashboardApp.Options()
        options.faults = faults
        options.planDirectory = planDirectory
        let app = DashboardApp(backend: FakeBackend(width: 160, height: 45, glyphs: .unicode, script: []), logger: logger,
                               simulator: nil, options: options)
        return (app, logger)
    }

    func refresh(_ app: DashboardApp, _ logger: EventLogger, _ faults: FaultSwitch?) {
        app.dispatch(.refreshed(Refresh(snapshot: logger.snapshot(), fault: faults?.fault)))
    }

    @Test func theFeedNamesTheSDKMarksTheRetryAndLeavesItsMetadataToTheDetail() throws {
        let (app, logger) = app(faults: nil)
        refresh(app, logger, nil)
        let lines = render(app.state).lines
        let rows = lines.filter { $0.contains("order_completed") && $0.contains("segment") }
        #expect(rows.count == 2)
        #expect(rows.allSatisfy { $0.contains(" segment ") && $0.contains("order_id=o-1 revenue=9.5") && !$0.contains("_sdk") })
        #expect(!rows[0].contains("DUP") && rows[1].contains("segment DUP order_id=o-1"))
        // The detail popup shows the stored event and, below, the call as the SDK sent it.
        app.dispatch(.key(.enter))
        let detail = render(app.state).lines.joined(separator: "\n")
        #expect(detail.contains("DUPLICATE: a retry of an event already taken"))
        #expect(detail.contains("As the segment SDK sent it:"))
        #expect(detail.contains(#""event": "Order Completed""#) && detail.contains(#""properties": {"#))
    }

    @Test func fCyclesTheFaultModeAndTheHeaderShowsIt() {
        let faults = FaultSwitch()
        let (app, logger) = app(faults: faults)
        refresh(app, logger, faults)
        #expect(!render(app.state).lines[0].contains("FAULT"))
        app.dispatch(.key(.char("F")))
        #expect(faults.fault == SDKFault.cycle[0])
        #expect(app.state.notice?.contains("fault mode on: 503") == true)
        refresh(app, logger, faults)
        let header = render(app.state).lines[0]
        #expect(header.contains("FAULT MODE: 503 (Retry-After 1s) on 50% of SDK requests"))
        #expect(render(app.state).lines.last?.contains("fault mode on: 503") == true, "the notice says what is on")
        app.dispatch(.key(.char("j")))
        #expect(render(app.state).lines.last?.contains("F fault") == true, "the footer offers the key while a fault is on")
        for _ in SDKFault.cycle { app.dispatch(.key(.char("F"))) }
        refresh(app, logger, faults)
        #expect(faults.fault == nil && !render(app.state).lines[0].contains("FAULT"))
    }

    @Test func withoutTheHTTPAPIFSaysWhy() {
        let (app, logger) = app(faults: nil)
        refresh(app, logger, nil)
        app.dispatch(.key(.char("F")))
        #expect(app.state.notice?.contains("--no-http") == true)
    }

    @Test func pWritesThePlanTheRecentEventsImply() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("teletop-plan-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let (app, logger) = app(faults: nil, planDirectory: dir.path)
        refresh(app, logger, nil)
        app.dispatch(.key(.char("P")))
        let notice = try #require(app.state.notice)
        #expect(notice.contains("plan of 1 types from 2 recent events written to"))
        let file = try #require(try FileManager.default.contentsOfDirectory(atPath: dir.path).first)
        #expect(file == "teletop-plan-20261202-090000.json")
        let plan = try TrackingPlan.load(json: Array(try Data(contentsOf: dir.appendingPathComponent(file))))
        #expect(plan.typeNames == ["order_completed"])
        #expect(plan.eventTypes[0].fields.map(\.name) == ["order_id", "revenue"])
    }
}
