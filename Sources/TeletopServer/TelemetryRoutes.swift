import Foundation
import Hummingbird
import NIOCore
import NIOHTTP1
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

    /// Every route served, with its method: the 405 answers and the OpenAPI test use this list.
    public static let endpoints: [(path: String, method: HTTPRequest.Method)] = [
        ("/api/telemetry/log", .post), ("/api/telemetry/health", .get), ("/api/telemetry/batch", .post),
        ("/api/telemetry/events", .get), ("/api/telemetry/stats", .get), ("/api/telemetry/stream", .get),
        ("/api/telemetry/top", .get), ("/metrics", .get), ("/openapi.yaml", .get),
    ]

    /// The OpenAPI 3.1 document served at `/openapi.yaml`, with the loaded plan's schemas.
    public let openAPIDocument: String

    /// With a token, writes and the endpoints that return events need
    /// `Authorization: Bearer <token>`; health, stats and metrics stay open to monitors.
    public let token: String?
    let streams = StreamSlots()
    let queryGate = QueryGate()
    public let metrics: TelemetryMetrics
    /// The store: when set, a write is answered only once it is on disk, and
    /// refused with 503 while the store cannot take writes.
    public let durability: (any DurabilityGate)?
    /// Where `GET /api/telemetry/top` reads history (nil: no store).
    public let analytics: (any AnalyticsSource)?

    public init(logger: EventLogger, maxBodyBytes: Int = 1 << 20, token: String? = nil, metrics: TelemetryMetrics? = nil,
                durability: (any DurabilityGate)? = nil, analytics: (any AnalyticsSource)? = nil) {
        self.logger = logger
        self.maxBodyBytes = maxBodyBytes
        self.token = token.flatMap { $0.isEmpty ? nil : $0 }
        self.metrics = metrics ?? TelemetryMetrics(logger: logger)
        self.durability = durability
        self.analytics = analytics
        openAPIDocument = OpenAPIDocument.render(plan: logger.plan)
    }

    /// Ends every open stream (the server is stopping).
    func endStreams() { streams.endAll() }

    /// The 503 for a write the store cannot take now.
    static func storeUnavailable(_ reason: String) -> Response {
        var response = ErrorBody(error: "store_unavailable", message: reason).response(.serviceUnavailable)
        response.headers[.retryAfter] = "1"
        return response
    }

    /// nil when the request may go on; otherwise the 401 to send.
    func refuseWithoutToken(_ request: Request) -> Response? {
        guard let token else { return nil }
        let header = request.headers[.authorization] ?? ""
        let prefix = "bearer "  // the scheme name is case-insensitive (RFC 7235)
        if header.lowercased().hasPrefix(prefix), Self.constantTimeEqual(Array(header.utf8.dropFirst(prefix.utf8.count)), Array(token.utf8)) {
            return nil
        }
        var response = ErrorBody(error: "unauthorized",
                                 message: header.isEmpty ? "this endpoint needs Authorization: Bearer <token>" : "the bearer token is not the right one")
            .response(.unauthorized)
        response.headers[.wwwAuthenticate] = #"Bearer realm="teletop""#
        return response
    }

    /// Compares without stopping at the first difference, so timing does not leak the token.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for i in 0..<max(a.count, b.count) {
            difference |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0)
        }
        return difference == 0
    }

    public func add(to router: Router<TeletopRequestContext>) {
        router.post("/api/telemetry/log") { request, _ in
            if let refusal = self.refuseWithoutToken(request) { return refusal }
            return try await self.log(request)
        }
        router.get("/api/telemetry/health") { _, _ in self.health() }
        router.post("/api/telemetry/batch") { request, _ in
            if let refusal = self.refuseWithoutToken(request) { return refusal }
            return try await self.batch(request)
        }
        router.get("/api/telemetry/events") { request, _ in self.refuseWithoutToken(request) ?? self.events(request) }
        router.get("/api/telemetry/stats") { _, _ in self.stats() }
        router.get("/api/telemetry/top") { request, context in
            if let refusal = self.refuseWithoutToken(request) { return refusal }
            return await self.top(request, context)
        }
        router.get("/api/telemetry/stream") { request, context in self.refuseWithoutToken(request) ?? self.stream(request, context) }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: self.metrics.scrape())))
        }
        router.get("/openapi.yaml") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/yaml"], body: .init(byteBuffer: ByteBuffer(string: self.openAPIDocument)))
        }
    }

    /// The routes as one responder whose every error, a 404 included, has the JSON error shape.
    public func responder() -> some HTTPResponder<TeletopRequestContext> {
        let router = Router(context: TeletopRequestContext.self)
        add(to: router)
        return JSONErrorResponder(inner: router.buildResponder(), metrics: metrics)
    }

    func log(_ request: Request) async throws -> Response {
        if let type = Self.mediaType(request), type != "application/json" {
            return ErrorBody(error: "unsupported_media_type",
                             message: "Content-Type must be application/json, got \(request.headers[.contentType] ?? type)")
                .response(.unsupportedMediaType)
        }
        let body: ByteBuffer
        switch await readBody(request) {
        case .success(let read): body = read
        case .failure(let refusal): return refusal.response
        }
        if let refusal = durability?.refusal { return Self.storeUnavailable(refusal) }
        let limits = JSONParserLimits(maxBytes: maxBodyBytes)
        let decoded = body.withUnsafeReadableBytes { raw in EventIngest.decode(raw.bindMemory(to: UInt8.self), limits: limits) }
        switch await admit([decoded])[0] {
        case .accepted(let event):
            let reply = EventLogResponse(message: "Event logged successfully", eventType: event.eventType, timestamp: event.timestamp)
            return Self.json(reply.jsonValue, status: .ok)
        case .rejected(let issues):
            return ErrorBody(issues: issues).response(.badRequest)
        case .notStored(let reason):
            return Self.storeUnavailable(reason)
        }
    }

    /// The body, up to `maxBodyBytes`; over it, the 413 to send. A declared
    /// Content-Length over the limit is refused before anything is read. A body
    /// that cannot be read to its end (broken framing, a cut connection) is a
    /// 400 with the reason, never taken as complete.
    func readBody(_ request: Request) async -> Result<ByteBuffer, Refusal> {
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > maxBodyBytes {
            return .failure(Refusal(response: ErrorBody(error: "body_too_large",
                message: "the request body (\(declared) bytes) is larger than \(maxBodyBytes) bytes").response(.contentTooLarge)))
        }
        var request = request
        do {
            return .success(try await request.collectBody(upTo: maxBodyBytes))
        } catch is NIOTooManyBytesError {
            return .failure(Refusal(response: ErrorBody(error: "body_too_large",
                message: "the request body is larger than \(maxBodyBytes) bytes").response(.contentTooLarge)))
        } catch let error as HTTPParserError {
            return .failure(Refusal(response: ErrorBody(error: "bad_request", message: HTTPConnectionGuard.describe(error)).response(.badRequest)))
        } catch {
            return .failure(Refusal(response: ErrorBody(error: "bad_request",
                message: "the request body could not be read to its end: \(error)").response(.badRequest)))
        }
    }

    func health() -> Response {
        let health = logger.health()
        // 503 only when unhealthy: load balancers keep a degraded instance in rotation.
        return Self.json(health.jsonValue, status: health.status == .unhealthy ? .serviceUnavailable : .ok)
    }

    /// The error shape's bytes, for layers below the routes (HTTPConnectionGuard).
    static func errorJSON(error: String, message: String) -> [UInt8] {
        JSONWriter.compactBytes(.object(["error": .string(error), "message": .string(message), "details": .array([])]))
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status) -> Response {
        Response(status: status, headers: [.contentType: "application/json"],
                 body: .init(byteBuffer: ByteBuffer(bytes: JSONWriter.compactBytes(value))))
    }
}

