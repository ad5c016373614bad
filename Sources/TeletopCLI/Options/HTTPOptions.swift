import ArgumentParser
import Foundation
import TeletopCore

/// `--host`, `--port`, `--no-http`, `--max-body`, shared by the dashboard and `serve`.
struct HTTPOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Address the HTTP API listens on (loopback unless you say otherwise).", valueName: "address"))
    var host = HTTPSettings().host

    @Option(parsing: .unconditional, help: ArgumentHelp("Port of the HTTP API (0: any free port).", valueName: "n"))
    var port = HTTPSettings().port

    @Flag(name: .customLong("no-http"), help: "Do not serve the HTTP API.")
    var noHTTP = false

    @Option(name: .customLong("max-body"), parsing: .unconditional, help: ArgumentHelp("Largest accepted request body in bytes (larger: 413).", valueName: "bytes"))
    var maxBodyBytes = HTTPSettings().maxBodyBytes

    @Option(help: ArgumentHelp("Require Authorization: Bearer <token> for writes and event reads (default: $TELETOP_TOKEN).", valueName: "token"))
    var token: String?

    @Option(help: ArgumentHelp(
        "Make the SDK endpoints fail on purpose, to watch an SDK retry: 503, 429, delay=MS or drop, optionally @PERCENT of requests (503@50%). The dashboard's F key and POST /api/telemetry/fault change it while running.",
        valueName: "mode"))
    var fault: String?

    func validate() throws {
        if let fault {
            do { _ = try SDKFault.parse(fault) } catch { throw ValidationError("--fault: \(error.description)") }
        }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0-65535, got \(port)") }
        // An empty token would turn authentication off without a word.
        if let token, token.trimmingCharacters(in: .whitespaces).isEmpty {
            throw ValidationError("--token must not be empty: give the token clients must send, or leave --token out for an open API")
        }
        if token == nil, let env = ProcessInfo.processInfo.environment["TELETOP_TOKEN"], env.trimmingCharacters(in: .whitespaces).isEmpty, !env.isEmpty {
            throw ValidationError("TELETOP_TOKEN holds only spaces: give the token clients must send, or unset it for an open API")
        }
        guard maxBodyBytes >= 256 else { throw ValidationError("--max-body must be at least 256 bytes, got \(maxBodyBytes)") }
    }

    /// `--token`, else `$TELETOP_TOKEN`; nil when neither is set or both are empty.
    /// The server and the clients (`send`, `replay`) read it the same way.
    static func token(_ given: String?) -> String? {
        (given ?? ProcessInfo.processInfo.environment["TELETOP_TOKEN"]).flatMap { $0.isEmpty ? nil : $0 }
    }

    /// nil with `--no-http`.
    var settings: HTTPSettings? {
        noHTTP ? nil : HTTPSettings(host: host, port: port, maxBodyBytes: maxBodyBytes, token: Self.token(token),
                                    fault: fault.flatMap { try? SDKFault.parse($0) })
    }
}
