#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Plays a JSON Lines recording (`--record`, `teletop export`) back in time:
/// each event is handed over when its recorded gap from the event before,
/// divided by the speed, has passed (see `Schedule`). Events due together go in one batch,
/// so at `max` speed a sink sees batches of `maxBatch`.
///
/// The file is read in chunks, never whole: a recording of any size plays in
/// constant memory.
public struct ReplayPlayer {
    public struct Item {
        /// 1-based line number in the file.
        public var line: Int
        public var decoded: Result<EventIngest.Decoded, IngestError>
    }

    /// Events per second of recorded time; nil plays as fast as the sink takes them.
    public var speed: Double?
    public var maxBatch = 1_000
    public var maxLineBytes = 1 << 20
    /// Where the wall clock comes from, and how to wait (tests pass fakes).
    public var now: () -> Double = ReplayPlayer.monotonicSeconds
    public var sleep: (Double) -> Void = { seconds in if seconds > 0 { usleep(useconds_t(min(seconds, 3600) * 1_000_000)) } }

    public init(speed: Double?) {
        self.speed = speed
    }

    /// Reads `fd` to its end, calling `sink` with each batch as it falls due.
    /// Returns nil at the end of input, or why reading stopped.
    @discardableResult
    public func play(fd: Int32, shouldStop: () -> Bool = { false }, sink: ([Item]) -> Void) -> String? {
        var splitter = LineSplitter(maxLineBytes: maxLineBytes)
        var pending: [Item] = []
        var clock = Schedule(speed: speed, start: now())
        let limits = JSONParserLimits(maxBytes: maxLineBytes)
        var chunk = [UInt8](repeating: 0, count: 1 << 16)

        func flush() {
            if !pending.isEmpty { sink(pending) }
            pending.removeAll(keepingCapacity: true)
        }
        func handle(_ piece: LineSplitter.Piece) {
            let item: Item
            switch piece {
            case .line(let bytes, let number):
                item = Item(line: number, decoded: EventIngest.decode(bytes, limits: limits))
            case .tooLong(let number, let seen):
                item = Item(line: number, decoded: .failure(IngestError(eventType: nil, issues: [ValidationIssue(
                    field: "line", problem: .tooLarge, expected: "at most \(maxLineBytes) bytes", got: "\(seen) bytes or more")])))
            }
            if case .success(let d) = item.decoded, let stamp = d.timestamp {
                let wait = clock.due(stamp) - now()
                if wait > 0 {
                    // Hand over what is due before waiting for the next.
                    flush()
                    sleep(wait)
                }
            }
            pending.append(item)
            if pending.count >= maxBatch { flush() }
        }

        while !shouldStop() {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                flush()
                return String(cString: strerror(errno))
            }
            if n == 0 { break }
            chunk.withUnsafeBufferPointer { splitter.feed(UnsafeBufferPointer(rebasing: $0[0..<n]), handle) }
            // At a finite speed, what is due now goes out now, not when a batch fills.
            if speed != nil { flush() }
        }
        splitter.finish(handle)
        flush()
        return nil
    }

    /// Maps recorded time to wall time. Gaps are taken between an event and
    /// the latest stamp seen before it: an event stamped earlier goes at once,
    /// and a gap longer than `maxGap` seconds (a recording that spans a night,
    /// a replayed event from last month) counts as `maxGap`.
    struct Schedule {
        static let maxGap = 60.0
        let speed: Double?
        var due: Double
        var latest: Timestamp?

        init(speed: Double?, start: Double) {
            self.speed = speed
            due = start
        }

        /// Wall-clock second at which an event stamped `stamp` is due.
        mutating func due(_ stamp: Timestamp) -> Double {
            guard let speed else { return due }
            if let latest, stamp > latest {
                let gap = min(Self.maxGap, Double(stamp.millisecondsSinceEpoch - latest.millisecondsSinceEpoch) / 1000)
                due += gap / speed
            }
            latest = max(latest ?? stamp, stamp)
            return due
        }
    }

    public static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
