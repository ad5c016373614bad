import ArgumentParser
import Foundation
import TeletopCore
import TeletopRemote

/// `teletop send`'s requests: one event to /log, or a JSON Lines file to /batch.
struct EventSender {
    let client: BlockingHTTPClient
    let headers: [String: String]

    init(url: String, token: String?) throws {
        // A server that answers early (413) and closes must not kill us with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        do { client = try BlockingHTTPClient(url: url) } catch { throw SendError(error.description) }
        headers = BlockingHTTPClient.headers(token: token)
    }

    func sendOne(_ eventType: String, _ payload: JSONObject) throws {
        let body = JSONWriter.compactBytes(.object(["event_type": .string(eventType), "payload": .object(payload)]))
        let reply = try client.request("POST", "/api/telemetry/log", body: body, headers: headers)
        print(reply.body)
        switch reply.status {
        case 200: return
        case 400, 413, 415: throw ExitCode(1)  // rejected: the body says why
        case 401: throw SendError("teletop wants a token (--token or TELETOP_TOKEN): \(reply.body)")
        default: throw SendError("unexpected answer \(reply.status): \(reply.body)")
        }
    }

    /// Batches of at most 1,000 events and at most `batchBytes`, so a batch
    /// stays under the server's default body limit. Positions reported are the
    /// file's line numbers; blank lines are skipped as the server skips them.
    func sendFile(_ path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("--file \(path): cannot read the file") }
        var events: [(line: Int, bytes: ArraySlice<UInt8>)] = []
        for (i, raw) in data.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            var line = ArraySlice(raw)
            if line.last == 0x0D { line = line.dropLast() }
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            events.append((i + 1, line))
        }
        var accepted = 0, rejected = 0
        var start = 0
        while start < events.count {
            var end = start
            var bytes = 0
            while end < events.count && end - start < 1000 && (end == start || bytes + events[end].bytes.count + 1 <= Self.batchBytes) {
                bytes += events[end].bytes.count + 1
                end += 1
            }
            let batch = events[start..<end]
            let body = Array(batch.map(\.bytes).joined(separator: [0x0A]))
            let (reply, answer) = try client.postBatch(body, headers: headers)
            if reply.status == 413 && batch.count == 1 {
                rejected += 1
                print("line \(batch.first!.line): larger than the server's body limit (\(batch.first!.bytes.count) bytes)")
                start = end
                continue
            }
            guard let result = answer else {
                if reply.status == 401 { throw SendError("teletop wants a token (--token or TELETOP_TOKEN): \(reply.body)") }
                throw SendError("lines \(batch.first!.line)-\(batch.last!.line): answer \(reply.status): \(reply.body)")
            }
            accepted += result.accepted
            rejected += result.rejections.count
            for (index, message) in result.rejections where batch.indices.contains(start + index) {
                print("line \(events[start + index].line): \(message)")
            }
            start = end
        }
        print("sent \(events.count) events from \(path): \(accepted) accepted, \(rejected) rejected")
        if rejected > 0 { throw ExitCode(1) }
    }

    /// Under the server's default 1 MiB body limit, with room to spare.
    static let batchBytes = 768 * 1024
}
