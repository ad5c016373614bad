import ArgumentParser
import Testing
import TeletopCore
import TeletopServer
import TeletopStore
@testable import TeletopCLI
@testable import TeletopTUI

/// The commands as a shell would call them: what parses, what is refused and
/// with which words, and what a command line means once parsed.
@Suite("Command lines")
struct CommandParsingTests {
    /// The message a user would see for `args`, or nil when they parse.
    func refusal(_ args: [String]) -> String? {
        do {
            _ = try Teletop.parseAsRoot(args)
            return nil
        } catch {
            return Teletop.message(for: error)
        }
    }

    @Test(arguments: [
        (["--in-memory", "--db", "/tmp/x.sqlite"], "--in-memory and --db contradict each other"),
        (["serve", "--in-memory", "--db", "/tmp/x.sqlite"], "--in-memory and --db contradict each other"),
        (["serve", "--store", "postgres://a@db/t", "--db", "/tmp/x.sqlite"], "--store and --db name two stores; give one"),
        (["--store", "postgres://a@db/t", "--in-memory"], "--store and --in-memory contradict each other"),
        (["export", "--store", "postgres://a@db/t", "--db", "/tmp/x.sqlite"], "--store and --db name two stores; give one"),
        (["replay", "f.jsonl", "--url", "http://127.0.0.1:7311", "--store", "postgres://a@db/t"], "--db and --store are for replaying into a dashboard"),
        (["--port", "70000"], "--port must be 0-65535, got 70000"),
        (["--ring", "0"], "--ring must be at least 1, got 0"),
        (["--ring-bytes", "1KiB"], "--ring-bytes must be at least 64KiB, got 1KiB"),
        (["--queue-bytes", "100"], "--queue-bytes must be at least 64KiB, got 100"),
        (["--ring-bytes", "lots"], "lots"),
        (["--sim-rate=-1"], "--sim-rate must be between 0 and 1000000, got -1.0"),
        (["serve", "--sim-rate", "2000000"], "--sim-rate must be between 0 and 1000000"),
        (["--retain-days", "40000"], "--retain-days must be 0 (no limit) to 36500, got 40000"),
        (["--retain-events=-1"], "--retain-events must be 0 or more, got -1"),
        (["--max-body", "10"], "--max-body must be at least 256 bytes, got 10"),
        (["--max-line", "10"], "--max-line must be at least 64 bytes, got 10"),
        (["--token", ""], "--token must not be empty"),
        (["export", "--since", "yesterday-ish"], "--since: expected"),
        (["replay", "f.jsonl", "--speed", "0"], "--speed"),
        (["send"], "give an event type"),
        (["send", "page_view", "a=1", "--json", "{}"], "give fields or --json, not both"),
        (["send", "page_view", "--file", "f.jsonl"], "--file sends whole requests"),
        (["--no-such-flag"], "Unknown option '--no-such-flag'"),
        // Issue 17: a negative value reaches validation, which says the allowed range.
        (["--port", "-1"], "--port must be 0-65535, got -1"),
        (["--sim-rate", "-5"], "--sim-rate must be between 0 and 1000000, got -5.0"),
        (["--ring", "-3"], "--ring must be at least 1, got -3"),
        (["--retain-days", "-1"], "--retain-days must be 0 (no limit) to 36500, got -1"),
    ])
    func refusedWithAReason(args: [String], words: String) {
        let message = refusal(args)
        #expect(message?.contains(words) == true, "\(args): \(message ?? "parsed")")
    }

    @Test func aPlainCommandLineParses() {
        #expect(refusal([]) == nil)
        #expect(refusal(["serve", "--stdin", "--port", "0", "--retain-events", "0"]) == nil)
        #expect(refusal(["send", "ai_block_used", "user_id=u", "chapter_id=1"]) == nil)
        #expect(refusal(["export", "--since", "2h", "--format", "csv"]) == nil)
        #expect(refusal(["replay", "f.jsonl", "--speed", "max"]) == nil)
    }

    @Test func mistypedCommandsGetTheNearestOne() {
        #expect(Teletop.unknownCommand("serv")?.contains("did you mean 'serve'?") == true)
        #expect(Teletop.unknownCommand("exprot")?.contains("did you mean 'export'?") == true)
        #expect(Teletop.unknownCommand("replya")?.contains("did you mean 'replay'?") == true)
        #expect(Teletop.unknownCommand("xyzzy")?.contains("the commands are dashboard, serve, attach, send, export, replay, plan, check") == true)
        #expect(Teletop.unknownCommand("serve") == nil && Teletop.unknownCommand("--port") == nil && Teletop.unknownCommand("help") == nil)
    }

