import ArgumentParser
import Foundation
import TeletopCore

/// `teletop send`: fire events at a running teletop from a shell or script.
struct Send: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send events to a running teletop over HTTP.",
        discussion: """
            teletop send ai_block_used user_id=user_123 chapter_id=1 section_id=what-is-physical-ai block_type=ask-question

            key=value: a value that reads as JSON (an integer, a number, true, false, null, \
            {...}, [...] or a "quoted string") is sent as that JSON; anything else as a string. \
            key==value always sends the string value. --json sends a raw payload; --file sends a \
            JSON Lines file in batches (at most 1,000 events and 768 KiB each). Exit status: 0 all accepted, 1 something \
            rejected, 2 teletop unreachable or an unexpected answer.
            """
    )

    @Argument(help: "The event type (not with --file).")
    var eventType: String?

    @Argument(help: "Payload fields as key=value (or key==value for a string).")
    var fields: [String] = []

    @Option(help: "The payload as raw JSON.")
    var json: String?

    @Option(help: "A JSON Lines file of EventLogRequests to send in batches.")
    var file: String?

    @Option(help: "Where teletop's HTTP API is.")
    var url = "http://127.0.0.1:7311"

    @Option(help: "Bearer token (default: $TELETOP_TOKEN).")
    var token: String?

    func validate() throws {
        if file != nil {
            guard eventType == nil, fields.isEmpty, json == nil else { throw ValidationError("--file sends whole requests: give no event type, fields or --json") }
        } else {
            guard eventType != nil else { throw ValidationError("give an event type, e.g. teletop send ai_block_used user_id=u1 chapter_id=1 ...") }
            guard json == nil || fields.isEmpty else { throw ValidationError("give fields or --json, not both") }
        }
    }

    /// `key=value` with the JSON rule; `key==value` a string.
    static func payload(from fields: [String]) throws -> JSONObject {
        var payload = JSONObject()
        for field in fields {
            guard let eq = field.firstIndex(of: "="), eq != field.startIndex else {
                throw ValidationError("field \(field.debugDescription): expected key=value")
            }
            let key = String(field[..<eq])
            var value = field[field.index(after: eq)...]
            if value.first == "=" {
                value = value.dropFirst()
                payload[key] = .string(String(value))
            } else if let parsed = try? JSONParser.parse(Array(value.utf8)) {
                payload[key] = parsed
            } else {
                payload[key] = .string(String(value))
            }
        }
        return payload
    }

    func run() throws {
        // A server that answers early (413) and closes must not kill us with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        let client = try MiniHTTPClient(url: url)
        let headers = MiniHTTPClient.headers(token: token)
        do {
            if let file { try sendFile(file, client, headers) } else { try sendOne(client, headers) }
        } catch let error as SendError {
            throw commandFailure("teletop send: \(error.description)")
        }
    }

    func sendOne(_ client: MiniHTTPClient, _ headers: [String: String]) throws {
        let payload: JSONObject
        if let json {
            guard case .object(let object)? = try? JSONParser.parse(Array(json.utf8)) else {
                throw ValidationError("--json must be a JSON object, got \(json)")
            }
            payload = object
        } else {
            payload = try Self.payload(from: fields)
        }
        let body = JSONWriter.compactBytes(.object(["event_type": .string(eventType!), "payload": .object(payload)]))
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
    func sendFile(_ path: String, _ client: MiniHTTPClient, _ headers: [String: String]) throws {
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
