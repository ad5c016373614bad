import Testing
import TeletopCore
@testable import TeletopTUI

@Suite("What alerts put on screen")
struct AlertScreenTests {
    let clock = ManualClock(Timestamp(year: 2026, month: 12, day: 2, hour: 9))

    /// A dashboard with rules running on a manual clock, an error rate rule and `new type`.
    func app(bell: Bool = true) throws -> (DashboardApp, EventLogger, AlertMonitor, FakeBackend) {
        var plan = TrackingPlan.contract
        plan.acceptUnplanned = true
        let logger = EventLogger(plan: plan, clock: clock)
        let monitor = AlertMonitor(rules: [try AlertRule.parse("error_event rate > 1/s for 2s"), try AlertRule.parse("new type")],
                                   logger: logger, actions: [])
        monitor.evaluate()
        var options = DashboardApp.Options()
        options.alerts = monitor
        options.bell = bell
        let backend = FakeBackend(width: 160, height: 45, glyphs: .unicode, script: [])
        let app = DashboardApp(backend: backend, logger: logger, simulator: nil, options: options)
        return (app, logger, monitor, backend)
    }

    func errors(_ logger: EventLogger, _ n: Int) {
        for _ in 0..<n { logger.log("error_event", ["error_type": "timeout", "error_message": "upstream"], source: .http) }
    }

    @Test func aFiringAlertIsInTheHeaderRingsOnceAndLeavesWhenAcknowledged() throws {
        let (app, logger, monitor, backend) = try app()
        app.drawFrame()
        #expect(!render(app.state).lines[0].contains("ALERT"))
        #expect(render(app.state).lines.last?.contains("! alerts") == true, "the footer offers the alerts view")
        errors(logger, 10)
        clock.advance(milliseconds: 2000)
        #expect(monitor.evaluate().map(\.state) == [.firing])
        app.drawFrame()
        let header = render(app.state).lines[0]
        #expect(header.contains("ALERT: error_event at 5.0/s over 2s, > 1.0/s (! to see)"))
        #expect(backend.bells == 1)
        app.drawFrame()
        #expect(backend.bells == 1, "one ring per alert, not per frame")
        #expect(render(app.state).lines.last?.contains("! ALERTS") == true)
        // The view lists it; Enter acknowledges it and the banner goes.
        app.dispatch(.key(.char("!")))
        let view = render(app.state).lines.joined(separator: "\n")
        #expect(view.contains("Alerts (Enter acknowledge, A all, q back)"))
        #expect(view.contains("Rules: error_event rate > 1/s for 2s   new type"))
        #expect(view.contains("FIRING") && view.contains("error_event at 5.0/s over 2s"))
        app.dispatch(.key(.enter))
        #expect(render(app.state).lines.joined(separator: "\n").contains("ack"))
        app.dispatch(.key(.char("q")))
        #expect(app.state.mode == .normal)
        #expect(!render(app.state).lines[0].contains("ALERT"))
    }

    @Test func recoveryTakesTheBannerAwayAndTheHistoryKeepsBoth() throws {
        let (app, logger, monitor, _) = try app()
        errors(logger, 10)
        clock.advance(milliseconds: 2000)
        monitor.evaluate()
        clock.advance(milliseconds: 2000)
        #expect(monitor.evaluate().map(\.state) == [.resolved])
        app.drawFrame()
        #expect(!render(app.state).lines[0].contains("ALERT"))
        app.dispatch(.key(.char("!")))
        let rows = render(app.state).lines.filter { $0.contains("error_event") && ($0.contains("resolved") || $0.contains("fired")) }
        #expect(rows.count == 2)
        #expect(rows[0].contains("resolved") && rows[0].contains("error_event back to 0.0/s over 2s"), "newest first")
        #expect(rows[1].contains("fired"))
    }

    @Test func aNewTypesAlertStaysUntilAcknowledged() throws {
        let (app, logger, monitor, backend) = try app(bell: false)
        logger.log("refund", [:], source: .http)
        logger.log("checkout", [:], source: .http)
        clock.advance(milliseconds: 1000)
        #expect(monitor.evaluate().count == 2)
        app.drawFrame()
        #expect(backend.bells == 0, "--no-bell")
        let header = render(app.state).lines[0]
        #expect(header.contains("ALERT: first event of type refund (+1 more, ! to see)"))
        clock.advance(milliseconds: 60_000)
        monitor.evaluate()
        app.drawFrame()
        #expect(render(app.state).lines[0].contains("ALERT"), "a one-shot alert stays on until acknowledged")
        app.dispatch(.key(.char("!")))
        let view = render(app.state).lines.joined(separator: "\n")
        #expect(view.contains("first event of type checkout"))
        app.dispatch(.key(.char("A")))
        app.dispatch(.key(.escape))
        #expect(!render(app.state).lines[0].contains("ALERT"))
    }

    @Test func withoutRulesTheKeyShowsHowToGiveThem() {
        let logger = EventLogger(clock: clock)
        let app = DashboardApp(backend: FakeBackend(script: []), logger: logger, simulator: nil)
        #expect(render(app.state).lines.last?.contains("! alerts") == false, "no footer entry without rules")
        app.dispatch(.key(.char("!")))
        #expect(render(app.state).lines.joined(separator: "\n").contains("No alert rules: give --alert RULE"))
    }
}
