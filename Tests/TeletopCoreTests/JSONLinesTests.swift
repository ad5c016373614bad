import Foundation
import Synchronization
import Testing
@testable import TeletopCore

@Suite("JSON Lines input")
struct JSONLinesTests {
    /// Splits `text` fed in chunks of `chunk` bytes; returns lines and over-long markers.
    func split(_ text: String, chunk: Int, max: Int = 1 << 20) -> [String] {
        var splitter = LineSplitter(maxLineBytes: max)
        var out: [String] = []
        let handle: (LineSplitter.Piece) -> Void = { piece in
            switch piece {
            case .line(let b, let n): out.append("\(n):" + String(decoding: b, as: UTF8.self))
            case .tooLong(let n, let seen): out.append("\(n):too long \(seen)")
            }
        }
        let bytes = Array(text.utf8)
        bytes.withUnsafeBufferPointer { all in
            var i = 0
            while i < all.count {
                let j = Swift.min(all.count, i + chunk)
                splitter.feed(UnsafeBufferPointer(rebasing: all[i..<j]), handle)
                i = j
            }
        }
        splitter.finish(handle)
        return out
    }

    @Test(arguments: [1, 2, 3, 7, 64, 4096])
    func linesSurviveAnyChunking(chunk: Int) {
        // Blank and whitespace-only lines are skipped, but still numbered.
        let text = "{\"a\":1}\n\n{\"b\":2}\r\n  \n\t \r\nlast"
        #expect(split(text, chunk: chunk) == ["1:{\"a\":1}", "3:{\"b\":2}", "6:last"])
    }

    @Test(arguments: [1, 5, 4096])
    func anOverLongLineIsSkippedNotHeld(chunk: Int) {
        let long = String(repeating: "x", count: 50)
        #expect(split("ok\n\(long)\nafter\n", chunk: chunk, max: 20) == ["1:ok", "2:too long 50", "3:after"])
        #expect(split("\(long)", chunk: chunk, max: 20) == ["1:too long 50"])
    }

    func ingest(_ text: String, maxLine: Int = 1 << 20) -> (JSONLinesIngestor.Stats, EventLogger) {
        let logger = EventLogger(clock: ManualClock(Timestamp(year: 2025, month: 1, day: 27)))
        let ingestor = JSONLinesIngestor(logger: logger, source: .stdin, maxLineBytes: maxLine)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("teletop-jsonl-\(UUID()).jsonl")
        try! text.write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        let fd = open(url.path, O_RDONLY)
        defer { close(fd) }
        return (ingestor.readToEnd(fd: fd), logger)
    }

    @Test func goodBadAndOverLongLinesGiveTheRightCountsAndReasons() throws {
        let long = "{\"event_type\":\"chapter_visit\",\"payload\":{\"user_id\":\"" + String(repeating: "u", count: 300) + "\"}}"
        let text = """
        {"event_type": "ai_block_used", "payload": {"user_id": "u1", "chapter_id": 1, "section_id": "s", "block_type": "ask-question"}}
        {"event_type": "chapter_visit", "payload": {"user_id": "u1", "chapter_id": 2, "timestamp": "2025-01-27T00:00:00.000Z"}, "timestamp": "2025-01-26T10:00:00.000Z"}
        {"event_type": "ai_block_used", "payload": {"user_id": "u1", "chapter_id": "one", "section_id": "s", "block_type": "b"}}
        {"event_type": "ai_block_used", "payload": 
        \(long)
        {"event_type": "page_view", "payload": {}}

        {"event_type": "error_event", "payload": {"error_type": "t", "error_message": "m"}}
        """
        let (stats, logger) = ingest(text, maxLine: 256)
        #expect(stats.lines == 7)
        #expect(stats.accepted == 3)
        #expect(stats.rejected == 4)
        #expect(stats.finished && stats.state == "end of input")
        let reasons = stats.firstRejections.map(\.summary)
        #expect(reasons.count == 4)
        #expect(reasons[0] == "line 3: payload.chapter_id: expected integer, got string \"one\"")
        #expect(reasons[1].hasPrefix("line 4: body: invalid JSON at byte"))
        #expect(reasons[2] == "line 5: line longer than 256 bytes (\(long.utf8.count)); skipped")
        #expect(reasons[3].hasPrefix("line 6: event_type: \"page_view\" is not a planned event type"))
        let snap = logger.snapshot()
        #expect(snap.eventsLogged == 3)
        #expect(snap.totalRejected == 4)
        // A full AnalyticsEvent keeps its recorded timestamp.
        let visit = try #require(logger.recentEvents(limit: 10).first { $0.eventType == "chapter_visit" })
        #expect(visit.timestamp.iso8601 == "2025-01-26T10:00:00.000Z")
        #expect(visit.source == .stdin)
    }

