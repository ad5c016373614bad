import Foundation
import TeletopCore
import TeletopStore

/// Raw store insert rate: contract-sized events written in batches of the
/// writer's largest (`StoreWriter.Options.maxBatch`), one transaction and
/// fsync each, into a fresh file, until the log is copied into the file
/// (by the store's checkpoint thread, beside the writes, and what is left at
/// the end). Events per second, median of runs.
func storeInsertThroughput(events: Int = 400_000, batch: Int = StoreWriter.Options().maxBatch, runs: Int = 5) -> Double {
    let logger = EventLogger(configuration: .init(ringCapacity: 16))
    let logged: [LoggedEvent] = (0..<events).map { i in
        let payload: JSONObject = ["user_id": .string("user_\(100 + i % 900)"), "chapter_id": .int(Int64(1 + i % 7)),
                                   "section_id": "what-is-physical-ai", "block_type": "ask-question", "query": "What is Physical AI?"]
        return logger.log("ai_block_used", payload, source: .http).event!
    }
    var results: [Double] = []
    let clock = ContinuousClock()
    for _ in 0..<runs {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("teletop-bench-store-\(UUID())")
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try! EventStore(path: dir.appendingPathComponent("events.sqlite").path)
        let start = clock.now
        var i = 0
        while i < logged.count {
            try! store.insertBlocking(Array(logged[i..<min(logged.count, i + batch)]))
            i += batch
        }
        // The log copied into the file, inside the time: part of what the writes cost.
        try! store.checkpointLog()
        let elapsed = seconds(clock.now - start)
        precondition(try! store.count() == events, "events lost")
        results.append(Double(events) / elapsed)
    }
    return median(results)
}

/// Export's read path: a cursor over every stored row, each made into its JSON
/// line, in rows per second.
func storeExportThroughput(events: Int = 400_000) -> Double {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("teletop-bench-export-\(UUID())")
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("events.sqlite").path
    let store = try! EventStore(path: path)
    let logger = EventLogger(configuration: .init(ringCapacity: 16))
    var batch: [LoggedEvent] = []
    for i in 0..<events {
        batch.append(logger.log("ai_block_used", ["user_id": .string("user_\(i % 900)"), "chapter_id": .int(Int64(i % 7)),
                                                  "section_id": "intro", "block_type": "ask-question"], source: .sim).event!)
        if batch.count == 4096 { try! store.insertBlocking(batch); batch.removeAll() }
    }
    try! store.insertBlocking(batch)
    var results: [Double] = []
    let clock = ContinuousClock()
    for _ in 0..<3 {
        var bytes = 0
        var rows = 0
        var line: [UInt8] = []
        let start = clock.now
        try! store.export(ExportFilter()) { row in
            line.removeAll(keepingCapacity: true)
            JSONWriter.writeString(row.eventType, into: &line)
            line.append(contentsOf: row.payloadJSON.utf8)
            line.append(contentsOf: row.timestamp.iso8601.utf8)
            bytes += line.count
            rows += 1
        }
        precondition(rows == events && bytes > 0, "rows lost")
        results.append(Double(rows) / seconds(clock.now - start))
    }
    return median(results)
}
