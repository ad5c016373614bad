@testable import TeletopCLI
import Foundation
import Logging
import Testing

@Suite("systemd's notification variables and the journal's priorities")
struct SystemdNotifyTests {
    @Test func nothingIsToldWithoutASocket() {
        #expect(SystemdNotify.fromEnvironment([:]) == nil)
        #expect(SystemdNotify.fromEnvironment(["NOTIFY_SOCKET": "", "WATCHDOG_USEC": "1000000"]) == nil)
    }

    @Test func theWatchdogIsPingedAtHalfItsTimeoutAndOnlyByItsProcess() {
        let mine = SystemdNotify.fromEnvironment(["NOTIFY_SOCKET": "/run/n", "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "41"], pid: 41)
        #expect(mine?.watchdogInterval == .seconds(15))
        #expect(mine?.socketPath == "/run/n")
        // A child that inherited the variables (an --on-alert command's shell, say) is not the one watched.
        let child = SystemdNotify.fromEnvironment(["NOTIFY_SOCKET": "/run/n", "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "41"], pid: 42)
        #expect(child != nil && child?.watchdogInterval == nil)
        #expect(SystemdNotify.fromEnvironment(["NOTIFY_SOCKET": "@abstract", "WATCHDOG_USEC": "soon"])?.watchdogInterval == nil)
        #expect(WatchdogPinger(SystemdNotify.fromEnvironment(["NOTIFY_SOCKET": "/run/n"])) == nil)
    }

    @Test func aSocketThatIsNotThereIsAFalseNotACrash() {
        let notify = SystemdNotify(socketPath: "/nonexistent/teletop-notify", watchdogInterval: nil)
        #expect(!notify.send("READY=1"))
        let tooLong = SystemdNotify(socketPath: "/" + String(repeating: "x", count: 200), watchdogInterval: nil)
        #expect(!tooLong.send("READY=1"))
    }

    @Test func levelsBecomeSyslogPriorities() {
        #expect([Logger.Level.debug, .info, .notice, .warning, .error, .critical].map(FileLogHandler.priority) == [7, 6, 5, 4, 3, 2])
    }

    @Test func aRecordIsOneLineMetadataIncluded() {
        #expect(FileLogHandler.oneLine("store failed error=disk I/O error\nat page 3\r\nend\rx") == #"store failed error=disk I/O error\nat page 3\nend\rx"#)
        #expect(FileLogHandler.oneLine("plain") == "plain")
    }

    @Test func theJournalIsKnownByItsDeviceAndInode() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("teletop-journal-\(UUID())").path
        FileManager.default.createFile(atPath: path, contents: nil)
        defer { unlink(path) }
        let fd = open(path, O_WRONLY)
        defer { close(fd) }
        var info = stat()
        fstat(fd, &info)
        #expect(LogFile.isJournal(fd: fd, environment: ["JOURNAL_STREAM": "\(info.st_dev):\(info.st_ino)"]))
        #expect(!LogFile.isJournal(fd: fd, environment: ["JOURNAL_STREAM": "\(info.st_dev):\(info.st_ino + 1)"]))
        #expect(!LogFile.isJournal(fd: fd, environment: ["JOURNAL_STREAM": "garbage"]))
        #expect(!LogFile.isJournal(fd: fd, environment: [:]))
    }
}
