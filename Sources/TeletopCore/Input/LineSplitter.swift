#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Cuts a byte stream into lines, as chunks arrive. A line that fits in one
/// chunk is handed over without a copy; only a line split across chunks is
/// gathered. A line longer than `maxLineBytes` is never held whole: its bytes
/// are skipped up to the next newline and it is reported as over-long.
/// Line numbers are 1-based and count every line, blank ones included; blank
/// lines, lines of only spaces and tabs, and a trailing `\r` are skipped silently.
public struct LineSplitter {
    public enum Piece {
        case line(UnsafeBufferPointer<UInt8>, number: Int)
        case tooLong(number: Int, bytesSeen: Int)
    }

    public let maxLineBytes: Int
    public private(set) var lineNumber = 0
    private var pending: [UInt8] = []
    private var skipping = false
    private var skippedBytes = 0

    public init(maxLineBytes: Int = 1 << 20) {
        self.maxLineBytes = maxLineBytes
    }

    /// Feeds one chunk; `handle` sees each complete line in order.
    public mutating func feed(_ chunk: UnsafeBufferPointer<UInt8>, _ handle: (Piece) -> Void) {
        guard let base = chunk.baseAddress else { return }
        var start = 0
        let end = chunk.count
        while start < end {
            let rest = UnsafeRawPointer(base + start)
            guard let hit = memchr(rest, 0x0A, end - start) else {
                take(UnsafeBufferPointer(start: base + start, count: end - start))
                return
            }
            let newline = UnsafePointer(hit.assumingMemoryBound(to: UInt8.self)) - base
            if !skipping && pending.isEmpty {
                // The whole line is in this chunk: hand it over in place.
                lineNumber += 1
                var count = newline - start
                if count > maxLineBytes {
                    handle(.tooLong(number: lineNumber, bytesSeen: count))
                } else {
                    if count > 0 && base[newline - 1] == 0x0D { count -= 1 }
                    let line = UnsafeBufferPointer(start: base + start, count: count)
                    if !Self.isBlank(line) { handle(.line(line, number: lineNumber)) }
                }
            } else {
                take(UnsafeBufferPointer(start: base + start, count: newline - start))
                finishLine(handle)
            }
            start = newline + 1
        }
    }

    /// The end of input: a last line without a newline still counts.
    public mutating func finish(_ handle: (Piece) -> Void) {
        if skipping || !pending.isEmpty { finishLine(handle) }
    }

    /// Forgets a partial line and restarts the numbering (a truncated or rotated file).
    public mutating func reset() {
        pending.removeAll(keepingCapacity: true)
        skipping = false
        skippedBytes = 0
        lineNumber = 0
    }

    /// Bytes of the line being gathered (before its newline).
    private mutating func take(_ bytes: UnsafeBufferPointer<UInt8>) {
        if skipping {
            skippedBytes += bytes.count
        } else if pending.count + bytes.count > maxLineBytes {
            skipping = true
            skippedBytes = pending.count + bytes.count
            pending.removeAll(keepingCapacity: false)
        } else {
            pending.append(contentsOf: bytes)
        }
    }

    private mutating func finishLine(_ handle: (Piece) -> Void) {
        lineNumber += 1
        if skipping {
            handle(.tooLong(number: lineNumber, bytesSeen: skippedBytes))
            skipping = false
            skippedBytes = 0
            return
        }
        var count = pending.count
        if count > 0 && pending[count - 1] == 0x0D { count -= 1 }
        let number = lineNumber
        pending.withUnsafeBufferPointer { all in
            let line = UnsafeBufferPointer(rebasing: all[0..<count])
            if !Self.isBlank(line) { handle(.line(line, number: number)) }
        }
        pending.removeAll(keepingCapacity: true)
    }

    /// Nothing but spaces, tabs and carriage returns (or nothing at all). A
    /// real line's first byte is `{`, so this usually looks at one byte.
    @inline(__always)
    static func isBlank(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        for b in line where b != 0x20 && b != 0x09 && b != 0x0D { return false }
        return true
    }
}
