import PropertyBased
import Testing
@testable import TeletopCore

@Suite("The query language")
struct QueryTests {
    let logger = EventLogger(plan: TrackingPlan(eventTypes: [], acceptUnplanned: true))

    func event(_ payload: JSONObject, type: String = "ai_block_used", source: EventSource = .http) -> LoggedEvent {
        logger.log(type, payload, source: source).event!
    }

    func q(_ text: String) throws -> EventQuery { try EventQuery.parse(text) }

    @Test func theOperatorsAsTheREADMESaysThem() throws {
        let e = event(["chapter_id": 3, "block_type": "ask-question", "latency_ms": 950, "query": "What is Physical AI?",
                       "section_id": "intro-to-ros", "ok": true, "ratio": 0.5, "n": "12"])
        for (text, expected) in [
            ("event_type=ai_block_used", true), ("type=error_event", false), ("chapter_id=3", true), ("chapter_id=4", false),
            ("block_type!=interactive-quiz", true), ("block_type!=ask-question", false), ("missing!=x", true), ("missing=x", false),
            ("latency_ms>800", true), ("latency_ms<=949", false), ("latency_ms>=950", true), ("ratio<1", true),
            ("query~\"physical ai\"", true), ("query~\"robot\"", false), ("section_id~/^intro/", true), ("section_id~/^ros/", false),
            ("source=http", true), ("source=sim", false), ("has:query", true), ("has:nope", false), ("ok=true", true),
            ("n=12", true), ("n>10", true), ("chapter_id=3 and latency_ms>900", true), ("chapter_id=4 or has:query", true),
            ("not chapter_id=4", true), ("not (chapter_id=3 or has:nope)", false), ("chapter_id=3 block_type=ask-question", true),
            ("physical", true), ("\"what is\"", true), ("ask-question latency_ms>2000", false), ("NOT has:query OR chapter_id=3", true),
        ] {
            #expect(try q(text).matches(e) == expected, "\(text)")
        }
    }

    @Test func plainTextIsFreeTextWithItsSpaces() throws {
        let e = event(["query": "What is Physical AI?"])
        let plain = try q("physical ai")
        #expect(plain.isPlainText && plain.matches(e))
        #expect(!(try q("ai physical")).matches(e), "a plain text is one needle, as the filter always was")
        #expect(try q("").isEmpty)
    }

    @Test(arguments: [
        ("chapter_id>", 11, "expected a value after chapter_id>"),
        ("latency_ms>fast", 11, "expected a number after >, got fast"),
        ("(a=1", 4, "expected ) to close the ( at 1"),
        ("a=1 )", 4, "a ) with no ( before it"),
        ("=3", 0, "expected a field name before ="),
        ("a=1 and", 7, "expected a term"),
        ("query~\"open", 6, "expected a closing \""),
        ("x~/[/", 2, "not a regular expression"),
        ("a ! b", 2, "expected !="),
        ("has:", 4, "expected a field name after has:"),
    ])
    func errorsSayWhereAndWhatWasExpected(text: String, position: Int, message: String) {
        #expect(throws: QueryError.self) { try EventQuery.parse(text) }
        do { _ = try EventQuery.parse(text) } catch {
            #expect(error.position == position, "\(text): \(error)")
            #expect(error.message.contains(message), "\(text): \(error)")
        }
    }

    // MARK: against a reference evaluator on the decoded payload

    struct QueryGen {
        var rng: SplitMix64
        mutating func int(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
        static let fields = ["a", "b", "c"]
        static let words = ["x", "y", "X", "12", "3", "3.5", "true"]

        mutating func value() -> JSONValue {
            switch int(7) {
            case 0: .int(Int64(int(5)))
            case 1: .double(Double(int(8)) / 2)
            case 2, 3: .string(Self.words[int(Self.words.count)])
            case 4: .bool(int(2) == 0)
            case 5: .null
            default: .array([.int(1)])
            }
        }

        mutating func payload() -> JSONObject {
            var o = JSONObject()
            for f in Self.fields where int(3) > 0 { o.members.append(.init(key: f, value: value())) }
            return o
        }

        mutating func term() -> String {
            let f = Self.fields[int(3)]
            let w = Self.words[int(Self.words.count)]
            switch int(6) {
            case 0: return "has:\(f)"
            case 1: return "\(f)=\(w)"
            case 2: return "\(f)!=\(w)"
            case 3: return "\(f)\([">", "<", ">=", "<="][int(4)])\(int(5))"
            case 4: return "\(f)~\"\(w.lowercased())\""
            default: return "\(f)~/^\(w)/"
            }
        }

        mutating func expr(_ depth: Int = 0) -> String {
            switch depth > 2 ? 0 : int(5) {
            case 0, 1: return term()
            case 2: return "not \(expr(depth + 1))"
            case 3: return "(\(expr(depth + 1)) or \(expr(depth + 1)))"
            default: return "\(expr(depth + 1)) and \(expr(depth + 1))"
            }
        }
    }

