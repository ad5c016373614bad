import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Feeds JSON Lines into the logger: one EventLogRequest or AnalyticsEvent per
/// line, through the same `EventIngest` as every other source. A bad line is a
/// counted rejection with its line number; the stream goes on.
public final class JSONLinesIngestor: Sendable {
    public struct Stats: Sendable, Equatable {
        /// Non-blank lines seen (accepted + rejected).
        public var lines = 0
        public var accepted = 0
        public var rejected = 0
        /// The first rejections, in order, with line numbers (at most `firstRejectionsKept`).
        public var firstRejections: [Rejection] = []
        /// "reading", "following", "end of input", or what went wrong.
        public var state = "starting"
        /// Set when the input can no longer be read.
        public var failure: String?
        public var finished = false
    }

    public static let firstRejectionsKept = 10
    public let logger: EventLogger
    public let source: EventSource
    public let maxLineBytes: Int
    private let limits: JSONParserLimits
    private let stats = Mutex(Stats())
    /// Sees the first `firstRejectionsKept` rejections as they happen (for the log).
    private let onRejection: (@Sendable (Rejection) -> Void)?

    public init(logger: EventLogger, source: EventSource, maxLineBytes: Int = 1 << 20,
                onRejection: (@Sendable (Rejection) -> Void)? = nil) {
        self.logger = logger
        self.source = source
        self.maxLineBytes = maxLineBytes
        limits = JSONParserLimits(maxBytes: maxLineBytes)
        self.onRejection = onRejection
    }

    public var current: Stats { stats.withLock { $0 } }

    func setState(_ state: String, failure: String? = nil, finished: Bool = false) {
        stats.withLock {
            $0.state = state
            if let failure { $0.failure = failure }
            if finished { $0.finished = true }
        }
    }

    /// Ingests one piece from a `LineSplitter`. Counts are gathered per chunk
    /// by the readers, so the stats lock is not taken for every line.
    func ingest(_ piece: LineSplitter.Piece, into batch: inout Stats) {
        switch piece {
        case .line(let bytes, let number):
            batch.lines += 1
            switch EventIngest.ingest(bytes, into: logger, source: source, line: number, limits: limits) {
            case .accepted: batch.accepted += 1
            case .rejected(let issues): noteRejection(number, eventType: nil, issues, into: &batch)
            }
        case .tooLong(let number, let seen):
            batch.lines += 1
            let issue = ValidationIssue(field: "line", problem: .tooLarge, expected: "at most \(maxLineBytes) bytes",
                                        got: "\(seen) bytes", message: "line longer than \(maxLineBytes) bytes (\(seen)); skipped")
            logger.recordRejection(source: source, eventType: nil, line: number, issues: [issue])
            noteRejection(number, eventType: nil, [issue], into: &batch)
        }
    }

    private func noteRejection(_ line: Int, eventType: String?, _ issues: [ValidationIssue], into batch: inout Stats) {
        batch.rejected += 1
        // Only the first few are kept and reported, whatever the totals so far.
        if batch.firstRejections.count < Self.firstRejectionsKept && current.rejected + batch.rejected <= Self.firstRejectionsKept {
            let rejection = Rejection(at: logger.clock.now(), source: source, eventType: eventType, line: line, issues: issues)
            batch.firstRejections.append(rejection)
            onRejection?(rejection)
        }
    }

    /// Adds a chunk's counts to the totals.
    func merge(_ batch: Stats) {
        stats.withLock { s in
            s.lines += batch.lines
            s.accepted += batch.accepted
            s.rejected += batch.rejected
            let room = Self.firstRejectionsKept - s.firstRejections.count
            if room > 0 { s.firstRejections += batch.firstRejections.prefix(room) }
        }
    }

    /// Feeds a chunk of bytes through `splitter`.
    func consume(_ chunk: UnsafeBufferPointer<UInt8>, _ splitter: inout LineSplitter, shouldStop: () -> Bool = { false }) {
        // A file or pipe can wait: paced to the store rather than overflowing it.
        logger.waitForRoom(shouldStop: shouldStop)
        var batch = Stats()
        splitter.feed(chunk) { ingest($0, into: &batch) }
        merge(batch)
    }

    func finish(_ splitter: inout LineSplitter) {
        var batch = Stats()
        splitter.finish { ingest($0, into: &batch) }
        merge(batch)
    }

    /// Reads `fd` to its end (standard input, a pipe, a file). Blocks: run it
    /// on a thread of its own. Returns the final stats.
    @discardableResult
    public func readToEnd(fd: Int32, name: String = "input", shouldStop: () -> Bool = { false }) -> Stats {
        setState("reading")
        var splitter = LineSplitter(maxLineBytes: maxLineBytes)
        let chunk = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: Self.chunkBytes)
        defer { chunk.deallocate() }
        while !shouldStop() {
            let n = read(fd, chunk.baseAddress, chunk.count)
            if n > 0 {
                consume(UnsafeBufferPointer(rebasing: chunk[0..<n]), &splitter, shouldStop: shouldStop)
            } else if n == 0 {
                finish(&splitter)
                setState("end of input", finished: true)
                return current
            } else if errno != EINTR {
                let reason = String(cString: strerror(errno))
                finish(&splitter)
                setState("read error", failure: "cannot read \(name): \(reason)", finished: true)
                return current
            }
        }
        setState("stopped", finished: true)
        return current
    }

    static let chunkBytes = 256 * 1024
}
