import ArgumentParser
import Foundation
import Logging
import TeletopCore
import TeletopTUI

struct Dashboard: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open the live dashboard (the default)."
    )

    @Flag(name: .customLong("no-sim"), help: "Start without the simulated AI-block generator.")
    var noSim = false

    @Option(name: .customLong("sim-rate"), help: "Simulated events per second.")
    var simRate: Double = Simulator.defaultRate

    @Option(name: .customLong("log-file"), help: "Where teletop writes its own log (never to the screen).")
    var logFile: String = LogFile.defaultPath

    @Flag(help: "No colours (NO_COLOR=1 does the same).")
    var monochrome = false

    @OptionGroup(title: "Input")
    var input: InputOptions

    @OptionGroup(title: "HTTP API")
    var http: HTTPOptions

    @OptionGroup(title: "Storage")
    var store: StoreOptions

    @OptionGroup
    var core: LoggerOptions

    func validate() throws { try LoggerOptions.validate(simRate: simRate) }

    func run() throws { try run(replay: nil) }

    /// `replay`: a recording played into this dashboard (`teletop replay FILE`).
    func run(replay: ReplaySource?) throws {
        if input.readStdin && isatty(STDIN_FILENO) == 1 {
            throw ValidationError("--stdin reads events from a pipe or a file (teletop --stdin < events.jsonl); standard input is the terminal")
        }
        let logger = try core.makeLogger()
        let log = try LogFile.bootstrap(path: logFile)
        // History first, so the restored feed comes before anything new.
        let storage = try store.start(logger: logger, log: log)
        defer { storage.stop() }
        let simulator = Simulator(logger: logger, seed: core.seed, rate: simRate)
        simulator.setEnabled(!noSim)
        let simTask = Task.detached { await simulator.run() }
        defer { simTask.cancel() }

        // Before the screen: a busy port is an error to read in the shell, not behind curses.
        let server = try http.startServer(logger: logger, storage: storage, log: log)
        defer { server?.stop() }
        // Its errors say what is wrong with the terminal; ArgumentParser prints them and exits 1.
        let backend = try CursesBackend(monochrome: monochrome, keysFromTTY: input.readStdin)
        let sources = InputSources(input, logger: logger, log: log)
        sources.start(log: log)
        defer { sources.stop() }
        replay?.start(logger: logger)
        defer { replay?.stop() }
        log.info("dashboard started", metadata: ["sim": "\(!noSim)", "rate": "\(simRate)", "seed": "\(core.seed)"])
        var options = DashboardApp.Options()
        options.logPath = logFile
        options.sources = { (server.map { [$0.statusLine] } ?? []) + sources.statusLines + (replay.map { [$0.statusLine] } ?? []) + storage.statusLines }
        options.analytics = storage.writer
        if let url = server?.baseURL { options.apiBaseURL = url }
        options.apiNeedsToken = server?.options.token != nil
        let app = DashboardApp(backend: backend, logger: logger, simulator: simulator, options: options)
        app.run()
        backend.shutdown()
        let snap = logger.snapshot()
        log.info("dashboard stopped", metadata: ["events": "\(snap.eventsLogged)", "rejected": "\(snap.totalRejected)"])
    }
}
