import Logging
import TeletopCore
import TeletopStore
import TeletopTUI

extension StoreSettings {
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
        guard let path else { return Storage(writer: nil, recorder: recorder) }
        // A folder can never become the store: refuse it before anything starts
        // (a store that fails later is retried; this one never would succeed).
        if StoreLocation.isFolder(path) {
            recorder?.stop()
            throw commandFailure("teletop: --db \(path) is a folder; give the path of a store file (it is created if missing)")
        }
        var options = StoreWriter.Options()
        options.retainEvents = retainEvents
        options.retainDays = retainDays
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
                lines.append(SourceStatus(name: "STORE", state: "\(Describe.count(s.eventsStored, "event")), \(Format.bytes(s.sizeOnDisk))\(latency), \(place)", active: true))
            }
        } else {
            lines.append(SourceStatus(name: "STORE", state: "none: nothing is stored in this run", active: false))
        }
        if let recorder {
            lines.append(SourceStatus(name: "RECORD", state: "\(recorder.path), \(Describe.count(recorder.written, "event"))", active: recorder.failure == nil))
        }
        return lines
    }
}
