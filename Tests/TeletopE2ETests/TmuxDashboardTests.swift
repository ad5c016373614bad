import Foundation
import Testing

/// Drives the real `teletop` binary in a tmux session, as a person would.
/// .ci/run installs tmux; without it these tests fail with a clear message.
final class TmuxSession {
    let name: String
    let dir: URL
    let config: URL
    let statusFile: URL

    static var binary: URL {
        // The test bundle sits in the build folder, next to the executable.
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("teletop")
    }

    /// `arguments` and `environment` are split on spaces (no quoting needed in these tests).
    /// `stdinFile` becomes teletop's standard input (the terminal stays its keyboard).
    /// `subcommand`: `attach URL ...`, say (then no --no-http is added: attach serves nothing).
    init(_ arguments: String, subcommand: [String] = [], environment: String = "", stdinFile: String? = nil, width: Int = 160, height: Int = 45) throws {
        name = "teletop-e2e-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        dir = FileManager.default.temporaryDirectory.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        // The pane stays after teletop exits, so its status and the restored screen can be read.
        config = dir.appendingPathComponent("tmux.conf")
        try "set -g remain-on-exit on\nset -g default-terminal tmux-256color\nset -g set-clipboard on\n".write(to: config, atomically: true, encoding: .utf8)
        let log = dir.appendingPathComponent("teletop.log").path
        statusFile = dir.appendingPathComponent("status")
        // `swift test` sets NO_COLOR, which a tmux server it starts would hand to every pane.
        let settings: [String] = environment.split(separator: " ").map(String.init)
        var flags: [String] = arguments.split(separator: " ").map(String.init)
        // Suites run side by side: no two may claim the default port.
        if !flags.contains("--port") && subcommand.isEmpty { flags.append("--no-http") }
        // A store of its own in the session's folder: never the user's, never another test's.
        var command: [String] = ["env", "-u", "NO_COLOR", "-u", "TELETOP_CONFIG", "XDG_DATA_HOME=\(dir.path)/data", "XDG_CONFIG_HOME=\(dir.path)/config"]
        command += settings
        command += [Self.binary.path] + subcommand + ["--log-file", log]
        command += flags
        // tmux 3.3 loses the exit status of a pane whose terminal closes first: a shell records it.
        // Ctrl-C signals the whole foreground group; the trap (reset to default in teletop) keeps the shell alive.
        let redirect = stdinFile.map { " < '\($0)'" } ?? ""
        command = ["sh", "-c", "trap : INT; \"$@\"\(redirect); echo $? > '\(statusFile.path)'", "sh"] + command
        try tmux(["new-session", "-d", "-s", name, "-x", "\(width)", "-y", "\(height)"] + command)
    }

    deinit {
        _ = try? tmux(["kill-server"])
        try? FileManager.default.removeItem(at: dir)
    }

    /// Each session gets its own tmux server (`-L`) and config, not the user's,
    /// torn down with the session: no daemon outlives the test.
    @discardableResult
    func tmux(_ args: [String]) throws -> String {
        let (status, text) = try runTool(["tmux", "-L", name, "-f", config.path] + args, outputIn: dir)
        if status != 0 { throw TmuxError(message: "tmux \(args.joined(separator: " ")): \(text)") }
        return text
    }

