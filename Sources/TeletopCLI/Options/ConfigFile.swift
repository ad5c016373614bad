import Foundation
import TeletopCore
import TeletopTUI
import TOMLKit

/// A value from the config file, and the line it is on (for `teletop config` and errors).
struct Configured<T: Equatable>: Equatable {
    var value: T
    var line: Int
}

/// `$XDG_CONFIG_HOME/teletop/config.toml` (else `~/.config/teletop/config.toml`):
/// defaults for the dashboard, `attach` and `serve`; their flags override it.
///
///     plan = "plans/app.json"          # relative to the file's folder
///     bell = false
///     alerts = ["health", "error_event rate > 5/s for 30s"]
///
///     [feed]
///     columns = ["user_id", "chapter_id", "latency_ms"]
///
///     [colors]
///     error_event = "red"
///
/// Every key is checked: a key teletop does not know, a wrong type, a bad
/// alert rule or colour is an error naming the file, the line and the key,
/// and nothing starts half-configured.
struct ConfigFile: Equatable {
    var path: String
    var plan: Configured<String>?
    var bell: Configured<Bool>?
    var alerts: Configured<[String]>?
    var feedColumns: Configured<[String]>?
    var colors: [String: Configured<TypeColor>] = [:]

    static let keys = ["plan", "bell", "alerts", "feed", "colors"]

    /// Where the file is looked for.
    static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let xdg = environment["XDG_CONFIG_HOME"], xdg.hasPrefix("/") { return xdg + "/teletop/config.toml" }
        return (environment["HOME"] ?? NSHomeDirectory()) + "/.config/teletop/config.toml"
    }

    /// The file at `path`; nil when there is none (nothing to configure is not an error).
    static func load(_ path: String) throws(ConfigError) -> ConfigFile? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(path: path, line: nil, key: nil, message: "cannot be read as UTF-8 text")
        }
        return try parse(text, path: path)
    }

    static func parse(_ text: String, path: String) throws(ConfigError) -> ConfigFile {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let e as TOMLParseError {
            throw ConfigError(path: path, line: e.source.begin.line, key: nil, message: "not TOML: \(e.description)")
        } catch {
            throw ConfigError(path: path, line: nil, key: nil, message: "not TOML: \(error)")
        }
        let lines = KeyLines(text)
        var config = ConfigFile(path: path)
        func fail(_ key: String, _ table: String? = nil, _ message: String) -> ConfigError {
            ConfigError(path: path, line: lines.line(of: key, in: table), key: table.map { "\($0).\(key)" } ?? key, message: message)
        }
        for key in table.keys where !keys.contains(key) {
            throw fail(key, nil, "unknown key (teletop reads \(keys.joined(separator: ", ")))")
        }
        if let v = table["plan"] {
            guard let s = v.string, !s.isEmpty else { throw fail("plan", nil, "expected the path of a plan file, as a string, got \(v.debugDescription)") }
            // Relative to the config file's folder, as a user writing it next to the file means.
            let dir = (path as NSString).deletingLastPathComponent
            config.plan = Configured(value: s.hasPrefix("/") ? s : dir + "/" + s, line: lines.line(of: "plan", in: nil) ?? 0)
        }
        if let v = table["bell"] {
            guard let b = v.bool else { throw fail("bell", nil, "expected true or false, got \(v.debugDescription)") }
            config.bell = Configured(value: b, line: lines.line(of: "bell", in: nil) ?? 0)
        }
        if let v = table["alerts"] {
            let rules = try strings(v) { fail("alerts", nil, "expected an array of alert rules (strings), got \($0)") }
            for rule in rules {
                do { _ = try AlertRule.parse(rule) } catch { throw fail("alerts", nil, error.description) }
            }
            config.alerts = Configured(value: rules, line: lines.line(of: "alerts", in: nil) ?? 0)
        }
        if let v = table["feed"] {
            guard let feed = v.table else { throw fail("feed", nil, "expected a table ([feed]), got \(v.debugDescription)") }
            for key in feed.keys where key != "columns" { throw fail(key, "feed", "unknown key (teletop reads columns)") }
            if let c = feed["columns"] {
                let columns = try strings(c) { fail("columns", "feed", "expected an array of payload field names, got \($0)") }
                if let empty = columns.first(where: \.isEmpty) { throw fail("columns", "feed", "a field name is empty: \(Describe.string(empty))") }
                config.feedColumns = Configured(value: columns, line: lines.line(of: "columns", in: "feed") ?? 0)
            }
        }
        if let v = table["colors"] {
            guard let colors = v.table else { throw fail("colors", nil, "expected a table ([colors]), got \(v.debugDescription)") }
            for type in colors.keys {
                let names = TypeColor.allCases.map(\.rawValue).joined(separator: ", ")
                guard let name = colors[type]?.string, let color = TypeColor(rawValue: name) else {
                    throw fail(type, "colors", "expected a colour (\(names)), got \(colors[type]?.debugDescription ?? "nothing")")
                }
                config.colors[type] = Configured(value: color, line: lines.line(of: type, in: "colors") ?? 0)
            }
        }
        return config
    }

    private static func strings(_ v: TOMLValueConvertible, _ fail: (String) -> ConfigError) throws(ConfigError) -> [String] {
        guard let array = v.array else { throw fail(v.debugDescription) }
        var out: [String] = []
        for item in array {
            guard let s = item.string else { throw fail(item.debugDescription) }
            out.append(s)
        }
        return out
    }
}

/// What is wrong with the config file: where, which key, what was expected.
struct ConfigError: Error, Equatable, CustomStringConvertible {
    var path: String
    var line: Int?
    var key: String?
    var message: String

    var description: String {
        "\(path)" + (line.map { ":\($0)" } ?? "") + ": " + (key.map { "\($0): " } ?? "") + message
    }
}

/// Which line each key is on. TOMLKit reports lines for syntax errors only,
/// so the lines of keys whose values are wrong are found in the text: the
/// first `key =` after the table's header (`[feed]`), or before any header.
struct KeyLines {
    let lines: [Substring]

    init(_ text: String) { lines = text.split(separator: "\n", omittingEmptySubsequences: false) }

    func line(of key: String, in table: String?) -> Int? {
        var current: String?
        for (i, raw) in lines.enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("[") {
                current = String(line.dropFirst().prefix { $0 != "]" }).trimmingCharacters(in: .whitespaces)
                continue
            }
            guard current == table else { continue }
            for spelled in [key, "\"\(key)\"", "'\(key)'"] where line.hasPrefix(spelled) {
                if line.dropFirst(spelled.count).trimmingCharacters(in: .whitespaces).hasPrefix("=") { return i + 1 }
            }
        }
        // A table written inline (`feed = { ... }`): its own line.
        if let table { return line(of: table, in: nil) }
        return nil
    }
}