    @Test func aHundredThousandLinesAreAllCounted() {
        let line = #"{"event_type": "ai_block_used", "payload": {"user_id": "user_123", "chapter_id": 1, "section_id": "what-is-physical-ai", "block_type": "ask-question"}}"# + "\n"
        let text = String(repeating: line, count: 100_000)
        let (stats, logger) = ingest(text)
        #expect(stats.lines == 100_000 && stats.accepted == 100_000 && stats.rejected == 0)
        #expect(logger.eventsLogged == 100_000)
    }
}

@Suite("Following a file", .serialized)
struct FileFollowerTests {
    let line = #"{"event_type": "error_event", "payload": {"error_type": "t", "error_message": "m"}}"# + "\n"

    func waitUntil(_ seconds: Double = 5, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return condition()
    }

    @Test func appendsTruncationAndRotationAreFollowed() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("teletop-follow-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("events.jsonl").path
        try String(repeating: line, count: 3).write(toFile: path, atomically: false, encoding: .utf8)

        let logger = EventLogger()
        let ingestor = JSONLinesIngestor(logger: logger, source: .file)
        let follower = FileFollower(path: path, ingestor: ingestor, maxPollMilliseconds: 20)
        let stop = Stopper()
        let thread = Thread { follower.run(shouldStop: { stop.stopped }) }
        thread.start()
        defer { stop.stop() }

        #expect(waitUntil { logger.eventsLogged == 3 }, "the existing lines")
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data((line + line).utf8))
        #expect(waitUntil { logger.eventsLogged == 5 }, "appended lines show up")
        // A half-written line waits for its newline.
        handle.write(Data(line.dropLast().utf8))
        Thread.sleep(forTimeInterval: 0.1)
        #expect(logger.eventsLogged == 5)
        handle.write(Data("\n".utf8))
        #expect(waitUntil { logger.eventsLogged == 6 })
        try handle.close()

        // Truncated and rewritten: read again from the start.
        try line.write(toFile: path, atomically: false, encoding: .utf8)
        #expect(waitUntil { logger.eventsLogged == 7 }, "after truncation")

        // Rotated: the old file moves away, a new one takes its name.
        try FileManager.default.moveItem(atPath: path, toPath: path + ".1")
        try String(repeating: line, count: 2).write(toFile: path, atomically: false, encoding: .utf8)
        #expect(waitUntil { logger.eventsLogged == 9 }, "after rotation")
        #expect(ingestor.current.state.contains("rotated"))
        #expect(ingestor.current.rejected == 0)
    }
}

final class Stopper: Sendable {
    private let flag = Mutex(false)
    var stopped: Bool { flag.withLock { $0 } }
    func stop() { flag.withLock { $0 = true } }
}

@Suite("Pacing files to a lossless consumer")
struct LosslessPacingTests {
    @Test func aFileReadFasterThanTheStoreTakesItLosesNothing() throws {
        let logger = EventLogger(configuration: .init(ringCapacity: 100))
        // A store stand-in that takes 100 events a millisecond at most. Its queue holds
        // more than one read chunk (256 KiB, ~3,300 of these lines) above the pacing mark.
        let slow = logger.subscribe(name: "store", capacity: 8_192, lossless: true)
        let live = logger.subscribe(name: "stream", capacity: 800)
        let taken = Atomic<Int>(0)
        let consumer = Thread {
            for _ in 0..<10_000 where taken.load(ordering: .relaxed) < 20_000 {
                taken.add(slow.drain(max: 100).count, ordering: .relaxed)
                usleep(1_000)
            }
        }
        consumer.start()
        let line = #"{"event_type":"error_event","payload":{"error_type":"t","error_message":"m"}}"# + "\n"
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("teletop-pacing-\(UUID()).jsonl")
        try String(repeating: line, count: 20_000).write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        let fd = open(url.path, O_RDONLY)
        defer { close(fd) }
        let stats = JSONLinesIngestor(logger: logger, source: .file).readToEnd(fd: fd)
        #expect(stats.accepted == 20_000)
        for _ in 0..<5_000 where taken.load(ordering: .relaxed) < 20_000 { usleep(1_000) }
        #expect(taken.load(ordering: .relaxed) == 20_000)
        #expect(slow.stats.overflow == 0, "the lossless consumer lost events")
        // A consumer that is not lossless does not hold the file back: it overflows instead.
        #expect(live.stats.overflow > 0)
    }
}

