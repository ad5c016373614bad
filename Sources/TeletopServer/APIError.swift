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
