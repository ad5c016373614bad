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
        ("/api/telemetry/top", .get), ("/api/telemetry/series", .get), ("/api/telemetry/fault", .post),
        ("/api/telemetry/plan", .get),
        ("/metrics", .get), ("/openapi.yaml", .get),
    ] + sdkPaths.map { ($0, .post) }

    /// The OpenAPI 3.1 document served at `/openapi.yaml`, with the loaded plan's schemas.
    public let openAPIDocument: String

    /// With a token, writes and the endpoints that return events need
    /// `Authorization: Bearer <token>`; health, stats and metrics stay open to monitors.
    public let token: String?
    let streams = StreamSlots()
    /// This process among others on the same address: a stream's ids carry it, so a
    /// client that reconnects after a restart knows the sequence numbers started over.
    public let instance: String = {
        var rng = SystemRandomNumberGenerator()
        return String(rng.next() & 0xFFFF_FFFF_FFFF, radix: 16)
    }()
    let queryGate = QueryGate()
    /// Bodies being read or handled at once, in bytes: many slow uploads cannot add up without bound.
    let bodyBudget: BodyBudget
    public let metrics: TelemetryMetrics
    /// The store: when set, a write is answered only once it is on disk, and
    /// refused with 503 while the store cannot take writes.
    public let durability: (any DurabilityGate)?
    /// Where `GET /api/telemetry/top` reads history (nil: no store).
    public let analytics: (any AnalyticsSource)?
    /// The SDK endpoints' fault mode, shared with the dashboard's key.
    public let faults: FaultSwitch
    /// Ids of the SDK events taken lately, to mark a retry as a duplicate.
    public let duplicates: DuplicateWindow

    public init(logger: EventLogger, maxBodyBytes: Int = 1 << 20, token: String? = nil, metrics: TelemetryMetrics? = nil,
                durability: (any DurabilityGate)? = nil, analytics: (any AnalyticsSource)? = nil,
                faults: FaultSwitch = FaultSwitch(), duplicates: DuplicateWindow = DuplicateWindow()) {
        self.logger = logger
        self.faults = faults
        self.duplicates = duplicates
        self.maxBodyBytes = maxBodyBytes
        self.token = token.flatMap { $0.isEmpty ? nil : $0 }
        self.metrics = metrics ?? TelemetryMetrics(logger: logger)
        self.durability = durability
        self.analytics = analytics
        openAPIDocument = OpenAPIDocument.render(plan: logger.plan)
        bodyBudget = BodyBudget(bytes: max(BodyBudget.minimum, 16 * maxBodyBytes))
    }

    /// Ends every open stream (the server is stopping).
    func endStreams() { streams.endAll() }

    public func add(to router: Router<TeletopRequestContext>) {
        // Open: monitors need no secret, and none of these returns a payload.
        router.get("/api/telemetry/health") { _, _ in self.health() }
        router.get("/api/telemetry/stats") { _, _ in self.stats() }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: self.metrics.scrape())))
        }
        // The plan file's JSON: what `attach` lists in its form (the OpenAPI document shows it already).
        router.get("/api/telemetry/plan") { _, _ in Self.json(self.logger.plan.fileJSON, status: .ok) }
        router.get("/openapi.yaml") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/yaml"], body: .init(byteBuffer: ByteBuffer(string: self.openAPIDocument)))
        }
        // Everything else writes or returns payloads: behind the token. A new
        // route goes here unless it is deliberately put in the open group above.
        let protected = ProtectedRoutes(router: router, token: token)
        protected.post("/api/telemetry/log") { request, _ in try await self.log(request) }
        protected.post("/api/telemetry/batch") { request, _ in try await self.batch(request) }
        protected.get("/api/telemetry/events") { request, _ in try self.events(request) }
        protected.get("/api/telemetry/top") { request, context in try await self.top(request, context) }
        protected.get("/api/telemetry/series") { request, context in try await self.series(request, context) }
        protected.get("/api/telemetry/stream") { request, context in try self.stream(request, context) }
        protected.post("/api/telemetry/fault") { request, _ in try await self.setFault(request) }
        // The SDKs authenticate their own way (write key, project key): see sdkAuthorized.
        addSDKRoutes(to: router)
    }

    /// The routes as one responder whose every error, a 404 included, has the JSON error shape.
    public func responder() -> some HTTPResponder<TeletopRequestContext> {
        let router = Router(context: TeletopRequestContext.self)
        add(to: router)
        return JSONErrorResponder(inner: router.buildResponder(), metrics: metrics)
    }

    func log(_ request: Request) async throws -> Response {
        if let type = Self.mediaType(request), type != "application/json" {
            throw APIError(.unsupportedMediaType, "unsupported_media_type",
                           "Content-Type must be application/json, got \(request.headers[.contentType] ?? type)")
        }
        let body = try await readBody(request)
        defer { body.reservation.release() }
        if let refusal = durability?.refusal { throw APIError.storeUnavailable(refusal) }
        let limits = JSONParserLimits(maxBytes: maxBodyBytes)
        let decoded = body.bytes.withUnsafeReadableBytes { raw in EventIngest.decode(raw.bindMemory(to: UInt8.self), limits: limits) }
        switch await admit([decoded])[0] {
        case .accepted(let event):
            let reply = EventLogResponse(message: "Event logged successfully", eventType: event.eventType, timestamp: event.timestamp)
            return Self.json(reply.jsonValue, status: .ok)
        case .rejected(let issues):
            throw APIError(issues: issues)
        case .notStored(let reason):
            throw APIError.storeUnavailable(reason)
        }
    }

    /// The body, up to `maxBodyBytes`; over it, 413. A declared Content-Length
    /// over the limit is refused before anything is read. A body that cannot
    /// be read to its end (broken framing, a cut connection) is a 400 with the
    /// reason, never taken as complete.
    /// The caller releases the body's place in `bodyBudget` once it is answered.
    /// (Each header lookup costs thousands of instructions: Content-Length is read once.)
    func readBody(_ request: Request, limit: Int? = nil) async throws -> (bytes: ByteBuffer, reservation: BodyBudget.Reservation) {
        let maxBodyBytes = limit ?? self.maxBodyBytes
        let declared = request.headers[.contentLength].flatMap { Int($0) }
        if let declared, declared > maxBodyBytes {
            throw APIError(.contentTooLarge, "body_too_large", "the request body (\(declared) bytes) is larger than \(maxBodyBytes) bytes")
        }
        let reservation = try bodyBudget.reserve(declared: declared, maxBodyBytes: maxBodyBytes)
        var request = request
        do {
            return (try await request.collectBody(upTo: maxBodyBytes), reservation)
        } catch is NIOTooManyBytesError {
            reservation.release()
            throw APIError(.contentTooLarge, "body_too_large", "the request body is larger than \(maxBodyBytes) bytes")
        } catch let error as HTTPParserError {
            reservation.release()
            throw APIError(.badRequest, "bad_request", HTTPConnectionGuard.describe(error))
        } catch {
            reservation.release()
            throw APIError(.badRequest, "bad_request", "the request body could not be read to its end: \(error)")
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
            } catch let error as APIError {
                response = error.response
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
        return APIError(.methodNotAllowed, "method_not_allowed", "\(request.method) is not allowed on \(request.uri.path); use \(allow)",
                        headers: [.allow: allow.rawValue]).response
    }

    private func shaped(_ response: Response, _ request: Request) -> Response {
        guard response.status.code >= 400, response.headers[.contentType] == nil else { return response }
        let notFound = response.status == .notFound
        let message = notFound ? "no such endpoint: \(request.method) \(request.uri.path)" : response.status.reasonPhrase
        let code = notFound ? "not_found" : response.status.reasonPhrase.lowercased().split(separator: " ").joined(separator: "_")
        return APIError(response.status, code, message).response
    }
}