@Suite("Replay pacing")
struct ReplayScheduleTests {
    @Test func gapsAreScaledCappedAndNeverNegative() {
        let t0 = Timestamp(year: 2026, month: 11, day: 26)
        var schedule = ReplayPlayer.Schedule(speed: 2, start: 100)
        #expect(schedule.due(t0) == 100)
        #expect(schedule.due(t0.adding(milliseconds: 2_000)) == 101)           // 2 s recorded, at 2x
        #expect(schedule.due(t0.adding(milliseconds: -5_000)) == 101)          // stamped earlier: at once
        #expect(schedule.due(t0.adding(milliseconds: 3_000)) == 101.5)         // 1 s after the latest seen
        #expect(schedule.due(t0.adding(milliseconds: 86_400_000)) == 131.5)    // a day's gap counts as 60 s
        var fastest = ReplayPlayer.Schedule(speed: nil, start: 7)
        #expect(fastest.due(t0.adding(milliseconds: 9_999_999)) == 7)
    }

    @Test func aPlayerHandsOverEventsInBatchesWhenDue() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("teletop-replay-\(UUID()).jsonl")
        defer { try? FileManager.default.removeItem(at: url) }
        let lines = [
            #"{"event_type":"error_event","payload":{"error_type":"a","error_message":"m"},"timestamp":"2026-11-26T00:00:00.000Z"}"#,
            #"{"event_type":"error_event","payload":{"error_type":"b","error_message":"m"},"timestamp":"2026-11-26T00:00:00.000Z"}"#,
            "not json",
            #"{"event_type":"error_event","payload":{"error_type":"c","error_message":"m"},"timestamp":"2026-11-26T00:00:10.000Z"}"#,
        ]
        try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
        let fd = open(url.path, O_RDONLY)
        defer { close(fd) }
        let clock = Mutex<Double>(0)
        var player = ReplayPlayer(speed: 10)
        player.now = { clock.withLock { $0 } }
        player.sleep = { s in clock.withLock { $0 += s } }
        var batches: [(at: Double, lines: [Int])] = []
        #expect(player.play(fd: fd) { items in batches.append((clock.withLock { $0 }, items.map(\.line))) } == nil)
        // The first two (and the bad line, reported in place) at once; the last 10 s later at 10x.
        #expect(batches.map(\.lines) == [[1, 2, 3], [4]])
        #expect(batches.map(\.at) == [0, 1])
    }
}

@Suite("--since and --until")
struct TimeArgumentTests {
    @Test func timesDatesAndSpansBackFromNow() {
        let now = Timestamp(year: 2026, month: 11, day: 26, hour: 12)
        #expect(TimeArgument.parse("2026-11-25T10:00:00Z", now: now) == Timestamp(year: 2026, month: 11, day: 25, hour: 10))
        #expect(TimeArgument.parse("2026-11-25", now: now) == Timestamp(year: 2026, month: 11, day: 25))
        #expect(TimeArgument.parse("90s", now: now) == now.adding(milliseconds: -90_000))
        #expect(TimeArgument.parse("15m", now: now) == now.adding(milliseconds: -900_000))
        #expect(TimeArgument.parse("2h", now: now) == Timestamp(year: 2026, month: 11, day: 26, hour: 10))
        #expect(TimeArgument.parse("7d", now: now) == Timestamp(year: 2026, month: 11, day: 19, hour: 12))
        for bad in ["yesterday", "", "5", "-3h", "2026-13-01", "99999999999999999d", "1w"] {
            #expect(TimeArgument.parse(bad, now: now) == nil, "\(bad)")
        }
    }
}
