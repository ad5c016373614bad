import ArgumentParser
import Foundation
import TeletopCore

/// `teletop replay FILE`: a JSON Lines recording played back with its recorded
/// gaps (scaled by --speed), to a running teletop over HTTP or into a dashboard.
struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Play a JSON Lines recording back, keeping its recorded gaps.",
        discussion: """
            The file holds AnalyticsEvents (from --record or `teletop export`). With --url, events go to that \
            teletop's batch endpoint; otherwise a dashboard opens and they play into it (stored only with --db). \
            Exit status: 0 all accepted, 1 some rejected, 2 the file or the server could not be used.
            """
    )

    /// `1`, `10`, `max`, or any positive number.
    struct Speed: ExpressibleByArgument, CustomStringConvertible {
        var factor: Double?
        init?(argument: String) {
            if argument == "max" { factor = nil; return }
            // "10x" as well as "10": the help prints the default as "1x".
            let number = argument.hasSuffix("x") ? String(argument.dropLast()) : argument
            guard let x = Double(number), x > 0, x.isFinite else { return nil }
            factor = x
        }
        var description: String { Self.describe(factor) }
        static func describe(_ factor: Double?) -> String {
            factor.map { $0 == $0.rounded() && $0 < 1e9 ? "\(Int($0))x" : "\($0)x" } ?? "max"
        }
        static var defaultCompletionKind: CompletionKind { .list(["1", "10", "max"]) }
    }

    @Argument(help: "The recording (JSON Lines).")
    var file: String

    @Option(parsing: .unconditional, help: ArgumentHelp("How many times faster than recorded: 1, 10, any positive number, or max.", valueName: "speed"))
    var speed = Speed(argument: "1")!

    @Option(help: ArgumentHelp("Send to the teletop at this URL (e.g. http://127.0.0.1:7311) instead of opening a dashboard.", valueName: "url"))
    var url: String?

    @Option(help: ArgumentHelp("Bearer token for --url (default: $TELETOP_TOKEN).", valueName: "token"))
    var token: String?

    @Option(help: ArgumentHelp("Without --url: store what is replayed in this SQLite file (default: keep nothing).", valueName: "path"))
    var db: String?

    @Option(help: ArgumentHelp("Without --url: store what is replayed in this PostgreSQL database (postgres://USER[:PASS]@HOST[:PORT]/DB).", valueName: "url"))
    var store: String?

    func validate() throws {
        if store != nil && db != nil { throw ValidationError("--store and --db name two stores; give one") }
        if url != nil && (store != nil || db != nil) {
            throw ValidationError("--url sends to a running teletop, which stores what it takes: --db and --store are for replaying into a dashboard")
        }
    }

    /// Without --url: a dashboard with no simulator and no HTTP API, storing only with --db or --store.
    var dashboardSettings: DashboardSettings {
        DashboardSettings(simEnabled: false, logFile: LogFile.defaultPath, http: nil,
                          store: StoreSettings(path: db, database: store))
    }

    func run() throws {
        let fd = open(file, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw commandFailure("teletop replay: \(file): \(String(cString: strerror(errno)))") }
        guard let url else {
            try DashboardRun(settings: dashboardSettings).run(replay: ReplaySource(fd: fd, name: file, speed: speed))
            return
        }
        defer { close(fd) }
        do {
            try ReplayOverHTTP(file: file, speed: speed, url: url, token: token).send(fd: fd)
        } catch let error as SendError {
            throw commandFailure("teletop replay: \(error.description)")
        }
    }
}
