import Foundation
import PropertyBased
import Testing
@testable import TeletopCore

/// Random documents from a seed, so a failure is reproducible from its seed alone.
struct DocumentGenerator {
    var rng: SplitMix64

    init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    mutating func int(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }

    mutating func string() -> String {
        let alphabet: [String] = ["a", "b", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\u{1}", "\u{1f}", "é", "中", "😀", "\u{7f}", "\u{2028}"]
        return (0..<int(8)).map { _ in alphabet[int(alphabet.count)] }.joined()
    }

    mutating func value(depth: Int = 0) -> JSONValue {
        switch int(depth > 3 ? 6 : 8) {
        case 0: return .null
        case 1: return .bool(int(2) == 0)
        case 2: return .int(Int64(bitPattern: rng.next()) >> UInt64(int(64)))
        case 3:
            let d = Double(Int64(bitPattern: rng.next()) >> 20) / Double(1 << UInt64(int(40)))
            return d == d.rounded() ? .double(d + 0.5) : .double(d)
        case 4, 5: return .string(string())
        case 6: return .array((0..<int(5)).map { _ in value(depth: depth + 1) })
        default:
            var o = JSONObject()
            for _ in 0..<int(6) {
                let key = string()
                if o[key] == nil { o.members.append(.init(key: key, value: value(depth: depth + 1))) }
            }
            return .object(o)
        }
    }
}

/// Foundation's view of a document, in a shape comparable with ours.
func foundationEquivalent(_ any: Any) -> JSONValue? {
    switch any {
    case is NSNull: return .null
    case let n as NSNumber:
        let kind = String(cString: n.objCType)
        if kind == "c" || kind == "B" { return .bool(n.boolValue) }
        if kind == "d" || kind == "f" { return .double(n.doubleValue) }
        return .int(n.int64Value)
    case let s as String: return .string(s)
    case let a as [Any]:
        let items = a.compactMap(foundationEquivalent)
        return items.count == a.count ? .array(items) : nil
    case let d as [String: Any]:
        var o = JSONObject()
        for (k, v) in d.sorted(by: { $0.key < $1.key }) {
            guard let v = foundationEquivalent(v) else { return nil }
            o.members.append(.init(key: k, value: v))
        }
        return .object(o)
    default: return nil
    }
}

/// Sorts object members so two parsers' results compare whatever the order.
func canonical(_ v: JSONValue) -> JSONValue {
    switch v {
    case .array(let a): return .array(a.map(canonical))
    case .object(let o):
        return .object(JSONObject(o.members.map { .init(key: $0.key, value: canonical($0.value)) }.sorted { $0.key < $1.key }))
    case .double(let d) where d == d.rounded() && abs(d) < 1e15: return .double(d)
    default: return v
    }
}

/// Doubles equal within printing precision; everything else exactly.
func agree(_ a: JSONValue, _ b: JSONValue) -> Bool {
    switch (a, b) {
    case (.double(let x), .double(let y)): return x == y || abs(x - y) <= 1e-12 * max(abs(x), abs(y))
    // Foundation reads some integers beyond 2^53 as (not always correctly rounded) doubles; we keep them exact.
    case (.int(let x), .double(let y)), (.double(let y), .int(let x)):
        return Double(x) == y || (abs(x) > 1 << 53 && abs(Double(x) - y) <= 1e-12 * abs(y))
    case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy(agree)
    case (.object(let x), .object(let y)):
        return x.count == y.count && zip(x.members, y.members).allSatisfy { $0.key == $1.key && agree($0.value, $1.value) }
    default: return a == b
    }
}

@Suite("JSON parser against Foundation")
struct JSONParserPropertyTests {
    @Test func generatedDocumentsParseLikeFoundation() async {
        await propertyCheck(count: 400, input: Gen.int(in: 0...Int.max)) { seed in
            var gen = DocumentGenerator(seed: UInt64(seed))
            let doc = gen.value()
            let text = JSONWriter.compact(doc)
            let ours = try? JSONParser.parse(Array(text.utf8))
            #expect(ours == doc, "round trip of \(text)")
            let theirs = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
            let theirValue = theirs.flatMap(foundationEquivalent)
            #expect(theirValue != nil, "Foundation refused \(text)")
            if let ours, let theirValue {
                #expect(agree(canonical(ours), canonical(theirValue)), "differs from Foundation on \(text)")
            }
        }
    }

    /// Damaged documents: whatever we accept, Foundation accepts too (we are the stricter one).
    @Test func mutatedDocumentsNeverAcceptedWhenFoundationRefuses() async {
        await propertyCheck(count: 400, input: Gen.int(in: 0...Int.max)) { seed in
            var gen = DocumentGenerator(seed: UInt64(seed))
            var bytes = Array(JSONWriter.compact(gen.value()).utf8)
            for _ in 0..<(1 + gen.int(3)) where !bytes.isEmpty {
                let i = gen.int(bytes.count)
                switch gen.int(3) {
                case 0: bytes.remove(at: i)
                case 1: bytes.insert(Array(#"{}[]",:"\-+.e0x"#.utf8)[gen.int(14)], at: i)
                default: bytes[i] = UInt8(truncatingIfNeeded: gen.rng.next())
                }
            }
            if (try? JSONParser.parse(bytes)) != nil {
                let theirs = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
                #expect(theirs != nil, "we accepted what Foundation refused: \(String(decoding: bytes, as: UTF8.self))")
            }
        }
    }
}
