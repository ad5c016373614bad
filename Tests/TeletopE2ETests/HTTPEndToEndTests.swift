import Foundation
import Testing

extension EndToEnd {
@Suite("The HTTP API of the real binary", .serialized)
struct HTTPEndToEndTests {
    static let body = #"{"event_type": "ai_block_used", "payload": {"user_id": "user_123", "chapter_id": 1, "section_id": "what-is-physical-ai", "block_type": "ask-question", "query": "What is Physical AI?"}}"#

    @Test func anEventPostedWithCurlShowsInTheFeedWithSourceHTTP() throws {
        let t = try TmuxSession("--no-sim --port 0")
        let screen = try t.waitFor { $0.contains("3 Health") && $0.range(of: #"HTTP 127\.0\.0\.1:[0-9]+"#, options: .regularExpression) != nil }
        let address = try #require(screen.range(of: #"127\.0\.0\.1:[0-9]+"#, options: .regularExpression).map { String(screen[$0]) })
        let (status, out) = try runTool(["curl", "-sS", "-X", "POST", "http://\(address)/api/telemetry/log",
                                         "-H", "Content-Type: application/json", "-d", Self.body], outputIn: t.dir)
        #expect(status == 0)
        let reply = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: String])
        #expect(Set(reply.keys) == ["message", "event_type", "timestamp"])
        #expect(reply["event_type"] == "ai_block_used")
        let after = try t.waitFor { eventCount($0) == 1 }
        #expect(after.contains("ai_block_used http    user_id=user_123"))
        // The stored timestamp is the one the response gave.
        #expect(after.contains(String(reply["timestamp"]!.dropFirst(11).prefix(12))))
        let (_, health) = try runTool(["curl", "-sS", "http://\(address)/api/telemetry/health"], outputIn: t.dir)
        #expect(health.contains(#""status":"healthy""#) && health.contains(#""events_logged":1"#))
        try t.keys("q")
        #expect(t.exitStatus() == "0")
    }
}
}

extension EndToEnd {
@Suite("Headless serve, send and curl", .serialized)
struct ServeSendCurlTests {
    func object(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not a JSON object: \(text)")
    }

    @Test func theContractShapesKeyByKey() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("teletop-serve-e2e-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("serve.log").path
        let binary = TmuxSession.binary.path
        let pid = try spawn([binary, "serve", "--port", "0"], output: log)
        var stopped = false
        defer { if !stopped { kill(pid, SIGKILL); var s: Int32 = 0; waitpid(pid, &s, 0) } }
        // The log says where it listens.
        var url: String?
        for _ in 0..<100 where url == nil {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            url = text.range(of: #"http://127\.0\.0\.1:[0-9]+"#, options: .regularExpression).map { String(text[$0]) }
            if url == nil { Thread.sleep(forTimeInterval: 0.05) }
        }
        let base = try #require(url, "serve never said where it listens")

        let (sendStatus, sent) = try runTool([binary, "send", "--url", base, "ai_block_used", "user_id=user_123", "chapter_id=1",
                                              "section_id=what-is-physical-ai", "block_type=ask-question", "query=What is Physical AI?"], outputIn: dir)
        #expect(sendStatus == 0)
        let reply = try object(sent)
        #expect(Set(reply.keys) == ["message", "event_type", "timestamp"])
        #expect(reply["event_type"] as? String == "ai_block_used")
        let stamp = try #require(reply["timestamp"] as? String)
        #expect(stamp.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"#, options: .regularExpression) != nil)

        let (badStatus, bad) = try runTool([binary, "send", "--url", base, "ai_block_used", "user_id=u", "chapter_id=one",
                                            "section_id=s", "block_type=b"], outputIn: dir)
        #expect(badStatus == 1)
        let error = try object(bad)
        #expect(Set(error.keys) == ["error", "message", "details"])
        let detail = try #require((error["details"] as? [[String: String]])?.first)
        #expect(detail == ["field": "payload.chapter_id", "problem": "wrong_type", "expected": "integer", "got": #"string "one""#])

        let (_, health) = try runTool(["curl", "-sS", base + "/api/telemetry/health"], outputIn: dir)
        let h = try object(health)
        #expect(Set(h.keys) == ["status", "message", "events_logged"])
        #expect(h["status"] as? String == "healthy" && h["events_logged"] as? Int == 1)

        let (_, events) = try runTool(["curl", "-sS", base + "/api/telemetry/events"], outputIn: dir)
        let list = try #require(try JSONSerialization.jsonObject(with: Data(events.utf8)) as? [[String: Any]])
        #expect(list.count == 1)
        #expect(Set(list[0].keys) == ["event_type", "payload", "timestamp"])
        #expect(list[0]["timestamp"] as? String == stamp, "the response's timestamp is the stored event's")
        let payload = try #require(list[0]["payload"] as? [String: Any])
        #expect(payload["chapter_id"] as? Int == 1 && payload["query"] as? String == "What is Physical AI?")

        let (_, unknown) = try runTool(["curl", "-sS", "-X", "POST", base + "/api/telemetry/log", "-H", "Content-Type: application/json",
                                        "-d", #"{"event_type": "page_view", "payload": {}}"#], outputIn: dir)
        #expect((try object(unknown)["message"] as? String)?.contains("allowed types: ai_block_used, chapter_visit, error_event") == true)

        #expect(kill(pid, SIGTERM) == 0)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        stopped = true
        let summary = try String(contentsOfFile: log, encoding: .utf8)
        #expect(summary.contains("teletop serve stopped (Terminated)"))
        #expect(summary.contains("1 events accepted, 2 rejected"))
    }
}
}
