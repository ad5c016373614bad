import Foundation
import Testing

/// `teletop attach` over real `serve` processes on loopback, in tmux.
extension EndToEnd {
@Suite("Attach, through the real binary", .serialized)
struct AttachEndToEndTests {
    let dir: URL = {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("teletop-attach-\(UUID())")
        try? FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d
    }()

    func serve(_ args: [String], port: Int = 0, log name: String) throws -> (pid_t, String) {
        try startServe(args, port: port, in: dir, log: name)
    }

    func stop(_ pid: pid_t, signal: Int32 = SIGTERM) {
        kill(pid, signal)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    }

    func post(_ base: String, _ user: String) throws -> Int32 {
        let body = #"{"event_type": "ai_block_used", "payload": {"user_id": "\#(user)", "chapter_id": 1, "section_id": "s", "block_type": "b"}}"#
        return try runTool(["curl", "-sS", "-f", "-o", "/dev/null", "-X", "POST", base + "/api/telemetry/log",
                            "-H", "Content-Type: application/json", "-d", body], outputIn: dir).0
    }

    @Test func twoCollectorsOneFeedTheirSumsAndALinkThatComesBack() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("eu.sqlite").path
        var (eu, euBase) = try serve(["--db", db], log: "eu.log")
        let (us, usBase) = try serve(["--in-memory"], log: "us.log")
        defer { stop(eu); stop(us) }
        let euPort = Int(euBase.split(separator: ":").last!)!
        let t = try TmuxSession("", subcommand: ["attach", "eu=\(euBase)", "us=\(usBase)"])
        _ = try t.waitFor { $0.contains("eu connected") && $0.contains("us connected") }
        for i in 0..<3 { #expect(try post(euBase, "eu_user_\(i)") == 0) }
        for i in 0..<2 { #expect(try post(usBase, "us_user_\(i)") == 0) }
        let screen = try t.waitFor { $0.contains("us_user_1") && $0.contains("eu_user_2") }
        // Each event names its collector; the counters are the collectors' own totals, summed.
        #expect(screen.contains("ai_block_used http    eu user_id=eu_user_0"))
        #expect(screen.contains("ai_block_used http    us user_id=us_user_1"))
        _ = try t.waitFor { countersTotal($0) == 5 }
        // The detail of a type: its events, and where they came from.
        try t.keys("2", "Enter")
        _ = try t.waitFor { $0.contains("ai_block_used by collector: eu 3 (60%), us 2 (40%)") }
        try t.keys("Escape", "1")
        // kill -9 one: the dashboard says it is reconnecting, stays up, and takes it back.
        stop(eu, signal: SIGKILL)
        _ = try t.waitFor { $0.contains("eu reconnecting") }
        #expect(try post(usBase, "us_user_late") == 0)
        _ = try t.waitFor { $0.contains("us_user_late") }
        (eu, _) = try serve(["--db", db], port: euPort, log: "eu2.log")
        _ = try t.waitFor(20) { $0.contains("eu connected") }
        #expect(try post(euBase, "eu_after_restart") == 0)
        let after = try t.waitFor { $0.contains("eu_after_restart") }
        // Its restored ring covered the break: nothing missed, no event twice.
        #expect(!after.contains("missed"))
        #expect(after.components(separatedBy: "eu_user_2").count == 2, "an event seen before the restart is not shown again")
        try t.keys("q")
        #expect(t.exitStatus() == "0")
    }

    /// A collector stopped (SIGSTOP) for 20 s: the dashboard says it is not
    /// answering, stays usable, and takes the link back when it is continued.
    @Test func aStoppedCollectorIsShownAndComesBack() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let (collector, base) = try serve(["--in-memory", "--sim-rate", "20"], log: "c.log")
        defer { kill(collector, SIGCONT); stop(collector) }
        let t = try TmuxSession("", subcommand: ["attach", "c=\(base)"])
        _ = try t.waitFor { $0.contains("c connected") && (eventCount($0) ?? 0) > 5 }
        kill(collector, SIGSTOP)
        let stalled = try t.waitFor(15) { $0.contains("not answering for") }
        #expect(stalled.contains("DEGRADED"))
        // Still a dashboard: the help opens and closes.
        try t.keys("?")
        _ = try t.waitFor { $0.contains("Keys") }
        try t.keys("q")
        // Stopped for 20 s in all (the stream's read timeout is 25 s: the link holds).
        Thread.sleep(forTimeInterval: 15)
        let before = eventCount(try t.capture()) ?? 0
        kill(collector, SIGCONT)
        let back = try t.waitFor(15) { $0.contains("c connected") && !$0.contains("not answering") && (eventCount($0) ?? 0) > before }
        #expect(back.contains("HEALTHY"))
        try t.keys("q")
        #expect(t.exitStatus() == "0")
    }

