import ArgumentParser
import Foundation
import TeletopCore
import TeletopStore

/// `teletop export`: stored events as JSON Lines or CSV, streamed from a
/// cursor through a small buffer, so memory stays flat however many there are.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write stored events as JSON Lines or CSV, in the order they arrived.",
        discussion: """
            JSON Lines are the contract's AnalyticsEvent, one per line: `teletop replay` plays them back. \
            Reads the store while a dashboard or serve may be writing it.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case jsonl, csv
    }

    @Option(help: ArgumentHelp("The store to read.", discussion: "Default: $XDG_DATA_HOME/teletop/events.sqlite.", valueName: "path"))
    var db: String?

    @Option(help: ArgumentHelp("A PostgreSQL store to read instead (postgres://USER[:PASS]@HOST[:PORT]/DB); also TELETOP_STORE.", valueName: "url"))
    var store: String?

    @Option(name: .customLong("event-type"), help: ArgumentHelp("Only events of this type.", valueName: "type"))
    var eventType: String?

    @Option(help: ArgumentHelp("Only events at or after this time: \(TimeArgument.help).", valueName: "time"))
    var since: String?

    @Option(help: ArgumentHelp("Only events before this time (same forms as --since).", valueName: "time"))
    var until: String?

    @Option(help: ArgumentHelp("Only events this query matches (the dashboard's / language: chapter_id=3 and not source=sim).", valueName: "query"))
    var `where`: String?

    @Option(help: ArgumentHelp("jsonl or csv.", valueName: "format"))
    var format: Format = .jsonl

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Write here instead of standard output.", valueName: "file"))
    var output: String?

    /// Here, not in `run`, so a bad value is reported with export's own usage.
    func validate() throws {
        if store != nil && db != nil { throw ValidationError("--store and --db name two stores; give one") }
        if let text = `where` {
            do { _ = try EventQuery.parse(text) } catch { throw ValidationError("--where \(text): \(error.description)") }
        }
        let now = SystemClock().now()
        for (flag, text) in [("--since", since), ("--until", until)] {
            if let text, TimeArgument.parse(text, now: now) == nil {
                throw ValidationError("\(flag): expected \(TimeArgument.help), got \(text)")
            }
        }
    }

    func run() throws {
        let now = SystemClock().now()
        let filter = ExportFilter(eventType: eventType, since: since.flatMap { TimeArgument.parse($0, now: now) },
                                  until: until.flatMap { TimeArgument.parse($0, now: now) })
        let query = try `where`.map { text -> EventQuery in try EventQuery.parse(text) }
        let environment = ProcessInfo.processInfo.environment
        let database = store ?? (db == nil ? environment["TELETOP_STORE"].flatMap { $0.isEmpty ? nil : $0 } : nil)
        let address: StoreAddress
        do {
            address = try database.map(StoreAddress.parse) ?? .file(db ?? StoreLocation.defaultPath())
        } catch {
            throw commandFailure("teletop export: --store \(error.description)")
        }
        try Exporter(address: address, filter: filter, query: query, format: format, output: output).run()
    }
}
