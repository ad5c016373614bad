import Foundation
import Testing

extension EndToEnd {
@Suite("Alerts from the real binary", .serialized)
struct AlertEndToEndTests {
    /// `serve` with a rate rule and `--on-alert`: a burst of errors fires it, the
    /// command records the alert's JSON from its stdin, the quiet after it
    /// resolves it, and a command that fails is logged, not fatal.
    @Test func aRuleFiresACommandRecordsItAndRecoveryIsRecordedToo() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("teletop-alert-e2e-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let record = dir.appendingPathComponent("alerts.jsonl").path
        let (pid, base) = try startServe(["--in-memory", "--alert", "error_event rate > 2/s for 3s",
                                          "--on-alert", "cat >> '\(record)'; exit 3"], in: dir, log: "serve.log")
        defer { kill(pid, SIGKILL); waitpid(pid, nil, 0) }
        let errors = (0..<20).map { _ in #"{"event_type": "error_event", "payload": {"error_type": "timeout", "error_message": "upstream"}}"# }
        let (status, out) = try runTool(["curl", "-sS", "-X", "POST", "\(base)/api/telemetry/batch", "-H", "Content-Type: application/json",
                                         "-d", "[" + errors.joined(separator: ",") + "]"], outputIn: dir)
        #expect(status == 0 && out.contains(#""accepted":20"#), "\(out)")
        func recorded() -> [String] {
            ((try? String(contentsOfFile: record, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }
        let deadline = Date().addingTimeInterval(15)
        while recorded().count < 2 && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        let lines = recorded()
        #expect(lines.count == 2, "\(lines)")
        guard lines.count == 2 else { return }
        #expect(lines[0].contains(#""state":"firing""#) && lines[0].contains(#""rule":"error_event rate > 2/s for 3s""#), "\(lines[0])")
        #expect(lines[0].contains(#""message":"error_event at "#) && lines[0].contains(#"/s over 3s, > 2.0/s""#), "\(lines[0])")
        #expect(lines[1].contains(#""state":"resolved""#) && lines[1].contains("error_event back to 0.0/s over 3s"), "\(lines[1])")
        let log = try String(contentsOfFile: dir.appendingPathComponent("serve.log").path, encoding: .utf8)
        #expect(log.contains("alert firing: error_event at "))
        #expect(log.contains("--on-alert for alert 1 (error_event rate > 2/s for 3s): exited with status 3"))
        #expect(kill(pid, 0) == 0, "serve is still running")
    }

    /// The dashboard: the error storm raises a rule's alert in the header, `!`
    /// lists it, Enter acknowledges it, and the end of the storm resolves it.
    @Test func theErrorStormRaisesAnAlertInTheHeader() throws {
        let t = try TmuxSession("--in-memory --no-http --sim-rate 20", subcommand: ["--alert", "error_event rate > 2/s for 3s"])
        _ = try t.waitFor { $0.contains("3 Health") }
        try t.keys("e")
        let alerted = try t.waitFor(20) { $0.split(separator: "\n").first?.contains("ALERT: error_event at") == true }
        #expect(alerted.contains("over 3s, > 2.0/s (! to see)"))
        try t.keys("!")
        let view = try t.waitFor { $0.contains("Alerts (Enter acknowledge, A all, q back)") }
        #expect(view.contains("Rules: error_event rate > 2/s for 3s") && view.contains("FIRING"))
        try t.keys("Enter")
        _ = try t.waitFor { $0.contains(" ack ") }
        try t.keys("q")
        let acknowledged = try t.waitFor { $0.contains("3 Health") && $0.split(separator: "\n").first?.contains("ALERT") == false }
        #expect(!acknowledged.split(separator: "\n")[0].contains("ALERT"))
        try t.keys("e")
        try t.keys("!")
        _ = try t.waitFor(20) { $0.contains("resolved") && $0.contains("error_event back to") }
        try t.keys("q", "q")
        #expect(t.exitStatus() == "0")
    }
}
}
