import Testing
import TeletopCore
@testable import TeletopTUI

/// A terminal that replays scripted input and records frames.
final class FakeBackend: TerminalBackend {
    var width: Int
    var height: Int
    let glyphs = Glyphs.unicode
    var script: [TerminalEvent?]
    var frames: [CellGrid] = []
    var invalidated = 0
    var onIdle: () -> Void = {}

    init(width: Int = 160, height: Int = 45, script: [TerminalEvent?]) {
        self.width = width
        self.height = height
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
}
