import Foundation
import Synchronization
import TeletopCore

#if canImport(Glibc)
import Glibc
#endif

/// `--on-alert CMD`: `/bin/sh -c CMD` per alert, the alert's JSON and a
/// newline on its standard input, its output appended to teletop's log
/// (never the screen). Each runs on a thread of its own, killed after
/// `timeoutSeconds`; at most `maxRunning` at once, and an alert beyond that
/// is dropped and logged, so a hung command can neither block the UI nor pile
/// up processes.
final class AlertCommand: AlertAction {
    let command: String
    /// Where the command's stdout and stderr go (teletop's log file), or /dev/null.
    let outputPath: String
    let log: @Sendable (String) -> Void
    static let timeoutSeconds = 10.0
    static let maxRunning = 4
    private let running = Atomic<Int>(0)
    /// Alerts not run because `maxRunning` were still running.
    let dropped = Atomic<Int>(0)

    init(command: String, outputPath: String?, log: @escaping @Sendable (String) -> Void) {
        self.command = command
        self.outputPath = outputPath ?? "/dev/null"
        self.log = log
        // Writing an alert to a command that exited before reading it must not kill teletop.
        signal(SIGPIPE, SIG_IGN)
    }

    func deliver(_ alert: AlertEvent) {
        guard running.add(1, ordering: .relaxed).newValue <= Self.maxRunning else {
            running.subtract(1, ordering: .relaxed)
            let n = dropped.add(1, ordering: .relaxed).newValue
            log("--on-alert: alert \(alert.id) not run, \(Self.maxRunning) commands still running (\(n) dropped so far)")
            return
        }
        let thread = Thread { [self] in
            defer { running.subtract(1, ordering: .relaxed) }
            if let problem = run(input: Array((alert.json + "\n").utf8)) {
                log("--on-alert for alert \(alert.id) (\(alert.rule)): \(problem)")
            }
        }
        thread.start()
    }

    /// Runs the command once; nil when it exited 0, else what went wrong.
    func run(input: [UInt8]) -> String? {
        var pipe: [Int32] = [0, 0]
        guard Glibc.pipe(&pipe) == 0 else { return "could not make a pipe: \(String(cString: strerror(errno)))" }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipe[0], 0)
        posix_spawn_file_actions_addclose(&actions, pipe[1])
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_APPEND | O_CREAT, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // `serve` blocks SIGINT/SIGTERM in every thread: the command gets them unblocked and at their defaults.
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sh"), strdup("-c"), strdup(command), nil]
        defer { for a in argv { free(a) } }
        let spawned = posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, environ)
        close(pipe[0])
        guard spawned == 0 else {
            close(pipe[1])
            return "could not start /bin/sh: \(String(cString: strerror(spawned)))"
        }
        _ = input.withUnsafeBytes { write(pipe[1], $0.baseAddress, $0.count) }
        close(pipe[1])
        let deadline = Date().addingTimeInterval(Self.timeoutSeconds)
        var status: Int32 = 0
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { break }
            if r < 0 { return "waitpid: \(String(cString: strerror(errno)))" }
            if Date() > deadline {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                return "still running after \(Int(Self.timeoutSeconds)) s: killed"
            }
            usleep(20_000)
        }
        let exited = status & 0x7f == 0
        if exited {
            let code = (status >> 8) & 0xff
            return code == 0 ? nil : "exited with status \(code)"
        }
        return "killed by signal \(status & 0x7f)"
    }
}
