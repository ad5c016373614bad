import Foundation
import TeletopCore

/// Reads JSON Lines files line by line in 256 KiB chunks (memory stays flat
/// however big they are), for `plan infer` and `check`.
enum JSONLinesFiles {
    enum Line {
        case line(UnsafeBufferPointer<UInt8>, number: Int)
        case tooLong(number: Int)
    }

    /// Calls `body` for every line of `path`; throws a message when the file cannot be opened or read.
    static func forEachLine(_ path: String, maxLineBytes: Int = 1 << 20, _ body: (Line) -> Void) throws(FileError) {
        let fd = path == "-" ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileError(path: path, reason: String(cString: strerror(errno))) }
        defer { if fd != STDIN_FILENO { close(fd) } }
        var splitter = LineSplitter(maxLineBytes: maxLineBytes)
        var buffer = [UInt8](repeating: 0, count: 256 << 10)
        func handle(_ piece: LineSplitter.Piece) {
            switch piece {
            case .line(let bytes, let number): body(.line(bytes, number: number))
            case .tooLong(let number, _): body(.tooLong(number: number))
            }
        }
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileError(path: path, reason: String(cString: strerror(errno)))
            }
            if n == 0 { break }
            buffer.withUnsafeBufferPointer { splitter.feed(UnsafeBufferPointer(rebasing: $0[0..<n]), handle) }
        }
        splitter.finish(handle)
    }

    struct FileError: Error, CustomStringConvertible {
        var path: String
        var reason: String
        var description: String { "\(path): \(reason)" }
    }
}
