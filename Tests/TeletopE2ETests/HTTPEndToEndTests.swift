import Foundation
import Testing

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
        #expect(after.contains("ai_block_used http   user_id=user_123"))
        // The stored timestamp is the one the response gave.
        #expect(after.contains(String(reply["timestamp"]!.dropFirst(11).prefix(12))))
        let (_, health) = try runTool(["curl", "-sS", "http://\(address)/api/telemetry/health"], outputIn: t.dir)
        #expect(health.contains(#""status":"healthy""#) && health.contains(#""events_logged":1"#))
        try t.keys("q")
        #expect(t.exitStatus() == "0")
    }
}
