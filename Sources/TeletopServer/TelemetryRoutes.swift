import Hummingbird
import TeletopCore

/// The contract's two endpoints over the in-process logger:
/// `POST /api/telemetry/log` and `GET /api/telemetry/health`.
/// Bodies are parsed by the core's byte parser, not Codable (about ten times
/// cheaper per request), and every error has one JSON shape:
/// `{"error": code, "message": text, "details": [{"field", "problem", "expected", "got"}]}`.
public struct TelemetryRoutes: Sendable {
    public let logger: EventLogger
    /// Largest accepted body; a larger one is answered 413 without reading the rest.
    public let maxBodyBytes: Int

    public init(logger: EventLogger, maxBodyBytes: Int = 1 << 20) {
        self.logger = logger
        self.maxBodyBytes = maxBodyBytes
    }

    public func add<Context: RequestContext>(to router: Router<Context>) {
        router.post("/api/telemetry/log") { request, _ in try await self.log(request) }
        router.get("/api/telemetry/health") { _, _ in self.health() }
    }

    func log(_ request: Request) async throws -> Response {
        if let type = request.headers[.contentType], !type.lowercased().hasPrefix("application/json") {
            return ErrorBody(error: "unsupported_media_type", message: "Content-Type must be application/json, got \(type)")
                .response(.unsupportedMediaType)
        }
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: maxBodyBytes)
        } catch {
            return ErrorBody(error: "body_too_large", message: "the request body is larger than \(maxBodyBytes) bytes")
                .response(.contentTooLarge)
        }
        let limits = JSONParserLimits(maxBytes: maxBodyBytes)
        let outcome = body.withUnsafeReadableBytes { raw in
            EventIngest.ingest(raw.bindMemory(to: UInt8.self), into: logger, source: .http, limits: limits)
        }
        switch outcome {
        case .accepted(let event):
            let reply = EventLogResponse(message: "Event logged successfully", eventType: event.eventType, timestamp: event.timestamp)
            return Self.json(reply.jsonValue, status: .ok)
        case .rejected(let issues):
            return ErrorBody(issues: issues).response(.badRequest)
        }
    }

    func health() -> Response {
        let health = logger.health()
        // 503 only when unhealthy: load balancers keep a degraded instance in rotation.
        return Self.json(health.jsonValue, status: health.status == .unhealthy ? .serviceUnavailable : .ok)
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status) -> Response {
        Response(status: status, headers: [.contentType: "application/json"],
                 body: .init(byteBuffer: ByteBuffer(bytes: JSONWriter.compactBytes(value))))
    }
}

/// The one shape of every error answer.
struct ErrorBody {
    var error: String
    var message: String
    var details: [ValidationIssue] = []

    init(error: String, message: String) {
        self.error = error
        self.message = message
    }

    /// From validation or decoding problems: the code says which kind.
    init(issues: [ValidationIssue]) {
        let malformed = issues.contains { $0.problem == .malformedJSON }
        let unplanned = issues.contains { $0.problem == .unplannedEventType }
        error = malformed ? "malformed_json" : unplanned ? "unknown_event_type" : "validation_failed"
        message = issues.map(\.message).joined(separator: "; ")
        details = issues
    }

    func response(_ status: HTTPResponse.Status) -> Response {
        let value: JSONValue = .object([
            "error": .string(error),
            "message": .string(message),
            "details": .array(details.map { issue in
                .object(["field": .string(issue.field), "problem": .string(issue.problem.rawValue),
                         "expected": .string(issue.expected), "got": .string(issue.got)])
            }),
        ])
        return TelemetryRoutes.json(value, status: status)
    }
}
