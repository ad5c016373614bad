import Foundation
import Testing

extension EndToEnd {
/// The config file as a user meets it: `teletop config` says where each setting
/// came from, and a bad file stops `serve` before it starts, naming line and key.
@Suite("The config file of the real binary", .serialized)
struct ConfigEndToEndTests {
    @Test func configPrintsOriginsAndABadFileStopsServeWithItsLineAndKey() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("teletop-config-e2e-\(UUID())")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("config/teletop"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("config/teletop/config.toml")
        try "bell = false\nalerts = [\"health\"]\n".write(to: file, atomically: true, encoding: .utf8)
        let binary = TmuxSession.binary.path
        let (status, output) = try runTool([binary, "config", "--alert", "new type"], outputIn: dir)
        #expect(status == 0, "\(output)")
        #expect(output.contains("config file: \(file.path)"))
        #expect(output.contains("false") && output.contains("(\(file.path):1)"), "\(output)")
        #expect(output.contains("new type") && output.contains("(--alert)"), "the flag replaces the file's rules: \(output)")
        #expect(!output.contains("health"))

        try "bell = false\n\n[feed]\ncolumns = \"user_id\"\n".write(to: file, atomically: true, encoding: .utf8)
        let (bad, message) = try runTool([binary, "serve", "--in-memory", "--port", "0"], outputIn: dir)
        #expect(bad == 2)
        #expect(message.contains("\(file.path):4: feed.columns: expected an array of payload field names, got \"user_id\""), "\(message)")
        #expect(!message.contains("listening"), "nothing started")
    }
}
}
