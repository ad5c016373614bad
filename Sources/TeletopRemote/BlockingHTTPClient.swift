import AsyncHTTPClient
import NIOCore

/// `teletop send` and `replay --url`: one request at a time from a thread
/// that may block (the CLI's main thread, the replay player's), on
/// AsyncHTTPClient's shared client. Its errors are worded for the command line.
public struct BlockingHTTPClient: Sendable {
    public struct Reply: Sendable {
        public var status: Int
        public var body: String
    }

    public let base: String
    /// Per request, the answer included (a batch of 1,000 events to a busy store).
    public var timeoutSeconds: Int64 = 30

    /// `http://host:port` or `https://...`; a path after it is ignored.
    public init(url: String) throws(RemoteError) {
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw RemoteError("--url must start with http:// or https:// (got \(url))")
        }
        let scheme = url.hasPrefix("https://") ? "https://" : "http://"
        let rest = url.dropFirst(scheme.count).prefix { $0 != "/" }
        guard !rest.isEmpty, rest.first != ":" else { throw RemoteError("--url has no host: \(url)") }
        if let colon = rest.lastIndex(of: ":"), !rest.hasSuffix("]") {
            guard let port = Int(rest[rest.index(after: colon)...]), (1...65535).contains(port) else {
                throw RemoteError("--url has a bad port: \(url)")
            }
        }
        base = scheme + rest
    }

    public func request(_ method: String, _ path: String, body: [UInt8] = [], contentType: String = "application/json",
                        headers: [String: String] = [:]) throws -> Reply {
        var request = HTTPClientRequest(url: base + path)
        request.method = .init(rawValue: method)
        if !body.isEmpty {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        for (k, v) in headers { request.headers.add(name: k, value: v) }
        let base = self.base
        let timeout = timeoutSeconds
        let sending = request
        // The request's own timeout bounds it; the wait a little longer, so that one speaks first.
        do {
            return try Fleet.blocking(Double(timeout) + 5) {
                let response = try await HTTPClient.shared.execute(sending, timeout: .seconds(timeout))
                let bytes = try await response.body.collect(upTo: 64 << 20)
                return Reply(status: Int(response.status.code), body: String(buffer: bytes))
            }
        } catch let error as RemoteError {
            throw error
        } catch {
            throw Self.worded(error, base: base)
        }
    }

    static func worded(_ error: any Error, base: String) -> RemoteError {
        let text = String(describing: error)
        if text.contains("refused") || text.contains("connectTimeout") || text.contains("connect(") {
            return RemoteError("cannot connect to teletop at \(base) (is it running? start it with `teletop` or `teletop serve`, or pass --url)")
        }
        if text.contains("deadlineExceeded") { return RemoteError("\(base) did not answer in time") }
        return RemoteError("\(base): \(text)")
    }
}
