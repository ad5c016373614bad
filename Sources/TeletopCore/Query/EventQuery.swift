#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// teletop's query language, one for the `/` filter, `/events?q=`,
/// `/stream?q=`, `export --where` and `attach --where`:
///
///     query   := or
///     or      := and ("or" and)*
///     and     := unary (["and"] unary)*         adjacent terms are and-ed
///     unary   := "not" unary | "(" query ")" | term
///     term    := "has:" FIELD                    the payload has the field
///              | FIELD OP VALUE                  FIELD is event_type, source, or a payload field
///              | WORD | "quoted text"            free text, as the plain filter
///     OP      := = | != | > | >= | < | <= | ~
///     VALUE   := NUMBER | WORD | "quoted" | /regex/ (after ~ only)
///
/// `=` is exact (a number literal also matches the same number stored as a
/// string); `!=` is true when the field is missing or different; `<` `>` `<=`
/// `>=` compare numbers (false for anything else); `~"text"` is a
/// case-insensitive contains, `~/re/` a regular expression, both on the
/// value's text. A text with no operator, keyword or parenthesis is one free
/// text, spaces and all, as the plain filter always was.
///
/// Evaluated on the packed payload in place: a field is found by walking its
/// keys, strings are compared as bytes, nothing is decoded but numbers.
public struct EventQuery: Sendable, Equatable {
    public let text: String
    let root: Node

    indirect enum Node: Sendable, Equatable {
        case and(Node, Node)
        case or(Node, Node)
        case not(Node)
        case has(field: [UInt8])
        case compare(Target, Op, Literal)
        /// Lowercased UTF-8: contained in the line as the feed shows it.
        case freeText([UInt8])
        case always
    }

    enum Target: Sendable, Equatable {
        case eventType, source
        case field([UInt8])
    }

    enum Op: String, Sendable, Equatable {
        case eq = "=", ne = "!=", gt = ">", ge = ">=", lt = "<", le = "<=", contains = "~"
    }

    /// A class, not a struct: evaluating a term then retains one reference, not four arrays.
    final class Literal: Sendable, Equatable {
        let text: String
        let bytes: [UInt8]
        let lowered: [UInt8]
        let number: Double?
        let regex: SendableRegex?

        init(text: String, bytes: [UInt8], lowered: [UInt8], number: Double?, regex: SendableRegex?) {
            self.text = text
            self.bytes = bytes
            self.lowered = lowered
            self.number = number
            self.regex = regex
        }

        static func == (a: Literal, b: Literal) -> Bool {
            a.text == b.text && a.number == b.number && a.regex == b.regex && a.bytes == b.bytes
        }
    }

    /// The query that matches everything (an empty filter).
    public static let all = EventQuery(text: "", root: .always)

    init(text: String, root: Node) {
        self.text = text
        self.root = root
    }

    public var isEmpty: Bool { root == .always }

    /// True when the query is a plain free text (the feed highlights it).
    public var isPlainText: Bool {
        if case .freeText = root { return true }
        return false
    }

    /// The whole text as free text, whatever it holds.
    public static func plainText(_ text: String) -> EventQuery {
        text.isEmpty ? .all : EventQuery(text: text, root: .freeText(Array(text.lowercased().utf8)))
    }

    public static func parse(_ text: String) throws(QueryError) -> EventQuery {
        let trimmed = text.drop { $0 == " " }
        if trimmed.isEmpty { return .all }
        var lexer = QueryLexer(text)
        let tokens = try lexer.tokens()
        if !tokens.contains(where: \.isStructure) {
            // One quoted phrase is its content; anything else plain is the whole text.
            if tokens.count == 1, case .quoted(let phrase) = tokens[0].kind {
                return EventQuery(text: text, root: .freeText(Array(phrase.lowercased().utf8)))
            }
            return EventQuery(text: text, root: .freeText(Array(text.lowercased().utf8)))
        }
        var parser = QueryParser(tokens: tokens, text: text)
        return EventQuery(text: text, root: try parser.parseQuery())
    }

    /// The feed's `key=value` line of a payload, which free text matches.
    public static func summary(_ payload: JSONObject) -> String { FreeText.summary(payload) }
    /// One value as `summary` writes it (the feed's columns use it).
    public static func valueText(_ value: JSONValue) -> String { FreeText.valueText(value) }

    public func matches(_ event: LoggedEvent) -> Bool {
        Self.evaluate(root, event)
    }

    static func evaluate(_ node: Node, _ e: LoggedEvent) -> Bool {
        switch node {
        case .always: return true
        case .and(let a, let b): return evaluate(a, e) && evaluate(b, e)
        case .or(let a, let b): return evaluate(a, e) || evaluate(b, e)
        case .not(let a): return !evaluate(a, e)
        case .freeText(let needle): return FreeText.matches(e, needle)
        case .has(let field):
            return e.packedPayload.withMember(named: field) { _ in true } ?? false
        case .compare(.eventType, let op, let lit): return compareText(e.eventType, op, lit)
        case .compare(.source, let op, let lit): return compareText(e.source.description, op, lit)
        case .compare(.field(let field), let op, let lit):
            // The first member of that name decides; a missing one is "different".
            return e.packedPayload.withMember(named: field) { compareMember($0, op, lit) } ?? (op == .ne)
        }
    }

