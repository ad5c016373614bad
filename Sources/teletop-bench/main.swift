// Prints the core's speed and memory figures. Run with:
//   swift run -c release teletop-bench
// Figures, not pass/fail: targets are in the README next to the command.
import Foundation
import TeletopCore
import TeletopStore

import CHeapStats

let contractBody = Array("""
{"event_type": "ai_block_used", "payload": {"user_id": "user_123", "chapter_id": 1, "section_id": "what-is-physical-ai", "block_type": "ask-question", "query": "What is Physical AI?"}}
""".utf8)

func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }

/// Mirrors what a busy source does: build a small payload, then log it.
@inline(never)
func produce(_ logger: EventLogger, count: Int, offset: Int) {
    let builder = PayloadBuilder()
    for i in 0..<count {
        builder.reset()
        builder.add("user_id", "user_123")
        builder.add("chapter_id", (i + offset) % 7)
        builder.add("section_id", "what-is-physical-ai")
        builder.add("block_type", "ask-question")
        logger.log("ai_block_used", builder.build(), source: .sim)
    }
}

/// The convenient path: a `JSONObject` literal per event.
@inline(never)
func produceObjects(_ logger: EventLogger, count: Int, offset: Int) {
    for i in 0..<count {
        let payload: JSONObject = [
            "user_id": "user_123", "chapter_id": .int(Int64((i + offset) % 7)),
            "section_id": "what-is-physical-ai", "block_type": "ask-question",
        ]
        logger.log("ai_block_used", payload, source: .sim)
    }
}

func objectThroughput(count: Int) -> Double {
    let logger = EventLogger()
    let clock = ContinuousClock()
    let start = clock.now
    produceObjects(logger, count: count, offset: 0)
    return Double(count) / seconds(clock.now - start)
}

func logThroughput(producers: Int, perProducer: Int) -> Double {
    let logger = EventLogger()
    let clock = ContinuousClock()
    let start = clock.now
    if producers == 1 {
        produce(logger, count: perProducer, offset: 0)
    } else {
        let group = DispatchGroup()
        for p in 0..<producers {
            let thread = Thread { produce(logger, count: perProducer, offset: p); group.leave() }
            group.enter()
            thread.start()
        }
        group.wait()
    }
    let elapsed = seconds(clock.now - start)
    precondition(logger.eventsLogged == producers * perProducer, "lost events")
    return Double(producers * perProducer) / elapsed
}

func parseTime(iterations: Int) -> Double {
    var runs: [Double] = []
    let clock = ContinuousClock()
    contractBody.withUnsafeBufferPointer { buffer in
        for _ in 0..<7 {
            let start = clock.now
            var keys = 0
            for _ in 0..<iterations {
                if case .object(let o) = try! JSONParser.parse(buffer) { keys &+= o.count }
            }
            precondition(keys == 2 * iterations)
            runs.append(seconds(clock.now - start) / Double(iterations))
        }
    }
    return median(runs)
}

func heapInUse() -> Int {
    Int(teletop_heap_in_use())
}

func bytesPerRetainedEvent(count: Int) -> Double {
    // Payloads built fresh per event with distinct strings, as parsed input would be.
    let logger = EventLogger(configuration: .init(ringCapacity: count))
    let before = heapInUse()
    for i in 0..<count {
        let payload: JSONObject = [
            "user_id": .string("user_\(100_000 + i)"), "chapter_id": .int(Int64(i % 7)),
            "section_id": .string("what-is-physical-ai-\(i % 1000)"), "block_type": "ask-question",
            "query": .string("What is Physical AI? #\(i)"),
        ]
        logger.log("ai_block_used", payload, source: .http)
    }
    let after = heapInUse()
    withExtendedLifetime(logger) {}
    return Double(after - before) / Double(count)
}

func timestampFormat(iterations: Int) -> Double {
    let clock = ContinuousClock()
    let start = clock.now
    var n = 0
    for i in 0..<iterations {
        n &+= Timestamp(millisecondsSinceEpoch: 1_737_936_000_000 + Int64(i)).iso8601.utf8.count
    }
    precondition(n == 24 * iterations)
    return seconds(clock.now - start) / Double(iterations)
}

