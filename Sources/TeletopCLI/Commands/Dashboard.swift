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

    @Option(name: .customLong("log-file"), help: ArgumentHelp("Where teletop writes its own log (never to the screen).", valueName: "path"))
    var logFile: String = LogFile.defaultPath

    @Flag(help: "No colours (NO_COLOR=1 does the same).")
    var monochrome = false

    @Flag(name: .customLong("no-mouse"), help: "Do not take clicks and the wheel (the terminal's own selection then works as usual).")
    var noMouse = false

    @OptionGroup(title: "Input")
    var input: InputOptions

    @OptionGroup(title: "HTTP API")
    var http: HTTPOptions

    @OptionGroup(title: "Storage")
    var store: StoreOptions

    @OptionGroup
    var core: LoggerOptions

    func validate() throws { try LoggerOptions.validate(simRate: simRate) }

    var settings: DashboardSettings {
        DashboardSettings(logger: core.settings, simRate: simRate, simEnabled: !noSim, logFile: logFile, monochrome: monochrome, mouse: !noMouse,
                          input: input.settings, http: http.settings, store: store.settings)
    }

    func run() throws { try DashboardRun(settings: settings).run() }
}
