import Foundation
import TeletopCore

/// Just enough HTTP/1.1 for `teletop send`: one request per connection,
/// `Connection: close`, plain http to a host and port. No dependency, so the
/// CLI stays small and its errors stay ours to word.
struct MiniHTTPClient {
    struct Reply {
        var status: Int
        var body: String
    }

    let host: String
    let port: Int

    /// Parses `http://host:port` (a path after it is ignored).
    init(url: String) throws {
        guard url.hasPrefix("http://") else { throw SendError("--url must start with http:// (got \(url)); https is not supported") }
        let rest = url.dropFirst("http://".count).prefix { $0 != "/" }
        let parts = rest.split(separator: ":", maxSplits: 1)
        guard let first = parts.first, !first.isEmpty else { throw SendError("--url has no host: \(url)") }
        host = String(first)
        if parts.count == 2 {
            guard let p = Int(parts[1]), (1...65535).contains(p) else { throw SendError("--url has a bad port: \(url)") }
            port = p
        } else {
            port = 80
        }
    }

    func request(_ method: String, _ path: String, body: [UInt8] = [], contentType: String = "application/json",
                 headers: [String: String] = [:]) throws -> Reply {
        let fd = try connectSocket()
        defer { close(fd) }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nConnection: close\r\nContent-Length: \(body.count)\r\n"
        if !body.isEmpty { head += "Content-Type: \(contentType)\r\n" }
        for (k, v) in headers { head += "\(k): \(v)\r\n" }
        let bytes = Array((head + "\r\n").utf8) + body
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            // The server may answer (413) and stop reading before the body is all sent: read its answer.
            if n <= 0 { break }
            sent += n
        }
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            received += chunk[0..<n]
        }
        let text = String(decoding: received, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n"), let statusLine = text.split(separator: "\r\n").first,
              let status = statusLine.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else {
            throw SendError("\(host):\(port) did not answer with HTTP")
        }
        return Reply(status: status, body: String(text[split.upperBound...]))
    }

    private func connectSocket() throws -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else {
            throw SendError("cannot resolve \(host)")
        }
        defer { freeaddrinfo(list) }
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let ai = candidate {
            let fd = socket(ai.pointee.ai_family, ai.pointee.ai_socktype, ai.pointee.ai_protocol)
            if fd >= 0 {
                var timeout = timeval(tv_sec: 30, tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                if connect(fd, ai.pointee.ai_addr, ai.pointee.ai_addrlen) == 0 { return fd }
                close(fd)
            }
            candidate = ai.pointee.ai_next
        }
        throw SendError("cannot connect to teletop at \(host):\(port) (is it running? start it with `teletop` or `teletop serve`, or pass --url)")
    }
}

extension MiniHTTPClient {
    /// `Authorization: Bearer` from `--token`, else `$TELETOP_TOKEN`; none when both are empty.
    static func headers(token: String?) -> [String: String] {
        guard let token = HTTPOptions.token(token) else { return [:] }
        return ["Authorization": "Bearer \(token)"]
    }

    /// What `POST /api/telemetry/batch` answered with 200: the accepted count and
    /// each rejected item's index in the batch with its reasons.
    struct BatchResult {
        var accepted = 0
        var rejections: [(index: Int, message: String)] = []
    }

    /// Posts NDJSON lines to the batch endpoint. The result is nil unless the
    /// answer was a 200 with the batch shape; the reply is there to say why.
    func postBatch(_ body: [UInt8], headers: [String: String]) throws -> (reply: Reply, result: BatchResult?) {
        let reply = try request("POST", "/api/telemetry/batch", body: body, contentType: "application/x-ndjson", headers: headers)
        guard reply.status == 200, case .object(let o)? = try? JSONParser.parse(Array(reply.body.utf8)) else { return (reply, nil) }
        var result = BatchResult()
        if case .int(let a)? = o["accepted"] { result.accepted = Int(a) }
        if case .array(let items)? = o["rejected_items"] {
            for case .object(let item) in items {
                guard case .int(let index)? = item["index"], case .string(let message)? = item["message"] else { continue }
                result.rejections.append((Int(index), message))
            }
        }
        return (reply, result)
    }
}

struct SendError: Error, CustomStringConvertible {
    var description: String
    init(_ message: String) { description = message }
}
