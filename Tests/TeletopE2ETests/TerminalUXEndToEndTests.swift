import Foundation
import Testing
import TeletopTUI

/// Issue 17's screen points through the real binary under tmux.
extension EndToEnd {
@Suite("The terminal a daily user expects, in tmux", .serialized)
struct TerminalUXEndToEndTests {
    static let clusters = ["質問👍🏽", "🇯🇵", "👨\u{200D}👩\u{200D}👧\u{200D}👦", "e\u{301}té", "❤️ ok", "नमस्ते"]

    func recording() throws -> URL {
        var lines = ""
        for i in 0..<30 {
            let a = Self.clusters[i % Self.clusters.count], b = Self.clusters[(i + 1) % Self.clusters.count]
            let payload: [String: Any] = ["user_id": a, "chapter_id": 1, "section_id": a + b, "block_type": b, "query": a + " " + b]
            let body = try JSONSerialization.data(withJSONObject: ["event_type": "ai_block_used", "payload": payload])
            lines += String(decoding: body, as: UTF8.self) + "\n"
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("teletop-clusters-\(UUID()).jsonl")
        try lines.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    /// The columns of `line` as the terminal measures it: which character starts at each.
    func column(of x: Int, in line: Substring) -> Character? {
        var column = 0
        for c in line {
            if column == x { return c }
            column += DisplayWidth.of(c)
            if column > x { return nil }
        }
        return nil
    }

    /// Point 2: whole clusters, and every pane border where the layout puts it, at both sizes.
    @Test func clustersStayWholeAndBordersStayPut() throws {
        let file = try recording()
        defer { try? FileManager.default.removeItem(at: file) }
        let t = try TmuxSession("--no-sim --follow \(file.path)")
        for (width, height) in [(160, 45), (80, 24)] {
            try t.resize(width, height)
            let screen = try t.waitFor { eventCount($0) == 30 && $0.split(separator: "\n").first.map { DisplayWidth.of(String($0)) <= width } == true
                && $0.contains("3 Health") }
            #expect(screen.contains("質問👍🏽") && screen.contains("🇯🇵"), "clusters drawn whole at \(width)x\(height)")
            let layout = DashboardLayout(width: width, height: height)
            let rows = screen.split(separator: "\n", omittingEmptySubsequences: false)
            for y in (layout.feed.y + 1)..<(layout.feed.maxY - 1) {
                #expect(column(of: layout.feed.x, in: rows[y]) == "│", "row \(y) at \(width)x\(height): \(rows[y])")
                #expect(column(of: layout.feed.maxX - 1, in: rows[y]) == "│", "row \(y) at \(width)x\(height): \(rows[y])")
            }
        }
        try t.resize(160, 45)
        _ = try t.waitFor { $0.split(separator: "\n").count >= 45 && eventCount($0) == 30 }
        // The detail popup shows the stored text whole.
        try t.keys("g", "Enter")
        let popup = try t.waitFor { $0.contains("sequence 1 ") }
        #expect(popup.contains(#""user_id": "質問👍🏽""#), "\(popup)")
        try t.keys("q", "q")
        #expect(t.exitStatus() == "0")
    }

    /// Points 1 and 3: q closes every overlay and quits only the main view; g then Enter at once opens the oldest.
    @Test func qClosesOverlaysAndGThenEnterOpensTheOldest() throws {
        let t = try TmuxSession("--sim-rate 50")
        _ = try t.waitFor { ($0.split(separator: "\n").first.map(String.init)).flatMap { eventCount($0) }.map { $0 > 40 } == true }
        for (open, shown) in [("?", "─ Help ─"), ("a", "Analytics:"), ("n", "New event: choose a type"), ("Enter", "─ Event ")] {
            try t.keys(open)
            _ = try t.waitFor { $0.contains(shown) }
            try t.keys("q")
            _ = try t.waitFor { !$0.contains(shown) }
            #expect(t.exitStatus(within: 0.3) == nil, "q after \(open) quit the program")
        }
        try t.keys("g", "Enter")  // one send-keys: no pause between them
        let popup = try t.waitFor { $0.contains("─ Event ") }
        #expect(popup.contains("sequence 1 "), "g then Enter opened another event:\n\(popup)")
        try t.keys("q", "q")
        #expect(t.exitStatus() == "0")
    }

    /// Point 9: at 80x24 help wraps instead of cutting, and the header keeps the HTTP port.
    @Test func eightyByTwentyFour() throws {
        let t = try TmuxSession("--port 0", width: 80, height: 24)
        let screen = try t.waitFor { $0.contains("HTTP :") }
        let header = String(screen.split(separator: "\n")[0])
        #expect(header.range(of: #"HTTP :[0-9]+"#, options: .regularExpression) != nil, "\(header)")
        try t.keys("?")
        _ = try t.waitFor { $0.contains("─ Help ─") }
        try t.keys("PageDown", "PageDown", "PageDown", "PageDown", "PageDown", "PageDown", "PageDown", "PageDown", "PageDown", "PageDown")
        // The last page: the simulator's keys, whose long lines are wrapped, not cut at the border.
        let text = try t.waitFor { $0.contains("Log file:") }
        #expect(text.contains("recovers"), "\(text)")
        for line in text.split(separator: "\n") { #expect(DisplayWidth.of(String(line)) <= 80) }
        try t.keys("q", "q")
        #expect(t.exitStatus() == "0")
    }

    /// The bytes of a mouse report as tmux-256color's terminfo has it (`kmous=\E[M`): button, column, row.
    static func mouseHex(button: Int, x: Int, y: Int) -> [String] {
        ["1b", "5b", "4d"] + [32 + button, 33 + x, 33 + y].map { String(format: "%02x", $0) }
    }

    /// Point 11: a click selects the feed line under it; in Counters it selects a type that Enter filters by.
    @Test func theMouseClicksAndNoMouseTurnsItOff() throws {
        // A loaded machine can hand a mouse report's bytes over apart: a long ESCDELAY keeps its ESC from
        // being read as the Escape key (and the rest as keys), which a terminal writing it at once never does.
        let t = try TmuxSession("--sim-rate 50", environment: "ESCDELAY=2000")
        _ = try t.waitFor { eventCount($0).map { $0 > 50 } == true }
        let layout = DashboardLayout(width: 160, height: 45)
        try t.tmux(["send-keys", "-t", t.name, "-H"] + Self.mouseHex(button: 0, x: 30, y: layout.feed.y + 4))
        try t.tmux(["send-keys", "-t", t.name, "-H"] + Self.mouseHex(button: 3, x: 30, y: layout.feed.y + 4))
        _ = try t.waitFor { $0.contains("(scrolled, G follows)") }
        try t.tmux(["send-keys", "-t", t.name, "-H"] + Self.mouseHex(button: 0, x: layout.counters.x + 3, y: layout.counters.y + 3))
        try t.tmux(["send-keys", "-t", t.name, "-H"] + Self.mouseHex(button: 3, x: layout.counters.x + 3, y: layout.counters.y + 3))
        try t.keys("Enter")
        _ = try t.waitFor { $0.contains("1 Feed type=chapter_visit") }
        // The session ends with the test (quitting after mouse reports is not what this checks).
        try t.keys("C-c")

        // The terminal is told to report the mouse only without --no-mouse (tmux knows what the pane asked for).
        let on = try TmuxSession("--no-sim")
        _ = try on.waitFor { $0.contains("3 Health") }
        #expect(try on.tmux(["display", "-p", "-t", on.name, "#{mouse_any_flag}"]).hasPrefix("1"))
        try on.keys("q")
        let off = try TmuxSession("--no-sim --no-mouse")
        _ = try off.waitFor { $0.contains("3 Health") }
        #expect(try off.tmux(["display", "-p", "-t", off.name, "#{mouse_any_flag}"]).hasPrefix("0"), "--no-mouse leaves the mouse to the terminal")
        try off.keys("q")
        #expect(off.exitStatus() == "0")
    }

    /// Point 10: F2 then Ctrl-Y puts the curl command on the clipboard (OSC 52, which tmux keeps as a buffer).
    @Test func ctrlYCopiesTheCurlCommand() throws {
        let t = try TmuxSession("--no-sim")
        _ = try t.waitFor { $0.contains("3 Health") }
        try t.keys("n", "Enter")
        _ = try t.waitFor { $0.contains("New event: ai_block_used") }
        try t.keys("-l", "user_9")
        try t.keys("F2")
        let screen = try t.waitFor { $0.contains("\ncurl -sS -X POST") }
        #expect(screen.contains("user_9"))
        try t.keys("C-y")
        var buffer = ""
        for _ in 0..<50 where !buffer.hasPrefix("curl") {
            buffer = (try? t.tmux(["show-buffer"])) ?? ""
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(buffer.hasPrefix("curl -sS -X POST") && buffer.contains(#""user_id":"user_9""#), "\(buffer)")
        try t.keys("Escape", "q")
        #expect(t.exitStatus() == "0")
    }

    /// Smaller: without an alternate screen (TERM=vt100) the last frame does not stay behind.
    @Test func aTerminalWithoutAnAlternateScreenIsLeftClean() throws {
        let t = try TmuxSession("--no-sim", environment: "TERM=vt100")
        _ = try t.waitFor { $0.contains("3 Health") }
        try t.keys("q")
        #expect(t.exitStatus() == "0")
        let after = try t.capture()
        #expect(!after.contains("1 Feed") && !after.contains("3 Health"), "\(after)")
    }
}
}
