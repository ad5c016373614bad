import Foundation
import Testing
import TeletopCore

/// Issue 11 through the real binary: what a user of `teletop serve` sees.
extension EndToEnd {
@Suite("Hardening, through the real binary", .serialized)
struct HardeningEndToEndTests {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("teletop-hardening-e2e-\(UUID())")

    init() throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    /// One version constant: --version, the header (golden screens and the tmux tests) and /openapi.yaml read it.
    @Test func versionIsTheOneConstant() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let (status, out) = try runTool([TmuxSession.binary.path, "--version"], outputIn: dir)
        #expect(status == 0 && out.trimmingCharacters(in: .whitespacesAndNewlines) == TeletopVersion.current)
        let t = try TmuxSession("--no-sim --no-http --in-memory")
        let screen = try t.waitFor { $0.contains("3 Health") }
        #expect(screen.contains("teletop \(TeletopVersion.current)"))
        try t.keys("q")
    }

    @Test func anEmptyTokenIsRefusedBeforeAnythingStarts() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        for token in ["", "   "] {
            let (status, out) = try runTool([TmuxSession.binary.path, "serve", "--in-memory", "--port", "0", "--token", token], outputIn: dir)
            #expect(status == 64, "\(out)")
            #expect(out.contains("--token must not be empty"), "\(out)")
        }
    }

    @Test func aCleanSIGTERMLogsNoErrorEvenWithAStreamOpen() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("serve.log").path
        let pid = try spawn([TmuxSession.binary.path, "serve", "--in-memory", "--port", "0"], output: log)
        var address: String?
        for _ in 0..<200 where address == nil {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            address = text.range(of: #"127\.0\.0\.1:[0-9]+"#, options: .regularExpression).map { String(text[$0]) }
            Thread.sleep(forTimeInterval: 0.05)
        }
        let base = try #require(address)
        // A stream client that stays connected while the server stops.
        let stream = try spawn(["curl", "-sS", "-N", "--max-time", "20", "http://\(base)/api/telemetry/stream"],
                               output: dir.appendingPathComponent("stream.out").path)
        Thread.sleep(forTimeInterval: 0.5)
        kill(pid, SIGTERM)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        #expect((status >> 8) & 0xff == 0)
        var streamStatus: Int32 = 0
        while waitpid(stream, &streamStatus, 0) == -1 && errno == EINTR {}
        let text = try String(contentsOfFile: log, encoding: .utf8)
        let errors = text.split(separator: "\n").filter { $0.contains(" error ") || $0.contains(" critical ") }
        #expect(errors.isEmpty, "a clean stop logged: \(errors)")
        #expect(text.contains("serve stopped"))
    }
}
}
