import Foundation
import Testing

/// Issue 17's CLI points through the real binary: what a mistake prints and
/// the exit status it ends with.
extension EndToEnd {
@Suite("The command line of the real binary", .serialized)
struct CLIEndToEndTests {
    /// Runs `sh -c script` with the binary as $T; returns (status, output).
    func sh(_ script: String) throws -> (Int32, String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("teletop-cli-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        return try runTool(["sh", "-c", "T='\(TmuxSession.binary.path)'; cd '\(dir.path)'; " + script], outputIn: dir)
    }

    @Test func negativeValuesSayTheAllowedRange() throws {
        let (status, out) = try sh(#""$T" --port -1"#)
        #expect(status == 64 && out.contains("--port must be 0-65535, got -1"), "\(out)")
        let (s2, o2) = try sh(#""$T" serve --sim-rate -5"#)
        #expect(s2 == 64 && o2.contains("--sim-rate must be between 0 and 1000000"), "\(o2)")
    }

    @Test func aMistypedCommandGetsTheNearestOne() throws {
        let (status, out) = try sh(#""$T" serv"#)
        #expect(status == 64 && out.contains("did you mean 'serve'?"), "\(out)")
    }

    @Test func plainHelpListsTheDashboardsOptionsWithNamedValues() throws {
        let (status, out) = try sh(#""$T" --help"#)
        #expect(status == 0)
        for words in ["SUBCOMMANDS", "--no-sim", "--follow <file>", "--db <path>", "--plan <file>", "--port <n>"] {
            #expect(out.contains(words), "teletop --help lacks \(words)")
        }
    }

    /// A store path that is a folder, an unreadable plan, a busy port: refused before starting, status 2.
    @Test func startUpFailuresExit2BeforeAnythingStarts() throws {
        let (s1, o1) = try sh(#""$T" serve --stdin --no-http --db /tmp < /dev/null"#)
        #expect(s1 == 2 && o1.contains("--db /tmp is a folder"), "\(o1)")
        let (s2, o2) = try sh(#""$T" serve --stdin --no-http --in-memory --plan nope.json < /dev/null"#)
        #expect(s2 == 2 && o2.contains("--plan nope.json: cannot read the file"), "\(o2)")
        // The first serve holds the port; the second cannot have it.
        let (s3, o3) = try sh(#"""
            "$T" serve --in-memory --port 0 --log-file first.log > first.out 2>&1 & pid=$!
            for i in $(seq 100); do grep -q 'HTTP API listening' first.log 2>/dev/null && break; sleep 0.05; done
            port=$(sed -n 's/.*HTTP API listening address=http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' first.log | head -1)
            "$T" serve --in-memory --port "$port" --log-file second.log; status=$?
            kill $pid; wait $pid; exit $status
            """#)
        #expect(s3 == 2 && o3.contains("already in use"), "\(o3)")
    }

    @Test func exportIntoAClosedPipeEndsQuietly() throws {
        let (status, out) = try sh(#"""
            i=0; while [ $i -lt 20000 ]; do echo '{"event_type":"error_event","payload":{"error_type":"t","error_message":"m"}}'; i=$((i+1)); done > in.jsonl
            "$T" serve --stdin --no-http --db s.sqlite --log-file s.log < in.jsonl > /dev/null
            { "$T" export --db s.sqlite; echo $? > export.status; } | head -1 > first.line
            cat first.line; exit $(cat export.status)
            """#)
        #expect(status == 0, "\(out)")
        #expect(out.hasPrefix(#"{"event_type":"error_event""#) && !out.contains("Broken pipe"), "\(out)")
    }
}
}
