import Hummingbird

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
