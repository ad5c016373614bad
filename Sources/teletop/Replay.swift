import ArgumentParser
import Foundation
import Synchronization
import TeletopCore
import TeletopTUI

/// `teletop replay FILE`: a JSON Lines recording played back with its recorded
/// gaps (scaled by --speed), to a running teletop over HTTP or into a dashboard.
struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Play a JSON Lines recording back, keeping its recorded gaps.",
        discussion: """
            The file holds AnalyticsEvents (from --record or `teletop export`). With --url, events go to that \
            teletop's batch endpoint; otherwise a dashboard opens and they play into it (stored only with --db). \
            Exit status: 0 all accepted, 1 some rejected, 2 the file or the server could not be used.
            """
    )

    /// `1`, `10`, `max`, or any positive number.
    struct Speed: ExpressibleByArgument, CustomStringConvertible {
        var factor: Double?
        init?(argument: String) {
            if argument == "max" { factor = nil; return }
            // "10x" as well as "10": the help prints the default as "1x".
            let number = argument.hasSuffix("x") ? String(argument.dropLast()) : argument
            guard let x = Double(number), x > 0, x.isFinite else { return nil }
            factor = x
        }
        var description: String { Self.describe(factor) }
        static func describe(_ factor: Double?) -> String {
            factor.map { $0 == $0.rounded() && $0 < 1e9 ? "\(Int($0))x" : "\($0)x" } ?? "max"
        }
        static var defaultCompletionKind: CompletionKind { .list(["1", "10", "max"]) }
    }

    @Argument(help: "The recording (JSON Lines).")
    var file: String

    @Option(help: "How many times faster than recorded: 1, 10, any positive number, or max.")
    var speed = Speed(argument: "1")!

    @Option(help: "Send to the teletop at this URL (e.g. http://127.0.0.1:7311) instead of opening a dashboard.")
    var url: String?

    @Option(help: "Bearer token for --url (default: $TELETOP_TOKEN).")
    var token: String?

    @Option(help: "Without --url: store what is replayed in this SQLite file (default: keep nothing).")
    var db: String?

    func run() throws {
        let fd = open(file, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw commandFailure("teletop replay: \(file): \(String(cString: strerror(errno)))") }
        guard let url else {
            let dashboard = try Dashboard.parse(["--no-sim", "--no-http"] + (db.map { ["--db", $0] } ?? ["--in-memory"]))
            try dashboard.run(replay: ReplaySource(fd: fd, name: file, speed: speed))
            return
        }
        defer { close(fd) }
        do {
            try sendOverHTTP(fd: fd, url: url)
        } catch let error as SendError {
            throw commandFailure("teletop replay: \(error.description)")
        }
    }

    func sendOverHTTP(fd: Int32, url: String) throws {
        signal(SIGPIPE, SIG_IGN)
        let client = try MiniHTTPClient(url: url)
        let headers = MiniHTTPClient.headers(token: token)
        var player = ReplayPlayer(speed: speed.factor)
        // Batches stay under the server's default 1 MiB body limit.
        player.maxBatch = 500
        var accepted = 0, rejected = 0, sent = 0
        var failure: String?
        let started = ReplayPlayer.monotonicSeconds()
        let readFailure = player.play(fd: fd, shouldStop: { failure != nil }) { items in
            guard failure == nil else { return }
            var body: [UInt8] = []
            var lines: [Int] = []
            for item in items {
                switch item.decoded {
                case .success(let d):
                    var fields: JSONObject = ["event_type": .string(d.eventType), "payload": .object(d.payload)]
                    if let t = d.timestamp { fields["timestamp"] = .string(t.iso8601) }
                    JSONWriter.write(.object(fields), into: &body, indent: nil, level: 0)
                    body.append(0x0A)
                    lines.append(item.line)
                case .failure(let error):
                    rejected += 1
                    print("line \(item.line): \(error.issues.map(\.message).joined(separator: "; "))")
                }
            }
            guard !lines.isEmpty else { return }
            do {
                let (reply, answer) = try client.postBatch(body, headers: headers)
                guard let result = answer else {
                    failure = "\(url) answered \(reply.status): \(reply.body)"
                    return
                }
                sent += lines.count
                accepted += result.accepted
                for (index, message) in result.rejections where lines.indices.contains(index) {
                    rejected += 1
                    print("line \(lines[index]): \(message)")
                }
            } catch {
                failure = "\(error)"
            }
        }
        let seconds = ReplayPlayer.monotonicSeconds() - started
        if let failure { throw commandFailure("teletop replay: \(failure) (after \(sent) events)") }
        if let readFailure { throw commandFailure("teletop replay: cannot read \(file): \(readFailure) (after \(sent) events)") }
        print("replayed \(file) at \(speed) in \(Format.oneDecimal(seconds)) s: \(accepted) accepted, \(rejected) rejected")
        if rejected > 0 { throw ExitCode(1) }
    }
}

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
        var text = "\(p.failure ?? (p.done ? "done" : "playing")) at \(Replay.Speed.describe(speed)), \(Format.grouped(p.accepted)) events"
        if p.rejected > 0 { text += ", \(Format.grouped(p.rejected)) rejected" }
        return SourceStatus(name: "REPLAY", state: text, active: !p.done)
    }
}
