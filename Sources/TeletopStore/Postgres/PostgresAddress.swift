import Foundation

/// `postgres://USER[:PASS]@HOST[:PORT]/DB[?sslmode=disable|prefer|require|verify-full]`,
/// checked part by part so a mistake is named (which part, what was expected,
/// what came) before anything connects. User and password may be
/// percent-encoded (`p%40ss` for `p@ss`).
public struct PostgresAddress: Sendable, Equatable {
    /// As libpq's `sslmode`: `prefer` and `require` encrypt without checking
    /// the certificate; `verify-full` checks it and the host name.
    public enum TLSMode: String, Sendable {
        case disable, prefer, require
        case verifyFull = "verify-full"
    }

    public var user: String
    public var password: String?
    public var host: String
    public var port: Int
    public var database: String
    public var tls: TLSMode

    public init(_ text: String) throws(StoreError) {
        func bad(_ message: String) -> StoreError {
            StoreError(path: Self.redact(text), kind: .cannotOpen, message: message)
        }
        guard let schemeEnd = text.range(of: "://") else { throw bad("expected postgres://USER[:PASS]@HOST[:PORT]/DB") }
        var rest = Substring(text[schemeEnd.upperBound...])
        var query: Substring = ""
        if let q = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: q)...]
            rest = rest[..<q]
        }
        guard let at = rest.lastIndex(of: "@") else {
            throw bad("no user: expected postgres://USER[:PASS]@HOST[:PORT]/DB, got no '@' before the host")
        }
        let credentials = rest[..<at]
        rest = rest[rest.index(after: at)...]
        let userText = credentials.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard let u = userText.first.map(String.init), !u.isEmpty else { throw bad("the user is empty: expected USER before '@'") }
        guard let user = u.removingPercentEncoding else { throw bad("the user has a bad percent-escape: \(u)") }
        self.user = user
        if userText.count == 2 {
            guard let p = String(userText[1]).removingPercentEncoding else { throw bad("the password has a bad percent-escape") }
            password = p
        } else {
            password = nil
        }
        guard let slash = rest.firstIndex(of: "/") else { throw bad("no database: expected /DB after the host, got \(Self.quote(rest))") }
        let hostPort = rest[..<slash]
        let db = rest[rest.index(after: slash)...]
        guard !db.isEmpty else { throw bad("the database name is empty: expected /DB after the host") }
        guard let database = String(db).removingPercentEncoding, !database.contains("/") else {
            throw bad("the database name must be one name, got \(Self.quote(db))")
        }
        self.database = database
        var hostText = hostPort
        port = 5432
        if hostPort.hasPrefix("[") {
            // An IPv6 literal: [::1]:5432.
            guard let close = hostPort.firstIndex(of: "]") else { throw bad("the host's '[' has no ']'") }
            hostText = hostPort[hostPort.index(after: hostPort.startIndex)..<close]
            let after = hostPort[hostPort.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw bad("expected :PORT after the host, got \(Self.quote(after))") }
                port = try Self.port(after.dropFirst(), bad)
            }
        } else if let colon = hostPort.lastIndex(of: ":") {
            hostText = hostPort[..<colon]
            port = try Self.port(hostPort[hostPort.index(after: colon)...], bad)
        }
        guard !hostText.isEmpty else { throw bad("the host is empty: expected HOST after '@'") }
        host = String(hostText)
        tls = .prefer
        for pair in query.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(kv[0]), value = kv.count == 2 ? String(kv[1]) : ""
            guard key == "sslmode" else { throw bad("unknown option \(Self.quote(key)): the only one is sslmode=disable|prefer|require|verify-full") }
            guard let mode = TLSMode(rawValue: value) else { throw bad("sslmode: expected disable, prefer, require or verify-full, got \(Self.quote(value))") }
            tls = mode
        }
    }

    private static func port(_ text: Substring, _ bad: (String) -> StoreError) throws(StoreError) -> Int {
        guard let n = Int(text), (1...65_535).contains(n) else { throw bad("the port: expected a number from 1 to 65535, got \(quote(text))") }
        return n
    }

    private static func quote(_ s: some StringProtocol) -> String { "\"\(s)\"" }

    /// The address with its password replaced by `***`.
    public var redacted: String {
        let u = user.addingPercentEncoding(withAllowedCharacters: .urlUserAllowed) ?? user
        let h = host.contains(":") ? "[\(host)]" : host
        return "postgres://\(u)\(password == nil ? "" : ":***")@\(h):\(port)/\(database)"
    }

    /// Any text that may hold a password, made safe to print.
    static func redact(_ text: String) -> String {
        guard let schemeEnd = text.range(of: "://"), let at = text[schemeEnd.upperBound...].lastIndex(of: "@") else { return text }
        let credentials = text[schemeEnd.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return text }
        return String(text[..<colon]) + ":***" + String(text[at...])
    }
}
