import Foundation
import Logging
import TeletopCore

/// teletop's own log goes to a file: while curses owns the screen nothing may
/// be printed to stdout or stderr.
enum LogFile {
    static var defaultPath: String {
        let env = ProcessInfo.processInfo.environment
        let base = env["XDG_STATE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() + "/.local/state")
        return base + "/teletop/teletop.log"
    }

    static func bootstrap(path: String) throws -> Logger {
        let url = URL(fileURLWithPath: path)
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw LogFileError(path: path)
        }
        handle.seekToEndOfFile()
        let sink = FileSink(handle: handle)
        LoggingSystem.bootstrap { label in FileLogHandler(label: label, sink: sink) }
        return Logger(label: "teletop")
    }
}

extension LogFile {
    /// Headless runs log to standard error (no screen to protect).
    static func bootstrapStandardError() -> Logger {
        let sink = FileSink(handle: FileHandle.standardError)
        LoggingSystem.bootstrap { label in FileLogHandler(label: label, sink: sink) }
        return Logger(label: "teletop")
    }
}

struct LogFileError: Error, CustomStringConvertible {
    var path: String
    var description: String { "cannot write the log file \(path) (choose another with --log-file)" }
}

final class FileSink: @unchecked Sendable {
    private let handle: FileHandle
    private let lock = NSLock()

    init(handle: FileHandle) { self.handle = handle }

    func write(_ line: String) {
        lock.lock()
        defer { lock.unlock() }
        handle.write(Data(line.utf8))
    }
}

struct FileLogHandler: LogHandler {
    let label: String
    let sink: FileSink
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        let meta = all.isEmpty ? "" : " " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let time = Timestamp(millisecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1000)).iso8601
        sink.write("\(time) \(event.level) \(label): \(event.message)\(meta)\n")
    }
}

