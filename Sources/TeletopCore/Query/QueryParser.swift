/// The query language's tokens, each with its character position.
struct QueryToken: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        case word(String)
        case quoted(String)
        case regex(String)
        case op(EventQuery.Op)
        case open, close
    }

    var kind: Kind
    var position: Int

    var keyword: String? {
        if case .word(let w) = kind, ["and", "or", "not"].contains(w.lowercased()) { return w.lowercased() }
        return nil
    }

    /// Anything beyond free text: an operator, a parenthesis, a keyword, `has:`.
    var isStructure: Bool {
        switch kind {
        case .op, .open, .close, .regex: return true
        case .word(let w): return keyword != nil || w.lowercased().hasPrefix("has:")
        case .quoted: return false
        }
    }
}

struct QueryLexer {
    let chars: [Character]
    var i = 0

    init(_ text: String) { chars = Array(text) }

    static let opChars: Set<Character> = ["=", "!", "<", ">", "~"]

    mutating func tokens() throws(QueryError) -> [QueryToken] {
        var out: [QueryToken] = []
        while true {
            while i < chars.count && chars[i].isWhitespace { i += 1 }
            guard i < chars.count else { return out }
            let start = i
            let c = chars[i]
            switch c {
            case "(": i += 1; out.append(.init(kind: .open, position: start))
            case ")": i += 1; out.append(.init(kind: .close, position: start))
            case "\"": out.append(.init(kind: .quoted(try quoted()), position: start))
            case "=", "!", "<", ">", "~":
                i += 1
                let next: Character? = i < chars.count ? chars[i] : nil
                let op: EventQuery.Op
                switch (c, next) {
                case ("!", "="): i += 1; op = .ne
                case (">", "="): i += 1; op = .ge
                case ("<", "="): i += 1; op = .le
                case ("!", _): throw QueryError(position: start, message: "expected != (a lone ! is not an operator; use not)")
                case ("=", _): op = .eq
                case (">", _): op = .gt
                case ("<", _): op = .lt
                default: op = .contains
                }
                out.append(.init(kind: .op(op), position: start))
                if op == .contains {
                    while i < chars.count && chars[i] == " " { i += 1 }
                    if i < chars.count && chars[i] == "/" {
                        let at = i
                        out.append(.init(kind: .regex(try regex()), position: at))
                    }
                }
            default:
                var word = ""
                while i < chars.count && !chars[i].isWhitespace && chars[i] != "(" && chars[i] != ")" && chars[i] != "\""
                        && !Self.opChars.contains(chars[i]) {
                    word.append(chars[i])
                    i += 1
                }
                out.append(.init(kind: .word(word), position: start))
            }
        }
    }

    private mutating func quoted() throws(QueryError) -> String {
        let start = i
        i += 1
        var s = ""
        while i < chars.count {
            let c = chars[i]
            if c == "\\" && i + 1 < chars.count {
                s.append(chars[i + 1])
                i += 2
                continue
            }
            i += 1
            if c == "\"" { return s }
            s.append(c)
        }
        throw QueryError(position: start, message: "expected a closing \" for the text that opens here")
    }

    private mutating func regex() throws(QueryError) -> String {
        let start = i
        i += 1
        var s = ""
        while i < chars.count {
            let c = chars[i]
            if c == "\\" && i + 1 < chars.count && chars[i + 1] == "/" {
                s.append("/")
                i += 2
                continue
            }
            i += 1
            if c == "/" { return s }
            s.append(c)
        }
        throw QueryError(position: start, message: "expected a closing / for the regular expression that opens here")
    }
}

struct QueryParser {
    let tokens: [QueryToken]
    let text: String
    var k = 0

    init(tokens: [QueryToken], text: String) {
        self.tokens = tokens
        self.text = text
    }

    var peek: QueryToken? { k < tokens.count ? tokens[k] : nil }
    var endPosition: Int { text.count }

    mutating func parseQuery() throws(QueryError) -> EventQuery.Node {
        let node = try parseOr()
        if let t = peek {
            throw QueryError(position: t.position, message: t.kind == .close ? "a ) with no ( before it" : "expected and, or, or the end")
        }
        return node
    }

