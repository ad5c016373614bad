import Foundation
import TeletopCore

/// Contract-sized JSON Lines read from a file into a fresh logger, as
/// `teletop serve --stdin < FILE` does: lines per second, median of runs.
/// `stamped`: whole AnalyticsEvents with their `timestamp`, as a recorded
/// stream (and benchmarks/feed_jsonl.py) has them; otherwise EventLogRequests.
func linesThroughput(lines: Int = 1_000_000, runs: Int = 3, stamped: Bool = false) -> Double {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("teletop-bench-\(getpid()).jsonl")
    defer { try? FileManager.default.removeItem(at: url) }
    var text = ""
    text.reserveCapacity(lines * 190)
    for i in 0..<lines {
        text += #"{"event_type": "ai_block_used", "payload": {"user_id": "user_\#(100 + i % 900)", "chapter_id": \#(1 + i % 7), "#
        text += #""section_id": "what-is-physical-ai", "block_type": "ask-question", "query": "What is Physical AI?"}"#
        text += stamped ? #", "timestamp": "2026-12-04T10:00:00.000Z"}"# + "\n" : "}\n"
    }
    try! text.write(to: url, atomically: true, encoding: .utf8)
    var results: [Double] = []
    let clock = ContinuousClock()
    for _ in 0..<runs {
        let logger = EventLogger()
        let ingestor = JSONLinesIngestor(logger: logger, source: .file)
        let fd = open(url.path, O_RDONLY)
        let start = clock.now
        let stats = ingestor.readToEnd(fd: fd)
        let elapsed = seconds(clock.now - start)
        close(fd)
        precondition(stats.accepted == lines && logger.eventsLogged == lines, "lines lost")
        results.append(Double(lines) / elapsed)
    }
    return median(results)
}