    /// The rules restated on decoded values, independently of the packed walk.
    static func reference(_ text: String, _ payload: JSONObject) -> Bool {
        var tokens = text.replacingOccurrences(of: "(", with: " ( ").replacingOccurrences(of: ")", with: " ) ")
            .split(separator: " ").map(String.init)[...]
        func valueText(_ v: JSONValue) -> String {
            switch v {
            case .string(let s): s
            case .int(let i): String(i)
            default: JSONWriter.compact(v)
            }
        }
        func number(_ v: JSONValue) -> Double? {
            switch v {
            case .int(let i): Double(i)
            case .double(let d): d
            case .string(let s): Double(s)
            default: nil
            }
        }
        func term(_ t: String) -> Bool {
            if t.hasPrefix("has:") { return payload[String(t.dropFirst(4))] != nil }
            for op in ["!=", ">=", "<=", "=", ">", "<", "~"] {
                guard let r = t.range(of: op) else { continue }
                let field = String(t[..<r.lowerBound]), lit = String(t[r.upperBound...])
                guard let v = payload[field] else { return op == "!=" }
                switch op {
                case "=", "!=":
                    var eq: Bool
                    switch v {
                    case .int, .double: eq = Double(lit).map { $0 == number(v)! } ?? false
                    case .string(let s): eq = s == lit || (Double(lit) != nil && Double(s) == Double(lit))
                    case .array, .object: eq = false
                    default: eq = valueText(v) == lit
                    }
                    if case .array = v, op == "!=" { return true }
                    return op == "=" ? eq : !eq
                case "~":
                    if lit.hasPrefix("/") {
                        let pattern = String(lit.dropFirst().dropLast())
                        guard case .string(let s) = v else { return (try? Regex(pattern)).map { valueText(v).contains($0) } ?? false }
                        return (try? Regex(pattern)).map { s.contains($0) } ?? false
                    }
                    return valueText(v).lowercased().contains(lit.dropFirst().dropLast().lowercased())
                default:
                    guard let a = number(v), let b = Double(lit) else { return false }
                    if case .bool = v { return false }
                    return op == ">" ? a > b : op == "<" ? a < b : op == ">=" ? a >= b : a <= b
                }
            }
            return false
        }
        func primary() -> Bool {
            let t = tokens.removeFirst()
            if t == "not" { return !primary() }
            if t == "(" {
                let v = or()
                tokens.removeFirst()
                return v
            }
            return term(t)
        }
        func and() -> Bool {
            var v = primary()
            while tokens.first == "and" { tokens.removeFirst(); let r = primary(); v = v && r }
            return v
        }
        func or() -> Bool {
            var v = and()
            while tokens.first == "or" { tokens.removeFirst(); let r = and(); v = v || r }
            return v
        }
        return or()
    }

    @Test func randomQueriesOnRandomEventsAgreeWithTheReference() async {
        await propertyCheck(count: 500, input: Gen.int(in: 0...Int.max)) { seed in
            var gen = QueryGen(rng: SplitMix64(seed: UInt64(seed)))
            let text = gen.expr()
            let payload = gen.payload()
            let e = event(payload)
            guard let query = try? EventQuery.parse(text) else {
                Issue.record("seed \(seed): \(text) did not parse")
                return
            }
            #expect(query.matches(e) == Self.reference(text, payload), "seed \(seed): \(text) on \(JSONWriter.compact(.object(payload)))")
        }
    }
}
