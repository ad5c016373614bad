import ArgumentParser
import Foundation
import TeletopCore
import TeletopRemote
import TeletopTUI

/// `teletop replay FILE --url URL`: the recording's events posted to that
/// teletop's batch endpoint with their recorded gaps, rejections printed by line.
struct ReplayOverHTTP {
    let file: String
    let speed: Replay.Speed
    let url: String
    let token: String?

    func send(fd: Int32) throws {
        signal(SIGPIPE, SIG_IGN)
        let client: BlockingHTTPClient
        do { client = try BlockingHTTPClient(url: url) } catch { throw commandFailure("teletop replay: \(error.description)") }
        let headers = BlockingHTTPClient.headers(token: token)
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