    @Test func aWrongTokenAndAServerThatIsNotTeletopAreSaidPlainly() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let (locked, lockedBase) = try serve(["--in-memory", "--token", "right"], log: "locked.log")
        defer { stop(locked) }
        // Any other HTTP server: python's.
        let port = Int.random(in: 40_000...50_000)
        let web = try spawn(["python3", "-m", "http.server", "\(port)", "--bind", "127.0.0.1"], output: dir.appendingPathComponent("web.log").path)
        defer { stop(web) }
        Thread.sleep(forTimeInterval: 0.5)
        let address = lockedBase.replacingOccurrences(of: "http://", with: "http://:wrong@")
        let t = try TmuxSession("", subcommand: ["attach", "locked=\(address)", "web=http://127.0.0.1:\(port)"], width: 200)
        let screen = try t.waitFor { $0.contains("locked unauthorized") && $0.contains("web not teletop") }
        #expect(screen.contains("DEGRADED"))
        try t.keys("3")
        let health = try t.waitFor { $0.contains("not a teletop: GET /api/telemetry/stream answered 404") }
        #expect(health.contains("unauthorized: 401"))
        // No retry storm: one refused stream request, the next only after 30 s.
        Thread.sleep(forTimeInterval: 3)
        let (_, metrics) = try runTool(["curl", "-sS", lockedBase + "/metrics"], outputIn: dir)
        let refused = metrics.split(separator: "\n").filter { $0.hasPrefix("teletop_http_requests_total") && $0.contains("/api/telemetry/stream") && $0.contains("401") }
        let count = refused.compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0, +)
        #expect(count >= 1 && count <= 2, "refused stream requests: \(refused)")
        try t.keys("q")
        #expect(t.exitStatus() == "0")
    }
}
}

extension EndToEnd.AttachEndToEndTests {
    /// A dashboard stopped (SIGSTOP) while its collector takes 20,000 events
    /// falls behind its stream queue: the collector counts what it could not
    /// send, tells the dashboard, and the dashboard shows that same number.
    @Test func eventsTheStreamCouldNotKeepAreCountedAndShown() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let (collector, base) = try serve(["--in-memory", "--queue-bytes", "64KiB"], log: "c.log")
        defer { stop(collector) }
        let t = try TmuxSession("", subcommand: ["attach", "c=\(base)"])
        _ = try t.waitFor { $0.contains("c connected") }
        let dashboard = try #require(try t.teletopPID())
        kill(dashboard, SIGSTOP)
        let line = #"{"event_type": "error_event", "payload": {"error_type": "t", "error_message": "filler filler filler filler filler filler filler filler"}}"#
        let batch = dir.appendingPathComponent("batch.jsonl")
        try (Array(repeating: line, count: 1000).joined(separator: "\n") + "\n").write(to: batch, atomically: true, encoding: .utf8)
        for _ in 0..<20 {
            let (status, _) = try runTool(["curl", "-sS", "-f", "-o", "/dev/null", "-X", "POST", base + "/api/telemetry/batch",
                                           "-H", "Content-Type: application/x-ndjson", "--data-binary", "@" + batch.path], outputIn: dir)
            #expect(status == 0)
        }
        Thread.sleep(forTimeInterval: 1)
        kill(dashboard, SIGCONT)
        let (_, stats) = try runTool(["curl", "-sS", base + "/api/telemetry/stats"], outputIn: dir)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(stats.utf8)) as? [String: Any])
        let dropped = (object["dropped_by_consumer"] as? [String: Any])?["http stream"] as? Int ?? 0
        #expect(dropped > 0, "the stream's queue (16 KiB) should have overflowed: \(stats.prefix(400))")
        // The collector may tell of its drops in several gaps (it reads the count each
        // time it takes a batch), and the dashboard adds them up: wait for the sum.
        let told = "missed \(dropped.formatted(.number.grouping(.automatic).locale(Locale(identifier: "en_US")))) events"
        let screen = try t.waitFor(20) { $0.contains(told) }
        #expect(screen.contains(told), "\(screen.split(separator: "\n")[0])")
        try t.keys("q")
        #expect(t.exitStatus() == "0")
    }
}
