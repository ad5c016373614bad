import Foundation
import Testing
import TeletopCore
import TeletopTUI
@testable import TeletopCLI

@Suite("The config file")
struct ConfigFileTests {
    static let good = """
        # defaults for this machine
        plan = "plans/app.json"
        bell = false
        alerts = ["health", "error_event rate > 5/s for 30s"]

        [feed]
        columns = ["user_id", "chapter_id", "latency_ms"]

        [colors]
        error_event = "yellow"
        "signup.completed" = "green"
        """

    func error(_ text: String) -> String {
        do { _ = try ConfigFile.parse(text, path: "/etc/t/config.toml"); return "parsed" } catch { return error.description }
    }

    @Test func everyKeyReadsWithItsLine() throws {
        let c = try ConfigFile.parse(Self.good, path: "/home/u/.config/teletop/config.toml")
        #expect(c.plan == Configured(value: "/home/u/.config/teletop/plans/app.json", line: 2), "relative to the file's folder")
        #expect(c.bell == Configured(value: false, line: 3))
        #expect(c.alerts == Configured(value: ["health", "error_event rate > 5/s for 30s"], line: 4))
        #expect(c.feedColumns == Configured(value: ["user_id", "chapter_id", "latency_ms"], line: 7))
        #expect(c.colors["error_event"] == Configured(value: .yellow, line: 10))
        #expect(c.colors["signup.completed"] == Configured(value: .green, line: 11))
    }

    @Test func aBadFileNamesTheLineTheKeyAndWhatWasExpected() {
        #expect(error("bell = \"yes\"") == "/etc/t/config.toml:1: bell: expected true or false, got \"yes\"")
        #expect(error("\n\nbel = true") == "/etc/t/config.toml:3: bel: unknown key (teletop reads plan, bell, alerts, feed, colors)")
        #expect(error("alerts = [\"errors go up\"]").hasPrefix("/etc/t/config.toml:1: alerts: alert rule \"errors go up\": expected"))
        #expect(error("alerts = \"health\"") == "/etc/t/config.toml:1: alerts: expected an array of alert rules (strings), got \"health\"")
        #expect(error("[feed]\ncolumn = [\"a\"]") == "/etc/t/config.toml:2: feed.column: unknown key (teletop reads columns)")
        #expect(error("[colors]\n\nerror_event = \"orange\"")
                == "/etc/t/config.toml:3: colors.error_event: expected a colour (red, green, yellow, blue, magenta, cyan, white), got \"orange\"")
        // Not TOML at all: the parser's own line.
        #expect(error("plan = \"a\"\nbell = = true").hasPrefix("/etc/t/config.toml:2: not TOML:"))
    }

    @Test func flagsWinThenTheFileThenTheDefault() throws {
        let c = try ConfigFile.parse(Self.good, path: "/c/config.toml")
        let fileOnly = ConfiguredSettings.merge(c, planFlag: nil, alertFlags: [], noBell: false)
        #expect(fileOnly.planPath == "/c/plans/app.json" && fileOnly.planOrigin == .file(path: "/c/config.toml", line: 2))
        #expect(fileOnly.bell == false && fileOnly.alertRules.count == 2 && fileOnly.parsedRules.count == 2)
        let flags = ConfiguredSettings.merge(c, planFlag: "mine.json", alertFlags: ["new type"], noBell: true)
        #expect(flags.planPath == "mine.json" && flags.planOrigin == .flag("--plan"))
        #expect(flags.alertRules == ["new type"] && flags.alertsOrigin == .flag("--alert"), "a flag replaces the file's rules")
        #expect(flags.bell == false && flags.bellOrigin == .flag("--no-bell"))
        let none = ConfiguredSettings.merge(nil, planFlag: nil, alertFlags: [], noBell: false)
        #expect(none.planPath == nil && none.bell && none.bellOrigin == .builtIn && none.feedColumns.isEmpty)
        let report = fileOnly.report
        #expect(report.contains("config file: /c/config.toml"))
        #expect(report.contains("bell") && report.contains("(/c/config.toml:3)"))
        #expect(report.contains("colors.error_event") && report.contains("yellow"))
    }

    @Test func theFileIsFoundWhereXDGSaysAndABadOneStopsTheCommand() throws {
        #expect(ConfigFile.defaultPath(environment: ["XDG_CONFIG_HOME": "/x", "HOME": "/h"]) == "/x/teletop/config.toml")
        #expect(ConfigFile.defaultPath(environment: ["HOME": "/h"]) == "/h/.config/teletop/config.toml")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("teletop-config-\(UUID())")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("teletop"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let env = ["XDG_CONFIG_HOME": dir.path]
        #expect(try ConfiguredSettings.load(planFlag: nil, alertFlags: [], noBell: false, environment: env).file == nil, "no file: defaults")
        try "bell = 1\n".write(to: dir.appendingPathComponent("teletop/config.toml"), atomically: true, encoding: .utf8)
        #expect(throws: (any Error).self) { try ConfiguredSettings.load(planFlag: nil, alertFlags: [], noBell: false, environment: env) }
    }
}
