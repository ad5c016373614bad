import Foundation
import TeletopCore
import TeletopTUI

/// Where a setting came from, for `teletop config`.
enum SettingOrigin: Equatable, CustomStringConvertible {
    case builtIn
    case flag(String)
    case file(path: String, line: Int)

    var description: String {
        switch self {
        case .builtIn: "default"
        case .flag(let name): name
        case .file(let path, let line): "\(path):\(line)"
        }
    }
}

/// What the config file can set, merged with the flags: a flag wins, then
/// the file, then teletop's default; each with where it came from.
struct ConfiguredSettings: Equatable {
    var planPath: String?
    var planOrigin = SettingOrigin.builtIn
    var alertRules: [String] = []
    var alertsOrigin = SettingOrigin.builtIn
    var bell = true
    var bellOrigin = SettingOrigin.builtIn
    var feedColumns: [String] = []
    var feedOrigin = SettingOrigin.builtIn
    var colors: [String: TypeColor] = [:]
    var colorOrigins: [String: SettingOrigin] = [:]
    /// The file read (nil: there was none at the path).
    var file: String?

    static func merge(_ config: ConfigFile?, planFlag: String?, alertFlags: [String], noBell: Bool) -> ConfiguredSettings {
        var s = ConfiguredSettings()
        s.file = config?.path
        func origin(_ line: Int) -> SettingOrigin { .file(path: config?.path ?? "", line: line) }
        if let planFlag {
            (s.planPath, s.planOrigin) = (planFlag, .flag("--plan"))
        } else if let p = config?.plan {
            (s.planPath, s.planOrigin) = (p.value, origin(p.line))
        }
        // --alert given: those rules, not the file's (a flag overrides, it does not add).
        if !alertFlags.isEmpty {
            (s.alertRules, s.alertsOrigin) = (alertFlags, .flag("--alert"))
        } else if let a = config?.alerts {
            (s.alertRules, s.alertsOrigin) = (a.value, origin(a.line))
        }
        if noBell {
            (s.bell, s.bellOrigin) = (false, .flag("--no-bell"))
        } else if let b = config?.bell {
            (s.bell, s.bellOrigin) = (b.value, origin(b.line))
        }
        if let f = config?.feedColumns { (s.feedColumns, s.feedOrigin) = (f.value, origin(f.line)) }
        for (type, c) in config?.colors ?? [:] {
            s.colors[type] = c.value
            s.colorOrigins[type] = origin(c.line)
        }
        return s
    }

    /// The config file at the default path (or `TELETOP_CONFIG`), merged with these flags;
    /// a bad file is the command's failure (its message, exit status 2), before anything starts.
    static func load(planFlag: String?, alertFlags: [String], noBell: Bool,
                     environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ConfiguredSettings {
        let path = environment["TELETOP_CONFIG"].flatMap { $0.isEmpty ? nil : $0 } ?? ConfigFile.defaultPath(environment: environment)
        do {
            return merge(try ConfigFile.load(path), planFlag: planFlag, alertFlags: alertFlags, noBell: noBell)
        } catch {
            throw commandFailure("teletop: the config file: \(error.description)")
        }
    }

    /// The alert rules, parsed (each was checked where it came from).
    var parsedRules: [AlertRule] { alertRules.compactMap { try? AlertRule.parse($0) } }

    /// `teletop config`: every setting, its value and where it came from.
    var report: String {
        var lines = ["config file: " + (file ?? "none (looked for \(ConfigFile.defaultPath()); TELETOP_CONFIG names another)")]
        // Padded, never cut: a long value pushes its origin along.
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        func row(_ key: String, _ value: String, _ origin: SettingOrigin) {
            lines.append(pad(key, 22) + " " + pad(value, 40) + " (" + origin.description + ")")
        }
        row("plan", planPath ?? "the contract's three event types", planOrigin)
        row("bell", bell ? "true" : "false", bellOrigin)
        if alertRules.isEmpty { row("alerts", "none", alertsOrigin) }
        for rule in alertRules { row("alerts", rule, alertsOrigin) }
        row("feed.columns", feedColumns.isEmpty ? "none: key=value" : feedColumns.joined(separator: ", "), feedOrigin)
        if colors.isEmpty { row("colors", "teletop's own per type", .builtIn) }
        for type in colors.keys.sorted() { row("colors.\(type)", colors[type]!.rawValue, colorOrigins[type] ?? .builtIn) }
        return lines.joined(separator: "\n")
    }
}
