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
    /// Headless runs log to standard error (no screen to protect). When that
    /// is systemd's journal, each line carries its priority the journal's way
    /// instead of a timestamp (the journal stamps lines itself).
    static func bootstrapStandardError() -> Logger {
        let sink = FileSink(handle: FileHandle.standardError)
        let journal = isJournal(fd: STDERR_FILENO)
        LoggingSystem.bootstrap { label in FileLogHandler(label: label, sink: sink, style: journal ? .journal : .stamped) }
        return Logger(label: "teletop")
    }

    /// Whether `fd` is the journal's stream: systemd names it in
    /// `JOURNAL_STREAM` as "device:inode" (a stderr redirected elsewhere by
    /// the unit or a shell does not match, and keeps the plain format).
    static func isJournal(fd: Int32, environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        guard let stream = environment["JOURNAL_STREAM"] else { return false }
        let parts = stream.split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return false }
        return UInt64(info.st_dev) == device && UInt64(info.st_ino) == inode
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
    enum Style {
        /// "2026-12-03T14:00:00.000Z info teletop: …", for files and terminals.
        case stamped
        /// "<6>teletop: …": sd-daemon(3)'s priority prefix, for the journal.
        case journal
    }

    let label: String
    let sink: FileSink
    var style = Style.stamped
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        let meta = all.isEmpty ? "" : " " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let text = Self.oneLine("\(event.message)\(meta)")
        switch style {
        case .stamped:
            let time = Timestamp(millisecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1000)).iso8601
            sink.write("\(time) \(event.level) \(label): \(text)\n")
        case .journal:
            sink.write("<\(Self.priority(event.level))>\(label): \(text)\n")
        }
    }

    /// A record is one line, message and metadata alike (an error's text, a
    /// webhook's answer): a line break inside would start a record of its own,
    /// in the journal without its priority.
    static func oneLine(_ text: String) -> String {
        guard text.contains(where: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) else { return text }
        return text.replacingOccurrences(of: "\r\n", with: "\\n").replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\r", with: "\\r")
    }

    /// syslog's priorities, which the journal reads from the prefix.
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }
}

