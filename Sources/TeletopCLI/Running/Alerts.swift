import Logging
import TeletopCore
import TeletopRemote

/// The alert rules running, with their actions: every alert is logged, and
/// goes to `--on-alert` and `--alert-webhook` when given. The dashboard also
/// shows the board; `serve` only acts.
struct Alerts {
    let monitor: AlertMonitor
    let webhook: AlertWebhook?

    /// nil when no rule was given: nothing runs.
    static func start(_ settings: AlertSettings, logger: EventLogger, log: Logger, commandOutput: String?,
                      snapshot: (@Sendable () -> TelemetrySnapshot)? = nil) -> Alerts? {
        guard !settings.rules.isEmpty else { return nil }
        let say: @Sendable (String) -> Void = { log.warning("\($0)") }
        var actions: [any AlertAction] = [AlertLogLine(log: log)]
        if let command = settings.command { actions.append(AlertCommand(command: command, outputPath: commandOutput, log: say)) }
        let webhook = settings.webhook.map { AlertWebhook(url: $0, log: say) }
        if let webhook { actions.append(webhook) }
        let monitor = AlertMonitor(rules: settings.rules, logger: logger, snapshot: snapshot, actions: actions)
        monitor.start()
        log.info("alerts on", metadata: ["rules": "\(settings.rules.map(\.text))"])
        return Alerts(monitor: monitor, webhook: webhook)
    }

    func stop() {
        monitor.stop()
        webhook?.stop()
    }
}

/// Every alert, one line in teletop's log.
struct AlertLogLine: AlertAction {
    let log: Logger
    func deliver(_ alert: AlertEvent) {
        log.warning("alert \(alert.state.rawValue): \(alert.message)", metadata: ["rule": "\(alert.rule)", "id": "\(alert.id)"])
    }
}
