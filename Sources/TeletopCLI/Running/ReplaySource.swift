import Foundation
import Synchronization
import TeletopCore
import TeletopTUI

/// A recording played into the dashboard's logger on a thread of its own.
final class ReplaySource: Sendable {
    let fd: Int32
    let name: String
    let speed: Double?
    private let progress = Mutex<(accepted: Int, rejected: Int, done: Bool, failure: String?)>((0, 0, false, nil))
    private let stopFlag = Atomic<Bool>(false)

    init(fd: Int32, name: String, speed: Replay.Speed) {
        self.fd = fd
        self.name = name
        self.speed = speed.factor
    }

    func start(logger: EventLogger) {
        let thread = Thread { [self] in
            let player = ReplayPlayer(speed: speed)
            let failure = player.play(fd: fd, shouldStop: { self.stopFlag.load(ordering: .relaxed) }) { items in
                logger.waitForRoom(shouldStop: { self.stopFlag.load(ordering: .relaxed) })
                var accepted = 0, rejected = 0
                for item in items {
                    if EventIngest.admit(item.decoded, into: logger, source: .replay, line: item.line, stamp: .eventTime).event != nil {
                        accepted += 1
                    } else {
                        rejected += 1
                    }
                }
                progress.withLock { $0.accepted += accepted; $0.rejected += rejected }
            }
            close(fd)
            progress.withLock { $0.done = true; $0.failure = failure }
        }
        thread.name = "teletop-replay"
        thread.start()
    }

    func stop() { stopFlag.store(true, ordering: .relaxed) }

    var statusLine: SourceStatus {
        let p = progress.withLock { $0 }
        var text = "\(p.failure ?? (p.done ? "done" : "playing")) at \(Replay.Speed.describe(speed)), \(Describe.count(p.accepted, "event"))"
        if p.rejected > 0 { text += ", \(Format.grouped(p.rejected)) rejected" }
        return SourceStatus(name: "REPLAY", state: text, active: !p.done)
    }
}