    mutating func parseOr() throws(QueryError) -> EventQuery.Node {
        var left = try parseAnd()
        while peek?.keyword == "or" {
            k += 1
            left = .or(left, try parseAnd())
        }
        return left
    }

    mutating func parseAnd() throws(QueryError) -> EventQuery.Node {
        var left = try parseUnary()
        while let t = peek {
            if t.keyword == "and" {
                k += 1
            } else if t.keyword == "or" || t.kind == .close {
                break
            } else if case .op = t.kind {
                throw QueryError(position: t.position, message: "expected a field name before \(Self.spell(t.kind))")
            }
            left = .and(left, try parseUnary())
        }
        return left
    }

    mutating func parseUnary() throws(QueryError) -> EventQuery.Node {
        guard let t = peek else {
            throw QueryError(position: endPosition, message: "expected a term (field=value, has:field, text, not, or a parenthesis)")
        }
        if t.keyword == "not" {
            k += 1
            return .not(try parseUnary())
        }
        switch t.kind {
        case .open:
            k += 1
            let inner = try parseOr()
            guard peek?.kind == .close else {
                throw QueryError(position: peek?.position ?? endPosition, message: "expected ) to close the ( at \(t.position + 1)")
            }
            k += 1
            return inner
        case .close:
            throw QueryError(position: t.position, message: "expected a term before )")
        case .op, .regex:
            throw QueryError(position: t.position, message: "expected a field name before \(Self.spell(t.kind))")
        case .quoted(let s):
            k += 1
            return .freeText(Array(s.lowercased().utf8))
        case .word(let w):
            if t.keyword != nil {
                throw QueryError(position: t.position, message: "expected a term before \(w.lowercased())")
            }
            k += 1
            if case .op(let op)? = peek?.kind {
                k += 1
                return .compare(Self.target(w), op, try literal(after: op, field: w))
            }
            if w.lowercased().hasPrefix("has:") {
                let field = String(w.dropFirst(4))
                if field.isEmpty { throw QueryError(position: t.position + 4, message: "expected a field name after has:") }
                return .has(field: Array(field.utf8))
            }
            return .freeText(Array(w.lowercased().utf8))
        }
    }

    static func target(_ field: String) -> EventQuery.Target {
        switch field {
        case "event_type", "type": .eventType
        case "source": .source
        default: .field(Array(field.utf8))
        }
    }

    mutating func literal(after op: EventQuery.Op, field: String) throws(QueryError) -> EventQuery.Literal {
        guard let t = peek else {
            throw QueryError(position: endPosition, message: "expected a value after \(field)\(op.rawValue)")
        }
        switch t.kind {
        case .word(let w):
            k += 1
            if [.gt, .ge, .lt, .le].contains(op) && Double(w) == nil {
                throw QueryError(position: t.position, message: "expected a number after \(op.rawValue), got \(w)")
            }
            return .init(text: w, bytes: Array(w.utf8), lowered: Array(w.lowercased().utf8), number: Double(w), regex: nil)
        case .quoted(let s):
            k += 1
            if [.gt, .ge, .lt, .le].contains(op) && Double(s) == nil {
                throw QueryError(position: t.position, message: "expected a number after \(op.rawValue), got \"\(s)\"")
            }
            return .init(text: s, bytes: Array(s.utf8), lowered: Array(s.lowercased().utf8), number: [.gt, .ge, .lt, .le].contains(op) ? Double(s) : nil,
                         regex: nil)
        case .regex(let pattern):
            k += 1
            do {
                return .init(text: pattern, bytes: [], lowered: [], number: nil, regex: try SendableRegex(pattern))
            } catch {
                throw QueryError(position: t.position, message: "not a regular expression: \(error)")
            }
        default:
            throw QueryError(position: t.position, message: "expected a value after \(field)\(op.rawValue), got \(Self.spell(t.kind))")
        }
    }

    static func spell(_ kind: QueryToken.Kind) -> String {
        switch kind {
        case .word(let w): w
        case .quoted(let s): "\"\(s)\""
        case .regex(let r): "/\(r)/"
        case .op(let op): op.rawValue
        case .open: "("
        case .close: ")"
        }
    }
}
