import Hummingbird
import TeletopCore

/// The one error every route throws: it renders the single JSON error shape,
/// `{"error": code, "message": text, "details": [{"field", "problem", "expected", "got"}]}`,
/// with its status and any headers (`Retry-After`, `Allow`, `WWW-Authenticate`).
struct APIError: HTTPResponseError {
    var status: HTTPResponse.Status
    var code: String
    var message: String
    var details: [ValidationIssue] = []
    var headers: HTTPFields = [:]

    init(_ status: HTTPResponse.Status, _ code: String, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    /// From validation or decoding problems: the code says which kind.
    init(_ status: HTTPResponse.Status = .badRequest, issues: [ValidationIssue], code: String? = nil) {
        let malformed = issues.contains { $0.problem == .malformedJSON }
        let unplanned = issues.contains { $0.problem == .unplannedEventType }
        self.status = status
        self.code = code ?? (malformed ? "malformed_json" : unplanned ? "unknown_event_type" : "validation_failed")
        message = issues.map(\.message).joined(separator: "; ")
        details = issues
    }

    /// A write the store cannot take now: nothing of the request was kept, so retrying is safe.
    static func storeUnavailable(_ reason: String) -> APIError {
        APIError(.serviceUnavailable, "store_unavailable", reason, headers: [.retryAfter: "1"])
    }

    func response(from request: Request, context: some RequestContext) throws -> Response { response }

    var response: Response {
        var response = Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
        for field in headers { response.headers.append(field) }
        return response
    }

    /// The shape's bytes, also for layers below the routes (HTTPConnectionGuard).
    var body: [UInt8] {
        JSONWriter.compactBytes(.object(["error": .string(code), "message": .string(message), "details": .array(details.map(Self.detail))]))
    }

    static func detail(_ issue: ValidationIssue) -> JSONValue {
        .object(["field": .string(issue.field), "problem": .string(issue.problem.rawValue),
                 "expected": .string(issue.expected), "got": .string(issue.got)])
    }
}

/// The routes behind the bearer token: a route added through this group
/// checks `Authorization: Bearer <token>` before its handler runs, so a new
/// route is protected unless it is deliberately added to the open router.
/// (A plain check in each route's closure, not Hummingbird's group
/// middleware, whose generic responder built type metadata on every request:
/// 7% of a request's instructions under callgrind.)
struct ProtectedRoutes {
    let router: Router<TeletopRequestContext>
    let token: String?

    typealias Handler = @Sendable (Request, TeletopRequestContext) async throws -> Response

    func get(_ path: RouterPath, _ handler: @escaping Handler) {
        let token = token
        router.get(path) { request, context in
            try BearerToken.check(request, token)
            return try await handler(request, context)
        }
    }

    func post(_ path: RouterPath, _ handler: @escaping Handler) {
        let token = token
        router.post(path) { request, context in
            try BearerToken.check(request, token)
            return try await handler(request, context)
        }
    }
}

enum BearerToken {
    /// Throws the 401 unless the request carries the token (or none is set).
    static func check(_ request: Request, _ token: String?) throws {
        guard let token else { return }
        let header = request.headers[.authorization] ?? ""
        let prefix = "bearer "  // the scheme name is case-insensitive (RFC 7235)
        guard header.lowercased().hasPrefix(prefix),
              constantTimeEqual(Array(header.utf8.dropFirst(prefix.utf8.count)), Array(token.utf8)) else {
            throw APIError(.unauthorized, "unauthorized",
                           header.isEmpty ? "this endpoint needs Authorization: Bearer <token>" : "the bearer token is not the right one",
                           headers: [.wwwAuthenticate: #"Bearer realm="teletop""#])
        }
    }

    /// Compares without stopping at the first difference, so timing does not leak the token.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for i in 0..<max(a.count, b.count) {
            difference |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0)
        }
        return difference == 0
    }
}
