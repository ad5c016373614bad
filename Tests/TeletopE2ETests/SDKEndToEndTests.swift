import Foundation
import Testing

extension EndToEnd {
@Suite("The SDK endpoints and plan tools of the real binary", .serialized)
struct SDKEndToEndTests {
    /// A Segment call and a PostHog event posted with curl show in the dashboard with their sources;
    /// F turns a fault mode on, the header says so, and a call then gets the fault.
    @Test func sdkEventsShowWithTheirSourceAndFShowsTheFaultMode() throws {
        let t = try TmuxSession("--no-sim --in-memory --accept-unplanned --port 0")
        let screen = try t.waitFor { $0.contains("3 Health") && $0.range(of: #"HTTP 127\.0\.0\.1:[0-9]+"#, options: .regularExpression) != nil }
        let address = try #require(screen.range(of: #"127\.0\.0\.1:[0-9]+"#, options: .regularExpression).map { String(screen[$0]) })
        func post(_ path: String, _ body: String) throws -> String {
            try runTool(["curl", "-sS", "-w", " %{http_code}", "-X", "POST", "http://\(address)\(path)",
                         "-H", "Content-Type: application/json", "-d", body], outputIn: t.dir).1
        }
        #expect(try post("/v1/track", #"{"event": "Order Completed", "userId": "u1", "properties": {"order_id": "o-1"}}"#).hasSuffix(" 200"))
        #expect(try post("/capture/", #"{"api_key": "k", "event": "$pageview", "distinct_id": "p1", "properties": {"page": "/pricing"}}"#).hasSuffix(" 200"))
        let after = try t.waitFor { eventCount($0) == 2 }
        #expect(after.contains("order_completed segment order_id=o-1"))
        #expect(after.contains("pageview        posthog page=/pricing"))
        try t.keys("F")
        let faulted = try t.waitFor { $0.contains("FAULT MODE: 503") }
        #expect(faulted.split(separator: "\n")[0].contains("FAULT MODE: 503 (Retry-After 1s) on 50% of SDK requests"))
        let answers = try (0..<8).map { _ in try post("/v1/track", #"{"event": "X", "userId": "u"}"#) }
        #expect(answers.contains { $0.hasSuffix(" 503") } && answers.contains { $0.hasSuffix(" 200") }, "\(answers)")
        try t.keys("q")
        #expect(t.exitStatus() == "0")
    }

    @Test func planInferThenCheckWithItsExitStatuses() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("teletop-plan-e2e-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let binary = TmuxSession.binary.path
        let (status, out) = try runTool(["sh", "-c", #"""
            T="$0"; cd "$1"
            printf '%s\n' '{"event_type": "signup", "payload": {"plan": "pro", "seats": 3}}' '{"event_type": "signup", "payload": {"plan": "team", "seats": 10, "coupon": "X"}}' > good.jsonl
            printf '%s\n' '{"event_type": "signup", "payload": {"plan": 1}}' 'not json' > bad.jsonl
            "$T" plan infer good.jsonl -o plan.json || exit 10
            "$T" check --plan plan.json good.jsonl; echo "good=$?"
            "$T" check --plan plan.json --format json bad.jsonl > bad.json; echo "bad=$?"
            "$T" check --plan plan.json missing.jsonl 2>/dev/null; echo "missing=$?"
            grep -c '"line": 1' bad.json
            """#, binary, dir.path], outputIn: dir)
        #expect(status == 0, "\(out)")
        #expect(out.contains("no violations") && out.contains("good=0") && out.contains("bad=1") && out.contains("missing=2"), "\(out)")
        let plan = try String(contentsOf: dir.appendingPathComponent("plan.json"), encoding: .utf8)
        #expect(plan.contains(#""seats": {"#) && plan.contains(#""type": "integer""#))
    }
}
}