    /// Every command's --help is whole: its abstract and every option it takes.
    @Test func everyCommandHasHelp() throws {
        let expected: [(any ParsableCommand.Type, [String])] = [
            (Teletop.self, ["dashboard", "serve", "attach", "send", "export", "replay", "plan", "check"]),
            (Dashboard.self, ["--follow <file>", "--db <path>", "--plan <file>", "--port <n>", "--record <file>", "--sim-rate <per-second>",
                              "--no-sim", "--sim-rate", "--log-file", "--monochrome", "--stdin", "--follow", "--max-line", "--host", "--port",
                              "--no-http", "--max-body", "--token", "--db", "--in-memory", "--retain-events", "--retain-days", "--record",
                              "--seed", "--plan", "--ring", "--ring-bytes", "--queue-bytes", "--accept-unplanned", "--fault"]),
            (Serve.self, ["--sim-rate", "--log-file", "--json", "--stdin", "--follow", "--db", "--in-memory", "--plan"]),
            (Send.self, ["<event-type>", "--json", "--file", "--url", "--token"]),
            (Export.self, ["--db", "--event-type", "--since", "--until", "--format", "--output"]),
            (Replay.self, ["<file>", "--speed", "--url", "--token", "--db"]),
            (Plan.Infer.self, ["<file>", "--output"]),
            (Check.self, ["<file>", "--plan", "--format"]),
            (Attach.self, ["<url>", "--token", "--log-file", "--monochrome", "--no-mouse"]),
            (Config.self, ["--plan", "--alert", "--no-bell"]),
        ]
        for (command, words) in expected {
            let help = Teletop.helpMessage(for: command)
            #expect(help.contains(command.configuration.abstract), "\(command)")
            for word in words { #expect(help.contains(word), "\(command) --help lacks \(word)") }
        }
        // Plan's own subcommand (infer) is checked in its place.
        #expect(Teletop.configuration.subcommands.count == expected.count - 1, "a new command needs its --help checked here")
    }
}

@Suite("What a command line means")
struct CommandSettingsTests {
    @Test func theDashboardsDefaults() throws {
        let d = try Dashboard.parse([]).settings
        #expect(d.logger == LoggerSettings())
        #expect(d.simEnabled && d.simRate == Simulator.defaultRate)
        #expect(d.http == HTTPSettings(token: HTTPOptions.token(nil)))
        #expect(d.store.path == StoreLocation.defaultPath() && d.store.retainEvents == 1_000_000 && d.store.retainDays == 30)
        #expect(d.input == InputSettings())
    }

    @Test func flagsBecomeSettings() throws {
        let d = try Dashboard.parse(["--no-sim", "--no-http", "--in-memory", "--ring", "50", "--ring-bytes", "1MiB", "--seed", "7",
                                     "--plan", "p.json", "--stdin", "--max-line", "4096", "--monochrome"]).settings
        #expect(!d.simEnabled && d.http == nil && d.store.path == nil && d.monochrome)
        #expect(d.logger == LoggerSettings(seed: 7, planPath: "p.json", ringCapacity: 50, ringBytes: 1 << 20))
        #expect(d.input == InputSettings(readStdin: true, maxLineBytes: 4096))
        let s = try Serve.parse(["--db", "/tmp/s.sqlite", "--retain-events", "0", "--retain-days", "0", "--port", "0",
                                 "--token", "secret", "--json"]).settings
        #expect(s.store == StoreSettings(path: "/tmp/s.sqlite", retainEvents: nil, retainDays: nil))
        #expect(s.http == HTTPSettings(port: 0, token: "secret") && s.json && s.simRate == 0 && s.logFile == nil)
    }

    /// Issue 18: `--store`, else TELETOP_STORE unless `--db` or `--in-memory` says otherwise.
    @Test func aSharedStoreFromTheFlagOrTheEnvironment() throws {
        let s = try Serve.parse(["--store", "postgres://ann@db/teletop"]).settings
        #expect(s.store.database == "postgres://ann@db/teletop" && s.store.path == nil)
        let environment = ["TELETOP_STORE": "postgres://ann@db/fleet"]
        #expect(try StoreOptions.parse([]).database(environment: environment) == "postgres://ann@db/fleet")
        #expect(try StoreOptions.parse(["--db", "/tmp/x.sqlite"]).database(environment: environment) == nil)
        #expect(try StoreOptions.parse(["--in-memory"]).database(environment: environment) == nil)
        #expect(try StoreOptions.parse([]).database(environment: [:]) == nil)
        let replay = try Replay.parse(["f.jsonl", "--store", "postgres://ann@db/teletop"]).dashboardSettings
        #expect(replay.store.database == "postgres://ann@db/teletop")
    }

    /// `replay FILE` opens a dashboard from settings, not by re-parsing flags.
    @Test func replayIntoADashboard() throws {
        let plain = try Replay.parse(["f.jsonl"]).dashboardSettings
        #expect(!plain.simEnabled && plain.http == nil && plain.store.path == nil)
        let stored = try Replay.parse(["f.jsonl", "--db", "/tmp/r.sqlite"]).dashboardSettings
        #expect(stored.store == StoreSettings(path: "/tmp/r.sqlite"), "the dashboard's default retention")
    }

    @Test func sizesAndFields() throws {
        #expect(ByteSize(argument: "64MiB")?.bytes == 64 << 20)
        #expect(ByteSize(argument: "512k")?.bytes == 512 << 10)
        #expect(ByteSize(argument: "1048576")?.bytes == 1 << 20)
        #expect(ByteSize(argument: "1TB") == nil && ByteSize(argument: "") == nil && ByteSize(argument: "99999999999999999999G") == nil)
        #expect(try Send.payload(from: ["n=1", "s==1", "b=true", "q=hello world", #"o={"a":[1]}"#])
            == ["n": 1, "s": "1", "b": true, "q": "hello world", "o": .object(["a": .array([1])])])
        #expect(throws: ValidationError.self) { try Send.payload(from: ["=1"]) }
    }
}

@Suite("One version")
struct VersionTests {
    /// `--version`, the dashboard's header and /openapi.yaml all say the same.
    @Test func versionHeaderAndOpenAPIAgree() {
        let version = TeletopVersion.current
        #expect(Teletop.configuration.version == version)
        let state = DashboardState(width: 160, height: 45, snapshot: EventLogger(clock: ManualClock()).snapshot())
        #expect(render(state).lines[0].hasPrefix(" teletop \(version) "))
        let document = TelemetryRoutes(logger: EventLogger(clock: ManualClock())).openAPIDocument
        #expect(document.contains("version: \(version)\n") || document.contains("version: '\(version)'") || document.contains("version: \"\(version)\""),
                "\(document.prefix(300))")
        #expect(!document.contains("@VERSION@"))
    }
}