    static func compareText(_ value: [UInt8], _ op: Op, _ lit: Literal) -> Bool {
        value.withUnsafeBufferPointer { compareString($0, op, lit) }
    }

    /// A string's own bytes when it has them in one piece (event types, source names do): no copy.
    @inline(__always)
    static func compareText(_ value: String, _ op: Op, _ lit: Literal) -> Bool {
        value.utf8.withContiguousStorageIfAvailable { compareString($0, op, lit) } ?? compareText(Array(value.utf8), op, lit)
    }

    static func compareString(_ value: UnsafeBufferPointer<UInt8>, _ op: Op, _ lit: Literal) -> Bool {
        switch op {
        case .eq: return Bytes.equal(value, lit.bytes)
        case .ne: return !Bytes.equal(value, lit.bytes)
        case .contains:
            if let regex = lit.regex { return regex.matches(String(decoding: value, as: UTF8.self)) }
            return FreeText.containsIgnoringCase(value, lit.lowered)
        case .gt, .ge, .lt, .le:
            // A number stored as a string ("12") still compares as one.
            guard let n = lit.number, let v = Double(String(decoding: value, as: UTF8.self)) else { return false }
            return compareNumbers(v, op, n)
        }
    }

    static func compareNumbers(_ v: Double, _ op: Op, _ n: Double) -> Bool {
        switch op {
        case .eq: v == n
        case .ne: v != n
        case .gt: v > n
        case .ge: v >= n
        case .lt: v < n
        case .le: v <= n
        case .contains: false
        }
    }

    static func compareMember(_ m: PackedPayload.MemberView, _ op: Op, _ lit: Literal) -> Bool {
        switch m.tag {
        case .string:
            if op == .eq || op == .ne, let n = lit.number, let v = Double(String(decoding: m.data, as: UTF8.self)), v == n {
                return op == .eq
            }
            return compareString(m.data, op, lit)
        case .int, .double:
            let value = m.decode()
            let v: Double = switch value {
            case .int(let i): Double(i)
            case .double(let d): d
            default: .nan
            }
            if op == .contains { return compareText(Array(JSONWriter.compact(value).utf8), op, lit) }
            guard let n = lit.number else { return op == .ne }
            return compareNumbers(v, op, n)
        case .trueValue, .falseValue:
            let textual = op == .eq || op == .ne || op == .contains
            return textual && compareText(m.tag == .trueValue ? "true" : "false", op, lit)
        case .null:
            return (op == .eq || op == .ne || op == .contains) && compareText("null", op, lit)
        case .array, .object:
            switch op {
            case .contains: return compareText(Array(JSONWriter.compact(m.decode()).utf8), op, lit)
            case .ne: return true
            default: return false
            }
        }
    }
}

/// Where a query could not be read: the character position (0-based) and what was expected there.
public struct QueryError: Error, Sendable, Equatable, CustomStringConvertible {
    public var position: Int
    public var message: String
    public var description: String { "at \(position + 1): \(message)" }
}

/// A regular expression a query holds (Swift's own `Regex`, no Foundation).
struct SendableRegex: @unchecked Sendable, Equatable {
    let pattern: String
    let regex: Regex<AnyRegexOutput>

    init(_ pattern: String) throws {
        self.pattern = pattern
        regex = try Regex(pattern)
    }

    func matches(_ s: String) -> Bool { s.contains(regex) }
    static func == (a: SendableRegex, b: SendableRegex) -> Bool { a.pattern == b.pattern }
}

/// Free text as the feed always matched it: the line as shown (type, source,
/// the payload's `key=value` summary), case-insensitive.
enum FreeText {
    static func matches(_ event: LoggedEvent, _ needle: [UInt8]) -> Bool {
        if needle.isEmpty { return true }
        let haystack = Array((event.eventType + " " + event.source.description + " " + summary(event.payload)).utf8)
        return haystack.withUnsafeBufferPointer { containsIgnoringCase($0, needle) }
    }

    /// `key=value` pairs in order; strings bare unless they hold spaces, quotes or `=`; `_sdk` left out.
    static func summary(_ payload: JSONObject) -> String {
        var out = ""
        for m in payload.members where m.key != SDKMetadata.key {
            if !out.isEmpty { out += " " }
            out += m.key
            out += "="
            out += valueText(m.value)
        }
        return out
    }

    /// A value as the feed shows it: a string bare unless it holds spaces, quotes or `=`, else as JSON.
    static func valueText(_ value: JSONValue) -> String {
        switch value {
        case .string(let s) where !(s.isEmpty || s.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" })): s
        case .int(let i): String(i)
        default: JSONWriter.compact(value)
        }
    }

    static func containsIgnoringCase(_ haystack: UnsafeBufferPointer<UInt8>, _ needle: [UInt8]) -> Bool {
        if needle.isEmpty { return true }
        guard needle.count <= haystack.count else { return false }
        @inline(__always) func lower(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b + 32 : b }
        outer: for start in 0...(haystack.count - needle.count) {
            for j in 0..<needle.count where lower(haystack[start + j]) != needle[j] { continue outer }
            return true
        }
        return false
    }
}
