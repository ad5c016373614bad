import ArgumentParser
import TeletopCore

/// `--alert`, `--on-alert`, `--alert-webhook`, `--no-bell`: the dashboard,
/// attach and `serve` take the same rules and actions.
struct AlertOptions: ParsableArguments {
    @Option(name: .customLong("alert"), parsing: .unconditionalSingleValue,
            help: ArgumentHelp("An alert rule (repeatable): health | new type | TARGET rate > N/s for DURATION (or <); TARGET is an event type, * or a query.",
                               valueName: "rule"))
    var rules: [String] = []

    @Option(name: .customLong("on-alert"),
            help: ArgumentHelp("Run this shell command for each alert, the alert as JSON on its standard input (10 s at most; its output goes to the log).",
                               valueName: "command"))
    var command: String?

    @Option(name: .customLong("alert-webhook"),
            help: ArgumentHelp("POST each alert as JSON to this URL (5 s timeout, 3 retries).", valueName: "url"))
    var webhook: String?

    @Flag(name: .customLong("no-bell"), help: "The dashboard does not ring the terminal's bell when an alert fires.")
    var noBell = false

    func validate() throws {
        for rule in rules {
            do { _ = try AlertRule.parse(rule) } catch { throw ValidationError("--alert: \(error.description)") }
        }
        if let webhook, !(webhook.hasPrefix("http://") || webhook.hasPrefix("https://")) {
            throw ValidationError("--alert-webhook must start with http:// or https://, got \(webhook)")
        }
        if let command, command.allSatisfy({ $0 == " " }) { throw ValidationError("--on-alert must not be empty") }
    }

    var settings: AlertSettings {
        AlertSettings(rules: rules.compactMap { try? AlertRule.parse($0) }, command: command, webhook: webhook, bell: !noBell)
    }
}
