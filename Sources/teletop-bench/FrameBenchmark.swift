import TeletopCore
import TeletopTUI

/// A terminal that shows nothing, so a frame's cost is teletop's own work:
/// snapshot, feed page, render into the cell grid.
final class NullBackend: TerminalBackend {
    let width: Int
    let height: Int
    let glyphs = Glyphs.unicode
    private(set) var cellsSeen = 0
    init(width: Int, height: Int) { self.width = width; self.height = height }
    func nextEvent(timeoutMilliseconds: Int32) -> TerminalEvent? { nil }
    func draw(_ grid: CellGrid) { cellsSeen &+= grid.width * grid.height }
    func invalidate() {}
    func copyToClipboard(_ text: String) {}
    func bell() {}
}

/// Median time of one full 160x45 frame with a full ring (10,000 events) and a
/// new event before every frame, as at a high ingest rate.
func frameTime(width: Int = 160, height: Int = 45, frames: Int = 2_000) -> Double {
    let clock = ManualClock(Timestamp(year: 2025, month: 1, day: 27, hour: 9))
    let logger = EventLogger(configuration: .init(ringCapacity: 10_000), clock: clock)
    let simulator = Simulator(logger: logger, seed: 7, rate: 200)
    while logger.eventsLogged < 12_000 {  // more than the ring holds: it is full and evicting
        simulator.advance(elapsed: 0.05)
        clock.advance(milliseconds: 50)
    }
    let backend = NullBackend(width: width, height: height)
    let app = DashboardApp(backend: backend, logger: logger, simulator: simulator)
    let timer = ContinuousClock()
    var runs: [Double] = []
    for _ in 0..<frames {
        simulator.advance(elapsed: 0.005)
        clock.advance(milliseconds: 5)
        let start = timer.now
        app.drawFrame()
        runs.append(seconds(timer.now - start))
    }
    precondition(backend.cellsSeen == frames * width * height)
    return median(runs)
}

/// Median cost of `EventLogger.snapshot()` (what each frame reads) with the
/// contract's three types and a full 120 s of per-second history.
func snapshotTime(iterations: Int = 20_000) -> Double {
    let clock = ManualClock(Timestamp(year: 2025, month: 1, day: 27, hour: 9))
    let logger = EventLogger(configuration: .init(ringCapacity: 10_000), clock: clock)
    let simulator = Simulator(logger: logger, seed: 7, rate: 100)
    for _ in 0..<1_300 {  // 130 s of traffic
        simulator.advance(elapsed: 0.1)
        clock.advance(milliseconds: 100)
    }
    let timer = ContinuousClock()
    var runs: [Double] = []
    var total = 0
    for _ in 0..<7 {
        let start = timer.now
        for _ in 0..<iterations { total &+= Int(logger.snapshot().eventsLogged) }
        runs.append(seconds(timer.now - start) / Double(iterations))
    }
    precondition(total > 0)
    return median(runs)
}
