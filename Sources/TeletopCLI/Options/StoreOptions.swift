import ArgumentParser
import Foundation
import TeletopStore

/// `--db`, `--in-memory`, retention and `--record`, shared by the dashboard and `serve`.
struct StoreOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The SQLite file events are stored in.",
                               discussion: "Default: $XDG_DATA_HOME/teletop/events.sqlite (~/.local/share/teletop/events.sqlite).",
                               valueName: "path"))
    var db: String?

    @Option(help: ArgumentHelp("A PostgreSQL database shared by several collectors, instead of the SQLite file.",
                               discussion: "postgres://USER[:PASS]@HOST[:PORT]/DB[?sslmode=disable|prefer|require|verify-full]; also TELETOP_STORE.",
                               valueName: "url"))
    var store: String?

    @Flag(name: .customLong("in-memory"), help: "Store nothing on disk: history ends with the process.")
    var inMemory = false

    @Option(name: .customLong("retain-events"), parsing: .unconditional, help: ArgumentHelp("Keep at most this many events on disk (0: no limit).", valueName: "n"))
    var retainEvents = StoreSettings().retainEvents!

    @Option(name: .customLong("retain-days"), parsing: .unconditional, help: ArgumentHelp("Delete stored events older than this many days (0: no limit).", valueName: "days"))
    var retainDays = StoreSettings().retainDays!

    @Option(name: .customLong("retain-aggregates-days"), parsing: .unconditional,
            help: ArgumentHelp("Keep the hourly and daily counts this many days, past the raw events (at least 32 are kept: the 30d window needs them).", valueName: "days"))
    var retainAggregatesDays = StoreSettings().retainAggregatesDays

    @Option(help: ArgumentHelp("Also write every accepted event to this file as JSON Lines, as it arrives (for `teletop replay`).", valueName: "file"))
    var record: String?

    func validate() throws {
        guard retainEvents >= 0 else { throw ValidationError("--retain-events must be 0 or more, got \(retainEvents)") }
        guard (0...36_500).contains(retainDays) else { throw ValidationError("--retain-days must be 0 (no limit) to 36500, got \(retainDays)") }
        guard (1...36_500).contains(retainAggregatesDays) else {
            throw ValidationError("--retain-aggregates-days must be 1 to 36500, got \(retainAggregatesDays)")
        }
        if inMemory && db != nil { throw ValidationError("--in-memory and --db contradict each other; give one") }
        if store != nil && db != nil { throw ValidationError("--store and --db name two stores; give one") }
        if store != nil && inMemory { throw ValidationError("--store and --in-memory contradict each other; give one") }
    }

    /// `--store`, else TELETOP_STORE (unless --db or --in-memory says otherwise).
    func database(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let store { return store }
        guard db == nil, !inMemory, let text = environment["TELETOP_STORE"], !text.isEmpty else { return nil }
        return text
    }

    var settings: StoreSettings {
        let database = database()
        return StoreSettings(path: inMemory || database != nil ? nil : db ?? StoreLocation.defaultPath(), database: database, retainEvents: retainEvents == 0 ? nil : retainEvents,
                      retainDays: retainDays == 0 ? nil : retainDays, retainAggregatesDays: retainAggregatesDays, record: record)
    }
}