func fmt(_ x: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", x) }

/// `teletop-bench [name ...]` runs only the named figures (log1, logobj, log2, parse, bytes, timestamp, lines, store, query, snapshot, frame).
/// `history` (stores of 1M and 10M events, a few minutes) and `history1m` run only when named.
let wanted = Set(CommandLine.arguments.dropFirst())
func run(_ name: String) -> Bool { wanted.isEmpty || wanted.contains(name) }

print("teletop benchmarks (\(ProcessInfo.processInfo.activeProcessorCount) cores)")
print("figure                                      value        target")
if run("log1") {
    let one = median((0..<3).map { _ in logThroughput(producers: 1, perProducer: 3_000_000) })
    print("log() throughput, 1 producer                \(fmt(one / 1e6)) M/s     >= 3 M/s")
}
if run("logobj") {
    let obj = median((0..<3).map { _ in objectThroughput(count: 1_000_000) })
    print("log() throughput, JSONObject payloads       \(fmt(obj / 1e6)) M/s")
}
if run("log2") {
    let two = median((0..<3).map { _ in logThroughput(producers: 2, perProducer: 1_500_000) })
    print("log() throughput, 2 producers               \(fmt(two / 1e6)) M/s     >= 2 M/s")
}
if run("parse") {
    let parse = parseTime(iterations: 200_000)
    print("parse contract example body                 \(fmt(parse * 1e6, 3)) µs     <= 2 µs")
}
if run("bytes") {
    let bytes = bytesPerRetainedEvent(count: 100_000)
    print("heap bytes per retained contract event      \(fmt(bytes, 0)) B        <= 400 B")
}
if run("timestamp") {
    let ts = timestampFormat(iterations: 1_000_000)
    print("ISO-8601 timestamp formatting               \(fmt(ts * 1e9, 0)) ns")
}

if run("lines") {
    let lines = linesThroughput()
    print("JSON Lines from a file into the logger       \(fmt(lines / 1e3, 0)) k lines/s  >= 500k lines/s")
    let stamped = linesThroughput(stamped: true)
    print("  the same as AnalyticsEvents (timestamped)  \(fmt(stamped / 1e3, 0)) k lines/s")
}
if run("store") {
    let insert = storeInsertThroughput()
    // The batch is the writer's largest (StoreBenchmark), named from it so the label cannot drift.
    let label = "store: batch insert, \(Describe.grouped(StoreWriter.Options().maxBatch)) per commit"
    print("\(label.padding(toLength: 43, withPad: " ", startingAt: 0))\(fmt(insert / 1e3, 0)) k events/s  >= 300k events/s")
    let export = storeExportThroughput()
    print("store: export read path (cursor)           \(fmt(export / 1e3, 0)) k events/s")
}
if wanted.contains("history") || wanted.contains("history1m") {
    printHistory(sizes: wanted.contains("history") ? [1_000_000, 10_000_000] : [1_000_000])
}
if run("query") {
    let q = queryFigures()
    print("query over the 10,000-event ring            \(fmt(q.ringMillis, 3)) ms     <= 2 ms")
    print("query, field terms, events/s                \(fmt(q.perSecond / 1e6)) M/s     >= 5 M/s")
    print("query, free text (the line is built), /s   \(fmt(q.freeTextPerSecond / 1e6)) M/s")
}
if run("snapshot") {
    let snap = snapshotTime()
    print("EventLogger.snapshot() for a frame          \(fmt(snap * 1e6, 2)) µs")
}
if run("frame") {
    let frame = frameTime()
    print("one 160x45 frame, full feed, no tty I/O  \(fmt(frame * 1e3, 3)) ms     <= 5 ms")
}

if wanted.contains("parts") {
    let n = 2_000_000
    let clock = ContinuousClock()
    func time(_ label: String, _ body: () -> Int) {
        let start = clock.now
        let r = body()
        print("  \(label): \(fmt(seconds(clock.now - start) / Double(n) * 1e9, 0)) ns  (\(r))")
    }
    let plan = TrackingPlan.contract
    let fixed: JSONObject = ["user_id": "user_123", "chapter_id": 3, "section_id": "what-is-physical-ai", "block_type": "ask-question"]
    time("build payload") {
        var c = 0
        for i in 0..<n {
            let p: JSONObject = ["user_id": "user_123", "chapter_id": .int(Int64(i % 7)), "section_id": "what-is-physical-ai", "block_type": "ask-question"]
            c &+= p.count
        }
        return c
    }
    let packedFixed = PackedPayload(fixed)
    time("validate packed") {
        var c = 0
        for _ in 0..<n { c &+= plan.validate(eventType: "ai_block_used", payload: packedFixed).issues.count }
        return c
    }
    time("builder") {
        var c = 0
        let b = PayloadBuilder()
        for i in 0..<n {
            b.reset()
            b.add("user_id", "user_123")
            b.add("chapter_id", i % 7)
            b.add("section_id", "what-is-physical-ai")
            b.add("block_type", "ask-question")
            c &+= b.build().bytes.count
        }
        return c
    }
    let logger2 = EventLogger()
    time("log packed fixed") {
        for _ in 0..<n { logger2.log("ai_block_used", packedFixed, source: .sim) }
        return logger2.eventsLogged
    }
    time("pack") {
        var c = 0
        for _ in 0..<n { c &+= PackedPayload(fixed).bytes.count }
        return c
    }
    time("clock") {
        var c: Int64 = 0
        let sc = SystemClock()
        for _ in 0..<n { c &+= sc.now().millisecondsSinceEpoch & 1 }
        return Int(c)
    }
    let logger = EventLogger()
    time("log fixed payload") {
        for _ in 0..<n { logger.log("ai_block_used", fixed, source: .sim) }
        return logger.eventsLogged
    }
}
