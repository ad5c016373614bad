import Foundation
import Synchronization
import Testing

/// The durable store as users meet it: a crash, a restart, export. `.ci/run`
/// runs these with the rest of `swift test`; they need `sqlite3` (for
/// `PRAGMA integrity_check` from outside teletop) and `tmux`.
extension EndToEnd {
@Suite("The store of the real binary", .serialized)
struct StoreEndToEndTests {
    let dir: URL

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("teletop-store-e2e-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    var db: String { dir.appendingPathComponent("events.sqlite").path }

    /// Starts `teletop serve --port 0 ARGS` and returns its PID and base URL (from its log).
    func startServe(_ args: [String], log name: String) throws -> (pid_t, String) {
        try TeletopE2ETests.startServe(args, in: dir, log: name)
    }

    func stop(_ pid: pid_t, signal: Int32 = SIGTERM) -> Int32 {
        kill(pid, signal)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        return status
    }

    @Test func afterKill9EveryAcknowledgedEventIsStoredExactlyOnce() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let (pid, base) = try startServe(["--db", db], log: "first.log")
        let port = Int(base.split(separator: ":").last!)!
        let acknowledged = Mutex<[String]>([])
        let otherAnswers = Mutex<[Int: Int]>([:])
        let clients = 6
        let threads = (0..<clients).map { c in
            Thread {
                var i = 0
                // Sends until the server is gone (the kill ends every connection).
                while true {
                    let id = "c\(c)-\(i)"
                    let body = #"{"event_type":"ai_block_used","payload":{"user_id":"\#(id)","chapter_id":\#(i % 9),"section_id":"s","block_type":"quiz"}}"#
                    guard let status = postOnce(port: port, path: "/api/telemetry/log", body: body) else { break }
                    if status == 200 { acknowledged.withLock { $0.append(id) } } else { otherAnswers.withLock { $0[status, default: 0] += 1 } }
                    i += 1
                }
            }
        }
        threads.forEach { $0.start() }
        // Let a good number of events through, then pull the plug mid-stream.
        let deadline = Date().addingTimeInterval(10)
        while acknowledged.withLock({ $0.count }) < 1500 && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        let status = stop(pid, signal: SIGKILL)
        #expect(status & 0x7f == SIGKILL)
        Thread.sleep(forTimeInterval: 0.5)  // the clients see the connection drop
        let acked = acknowledged.withLock { $0 }
        #expect(acked.count >= 1500, "only \(acked.count) events were acknowledged before the kill")
        #expect(otherAnswers.withLock { $0 }.isEmpty, "answers other than 200: \(otherAnswers.withLock { $0 })")

        // The file is sound, whatever was in flight.
        let (checkStatus, check) = try runTool(["sqlite3", db, "PRAGMA integrity_check;"], outputIn: dir)
        #expect(checkStatus == 0 && check.trimmingCharacters(in: .whitespacesAndNewlines) == "ok", "integrity_check: \(check)")

        // Every acknowledged event is there exactly once.
        let (exportStatus, exported) = try runTool([TmuxSession.binary.path, "export", "--db", db], outputIn: dir)
        #expect(exportStatus == 0)
        var seen: [String: Int] = [:]
        for line in exported.split(separator: "\n") {
            guard let r = line.range(of: #""user_id":"c[0-9]+-[0-9]+""#, options: .regularExpression) else { continue }
            seen[String(line[r].dropFirst(#""user_id":""#.count).dropLast()), default: 0] += 1
        }
        let missing = acked.filter { seen[$0] == nil }
        #expect(missing.isEmpty, "\(missing.count) acknowledged events are missing, e.g. \(missing.prefix(5))")
        let twice = seen.filter { $0.value > 1 }
        #expect(twice.isEmpty, "stored more than once: \(twice.prefix(5))")
        let stored = seen.values.reduce(0, +)
        #expect(stored >= acked.count && stored <= acked.count + clients, "stored \(stored) for \(acked.count) acknowledged")

        // The aggregates in the file count exactly the events up to its mark (those after it,
        // at most a second's, are counted at the next open), per value as well as in total.
        let (_, atMark) = try runTool(["sqlite3", db, """
            SELECT (SELECT sum(n) FROM agg_count WHERE level = 0) || ' ' || (SELECT count(*) FROM event WHERE id <= (SELECT through FROM agg_mark))
            """], outputIn: dir)
        let pair = atMark.split(whereSeparator: \.isWhitespace).map { Int($0) ?? -1 }
        #expect(pair.count == 2 && pair[0] == pair[1] && pair[0] <= stored, "minute counts and events up to the mark: \(atMark)")
        // After the restart below, they agree with every row: in total, and per value
        // (chapter_id is i % 9 for each client's i-th event).
        var perChapter: [Int: Int] = [:]
        for line in exported.split(separator: "\n") {
            guard let r = line.range(of: #""chapter_id":[0-9]+"#, options: .regularExpression) else { continue }
            perChapter[Int(line[r].dropFirst(#""chapter_id":"#.count))!, default: 0] += 1
        }

        // A restart counts what is stored: counters and rows agree.
        let (again, base2) = try startServe(["--db", db], log: "second.log")
        let (_, top) = try runTool(["curl", "-sS", "\(base2)/api/telemetry/top?field=chapter_id&window=all&limit=20"], outputIn: dir)
        let answer = try #require(try JSONSerialization.jsonObject(with: Data(top.utf8)) as? [String: Any], "\(top)")
        #expect(answer["total"] as? Int == stored && answer["approximate"] as? Bool == false, "\(top)")
        let counted = ((answer["values"] as? [[String: Any]]) ?? []).map { ($0["value"] as? Int ?? -1, $0["count"] as? Int ?? -1) }
        #expect(Dictionary(uniqueKeysWithValues: counted) == perChapter, "\(top)")
        let (_, minuteSum) = try runTool(["sqlite3", db, "SELECT sum(n) FROM agg_count WHERE level = 0"], outputIn: dir)
        #expect(Int(minuteSum.trimmingCharacters(in: .whitespacesAndNewlines)) == stored, "minute counts \(minuteSum) for \(stored) rows")
        let (_, health) = try runTool(["curl", "-sS", "\(base2)/api/telemetry/health"], outputIn: dir)
        #expect(health.contains(#""events_logged":\#(stored)"#), "health after restart: \(health)")
        let (_, stats) = try runTool(["curl", "-sS", "\(base2)/api/telemetry/stats"], outputIn: dir)
        #expect(stats.contains(#""event_type":"ai_block_used","planned":true,"accepted":\#(stored)"#), "stats: \(stats.prefix(300))")
        #expect(stop(again) == 0)
    }

    @Test func aBrokenStoreGets503sNotFalse200sAndRecoversWhenFixed() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data(repeating: 0x41, count: 8192).write(to: URL(fileURLWithPath: db))
        let (pid, base) = try startServe(["--db", db], log: "broken.log")
        let body = #"{"event_type":"error_event","payload":{"error_type":"t","error_message":"m"}}"#
        let post = ["curl", "-sS", "-o", "-", "-w", " %{http_code}", "-X", "POST", "\(base)/api/telemetry/log", "-H", "Content-Type: application/json", "-d", body]
        let (_, refused) = try runTool(post, outputIn: dir)
        #expect(refused.hasSuffix(" 503") && refused.contains("store_unavailable") && refused.contains("not a teletop database"), "\(refused)")
        let (_, health) = try runTool(["curl", "-sS", "\(base)/api/telemetry/health"], outputIn: dir)
        #expect(health.contains(#""status":"unhealthy""#) && health.contains("store"), "\(health)")
        // The operator moves the bad file away: a new store is made and writes are answered 200 again.
        try FileManager.default.moveItem(atPath: db, toPath: db + ".bad")
        var answer = ""
        // Retries back off up to 5 s; allow two of them.
        for _ in 0..<100 {
            answer = try runTool(post, outputIn: dir).1
            if answer.hasSuffix(" 200") { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(answer.hasSuffix(" 200"), "\(answer)")
        #expect(stop(pid) == 0)
        let (_, count) = try runTool(["sqlite3", db, "SELECT count(*) FROM event WHERE event_type = 'error_event' AND source = 2"], outputIn: dir)
        #expect(count.trimmingCharacters(in: .whitespacesAndNewlines) == "1", "only the acknowledged HTTP event is stored: \(count)")
    }

    @Test func serveSaysSoAndExits3WhenAcceptedEventsCouldNotBeStored() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data(repeating: 0x41, count: 100).write(to: URL(fileURLWithPath: db))
        let input = dir.appendingPathComponent("in.jsonl")
        try #"{"event_type":"error_event","payload":{"error_type":"t","error_message":"m"}}"#.appending("\n").write(to: input, atomically: true, encoding: .utf8)
        let (status, out) = try runTool(["sh", "-c", "exec '\(TmuxSession.binary.path)' serve --no-http --db '\(db)' --stdin < '\(input.path)'"], outputIn: dir)
        #expect(status == 3, "\(out)")
        #expect(out.contains("1 accepted but NOT stored"))
    }

    @Test func aRestartedDashboardShowsItsHistory() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in.jsonl")
        let lines = (1...25).map { #"{"event_type":"ai_block_used","payload":{"user_id":"hist-\#($0)","chapter_id":\#($0),"section_id":"s","block_type":"quiz"}}"# }
            + [#"{"event_type":"error_event","payload":{"error_type":"timeout","error_message":"slow answer"}}"#]
        try (lines.joined(separator: "\n") + "\n").write(to: input, atomically: true, encoding: .utf8)
        let (status, summary) = try runTool(["sh", "-c", "exec '\(TmuxSession.binary.path)' serve --no-http --db '\(db)' --stdin < '\(input.path)'"], outputIn: dir)
        #expect(status == 0, "serve: \(summary)")
        #expect(summary.contains("26 written by this run, 26 stored"))

        for round in 1...2 {
            let t = try TmuxSession("--no-sim --db \(db)")
            let screen = try t.waitFor { eventCount($0) == 26 && $0.contains("hist-25") && countersTotal($0) == 26 }
            #expect(eventCount(screen) == 26, "round \(round): \(screen)")
            #expect(screen.contains("user_id=hist-25") && screen.contains("error_type=timeout"))
            #expect(countersTotal(screen) == 26)
            #expect(screen.contains("STORE"))
            if round == 2 {
                // The analytics view asks the store about that history.
                try t.keys("a")
                let analytics = try t.waitFor { $0.contains("from the store in") }
                #expect(analytics.contains("Top chapters  ai_block_used.chapter_id, 25 events"), "\(analytics)")
                #expect(analytics.contains("Top error types  error_event.error_type, 1 event"))
                #expect(analytics.contains("timeout"))
                #expect(analytics.contains("Events per minute, last hour  26 events"))
                try t.keys("Escape")
                _ = try t.waitFor { $0.contains("1 Feed") }
            }
            try t.keys("q")
            #expect(t.exitStatus() == "0")
        }
    }

    @Test func exportThenReplayCarriesEveryEventOver() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let (pid, _) = try startServe(["--db", db, "--sim-rate", "500", "--record", dir.appendingPathComponent("rec.jsonl").path], log: "a.log")
        Thread.sleep(forTimeInterval: 1.5)
        #expect(stop(pid) == 0)
        let (_, exported) = try runTool([TmuxSession.binary.path, "export", "--db", db, "-o", dir.appendingPathComponent("out.jsonl").path], outputIn: dir)
        let out = try String(contentsOf: dir.appendingPathComponent("out.jsonl"), encoding: .utf8)
        let recorded = try String(contentsOf: dir.appendingPathComponent("rec.jsonl"), encoding: .utf8)
        let count = out.split(separator: "\n").count
        #expect(count > 300, "\(exported)")
        #expect(exported.contains("exported \(count) events"))
        // What --record wrote as events arrived is what the store holds.
        #expect(out == recorded)
        // CSV: a header, then the payload as one quoted field with its quotes doubled.
        let (csvStatus, csv) = try runTool([TmuxSession.binary.path, "export", "--db", db, "--format", "csv", "--event-type", "error_event"], outputIn: dir)
        let csvLines = csv.split(separator: "\n")
        #expect(csvStatus == 0 && csvLines.first == "timestamp,event_type,source,payload")
        #expect(csvLines.count > 1 && csvLines.dropFirst().allSatisfy {
            $0.range(of: #"^\d{4}-\d\d-\d\dT[0-9:.]+Z,"error_event",sim,"\{""error_type"":""[a-z_]+"",.*\}"$"#, options: .regularExpression) != nil
        }, "\(csv.prefix(400))")
        // A bad --since is a usage error that says what it takes.
        let (sinceStatus, since) = try runTool([TmuxSession.binary.path, "export", "--db", db, "--since", "yesterday"], outputIn: dir)
        #expect(sinceStatus == 64 && since.contains("--since: expected an ISO-8601 time"))

        let copy = dir.appendingPathComponent("copy.sqlite").path
        let (pid2, base2) = try startServe(["--db", copy], log: "b.log")
        let (replayStatus, replayed) = try runTool([TmuxSession.binary.path, "replay", dir.appendingPathComponent("out.jsonl").path,
                                                    "--url", base2, "--speed", "max"], outputIn: dir)
        #expect(replayStatus == 0, "\(replayed)")
        #expect(replayed.contains("\(count) accepted, 0 rejected"))
        #expect(stop(pid2) == 0)
        let (_, again) = try runTool([TmuxSession.binary.path, "export", "--db", copy], outputIn: dir)
        // The receiving teletop stamps each event as it arrives and keeps the recorded
        // time beside it: types, payloads and recorded times all come over, in order.
        let original = out.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let copied = again.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(copied.count == original.count)
        for (a, b) in zip(original, copied) {
            #expect(a?["event_type"] as? String == b?["event_type"] as? String)
            #expect((a?["payload"] as? NSDictionary) == (b?["payload"] as? NSDictionary))
            #expect(a?["timestamp"] as? String == b?["client_timestamp"] as? String, "the recorded time is kept as client_timestamp")
        }
    }
}
}

/// One POST on its own connection; the status, or nil when the server is gone.
func postOnce(port: Int, path: String, body: String) -> Int? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { return nil }
    let request = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
    let sent = request.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
    guard sent > 0 else { return nil }
    var buffer = [UInt8](repeating: 0, count: 4096)
    var received: [UInt8] = []
    while true {
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { break }
        received += buffer[0..<n]
    }
    let text = String(decoding: received, as: UTF8.self)
    guard text.hasPrefix("HTTP/1.1 "), let code = Int(text.dropFirst(9).prefix(3)) else { return nil }
    return code
}
