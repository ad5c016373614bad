import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The service manager's notification protocol (sd_notify(3)), spoken
/// directly: one datagram per message to the socket systemd names in
/// `NOTIFY_SOCKET`, so `Type=notify` units (contrib/teletop.service) know
/// when `serve` really takes events, what it is doing, and that its main
/// loop still runs. Without `NOTIFY_SOCKET` (not under systemd) nothing is
/// sent. libsystemd is not linked: the protocol is a line of text.
struct SystemdNotify {
    /// A filesystem path, or an abstract socket's name after a leading "@".
    let socketPath: String
    /// `WATCHDOG_USEC`'s half: how often `WATCHDOG=1` is due (nil: no watchdog asked for).
    let watchdogInterval: Duration?

    /// From systemd's variables; nil when there is no socket to tell.
    static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment,
                                pid: pid_t = getpid()) -> SystemdNotify? {
        guard let path = env["NOTIFY_SOCKET"], !path.isEmpty else { return nil }
        var watchdog: Duration?
        // WATCHDOG_PID, when set, names the process the watchdog is for (not a child that inherited it).
        if let usec = env["WATCHDOG_USEC"].flatMap(Int64.init), usec > 0,
           env["WATCHDOG_PID"].flatMap(Int32.init).map({ $0 == pid }) ?? true {
            watchdog = .microseconds(usec / 2)
        }
        return SystemdNotify(socketPath: path, watchdogInterval: watchdog)
    }

    /// Sends `state` (lines such as `READY=1`, `STATUS=…`); false when it could not be sent.
    @discardableResult
    func send(_ state: String) -> Bool {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var path = Array(socketPath.utf8)
        if path.first == UInt8(ascii: "@") { path[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path)
        }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        // An abstract name's length counts exactly (no terminating zero); a path's includes one.
        let length = socklen_t(MemoryLayout<sa_family_t>.size + path.count + (path.first == 0 ? 0 : 1))
        let bytes = Array(state.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                bytes.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), sa, length) }
            }
        }
        return sent == bytes.count
    }
}

/// The watchdog's schedule for `serve`'s main loop: `WATCHDOG=1` when due.
/// The loop wakes every 50 ms, so a watchdog of any usual length is kept;
/// if the loop stops (a deadlock, a stuck stop), the pings stop and systemd
/// restarts the collector.
struct WatchdogPinger {
    let notify: SystemdNotify
    private var last = ContinuousClock.now

    init?(_ notify: SystemdNotify?) {
        guard let notify, notify.watchdogInterval != nil else { return nil }
        self.notify = notify
    }

    mutating func tick(now: ContinuousClock.Instant = .now) {
        guard let interval = notify.watchdogInterval, now - last >= interval else { return }
        last = now
        notify.send("WATCHDOG=1")
    }
}
