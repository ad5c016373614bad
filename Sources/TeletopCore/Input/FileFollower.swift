#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `tail -F` for JSON Lines: reads a file from its start, then keeps reading
/// what is appended. A file that shrinks (truncated) is read again from its
/// start; a file replaced at the same path (rotated) is finished, then the new
/// one is read from its start. Polls with back-off: every 5 ms while lines
/// keep coming, up to every 100 ms when quiet. Blocks: run it on its own thread.
public final class FileFollower: Sendable {
    public let path: String
    public let ingestor: JSONLinesIngestor
    /// Longest sleep between looks at a quiet file.
    public let maxPollMilliseconds: Int

    public init(path: String, ingestor: JSONLinesIngestor, maxPollMilliseconds: Int = 100) {
        self.path = path
        self.ingestor = ingestor
        self.maxPollMilliseconds = maxPollMilliseconds
    }

    public func run(shouldStop: @escaping () -> Bool) {
        var splitter = LineSplitter(maxLineBytes: ingestor.maxLineBytes)
        let chunk = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: JSONLinesIngestor.chunkBytes)
        defer { chunk.deallocate() }
        var fd: Int32 = -1
        defer { if fd >= 0 { close(fd) } }
        var offset = 0
        var rotations = 0
        var pollMs = 5

        func nap() {
            usleep(UInt32(pollMs * 1000))
            pollMs = min(maxPollMilliseconds, pollMs * 2)
        }
        /// Reads whatever is there now; true when anything was read.
        func drain() -> Bool {
            var any = false
            while !shouldStop() {
                let n = read(fd, chunk.baseAddress, chunk.count)
                if n > 0 {
                    offset += n
                    any = true
                    ingestor.consume(UnsafeBufferPointer(rebasing: chunk[0..<n]), &splitter, shouldStop: shouldStop)
                } else if n < 0 && errno == EINTR {
                    continue
                } else {
                    if n < 0 { ingestor.setState("read error", failure: "cannot read \(path): \(String(cString: strerror(errno)))") }
                    break
                }
            }
            return any
        }

        while !shouldStop() {
            if fd < 0 {
                fd = open(path, O_RDONLY | O_CLOEXEC)
                if fd < 0 {
                    ingestor.setState("waiting for \(path) (\(String(cString: strerror(errno))))")
                    nap()
                    continue
                }
                offset = 0
                splitter.reset()
                ingestor.setState(rotations == 0 ? "following" : "following (rotated \(rotations)x)")
            }
            if drain() {
                pollMs = 5
                continue
            }
            // At the end for now: has the file been truncated or replaced?
            var open = stat(), named = stat()
            if fstat(fd, &open) == 0 && Int(open.st_size) < offset {
                lseek(fd, 0, SEEK_SET)
                offset = 0
                splitter.reset()
                ingestor.setState("following (truncated)")
                continue
            }
            if stat(path, &named) == 0 && (named.st_ino != open.st_ino || named.st_dev != open.st_dev) {
                _ = drain()  // lines written to the old file before it moved
                ingestor.finish(&splitter)
                close(fd)
                fd = -1
                rotations += 1
                continue
            }
            nap()
        }
        // Stopped: a last line without its newline may still be being written; it is not judged.
        ingestor.setState("stopped", finished: true)
    }
}
