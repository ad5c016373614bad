import ArgumentParser

/// The logger and its sources without the screen. With `--stdin` it stops at
/// the end of input; otherwise at SIGINT/SIGTERM. Then it prints a summary.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run teletop without the screen: ingest, then print a summary.",
        discussion: """
            Serves the HTTP API (unless --no-http). With --stdin alone, stops at the end of input; \
            otherwise at SIGINT or SIGTERM. \
            Prints events per type, rejected lines with reasons, and health. Exit status: \
            0 when every input line was accepted, 1 when any input line was rejected, 2 when \
            an input could not be read, 3 when accepted events could not be stored.
            """
    )

    @Option(name: .customLong("sim-rate"), parsing: .unconditional, help: ArgumentHelp("Also run the simulator at this many events per second (0: off).", valueName: "per-second"))
    var simRate: Double = 0

    @Option(name: .customLong("log-file"), help: ArgumentHelp("Write teletop's own log here instead of standard error.", valueName: "path"))
    var logFile: String?

    @Flag(help: "Print the summary as JSON.")
    var json = false

    @OptionGroup(title: "Input")
    var input: InputOptions

    @OptionGroup(title: "HTTP API")
    var http: HTTPOptions

    @OptionGroup(title: "Storage")
    var store: StoreOptions

    @OptionGroup(title: "Alerts")
    var alerts: AlertOptions

    @OptionGroup
    var core: LoggerOptions

    func validate() throws { try LoggerOptions.validate(simRate: simRate) }

    var settings: ServeSettings {
        ServeSettings(logger: core.settings, simRate: simRate, logFile: logFile, json: json, input: input.settings,
                      http: http.settings, store: store.settings, alerts: alerts.settings)
    }

    func run() throws {
        // The config file's plan and alerts, where the flags gave none; a bad file stops here.
        let configured = try ConfiguredSettings.load(planFlag: core.plan, alertFlags: alerts.rules, noBell: alerts.noBell)
        var settings = self.settings
        settings.logger.planPath = configured.planPath
        settings.alerts.rules = configured.parsedRules
        try ServeRun(settings: settings).run()
    }
}