    func capture() throws -> String { try tmux(["capture-pane", "-p", "-t", name]) }
    /// The screen with its colours and attributes as escape sequences.
    func captureStyled() throws -> String { try tmux(["capture-pane", "-p", "-e", "-t", name]) }
    func keys(_ k: String...) throws { try tmux(["send-keys", "-t", name] + k) }
    func resize(_ w: Int, _ h: Int) throws { try tmux(["resize-window", "-t", name, "-x", "\(w)", "-y", "\(h)"]) }
    var alternateScreen: Bool { (try? tmux(["display-message", "-p", "-t", name, "#{alternate_on}"]))?.hasPrefix("1") ?? false }
    var panePID: Int32? { (try? tmux(["display-message", "-p", "-t", name, "#{pane_pid}"])).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) } }

    /// Polls the screen until `condition` holds (at most `seconds`).
    func waitFor(_ seconds: Double = 10, _ condition: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        var screen = ""
        while Date() < deadline {
            screen = try capture()
            if condition(screen) { return screen }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return screen
    }

    func exitStatus(within seconds: Double = 5) -> String? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let s = try? String(contentsOf: statusFile, encoding: .utf8), s.hasSuffix("\n") {
                return s.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return nil
    }

    /// teletop runs as the child of the pane's shell.
    func teletopPID() throws -> Int32? {
        guard let shell = panePID else { return nil }
        let (_, children) = try runTool(["pgrep", "-P", "\(shell)", "-x", "teletop"], outputIn: dir)
        return Int32(children.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

/// Runs a tool and returns its status and output. posix_spawn and waitpid, not
/// Foundation's Process: Process learns of an exit through a descriptor the
/// child inherits, and a tmux server the child starts keeps that open, so
/// waitUntilExit would wait for the server to end.
/// `teletop serve --port PORT ARGS` (0: any free port), its output in `dir/log`;
/// its PID and base URL, read from its log once it listens.
func startServe(_ args: [String], port: Int = 0, in dir: URL, log name: String) throws -> (pid_t, String) {
    let log = dir.appendingPathComponent(name).path
    let pid = try spawn([TmuxSession.binary.path, "serve", "--port", "\(port)"] + args, output: log)
    for _ in 0..<300 {
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        if let r = text.range(of: #"http://127\.0\.0\.1:[0-9]+"#, options: .regularExpression) { return (pid, String(text[r])) }
        Thread.sleep(forTimeInterval: 0.05)
    }
    kill(pid, SIGKILL)
    throw TmuxError(message: "serve never said where it listens: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
}

func runTool(_ argv: [String], outputIn dir: URL) throws -> (Int32, String) {
    let outPath = dir.appendingPathComponent("tool-\(UInt32.random(in: 0...UInt32.max)).out").path
    defer { unlink(outPath) }
    let pid = try spawn(argv, output: outPath)
    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    let output = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
    let exited = (status & 0x7f) == 0
    return (exited ? (status >> 8) & 0xff : 128 + (status & 0x7f), output)
}

/// Starts a program with no input and its output (stdout and stderr) in the
/// file `output`; returns its PID. The test runner blocks signals and its
/// children inherit the mask: a tmux server started with it never reaps its
/// panes. So it starts from a clean slate, as a login shell would.
/// XDG_DATA_HOME points next to `output`, so a teletop started without --db
/// keeps its store in the test's folder, not in the user's home.
func spawn(_ argv: [String], output: String) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    let cArgs = argv.map { strdup($0) } + [nil]
    defer { cArgs.forEach { free($0) } }
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var noSignals = sigset_t()
    sigemptyset(&noSignals)
    var allSignals = sigset_t()
    sigfillset(&allSignals)
    posix_spawnattr_setsigmask(&attributes, &noSignals)
    posix_spawnattr_setsigdefault(&attributes, &allSignals)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    var pid: pid_t = 0
    let folder = (output as NSString).deletingLastPathComponent
    // The config file too: the test's folder's (none unless a test writes one), never the user's.
    var environment: [UnsafeMutablePointer<CChar>?] = [strdup("XDG_DATA_HOME=\(folder)/data"), strdup("XDG_CONFIG_HOME=\(folder)/config")]
    var e = environ
    while let entry = e.pointee {
        let text = String(cString: entry)
        if !["XDG_DATA_HOME=", "XDG_CONFIG_HOME=", "TELETOP_CONFIG="].contains(where: text.hasPrefix) { environment.append(strdup(entry)) }
        e += 1
    }
    environment.append(nil)
    defer { environment.forEach { free($0) } }
    let rc = posix_spawnp(&pid, argv[0], &actions, &attributes, cArgs, environment)
    guard rc == 0 else { throw TmuxError(message: "cannot run \(argv[0]): \(String(cString: strerror(rc)))") }
    return pid
}

struct TmuxError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// "1,234 events" in the header.
func eventCount(_ screen: String) -> Int? {
    guard let header = screen.split(separator: "\n").first, let r = header.range(of: #"[0-9,]+ events?"#, options: .regularExpression) else { return nil }
    return Int(header[r].prefix { $0 != " " }.replacingOccurrences(of: ",", with: ""))
}

/// The counters pane's "all" row total.
func countersTotal(_ screen: String) -> Int? {
    guard let line = screen.split(separator: "\n").first(where: { $0.contains("│all ") }),
          let r = line.range(of: #"│all +[0-9,]+"#, options: .regularExpression) else { return nil }
    return Int(line[r].split(separator: " ").last!.replacingOccurrences(of: ",", with: ""))
}

extension EndToEnd {
@Suite("The real binary under tmux", .serialized)
struct TmuxDashboardTests {
    @Test func aSessionAsAPersonWouldUseIt() throws {
        #expect(FileManager.default.isExecutableFile(atPath: TmuxSession.binary.path), "build the teletop executable first")
        let t = try TmuxSession("--sim-rate 20 --seed 3")
        let first = try t.waitFor { $0.contains("3 Health") && (eventCount($0).map { $0 > 0 } ?? false) }
        #expect(first.contains("teletop 0.1.0"))
        #expect(first.contains("1 Feed") && first.contains("2 Counters") && first.contains("3 Health"))
        let n1 = try #require(eventCount(first))
        let c1 = try #require(countersTotal(first))
        let second = try t.waitFor { (eventCount($0) ?? 0) > n1 && (countersTotal($0) ?? 0) > c1 }
        #expect(try #require(eventCount(second)) > n1, "events arrive")
        #expect(try #require(countersTotal(second)) > c1, "counters rise")

        try t.keys("Space")
        let paused = try t.waitFor { $0.contains("PAUSED +") && !$0.contains("PAUSED +0 new") && $0.contains("(paused)") }
        #expect(paused.contains("(paused)"))
        try t.keys("Space")
        _ = try t.waitFor { !$0.contains("PAUSED") }

        try t.keys("?")
        let help = try t.waitFor { $0.contains("Keys") && $0.contains("─ Help ─") }
        #expect(help.contains("quit"))
        // Longer than the screen: it scrolls to its last line, the log file's path.
        try t.keys("PageDown", "PageDown", "PageDown", "PageDown")
        _ = try t.waitFor { $0.contains("Log file:") }
        try t.keys("Escape")
        _ = try t.waitFor { !$0.contains("─ Help ─") }

        try t.resize(90, 30)
        // tmux shows the old screen cut to the new size until teletop redraws: wait for
        // the redrawn header, whose right-hand badge now ends within 90 columns.
        let narrow = try t.waitFor { screen in
            guard let header = screen.split(separator: "\n").first else { return false }
            let statusBadge = ["HEALTHY", "DEGRADED"].contains { header.contains($0) }  // HEALTHY matches UNHEALTHY too
            // tmux may be part way through the frame: wait for its last pane too.
            return header.contains("teletop 0.1.0") && statusBadge && header.count <= 90 && screen.contains("3 Health")
        }
        #expect(narrow.contains("1 Feed") && narrow.contains("2 Counters") && narrow.contains("3 Health"))
        #expect(narrow.split(separator: "\n").allSatisfy { $0.count <= 90 }, "nothing drawn past the new width")
        try t.resize(60, 20)
        #expect(try t.waitFor { $0.contains("Enlarge the terminal to at least 80x24") }.contains("this terminal is 60x20"))
        for (w, h) in [(100, 30), (70, 22), (150, 40), (81, 24)] { try t.resize(w, h) }  // a storm of resizes
        try t.resize(160, 45)
        let restored = try t.waitFor { $0.contains("2 Counters") && $0.contains("3 Health") && !$0.contains("Enlarge") }
        #expect(restored.contains("3 Health") && !restored.contains("Enlarge"))

        try t.keys("q")
        #expect(t.exitStatus() == "0")
        #expect(!t.alternateScreen, "the terminal is back on its normal screen")
        #expect(!(try t.capture()).contains("1 Feed"))
    }

    @Test func sigtermRestoresTheTerminal() throws {
        let t = try TmuxSession("--no-sim")
        let screen = try t.waitFor { $0.contains("waiting for events") }
        #expect(screen.contains("SIM off"))
        let pid = try #require(try t.teletopPID())
        #expect(kill(pid, SIGTERM) == 0)
        #expect(t.exitStatus() == "0")
        #expect(!t.alternateScreen)
    }

    @Test func noColorAndAnAsciiLocaleGiveAPlainDashboard() throws {
        let t = try TmuxSession("--sim-rate 20", environment: "NO_COLOR=1 LC_ALL=C LANG=C")
        let screen = try t.waitFor { ($0.contains("3 Health") && eventCount($0).map { $0 > 0 } ?? false) }
        #expect(screen.contains("+- 1 Feed"), "ASCII borders in a non-UTF-8 locale")
        #expect(!screen.contains("┌") && !screen.contains("▁"))
        let styled = try t.captureStyled()
        // tmux writes colours as SGR 30-37/90-97 (or 38;5;N); bold and reverse stay.
        let colour = try Regex(#"\x1b\[[0-9;]*(3[0-7]|9[0-7]|38;5;[0-9]+)m"#)
        #expect(styled.firstMatch(of: colour) == nil, "no colour with NO_COLOR set")
        try t.keys("C-c")
        #expect(t.exitStatus() == "0", "Ctrl-C quits like q")
        #expect(!t.alternateScreen)
    }

    @Test func coloursByDefault() throws {
        let t = try TmuxSession("--sim-rate 20")
        _ = try t.waitFor { eventCount($0).map { $0 > 0 } ?? false }
        let colour = try Regex(#"\x1b\[[0-9;]*(3[0-7]|9[0-7]|38;5;[0-9]+)m"#)
        #expect(try t.captureStyled().firstMatch(of: colour) != nil)
        try t.keys("q")
        #expect(t.exitStatus() == "0")
    }

    @Test func aTerminalThatCannotMoveTheCursorGetsAClearError() throws {
        let t = try TmuxSession("--no-sim", environment: "TERM=dumb")
        #expect(t.exitStatus() == "2")
        // endwin on such a terminal moves to the bottom line with newlines: read the scrollback too.
        let screen = try t.tmux(["capture-pane", "-p", "-J", "-S", "-100", "-t", t.name]).replacingOccurrences(of: "\n", with: "")
        #expect(screen.contains("TERM=dumb cannot move the cursor"))
    }
}
}
