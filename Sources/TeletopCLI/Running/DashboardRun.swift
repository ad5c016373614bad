import ArgumentParser
import Foundation
import Logging
import TeletopCore
import TeletopStore
import TeletopTUI

/// A dashboard from its settings: the logger, the store's history first, the
/// simulator, the HTTP API, the terminal, the input readers (and a replay), the
/// loop; each stopped on the way out.
struct DashboardRun {
    let settings: DashboardSettings

    /// `replay`: a recording played into this dashboard (`teletop replay FILE`).
    func run(replay: ReplaySource? = nil) throws {
        let input = settings.input
        if input.readStdin && isatty(STDIN_FILENO) == 1 {
            throw ValidationError("--stdin reads events from a pipe or a file (teletop --stdin < events.jsonl); standard input is the terminal")
        }
        let logger = try settings.logger.makeLogger()
        let log = try LogFile.bootstrap(path: settings.logFile)
        // History first, so the restored feed comes before anything new.
        let storage = try settings.store.start(logger: logger, log: log)
        defer { storage.stop() }
        let simulator = Simulator(logger: logger, seed: settings.logger.seed, rate: settings.simRate)
        simulator.setEnabled(settings.simEnabled)
        let simTask = Task.detached { await simulator.run() }
        defer { simTask.cancel() }

        // Before the screen: a busy port is an error to read in the shell, not behind curses.
        let server = try settings.http.map { try $0.startServer(logger: logger, storage: storage, log: log) }
        defer { server?.stop() }
        // Its errors say what is wrong with the terminal; ArgumentParser prints them and exits 1.
        let backend: CursesBackend
        do {
            backend = try CursesBackend(monochrome: settings.monochrome, keysFromTTY: input.readStdin, mouse: settings.mouse)
        } catch {
            // A terminal teletop cannot draw on is a start-up failure: the reason, and status 2.
            throw commandFailure("teletop: \(error)")
        }
        let sources = InputSources(input, logger: logger, log: log)
        sources.start(log: log)
        defer { sources.stop() }
        replay?.start(logger: logger)
        defer { replay?.stop() }
        let alerts = Alerts.start(settings.alerts, logger: logger, log: log, commandOutput: settings.logFile)
        defer { alerts?.stop() }
        log.info("dashboard started", metadata: ["sim": "\(settings.simEnabled)", "rate": "\(settings.simRate)", "seed": "\(settings.logger.seed)"])
        var options = DashboardApp.Options()
        options.logPath = settings.logFile
        options.filterHistoryPath = StoreLocation.filterHistoryPath()
        options.log = { log.info("\($0)") }
        options.sources = { (server.map { [$0.statusLine] + $0.sdkStatusLines } ?? []) + sources.statusLines + (replay.map { [$0.statusLine] } ?? []) + storage.statusLines }
        options.analytics = storage.writer
        options.faults = server?.options.faults
        options.alerts = alerts?.monitor
        // Percentiles of the payloads' numbers, counted off the producers' threads.
        let numbers = NumbersMonitor(logger: logger)
        numbers.start()
        defer { numbers.stop() }
        options.numbers = numbers
        options.bell = settings.alerts.bell
        options.feedColumns = settings.feedColumns
        options.typeColors = settings.typeColors
        if let url = server?.baseURL { options.apiBaseURL = url }
        options.apiNeedsToken = server?.options.token != nil
        let app = DashboardApp(backend: backend, logger: logger, simulator: simulator, options: options)
        app.run()
        backend.shutdown()
        let snap = logger.snapshot()
        log.info("dashboard stopped", metadata: ["events": "\(snap.eventsLogged)", "rejected": "\(snap.totalRejected)"])
    }
}
