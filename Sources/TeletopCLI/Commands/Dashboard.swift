import ArgumentParser
import TeletopCore

struct Dashboard: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open the live dashboard (the default)."
    )

    @Flag(name: .customLong("no-sim"), help: "Start without the simulated AI-block generator.")
    var noSim = false

    @Option(name: .customLong("sim-rate"), parsing: .unconditional, help: ArgumentHelp("Simulated events per second.", valueName: "per-second"))
    var simRate: Double = Simulator.defaultRate

    @OptionGroup
    var screen: ScreenOptions

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

    var settings: DashboardSettings {
        DashboardSettings(logger: core.settings, simRate: simRate, simEnabled: !noSim, logFile: screen.logFile, monochrome: screen.monochrome, mouse: !screen.noMouse,
                          input: input.settings, http: http.settings, store: store.settings, alerts: alerts.settings)
    }

    func run() throws {
        // The config file fills in what the flags left unset; a bad one stops here.
        let configured = try ConfiguredSettings.load(planFlag: core.plan, alertFlags: alerts.rules, noBell: alerts.noBell)
        var settings = self.settings
        settings.logger.planPath = configured.planPath
        settings.alerts.rules = configured.parsedRules
        settings.alerts.bell = configured.bell
        settings.feedColumns = configured.feedColumns
        settings.typeColors = configured.colors
        try DashboardRun(settings: settings).run()
    }
}
