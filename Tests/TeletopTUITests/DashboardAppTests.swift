import Synchronization
import Testing
import TeletopCore
@testable import TeletopTUI

/// A terminal that replays scripted input and records frames.
final class FakeBackend: TerminalBackend {
    var width: Int
    var height: Int
    let glyphs: Glyphs
    var script: [TerminalEvent?]
    var frames: [CellGrid] = []
    var invalidated = 0
    var onIdle: () -> Void = {}

    init(width: Int = 160, height: Int = 45, glyphs: Glyphs = .unicode, script: [TerminalEvent?]) {
        self.width = width
        self.height = height
        self.glyphs = glyphs
        self.script = script
    }

    func nextEvent(timeoutMilliseconds: Int32) -> TerminalEvent? {
        if script.isEmpty { return .key(.char("q")) }
        let e = script.removeFirst()
        if e == nil { onIdle() }
        if case .resize(let w, let h)? = e {
            width = w
            height = h
        }
        return e
    }

    func draw(_ grid: CellGrid) { frames.append(grid) }
    func invalidate() { invalidated += 1 }
    var copied: [String] = []
    func copyToClipboard(_ text: String) { copied.append(text) }
    var bells = 0
    func bell() { bells += 1 }
}

@Suite("Dashboard loop")
struct DashboardAppTests {
    @Test func drawsOnlyWhenSomethingChanged() {
        let clock = ManualClock()
        let logger = EventLogger(clock: clock)
        // Five idle polls with nothing new: one frame, not five.
        let backend = FakeBackend(script: [nil, nil, nil, nil, nil])
        var options = DashboardApp.Options()
        options.maxFPS = 1_000_000
        let app = DashboardApp(backend: backend, logger: logger, simulator: nil, options: options)
        app.run(shouldStop: { false })
        #expect(backend.frames.count == 1)
    }

    /// Issue 12's bug: with --plan, the form lists and checks the loaded plan, not the contract's types.
    @Test func theFormListsTheLoadedPlansTypes() throws {
        let plan = try TrackingPlan.load(json: Array(#"{"event_types": {"page_view": {"fields": {"path": {"type": "string", "required": true}}}}}"#.utf8))
        let logger = EventLogger(plan: plan, clock: ManualClock())
        let backend = FakeBackend(script: [nil, .key(.char("n")), nil])
        var options = DashboardApp.Options()
        options.maxFPS = 1_000_000
        let app = DashboardApp(backend: backend, logger: logger, simulator: nil, options: options)
        app.run(shouldStop: { false })
        #expect(app.state.plan == plan)
        let screen = try #require(backend.frames.last).lines.joined(separator: "\n")
        #expect(screen.contains("page_view"), "\(screen)")
        #expect(!screen.contains("ai_block_used"))
    }

    /// Issue 12's bug, the other half: with --plan the simulator makes the plan's
    /// own events and the counters count them, none rejected.
    @Test func theSimulatorAndTheCountersFollowTheLoadedPlan() throws {
        let plan = try TrackingPlan.load(json: Array(#"""
            {"event_types": {"page_view": {"fields": {"path": {"type": "string", "required": true}}},
                             "signup": {"fields": {"email": {"type": "string", "required": true}, "plan": {"type": "string"}}}}}
            """#.utf8))
        let clock = ManualClock()
        let logger = EventLogger(plan: plan, clock: clock)
        let sim = Simulator(logger: logger, seed: 1, rate: 50)
        let backend = FakeBackend(script: [nil, nil, nil])
        backend.onIdle = {
            sim.advance(elapsed: 1)
            clock.advance(milliseconds: 1000)
        }
        var options = DashboardApp.Options()
        options.maxFPS = 1_000_000
        let app = DashboardApp(backend: backend, logger: logger, simulator: sim, options: options)
        app.run(shouldStop: { false })
        #expect(logger.snapshot().totalRejected == 0)
        #expect(Set(logger.snapshot().types.map(\.name)) == ["page_view", "signup"])
        let counters = try #require(backend.frames.last).lines.map { String($0.dropFirst(app.state.layout.counters.x)) }
        let row = try #require(counters.first { $0.hasPrefix("│page_view") })
        let total = try #require(logger.snapshot().types.first { $0.name == "page_view" }?.accepted)
        #expect(total > 0 && row.contains(" \(total) "), "\(row)")
        #expect(!counters.joined().contains("ai_block_used"))
    }

    @Test func newEventsKeysAndResizesMakeFrames() {
        let clock = ManualClock()
        let logger = EventLogger(clock: clock)
        let sim = Simulator(logger: logger, seed: 1, rate: 10)
        let backend = FakeBackend(script: [nil, .key(.char("?")), nil, .resize(width: 90, height: 30), .resize(width: 100, height: 30), nil,
                                           .key(.ctrl("l")), .key(.escape), .key(.char("s")), nil])
        backend.onIdle = { sim.advance(elapsed: 0.5) }
        var options = DashboardApp.Options()
        options.maxFPS = 1_000_000  // no frame cap: every change may draw
        let app = DashboardApp(backend: backend, logger: logger, simulator: sim, options: options)
        app.run(shouldStop: { false })
        #expect(backend.frames.count >= 4)
        #expect(backend.frames.last?.width == 100, "two resizes in a row coalesce into one frame at the final size")
        #expect(backend.invalidated == 1)
        #expect(sim.status.enabled == false)
        #expect(app.state.snapshot.eventsLogged > 0)
    }

    /// `y`: the event goes to the terminal's clipboard and to teletop's log.
    @Test func aCopyGoesToTheClipboardAndTheLog() {
        let logger = EventLogger(clock: ManualClock())
        logger.log("error_event", ["error_type": "t", "error_message": "m"], source: .http)
        let backend = FakeBackend(script: [])
        let logged = Mutex<[String]>([])
        var options = DashboardApp.Options()
        options.log = { line in logged.withLock { $0.append(line) } }
        let app = DashboardApp(backend: backend, logger: logger, simulator: nil, options: options)
        app.drawFrame()
        app.dispatch(.key(.char("y")))
        let json = #"{"event_type":"error_event","payload":{"error_type":"t","error_message":"m"},"timestamp":"#
        #expect(backend.copied.count == 1 && backend.copied[0].hasPrefix(json))
        #expect(logged.withLock { $0 }.contains { $0.hasPrefix("copied event #1 to the clipboard: " + json) })
    }
}
