import Foundation
import TeletopCore

/// One collector to attach to, from the command line: `[NAME=]URL`, where the
/// URL may carry its own token (`http://:TOKEN@host:7311`). The name labels
/// its events and its link; by default it is the URL's host:port.
public struct CollectorAddress: Sendable, Equatable {
    public var name: String
    /// `http://host:port`, no credentials, no trailing slash.
    public var base: String
    public var token: String?

    public struct ParseError: Error, CustomStringConvertible {
        public var text: String
        public var reason: String
        public var description: String { "\(text): \(reason)" }
    }

    public init(_ text: String, defaultToken: String?) throws(ParseError) {
        var rest = Substring(text)
        var label: String?
        if let eq = rest.firstIndex(of: "="), !rest[..<eq].contains("/") && !rest[..<eq].contains(":") {
            label = String(rest[..<eq])
            rest = rest[rest.index(after: eq)...]
        }
        var urlText = String(rest)
        if !urlText.contains("://") { urlText = "http://" + urlText }
        guard let url = URL(string: urlText), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty else {
            throw ParseError(text: text, reason: "expected a URL like http://127.0.0.1:7311 (optionally NAME=URL)")
        }
        guard scheme == "http" || scheme == "https" else {
            throw ParseError(text: text, reason: "the scheme must be http or https, got \(scheme)")
        }
        let port = url.port ?? (scheme == "https" ? 443 : 7311)
        let hostPart = host.contains(":") ? "[\(host)]" : host
        base = "\(scheme)://\(hostPart):\(port)"
        // http://:TOKEN@host (the token as the password) or http://TOKEN@host.
        let fromURL = url.password.flatMap { $0.isEmpty ? nil : $0 } ?? url.user.flatMap { $0.isEmpty ? nil : $0 }
        token = (fromURL?.removingPercentEncoding ?? fromURL) ?? defaultToken
        name = label ?? "\(hostPart):\(port)"
        if let label, label.isEmpty { throw ParseError(text: text, reason: "the name before = is empty") }
    }
}
