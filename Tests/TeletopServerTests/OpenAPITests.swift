import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TeletopCore
@testable import TeletopServer

@Suite("openapi.yaml matches the routes")
struct OpenAPITests {
    /// (path, method) pairs the document lists: `  /path:` then `    get:`.
    static let document = TelemetryRoutes(logger: EventLogger()).openAPIDocument

    func documented() -> Set<String> {
        var out: Set<String> = []
        var path: String?
        var inPaths = false
        for line in Self.document.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" { inPaths = true; continue }
            if inPaths && !line.hasPrefix(" ") && !line.isEmpty { break }
            if line.hasPrefix("  /") && line.hasSuffix(":") { path = String(line.dropFirst(2).dropLast()) }
            for method in ["get", "post", "put", "delete", "patch"] where line == "    \(method):" {
                if let path { out.insert("\(method.uppercased()) \(path)") }
            }
        }
        return out
    }

    @Test func everyServedRouteIsListedAndEveryListedRouteAnswers() async throws {
        #expect(Self.document.hasPrefix("openapi: 3.1.0"))
        // One version: the document's is teletop's (the header and --version read the same constant).
        #expect(Self.document.contains("  version: \"\(TeletopVersion.current)\"\n"))
        let served = Set(TelemetryRoutes.endpoints.map { "\($0.method.rawValue) \($0.path)" })
        let listed = documented()
        #expect(listed == served, "listed but not served: \(listed.subtracting(served)); served but not listed: \(served.subtracting(listed))")
        let app = Application(responder: TelemetryRoutes(logger: EventLogger()).responder())
        try await app.test(.router) { client in
            for (path, method) in TelemetryRoutes.endpoints where path != "/api/telemetry/stream" {
                let body = method == .post ? ByteBuffer(string: "[]") : nil
                try await client.execute(uri: path, method: method, body: body) { response in
                    #expect(![404, 405].contains(response.status.code), "\(method) \(path) answered \(response.status.code)")
                }
            }
            try await client.execute(uri: "/openapi.yaml", method: .get) { response in
                #expect(response.headers[.contentType] == "application/yaml")
                #expect(String(buffer: response.body) == Self.document)
            }
        }
    }
}
