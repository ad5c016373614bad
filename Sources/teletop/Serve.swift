import ArgumentParser
import Foundation
import Logging
import TeletopCore

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

    @Option(name: .customLong("sim-rate"), help: "Also run the simulator at this many events per second (0: off).")
    var simRate: Double = 0

    @Option(name: .customLong("log-file"), help: "Write teletop's own log here instead of standard error.")
    var logFile: String?

    @Flag(help: "Print the summary as JSON.")
    var json = false

    @OptionGroup(title: "Input")
    var input: InputOptions

    @OptionGroup(title: "HTTP API")
    var http: HTTPOptions

    @OptionGroup(title: "Storage")
    var store: StoreOptions

    @OptionGroup
    var core: LoggerOptions

    func validate() throws { try LoggerOptions.validate(simRate: simRate) }

    func run() throws {
        let logger = try core.makeLogger()
        let log = try logFile.map { try LogFile.bootstrap(path: $0) } ?? LogFile.bootstrapStandardError()
        // Blocked here, before any thread starts, so every thread inherits the
        // mask and the signals wait for `sigtimedwait` below.
        var signals = sigset_t()
        sigemptyset(&signals)
        for sig in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&signals, sig) }
        pthread_sigmask(SIG_BLOCK, &signals, nil)

        let storage = try store.start(logger: logger, log: log)
        let server = try http.startServer(logger: logger, storage: storage, log: log)
        let sources = InputSources(input, logger: logger, log: log)
        let started = ContinuousClock.now
        sources.start(log: log)
        let simulator = Simulator(logger: logger, seed: core.seed, rate: simRate)
        simulator.setEnabled(simRate > 0)
        let simTask = simRate > 0 ? Task.detached { await simulator.run() } : nil
        if !input.any && simRate == 0 && server == nil {
            log.warning("nothing to ingest: give --stdin, --follow FILE, --sim-rate N, or serve the HTTP API; waiting for SIGINT/SIGTERM")
        }
        log.info("serve started", metadata: ["stdin": "\(input.readStdin)", "follow": "\(input.followPath ?? "-")", "sim_rate": "\(simRate)"])

        var timeout = timespec(tv_sec: 0, tv_nsec: 50_000_000)
        var stoppedBy: Int32 = 0
        while true {
            let sig = sigtimedwait(&signals, nil, &timeout)
            if sig > 0 { stoppedBy = sig; break }
            if input.readStdin && input.followPath == nil && simRate == 0 && sources.finished { break }
        }
        sources.stop()
        sources.waitForReaders()
        simTask?.cancel()
        server?.stop()
        storage.stop()
        let elapsed = ContinuousClock.now - started
        let summary = ServeSummary(logger: logger, sources: sources, store: storage.writer?.status, elapsed: elapsed,
                                   stoppedBy: stoppedBy == 0 ? "end of input" : String(cString: strsignal(stoppedBy)))
        log.info("serve stopped", metadata: ["events": "\(summary.accepted)", "rejected": "\(summary.rejected)", "by": "\(summary.stoppedBy)"])
        print(json ? summary.json : summary.text)
        // About the lines read: an HTTP client's bad request is its own answer, not serve's status.
        if summary.inputFailed { throw ExitCode(2) }
        if summary.unstored > 0 { throw ExitCode(3) }
        if summary.rejectedLines > 0 { throw ExitCode(1) }
    }
}
