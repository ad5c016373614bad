import Foundation
import Logging
import Synchronization
import TeletopCore
import TeletopTUI

/// The running JSON Lines readers, each on a thread of its own (reads block).
final class InputSources: Sendable {
    struct Reader: Sendable {
        let name: String
        let label: String
        let ingestor: JSONLinesIngestor
    }

    let readers: [Reader]
    private let stopFlag = Atomic<Bool>(false)

    init(_ options: InputSettings, logger: EventLogger, log: Logging.Logger) {
        var readers: [Reader] = []
        func ingestor(_ source: EventSource, _ label: String) -> JSONLinesIngestor {
            JSONLinesIngestor(logger: logger, source: source, maxLineBytes: options.maxLineBytes) { r in
                // The ingestor reports only the first few; the rest are counted in the summary and health pane.
                log.warning("rejected \(label) \(r.summary)")
            }
        }
        if options.readStdin { readers.append(Reader(name: "STDIN", label: "stdin", ingestor: ingestor(.stdin, "stdin"))) }
        if let path = options.followPath { readers.append(Reader(name: "FILE", label: path, ingestor: ingestor(.file, path))) }
        self.readers = readers
    }

    func start(log: Logging.Logger) {
        for reader in readers {
            let stop: @Sendable () -> Bool = { [self] in stopFlag.load(ordering: .relaxed) }
            let thread: Thread
            if reader.ingestor.source == .stdin {
                thread = Thread {
                    let stats = reader.ingestor.readToEnd(fd: STDIN_FILENO, name: "standard input", shouldStop: stop)
                    log.info("stdin finished", metadata: ["lines": "\(stats.lines)", "accepted": "\(stats.accepted)",
                                                          "rejected": "\(stats.rejected)", "state": "\(stats.failure ?? stats.state)"])
                }
            } else {
                let follower = FileFollower(path: reader.label, ingestor: reader.ingestor)
                thread = Thread { follower.run(shouldStop: stop) }
            }
            thread.name = "teletop-\(reader.name.lowercased())"
            thread.start()
        }
    }

    func stop() { stopFlag.store(true, ordering: .relaxed) }

    /// After `stop`: waits (at most `seconds`) for the readers to finish their
    /// current chunk, so a summary counts everything read. A reader blocked on
    /// a quiet pipe cannot be waited for; it is left behind.
    func waitForReaders(seconds: Double = 1) {
        var waited = 0.0
        while !finished && waited < seconds {
            usleep(10_000)
            waited += 0.01
        }
    }

    /// True when every reader reached its end (a followed file never does).
    var finished: Bool { readers.allSatisfy { $0.ingestor.current.finished } }

    /// Lines for the dashboard's header and health pane.
    var statusLines: [SourceStatus] {
        readers.map { r in
            let s = r.ingestor.current
            var text = "\(s.failure ?? s.state), \(Describe.count(s.lines, "line"))"
            if s.rejected > 0 { text += ", \(Format.grouped(s.rejected)) rejected" }
            return SourceStatus(name: r.name, state: text, active: !s.finished)
        }
    }
}
