import Foundation
import TeletopCore

/// The query language on the simulator's events (issue 15's targets): one
/// query over the whole 10,000-event ring, and events per second through it.
func queryFigures() -> (ringMillis: Double, perSecond: Double, freeTextPerSecond: Double) {
    let logger = EventLogger(configuration: .init(ringCapacity: 10_000))
    let sim = Simulator(logger: logger, seed: 7, rate: 10_000)
    sim.advance(elapsed: 1.2)
    let events = logger.events(after: 0, limit: 10_000)
    let query = try! EventQuery.parse("event_type=ai_block_used and chapter_id=3 and block_type!=interactive-quiz or latency_ms>800")
    let free = try! EventQuery.parse("sim-to-real")
    let clock = ContinuousClock()
    var best = Double.infinity
    var matched = 0
    for _ in 0..<20 {
        let t = clock.now
        matched = events.reduce(0) { $0 + (query.matches($1) ? 1 : 0) }
        best = min(best, seconds(clock.now - t))
    }
    precondition(matched > 0)
    var freeBest = Double.infinity
    for _ in 0..<5 {
        let t = clock.now
        _ = events.reduce(0) { $0 + (free.matches($1) ? 1 : 0) }
        freeBest = min(freeBest, seconds(clock.now - t))
    }
    return (best * 1e3, Double(events.count) / best, Double(events.count) / freeBest)
}
