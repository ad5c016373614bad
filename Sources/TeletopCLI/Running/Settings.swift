import TeletopCore
import TeletopTUI

// What the option groups parse into: plain, validated values. The runners
// take these, never the option structs, so a command can build them directly
// (replay opens a dashboard without re-parsing flag strings) and tests can
// read what a command line means.

/// The logger and the simulator's seed.
struct LoggerSettings: Equatable {
    var seed: UInt64 = 42
    /// A tracking plan file; nil: the contract's three types.
    var planPath: String?
    /// `--accept-unplanned`: every type taken, the unplanned ones flagged.
    var acceptUnplanned = false
    var ringCapacity = 10_000
    var ringBytes = 64 << 20
    var queueBytes = 32 << 20
}

/// JSON Lines sources.
struct InputSettings: Equatable {
    var readStdin = false
    var followPath: String?
    var maxLineBytes = 1 << 20

    var any: Bool { readStdin || followPath != nil }
}

/// The HTTP API (the option groups give nil for `--no-http`).
struct HTTPSettings: Equatable {
    var host = "127.0.0.1"
    var port = 7311
    var maxBodyBytes = 1 << 20
    /// `--token`, else `$TELETOP_TOKEN`; nil for an open API.
    var token: String?
    /// `--fault`: the SDK endpoints' fault mode at start.
    var fault: SDKFault?
}

/// The store and the recorder.
struct StoreSettings: Equatable {
    /// The SQLite file; nil: nothing stored (`--in-memory`).
    var path: String?
    /// `--store`'s PostgreSQL address, as given (checked when the store starts); it replaces `path`.
    var database: String?
    /// nil: no limit.
    var retainEvents: Int? = 1_000_000
    var retainDays: Int? = 30
    var retainAggregatesDays = 400
    var record: String?
}

/// Everything a dashboard run needs.
struct DashboardSettings: Equatable {
    var logger = LoggerSettings()
    var simRate = Simulator.defaultRate
    var simEnabled = true
    var logFile: String
    var monochrome = false
    var mouse = true
    var input = InputSettings()
    var http: HTTPSettings? = HTTPSettings()
    var store: StoreSettings
    var alerts = AlertSettings()
    /// From the config file: the feed's columns and the colours per event type (the dashboard only).
    var feedColumns: [String] = []
    var typeColors: [String: TypeColor] = [:]
}

/// Everything `serve` needs.
struct ServeSettings: Equatable {
    var logger = LoggerSettings()
    var simRate = 0.0
    /// nil: teletop's log goes to standard error.
    var logFile: String?
    var json = false
    var input = InputSettings()
    var http: HTTPSettings? = HTTPSettings()
    var store: StoreSettings
    var alerts = AlertSettings()
}

/// Alert rules and where their alerts go.
struct AlertSettings: Equatable {
    var rules: [AlertRule] = []
    /// `--on-alert`: a shell command given each alert on its stdin.
    var command: String?
    /// `--alert-webhook`: a URL each alert is POSTed to.
    var webhook: String?
    /// The dashboard rings the terminal's bell.
    var bell = true
}
