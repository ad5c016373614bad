import Foundation
import Testing

/// Lines a test feeds teletop: good ones, malformed JSON, a wrong type, an
/// unknown type, an over-long line, and one whose text tries to clear and
/// recolour the screen.
enum Lines {
    static let good = #"{"event_type": "ai_block_used", "payload": {"user_id": "user_7", "chapter_id": 2, "section_id": "sensors", "block_type": "ask-question"}}"#
    static let hostile = #"{"event_type": "error_event", "payload": {"error_type": "\u001b[2J\u001b[41mPWNED", "error_message": "\u001b[H\u0007"}}"#
    static let mixed = [
        good,
        #"{"event_type": "ai_block_used", "payload": {"user_id": "u", "chapter_id": "one", "section_id": "s", "block_type": "b"}}"#,
        #"{"event_type": "ai_block_used", "payload": "#,
        #"{"event_type": "page_view", "payload": {}}"#,
        #"{"event_type": "chapter_visit", "payload": {"user_id": ""# + String(repeating: "x", count: 200) + #""}}"#,
        hostile,
    ].joined(separator: "\n") + "\n"
}

extension EndToEnd {
@Suite("JSON Lines into the real binary", .serialized)
struct JSONLinesEndToEndTests {
    func temporaryFile(_ text: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("teletop-e2e-\(UUID()).jsonl")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    /// Runs `teletop serve ARGS < input` and returns (status, stdout).
    func serve(_ args: [String], input: URL) throws -> (Int32, String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("teletop-serve-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let script = "exec '\(TmuxSession.binary.path)' serve --no-http --log-file '\(dir.path)/log' \(args.joined(separator: " ")) < '\(input.path)'"
        return try runTool(["sh", "-c", script], outputIn: dir)
    }

    @Test func serveSummarisesAFileWithGoodAndBadLines() throws {
        let input = try temporaryFile(Lines.mixed)
        defer { try? FileManager.default.removeItem(at: input) }
        let (status, out) = try serve(["--stdin", "--max-line", "160"], input: input)
        #expect(status == 1, "a rejected line makes the exit status 1")
        #expect(out.contains("2 events accepted, 4 rejected, 6 lines read"))
        #expect(out.contains(#"stdin line 2: payload.chapter_id: expected integer, got string "one""#))
        #expect(out.contains("stdin line 3: body: invalid JSON at byte"))
        #expect(out.contains(#"stdin line 4: event_type: "page_view" is not a planned event type"#))
        #expect(out.contains("stdin line 5: line longer than 160 bytes"))
        #expect(!out.contains("\u{1b}"), "nothing from the events reaches the terminal raw")

        let (jsonStatus, json) = try serve(["--stdin", "--json", "--max-line", "160"], input: input)
        #expect(jsonStatus == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["events_accepted"] as? Int == 2)
        #expect(object["rejected"] as? Int == 4)
        let first = try #require(object["first_rejections"] as? [[String: Any]])
        #expect(first.compactMap { $0["line"] as? Int } == [2, 3, 4, 5])
        let health = try #require(object["health"] as? [String: Any])
        #expect(Set(health.keys) == ["status", "message", "events_logged"])
    }

    @Test func serveExitsZeroWhenEveryLineIsAccepted() throws {
        let input = try temporaryFile(String(repeating: Lines.good + "\n", count: 1000))
        defer { try? FileManager.default.removeItem(at: input) }
        let (status, out) = try serve(["--stdin"], input: input)
        #expect(status == 0)
        #expect(out.contains("1,000 events accepted, 0 rejected, 1,000 lines read"))
    }

    @Test func theDashboardFollowsAFileLiveAndShowsHostileTextEscaped() throws {
        let file = try temporaryFile(Lines.mixed)
        defer { try? FileManager.default.removeItem(at: file) }
        let t = try TmuxSession("--no-sim --follow \(file.path)")
        let screen = try t.waitFor { $0.contains("3 Health") && eventCount($0) == 2 }
        #expect(eventCount(screen) == 2)
        #expect(screen.contains(#"error_type=\x1b[2J\x1b[41mPWNED"#), "escape sequences are shown escaped")
        #expect(screen.contains("FILE") && screen.contains("4 rejected"))
        // The hostile event did not recolour the screen: no red background anywhere.
        #expect(!(try t.captureStyled()).contains("\u{1b}[41m"))

        let handle = try #require(FileHandle(forWritingAtPath: file.path))
        handle.seekToEndOfFile()
        handle.write(Data(String(repeating: Lines.good + "\n", count: 3).utf8))
        try handle.close()
        #expect(eventCount(try t.waitFor { eventCount($0) == 5 }) == 5, "appended lines show up live")
        try t.keys("q")
        #expect(t.exitStatus() == "0")
    }

    @Test func theDashboardReadsStandardInputAndStillTakesKeys() throws {
        let file = try temporaryFile(String(repeating: Lines.good + "\n", count: 40))
        defer { try? FileManager.default.removeItem(at: file) }
        let t = try TmuxSession("--no-sim --stdin", stdinFile: file.path)
        let screen = try t.waitFor { $0.contains("3 Health") && eventCount($0) == 40 }
        #expect(screen.contains("STDIN end of input, 40 lines"))
        try t.keys("?")
        #expect(try t.waitFor { $0.contains("Keys") }.contains("Keys"), "keys come from the terminal, not stdin")
        try t.keys("Escape", "q")
        #expect(t.exitStatus() == "0")
    }
}
}
