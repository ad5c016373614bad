import Foundation
import Testing

/// `serve` as systemd runs it (contrib/teletop.service): readiness, the
/// watchdog and stopping told over a notification socket the test listens
/// on itself, the log written the journal's way, and the unit file checked
/// by systemd's own parser.
extension EndToEnd {
@Suite("serve under systemd", .serialized)
struct SystemdEndToEndTests {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("teletop-systemd-e2e-\(UUID())")

    init() throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    @Test func readyWatchdogAndStoppingAreToldAndTheLogCarriesPriorities() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        // Short, in /tmp: a socket's path has at most 107 bytes.
        let socketPath = "/tmp/teletop-notify-\(UUID().uuidString.prefix(8))"
        let listener = try NotifyListener(path: socketPath)
        let log = dir.appendingPathComponent("serve.log").path
        FileManager.default.createFile(atPath: log, contents: nil)
        // The journal names its stream by device and inode: this file plays it.
        let info = try FileManager.default.attributesOfItem(atPath: log)
        let device = (info[.systemNumber] as? NSNumber)?.uint64Value ?? 0
        let inode = (info[.systemFileNumber] as? NSNumber)?.uint64Value ?? 0
        // A WATCHDOG_PID inherited from a test runner under systemd would name another process.
        let pid = try spawn(["env", "-u", "WATCHDOG_PID", "NOTIFY_SOCKET=\(socketPath)", "WATCHDOG_USEC=200000", "JOURNAL_STREAM=\(device):\(inode)",
                             TmuxSession.binary.path, "serve", "--port", "0", "--db", dir.appendingPathComponent("events.sqlite").path],
                            output: log)
        var status: Int32 = 0
        defer { if kill(pid, 0) == 0 { kill(pid, SIGKILL); waitpid(pid, &status, 0) } }

        let ready = listener.receive(until: { $0.contains("READY=1") }, within: 10)
        #expect(ready.contains { $0.hasPrefix("READY=1\nSTATUS=taking events at http://127.0.0.1:") && $0.contains("; store ") }, "\(ready)")
        // WATCHDOG_USEC 200 ms: a ping every 100 ms or so while the main loop runs.
        let pings = listener.receive(until: { _ in false }, within: 1).filter { $0 == "WATCHDOG=1" }
        #expect(pings.count >= 4 && pings.count <= 12, "watchdog pings in 1 s: \(pings.count)")

        kill(pid, SIGTERM)
        let stopping = listener.receive(until: { $0.hasPrefix("STOPPING=1") }, within: 10)
        #expect(stopping.contains { $0.hasPrefix("STOPPING=1") }, "\(stopping)")
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        #expect(status == 0, "exit status \(status)")

        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        let logLines = lines.filter { $0.hasPrefix("<") }
        #expect(logLines.contains { $0.hasPrefix("<6>teletop: serve started") }, "\(lines)")
        #expect(logLines.contains { $0.hasPrefix("<6>teletop: HTTP API listening address=http://127.0.0.1:") }, "\(lines)")
        // The journal stamps lines itself: none of teletop's own timestamps.
        #expect(!lines.contains { $0.range(of: #"^20[0-9]{2}-[0-9]{2}-[0-9]{2}T"#, options: .regularExpression) != nil }, "\(lines)")
    }

    @Test func withoutTheJournalTheLogKeepsItsTimestamps() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("serve.log").path
        // A JOURNAL_STREAM inherited from a shell started under systemd names another stream, not this file.
        let pid = try spawn(["env", "JOURNAL_STREAM=1:1", TmuxSession.binary.path, "serve", "--port", "0", "--in-memory"], output: log)
        for _ in 0..<200 where !((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("serve started") {
            Thread.sleep(forTimeInterval: 0.05)
        }
        kill(pid, SIGTERM)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let text = try String(contentsOfFile: log, encoding: .utf8)
        #expect(text.range(of: #"(?m)^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z info teletop: serve started"#, options: .regularExpression) != nil, "\(text)")
        #expect(!text.contains("<6>"))
    }

    /// systemd-analyze (Debian's systemd) reads the unit as systemd would:
    /// an unknown key, a bad value or a missing binary is reported, and fails this.
    @Test func theUnitFilePassesSystemdsOwnCheck() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let unit = try String(contentsOf: root.appendingPathComponent("contrib/teletop.service"), encoding: .utf8)
        #expect(unit.contains("Type=notify") && unit.contains("WatchdogSec=") && unit.contains("StateDirectory=teletop"))
        #expect(unit.contains("ExecStart=/usr/local/bin/teletop serve "))
        // The binary this suite built stands in for the installed one.
        let copy = dir.appendingPathComponent("teletop.service")
        try unit.replacingOccurrences(of: "/usr/local/bin/teletop", with: TmuxSession.binary.path).write(to: copy, atomically: true, encoding: .utf8)
        let (status, out) = try runTool(["systemd-analyze", "verify", copy.path], outputIn: dir)
        // verify also loads the units this one names (network.target...): only what it says of this one counts.
        let aboutThisUnit = out.split(separator: "\n").filter { $0.contains("teletop.service") }
        #expect(status == 0 && aboutThisUnit.isEmpty, "\(out)")
        // Its ExecStart is a command line serve takes (the store's folder made here, as StateDirectory would).
        let line = try #require(unit.split(separator: "\n").first { $0.hasPrefix("ExecStart=") })
        let arguments = line.dropFirst("ExecStart=/usr/local/bin/teletop ".count).split(separator: " ").map(String.init)
            .map { $0.replacingOccurrences(of: "/var/lib/teletop", with: dir.path) }
            .map { $0 == "7311" ? "0" : $0 }
        let log = dir.appendingPathComponent("unit-serve.log").path
        let pid = try spawn([TmuxSession.binary.path] + arguments, output: log)
        var text = ""
        for _ in 0..<200 where !text.contains("HTTP API listening") {
            Thread.sleep(forTimeInterval: 0.05)
            text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        }
        kill(pid, SIGTERM)
        var exit: Int32 = 0
        while waitpid(pid, &exit, 0) == -1 && errno == EINTR {}
        #expect(text.contains("HTTP API listening") && exit == 0, "\(text)")
    }
}
}

/// A datagram socket standing in for systemd's notification socket.
final class NotifyListener {
    let fd: Int32
    let path: String

    init(path: String) throws {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw TmuxError(message: "socket path too long: \(path)") }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard fd >= 0, bound == 0 else { throw TmuxError(message: "cannot bind \(path): \(String(cString: strerror(errno)))") }
        var timeout = timeval(tv_sec: 0, tv_usec: 50_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit {
        close(fd)
        unlink(path)
    }

    /// Messages received until one satisfies `done` or `seconds` pass.
    func receive(until done: (String) -> Bool, within seconds: Double) -> [String] {
        let deadline = Date().addingTimeInterval(seconds)
        var messages: [String] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline {
            let n = recv(fd, &buffer, buffer.count, 0)
            guard n > 0 else { continue }
            let message = String(decoding: buffer[0..<n], as: UTF8.self)
            messages.append(message)
            if done(message) { break }
        }
        return messages
    }
}
