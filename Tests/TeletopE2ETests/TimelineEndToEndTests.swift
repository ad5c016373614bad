import Foundation
import Testing

extension EndToEnd {
/// One user's timeline over HTTP from the real binary: `/events?q=user_id=...`
/// answers beyond the ring, from the store's index.
@Suite("A timeline over HTTP", .serialized)
struct TimelineEndToEndTests {
    @Test func eventsQueryByUserReadsTheStoreBeyondTheRing() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("teletop-timeline-e2e-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // A ring of 20: most of u-follow's 25 events leave memory.
        let (pid, base) = try startServe(["--db", dir.appendingPathComponent("events.sqlite").path, "--ring", "20"], in: dir, log: "serve.log")
        defer { kill(pid, SIGTERM); var s: Int32 = 0; waitpid(pid, &s, 0) }
        let port = Int(base.split(separator: ":").last!)!
        for i in 0..<100 {
            let user = i % 4 == 0 ? "u-follow" : "u-\(i)"
            let body = #"{"event_type":"ai_block_used","payload":{"user_id":"\#(user)","chapter_id":\#(i),"section_id":"s","block_type":"quiz"}}"#
            #expect(postOnce(port: port, path: "/api/telemetry/log", body: body) == 200)
        }
        let (status, output) = try runTool(["/usr/bin/curl", "-sS", "\(base)/api/telemetry/events?q=user_id%3Du-follow&limit=1000"], outputIn: dir)
        #expect(status == 0, "\(output)")
        let events = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]], "\(output)")
        let chapters = events.compactMap { ($0["payload"] as? [String: Any])?["chapter_id"] as? Int }
        #expect(chapters == stride(from: 96, through: 0, by: -4).map { $0 }, "all 25, newest first, each once: \(chapters)")
        // With a type and a limit: the newest three of that type, from the store's walk.
        let (_, typed) = try runTool(["/usr/bin/curl", "-sS", "\(base)/api/telemetry/events?q=user_id%3Du-follow&event_type=ai_block_used&limit=3"],
                                     outputIn: dir)
        let three = try #require(try JSONSerialization.jsonObject(with: Data(typed.utf8)) as? [[String: Any]], "\(typed)")
        #expect(three.compactMap { ($0["payload"] as? [String: Any])?["chapter_id"] as? Int } == [96, 92, 88])
        // A field the store keeps no index of: the ring only, as before.
        let (_, ringOnly) = try runTool(["/usr/bin/curl", "-sS", "\(base)/api/telemetry/events?q=block_type%3Dquiz&limit=1000"], outputIn: dir)
        #expect((try JSONSerialization.jsonObject(with: Data(ringOnly.utf8)) as? [Any])?.count == 20)
    }
}
}
