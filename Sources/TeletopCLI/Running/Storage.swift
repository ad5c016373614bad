import Foundation
import Logging
import Synchronization
import TeletopCore
import TeletopStore
import TeletopTUI

extension StoreSettings {
    /// Opens the store and puts its history into `logger` (before any event
    /// source starts, so restored and new events do not interleave).
    /// `reportsUpgrade`: a line on stderr per 10% of an older store's upgrade
    /// (for `serve`; the dashboard shows it in its store line instead).
    func start(logger: EventLogger, log: Logger, reportsUpgrade: Bool = false) throws -> Storage {
        var recorder: EventRecorder?
        if let record {
            do {
                recorder = try EventRecorder(path: record, logger: logger)
            } catch {
                throw commandFailure("teletop: --record \(record): \(error)")
            }
        }
        if let database { return try startShared(database, logger: logger, log: log, recorder: recorder) }
        guard let path else { return Storage(writer: nil, recorder: recorder) }
        // A folder can never become the store: refuse it before anything starts
        // (a store that fails later is retried; this one never would succeed).
        if StoreLocation.isFolder(path) {
            recorder?.stop()
            throw commandFailure("teletop: --db \(path) is a folder; give the path of a store file (it is created if missing)")
        }
        var options = writerOptions(logger)
        if reportsUpgrade { options.upgradeProgress = UpgradeReport(path: path).hear }
        let writer = StoreWriter(path: path, logger: logger, options: options, log: log)
        return Storage(writer: writer, recorder: recorder)
    }

    func writerOptions(_ logger: EventLogger) -> StoreWriter.Options {
        var options = StoreWriter.Options()
        options.retainEvents = retainEvents
        options.retainDays = retainDays
        options.retainAggregatesDays = retainAggregatesDays
        options.restoreRecent = logger.configuration.ringCapacity
        return options
    }

    /// A PostgreSQL store: a bad address, a refused login or a missing database
    /// stops the command at once (exit 2: it would never heal by itself); a
    /// server that is not up yet is waited for like any store fault.
    private func startShared(_ text: String, logger: EventLogger, log: Logger, recorder: EventRecorder?) throws -> Storage {
        let address: StoreAddress
        do {
            address = try StoreAddress.parse(text)
        } catch {
            recorder?.stop()
            throw commandFailure("teletop: --store \(error.description)")
        }
        let writer = StoreWriter(address: address, logger: logger, options: writerOptions(logger), log: log)
        if let failure = writer.openFailure, failure.kind == .cannotOpen || failure.kind == .readOnly {
            writer.stop()
            recorder?.stop()
            throw commandFailure("teletop: --store \(failure.description)")
        }
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
            if let upgrade = s.upgrade {
                let done = upgrade.total == 0 ? "starting" : "\(upgrade.percent)% of \(Describe.count(upgrade.total, "event"))"
                lines.append(SourceStatus(name: "STORE", state: "upgrading (rewriting an older store) \(done), \(Format.grouped(s.waiting)) waiting, \(place)", active: false))
            } else if let failure = s.failure {
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

/// `serve`'s account of an older store's upgrade: a line on stderr at the
/// start and at each further tenth.
final class UpgradeReport: Sendable {
    let path: String
    private let lastTenth = Mutex(-1)

    init(path: String) {
        self.path = path
    }

    func hear(_ progress: StoreUpgrade.Progress) {
        let tenth = progress.total == 0 ? 0 : progress.percent / 10
        let isNew = lastTenth.withLock { last in
            // A phase starts from nothing (the aggregates, then the timeline keys): its tenths again.
            if progress.done == 0 { last = -1 }
            defer { last = max(last, tenth) }
            return tenth > last
        }
        guard isNew else { return }
        let line = "teletop: upgrading \(path) (made by an older release), rewriting its events into blocks and rebuilding what is missing: "
            + "\(progress.percent)% (\(Describe.grouped(progress.done)) of \(Describe.grouped(progress.total)) events)\n"
        FileHandle.standardError.write(Data(line.utf8))
    }
}
