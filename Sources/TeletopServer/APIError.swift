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
        var response = TelemetryRoutes.json(.object([
            "error": .string(code), "message": .string(message), "details": .array(details.map(Self.detail)),
        ]), status: status)
        for field in headers { response.headers.append(field) }
        return response
    }

    static func detail(_ issue: ValidationIssue) -> JSONValue {
        .object(["field": .string(issue.field), "problem": .string(issue.problem.rawValue),
                 "expected": .string(issue.expected), "got": .string(issue.got)])
    }
}

/// The bearer token, as middleware on the protected group: a route added to
/// that group needs `Authorization: Bearer <token>` unless it is deliberately
/// put in the open one. Without a token configured, it lets everything through.
struct BearerTokenMiddleware: RouterMiddleware {
    typealias Context = TeletopRequestContext
    let token: String?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token else { return try await next(request, context) }
        let header = request.headers[.authorization] ?? ""
        let prefix = "bearer "  // the scheme name is case-insensitive (RFC 7235)
        guard header.lowercased().hasPrefix(prefix),
              Self.constantTimeEqual(Array(header.utf8.dropFirst(prefix.utf8.count)), Array(token.utf8)) else {
            throw APIError(.unauthorized, "unauthorized",
                           header.isEmpty ? "this endpoint needs Authorization: Bearer <token>" : "the bearer token is not the right one",
                           headers: [.wwwAuthenticate: #"Bearer realm="teletop""#])
        }
        return try await next(request, context)
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
