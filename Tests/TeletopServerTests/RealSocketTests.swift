import Foundation
import Logging
import Testing
import TeletopCore
@testable import TeletopServer

/// A plain TCP client: enough HTTP/1.1 to talk to the real server.
final class RawHTTPClient: @unchecked Sendable {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { throw TestFailure(message: "connect to port \(port): errno \(errno)") }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }

    /// Reads on a thread of its own: a blocking read must not hold one of the
    /// few cooperative threads the server's tasks need.
    func read(until marker: String) async -> String {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: self.readBlocking(until: marker)) }.start()
        }
    }

    /// Reads until `marker` has been seen (or 5 s pass).
    func readBlocking(until marker: String) -> String {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while !String(decoding: received, as: UTF8.self).contains(marker) {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            received += chunk[0..<n]
        }
        return String(decoding: received, as: UTF8.self)
    }
}

struct TestFailure: Error { var message: String }

/// The servers these tests start and stop log only what would be a real failure.
let quietLogger: Logger = {
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    return logger
}()

@Suite("The server over a real socket")
struct RealSocketTests {
    @Test func postOverTCPAndWatchTheStream() async throws {
        let logger = EventLogger()
        var options = TelemetryServer.Options()
        options.port = 0
        let server = TelemetryServer(logger: logger, options: options, log: quietLogger)
        try await server.start()
        guard case .listening(_, let port) = server.state else { Issue.record("not listening"); return }

        let watcher = try RawHTTPClient(port: port)
        watcher.send("GET /api/telemetry/stream?event_type=error_event HTTP/1.1\r\nHost: x\r\n\r\n")
        let head = await watcher.read(until: ": teletop stream")
        #expect(head.hasPrefix("HTTP/1.1 200"))
        #expect(head.lowercased().contains("content-type: text/event-stream"))

        let body = #"{"event_type": "error_event", "payload": {"error_type": "timeout", "error_message": "slow"}}"#
        let poster = try RawHTTPClient(port: port)
        poster.send("POST /api/telemetry/log HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        let reply = await poster.read(until: "}")
        #expect(reply.hasPrefix("HTTP/1.1 200"))
        #expect(reply.contains(#""event_type":"error_event""#))

        let event = await watcher.read(until: #""error_message":"slow""#)
        #expect(event.contains("event: error_event"))
        #expect(event.contains(#"data: {"event_type":"error_event","payload":{"error_type":"timeout","error_message":"slow"},"timestamp":""#))
        await server.shutdown()
    }
}
