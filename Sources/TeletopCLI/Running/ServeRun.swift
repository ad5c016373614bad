import ArgumentParser
import Foundation
import Logging
import TeletopCore
import TeletopServer

/// `serve` from its settings: the logger and its sources without the screen,
/// until the end of input or a signal, then the summary and the exit status.
struct ServeRun {
    let settings: ServeSettings

    func run() throws {
        let input = settings.input, simRate = settings.simRate
        let logger = try settings.logger.makeLogger()
        let log = try settings.logFile.map { try LogFile.bootstrap(path: $0) } ?? LogFile.bootstrapStandardError()
        // Blocked here, before any thread starts, so every thread inherits the
        // mask and the signals wait for `sigtimedwait` below.
        var signals = sigset_t()
        sigemptyset(&signals)
        for sig in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&signals, sig) }
        pthread_sigmask(SIG_BLOCK, &signals, nil)

        let storage = try settings.store.start(logger: logger, log: log, reportsUpgrade: true)
        let server = try settings.http.map { try $0.startServer(logger: logger, storage: storage, log: log) }
        let sources = InputSources(input, logger: logger, log: log)
        let started = ContinuousClock.now
        sources.start(log: log)
        let simulator = Simulator(logger: logger, seed: settings.logger.seed, rate: simRate)
        simulator.setEnabled(simRate > 0)
        let simTask = simRate > 0 ? Task.detached { await simulator.run() } : nil
        let alerts = Alerts.start(settings.alerts, logger: logger, log: log, commandOutput: settings.logFile)
        if !input.any && simRate == 0 && server == nil {
            log.warning("nothing to ingest: give --stdin, --follow FILE, --sim-rate N, or serve the HTTP API; waiting for SIGINT/SIGTERM")
        }
        log.info("serve started", metadata: ["stdin": "\(input.readStdin)", "follow": "\(input.followPath ?? "-")", "sim_rate": "\(simRate)"])
        // Under systemd (Type=notify): ready once the API listens and the store is started.
        let systemd = SystemdNotify.fromEnvironment()
        systemd?.send("READY=1\nSTATUS=" + Self.readyStatus(server: server, store: storage.writer?.path))
        var watchdog = WatchdogPinger(systemd)

        var timeout = timespec(tv_sec: 0, tv_nsec: 50_000_000)
        var stoppedBy: Int32 = 0
        while true {
            let sig = sigtimedwait(&signals, nil, &timeout)
            if sig > 0 { stoppedBy = sig; break }
            if input.readStdin && input.followPath == nil && simRate == 0 && sources.finished { break }
            watchdog?.tick()
        }
        systemd?.send("STOPPING=1\nSTATUS=stopping: writing what is accepted to the store")
        sources.stop()
        sources.waitForReaders()
        // A last look, so an alert the final events raised is not lost with the process.
        alerts?.monitor.evaluate()
        alerts?.stop()
        simTask?.cancel()
        server?.stop()
        storage.stop()
        let elapsed = ContinuousClock.now - started
        let summary = ServeSummary(logger: logger, sources: sources, store: storage.writer?.status, elapsed: elapsed,
                                   stoppedBy: stoppedBy == 0 ? "end of input" : String(cString: strsignal(stoppedBy)))
        log.info("serve stopped", metadata: ["events": "\(summary.accepted)", "rejected": "\(summary.rejected)", "by": "\(summary.stoppedBy)"])
        print(settings.json ? summary.json : summary.text)
        // About the lines read: an HTTP client's bad request is its own answer, not serve's status.
        if summary.inputFailed { throw ExitCode(2) }
        if summary.unstored > 0 { throw ExitCode(3) }
        if summary.rejectedLines > 0 { throw ExitCode(1) }
    }

    /// systemd's one-line STATUS for `systemctl status`: where events come in, and the store.
    static func readyStatus(server: TelemetryServer?, store: String?) -> String {
        let api = server?.baseURL.map { "taking events at \($0)" } ?? "taking events (no HTTP API)"
        return api + (store.map { "; store \($0)" } ?? "; in memory only")
    }
}