/// An answer sent instead of going on (Response is not an Error).
struct Refusal: Error {
    var response: Response
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
        self.init(error: malformed ? "malformed_json" : unplanned ? "unknown_event_type" : "validation_failed", issues: issues)
    }

    init(error: String, issues: [ValidationIssue]) {
        self.error = error
        message = issues.map(\.message).joined(separator: "; ")
        details = issues
    }

    static func detail(_ issue: ValidationIssue) -> JSONValue {
        .object(["field": .string(issue.field), "problem": .string(issue.problem.rawValue),
                 "expected": .string(issue.expected), "got": .string(issue.got)])
    }

    func response(_ status: HTTPResponse.Status) -> Response {
        let value: JSONValue = .object([
            "error": .string(error),
            "message": .string(message),
            "details": .array(details.map(Self.detail)),
        ])
        return TelemetryRoutes.json(value, status: status)
    }
}

/// Turns the router's own answers (unknown path, say), which have no body,
/// into the JSON error shape. Our handlers always set a content type.
struct JSONErrorResponder<Inner: HTTPResponder>: HTTPResponder {
    let inner: Inner
    let metrics: TelemetryMetrics

    func respond(to request: Request, context: Inner.Context) async throws -> Response {
        let clock = ContinuousClock()
        let start = clock.now
        let response: Response
        if let refusal = Self.wrongMethod(request) {
            response = refusal
        } else {
            do {
                response = shaped(try await inner.respond(to: request, context: context), request)
            } catch let error as any HTTPResponseError {
                // The framework's own errors (a 404 thrown, say) in the same JSON shape.
                response = shaped(Response(status: error.status), request)
            }
        }
        metrics.record(path: request.uri.path, method: request.method.rawValue, status: response.status.code,
                       duration: clock.now - start)
        return response
    }

    /// Any other method on a known path, TRACE, PROPFIND and CONNECT included,
    /// is 405 with Allow, not 404: decided here, before routing, for every method.
    static func wrongMethod(_ request: Request) -> Response? {
        guard let allow = TelemetryRoutes.endpoints.first(where: { $0.path == request.uri.path })?.method,
              request.method != allow else { return nil }
        var response = ErrorBody(error: "method_not_allowed", message: "\(request.method) is not allowed on \(request.uri.path); use \(allow)")
            .response(.methodNotAllowed)
        response.headers[.allow] = allow.rawValue
        return response
    }

    private func shaped(_ response: Response, _ request: Request) -> Response {
        guard response.status.code >= 400, response.headers[.contentType] == nil else { return response }
        let notFound = response.status == .notFound
        let message = notFound ? "no such endpoint: \(request.method) \(request.uri.path)" : response.status.reasonPhrase
        let code = notFound ? "not_found" : response.status.reasonPhrase.lowercased().split(separator: " ").joined(separator: "_")
        return ErrorBody(error: code, message: message).response(response.status)
    }
}
