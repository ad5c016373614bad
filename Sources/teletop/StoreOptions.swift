import ArgumentParser
import Foundation
import Logging
import TeletopCore
import TeletopStore
import TeletopTUI

/// `--db`, `--in-memory`, retention and `--record`, shared by the dashboard and `serve`.
struct StoreOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The SQLite file events are stored in.",
                               discussion: "Default: $XDG_DATA_HOME/teletop/events.sqlite (~/.local/share/teletop/events.sqlite)."))
    var db: String?

    @Flag(name: .customLong("in-memory"), help: "Store nothing on disk: history ends with the process.")
    var inMemory = false

    @Option(name: .customLong("retain-events"), help: "Keep at most this many events on disk (0: no limit).")
    var retainEvents = 1_000_000

    @Option(name: .customLong("retain-days"), help: "Delete stored events older than this many days (0: no limit).")
    var retainDays = 30

    @Option(help: "Also write every accepted event to this file as JSON Lines, as it arrives (for `teletop replay`).")
    var record: String?

    func validate() throws {
        guard retainEvents >= 0 else { throw ValidationError("--retain-events must be 0 or more, got \(retainEvents)") }
        guard (0...36_500).contains(retainDays) else { throw ValidationError("--retain-days must be 0 (no limit) to 36500, got \(retainDays)") }
        if inMemory && db != nil { throw ValidationError("--in-memory and --db contradict each other; give one") }
    }

    var path: String { db ?? StoreLocation.defaultPath() }

    /// Opens the store and puts its history into `logger` (before any event
    /// source starts, so restored and new events do not interleave).
    func start(logger: EventLogger, log: Logger) throws -> Storage {
        var recorder: EventRecorder?
        if let record {
            do {
                recorder = try EventRecorder(path: record, logger: logger)
            } catch {
                throw commandFailure("teletop: --record \(record): \(error)")
            }
        }
        guard !inMemory else { return Storage(writer: nil, recorder: recorder) }
        var options = StoreWriter.Options()
        options.retainEvents = retainEvents == 0 ? nil : retainEvents
        options.retainDays = retainDays == 0 ? nil : retainDays
        options.restoreRecent = logger.configuration.ringCapacity
        let writer = StoreWriter(path: path, logger: logger, options: options, log: log)
        return Storage(writer: writer, recorder: recorder)
    }
}

/// The running store writer and recorder, stopped together.
struct Storage {
    let writer: StoreWriter?
    let recorder: EventRecorder?

    func stop() {
        writer?.stop()
        recorder?.stop()
    }

    /// The header's and health pane's line for the store.
    var statusLines: [SourceStatus] {
        var lines: [SourceStatus] = []
        if let writer {
            let s = writer.status
            let place = StoreLocation.abbreviated(s.path)
            if let failure = s.failure {
                // The count first: the reason is long, and health's reasons show it whole.
                lines.append(SourceStatus(name: "STORE", state: "failing, \(Format.grouped(s.waiting)) waiting: \(failure)", active: false))
            } else {
                let latency = s.batches == 0 ? "" : ", write " + String(format: "%.1f", s.writeMilliseconds) + " ms"
                // Figures first: in a narrow pane a long path is what gets clipped.
                lines.append(SourceStatus(name: "STORE", state: "\(Format.grouped(s.eventsStored)) events, \(Format.bytes(s.sizeOnDisk))\(latency), \(place)", active: true))
            }
        } else {
            lines.append(SourceStatus(name: "STORE", state: "none: nothing is stored in this run", active: false))
        }
        if let recorder {
            lines.append(SourceStatus(name: "RECORD", state: "\(recorder.path), \(Format.grouped(recorder.written)) events", active: recorder.failure == nil))
        }
        return lines
    }
}
