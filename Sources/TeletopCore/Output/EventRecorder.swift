#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// `--record FILE`: every accepted event, as the contract's AnalyticsEvent in
/// JSON Lines, appended as it arrives; `teletop replay` plays such a file back.
/// A subscriber like the store: it never slows producers, and one write(2)
/// covers a whole batch.
public final class EventRecorder: Sendable {
    public let path: String
    let fd: Int32
    let subscription: EventSubscription
    let counters = Mutex<(written: Int, failure: String?)>((0, nil))
    let done = Atomic<Bool>(false)

    public struct OpenError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Appends to `path`, creating it (0644) when missing.
    public init(path: String, logger: EventLogger) throws(OpenError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw OpenError(description: "cannot open for writing: \(String(cString: strerror(errno)))") }
        self.path = path
        self.fd = fd
        // Lossless: files and pipes are paced to the recording too, so it holds every event they bring.
        subscription = logger.subscribe(name: "record", capacity: 1 << 16, lossless: true)
        Task.detached { [self] in await self.run() }
    }

    public var written: Int { counters.withLock { $0.written } }
    public var failure: String? { counters.withLock { $0.failure } }

    func run() async {
        var buffer: [UInt8] = []
        while true {
            let batch = await subscription.next(max: 4096)
            if batch.isEmpty && subscription.isCancelled { break }
            buffer.removeAll(keepingCapacity: true)
            for event in batch {
                JSONWriter.write(event.analyticsEvent.jsonValue, into: &buffer, indent: nil, level: 0)
                buffer.append(0x0A)
            }
            let failure = Self.writeAll(fd, buffer)
            counters.withLock {
                if failure == nil { $0.written += batch.count }
                $0.failure = failure
            }
        }
        close(fd)
        done.store(true, ordering: .releasing)
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> String? {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return String(cString: strerror(errno))
            }
            sent += n
        }
        return nil
    }

    /// Writes what is queued, then closes the file (waits at most a second).
    public func stop() {
        subscription.wake()
        // Let the loop take what is queued before the cancel ends it.
        var waited = 0
        while subscription.stats.queued > 0 && waited < 100 {
            usleep(10_000)
            waited += 1
        }
        subscription.cancel()
        while !done.load(ordering: .acquiring) && waited < 200 {
            usleep(5_000)
            waited += 1
        }
    }
}
