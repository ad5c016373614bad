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

    @Option(help: "Seed of the simulator: the same seed gives the same events.")
    var seed: UInt64 = 42

    @Option(help: "A tracking plan file (JSON; see the README). Default: the contract's three event types.")
    var plan: String?

    @Option(name: .customLong("ring"), help: "How many recent events to keep in memory for the feed.")
    var ringCapacity: Int = 10_000

    @Option(name: .customLong("log-file"), help: "Where teletop writes its own log (never to the screen).")
    var logFile: String = LogFile.defaultPath

    @Flag(help: "No colours (NO_COLOR=1 does the same).")
    var monochrome = false

    @OptionGroup(title: "Input")
    var input: InputOptions

    @OptionGroup(title: "HTTP API")
    var http: HTTPOptions

    func validate() throws {
        guard simRate >= 0, simRate <= Simulator.maxRate else {
            throw ValidationError("--sim-rate must be between 0 and \(Int(Simulator.maxRate)), got \(simRate)")
        }
        guard ringCapacity >= 1 else { throw ValidationError("--ring must be at least 1, got \(ringCapacity)") }
    }

    func run() throws {
        if input.readStdin && isatty(STDIN_FILENO) == 1 {
            throw ValidationError("--stdin reads events from a pipe or a file (teletop --stdin < events.jsonl); standard input is the terminal")
        }
        let trackingPlan = try loadPlan(plan)
        let log = try LogFile.bootstrap(path: logFile)
        let logger = EventLogger(plan: trackingPlan, configuration: .init(ringCapacity: ringCapacity))
        let simulator = Simulator(logger: logger, seed: seed, rate: simRate)
        simulator.setEnabled(!noSim)
        let simTask = Task.detached { await simulator.run() }
        defer { simTask.cancel() }

        // Before the screen: a busy port is an error to read in the shell, not behind curses.
        let server = try http.startServer(logger: logger, log: log)
        defer { server?.stop() }
        // Its errors say what is wrong with the terminal; ArgumentParser prints them and exits 1.
        let backend = try CursesBackend(monochrome: monochrome, keysFromTTY: input.readStdin)
        let sources = InputSources(input, logger: logger, log: log)
        sources.start(log: log)
        defer { sources.stop() }
        log.info("dashboard started", metadata: ["sim": "\(!noSim)", "rate": "\(simRate)", "seed": "\(seed)"])
        var options = DashboardApp.Options()
        options.logPath = logFile
        options.sources = { (server.map { [$0.statusLine] } ?? []) + sources.statusLines }
        if let url = server?.baseURL { options.apiBaseURL = url }
        options.apiNeedsToken = server?.options.token != nil
        let app = DashboardApp(backend: backend, logger: logger, simulator: simulator, options: options)
        app.run()
        backend.shutdown()
        let snap = logger.snapshot()
        log.info("dashboard stopped", metadata: ["events": "\(snap.eventsLogged)", "rejected": "\(snap.totalRejected)"])
    }
}

func loadPlan(_ path: String?) throws -> TrackingPlan {
    guard let path else { return .contract }
    guard let data = FileManager.default.contents(atPath: path) else {
        throw ValidationError("--plan \(path): cannot read the file")
    }
    do {
        return try TrackingPlan.load(json: Array(data))
    } catch {
        throw ValidationError("--plan \(path): \(error.description)")
    }
}
