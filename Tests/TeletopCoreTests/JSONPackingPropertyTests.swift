import PropertyBased
import Testing
@testable import TeletopCore

/// The packer (`JSONParser.parseEnvelope(_:limits:)`, the road every line
/// and body takes) against the parser it stands in for: on any document it
/// either says nothing (and the parser is asked) or gives exactly what the
/// parser gives, the payload's packed bytes included.
@Suite("Packing a payload while parsing")
struct JSONPackingPropertyTests {
    /// What an envelope says, either way it is read: a timestamp that names a time as that time.
    struct Read: Equatable {
        var eventType: JSONValue?
        var stamp: Timestamp?
        var timestamp: JSONValue?
        var others: JSONObject
        var packed: [UInt8]
    }

    /// nil when the parser refuses it or its payload is not an object.
    func slow(_ bytes: [UInt8], _ limits: JSONParserLimits) -> Read? {
        guard case .object(let o)? = try? JSONParser.parse(bytes, limits: limits), case .object(let payload)? = o["payload"] else { return nil }
        let stamp = o["timestamp"]?.stringValue.flatMap { Timestamp(iso8601: $0) }
        return Read(eventType: o["event_type"], stamp: stamp, timestamp: stamp == nil ? o["timestamp"] : nil,
                    others: JSONObject(o.members.filter { !["payload", "event_type", "timestamp"].contains($0.key) }),
                    packed: PackedPayload(payload).bytes)
    }

    func fast(_ bytes: [UInt8], _ limits: JSONParserLimits) -> Read? {
        bytes.withUnsafeBufferPointer { JSONParser.parseEnvelope($0, limits: limits) }.map {
            Read(eventType: $0.eventType, stamp: $0.stamp, timestamp: $0.timestamp, others: $0.others, packed: $0.packed.bytes)
        }
    }

    func check(_ bytes: [UInt8], _ limits: JSONParserLimits = .default) {
        let (a, b) = (fast(bytes, limits), slow(bytes, limits))
        let text = String(decoding: bytes, as: UTF8.self)
        // The packer may leave to the parser a payload with a key beyond ASCII (it cannot
        // compare those as the parser does), and only that: everything else, it answers alike.
        let beyondASCII = bytes.contains { $0 >= 0x80 } || text.contains("\\u")
        #expect(b != nil || a == nil, "the packer accepted what the parser refuses: \(text)")
        #expect(a != nil || b == nil || beyondASCII, "the packer refused what the parser accepts: \(text)")
        if let a, let b {
            #expect(a.eventType == b.eventType, "event_type differs: \(text)")
            #expect(a.stamp == b.stamp && a.timestamp == b.timestamp, "timestamp differs: \(text)")
            #expect(a.others == b.others, "other members differ: \(text)")
            #expect(a.packed == b.packed, "packed payload differs: \(text)")
        }
    }

    func envelope(_ gen: inout DocumentGenerator) -> [UInt8] {
        var payload = JSONObject()
        for _ in 0..<gen.int(8) {
            let key = gen.int(3) == 0 ? "user_id" : gen.string()
            if payload[key] == nil { payload.members.append(.init(key: key, value: gen.value(depth: 1))) }
        }
        var members: [JSONObject.Member] = [.init(key: "event_type", value: .string(gen.string())), .init(key: "payload", value: .object(payload))]
        // A timestamp that names a time, one that does not, or one that is not a string.
        let stamps: [JSONValue] = [.string("2026-12-03T10:00:00Z"), .string("2026-12-03T10:00:00.125+01:00"), .string("yesterday"),
                                   .int(1_764_756_000), .null]
        if gen.int(2) == 0 { members.append(.init(key: "timestamp", value: stamps[gen.int(stamps.count)])) }
        if gen.int(4) == 0 { members.append(.init(key: gen.string(), value: gen.value(depth: 1))) }
        if gen.int(2) == 0 { members.reverse() }
        var text = JSONWriter.compact(.object(JSONObject(members)))
        // Whitespace where JSON allows it, as files written by hand or by Python have.
        if gen.int(2) == 0 { text = text.replacingOccurrences(of: ",\"", with: ", \"").replacingOccurrences(of: "\":", with: "\": ") }
        return Array(text.utf8)
    }

    /// The packed payload's own JSON writer (the store's: through a pointer, eight bytes
    /// scanned at a time) writes what `JSONWriter` writes of the object it holds.
    @Test func aPackedPayloadWritesTheSameJSONAsTheWriter() async {
        await propertyCheck(count: 500, input: Gen.int(in: 0...Int.max)) { seed in
            var gen = DocumentGenerator(seed: UInt64(seed))
            var payload = JSONObject()
            for _ in 0..<gen.int(8) {
                let key = gen.string()
                if payload[key] == nil { payload.members.append(.init(key: key, value: gen.value(depth: 2))) }
            }
            var out: [UInt8] = [0x41]
            PackedPayload(payload).writeJSON(into: &out)
            #expect(out == [0x41] + JSONWriter.compactBytes(.object(payload)), "\(JSONWriter.compact(.object(payload)))")
        }
        // Every byte that needs an escape, at every place in and around an eight-byte step.
        for special: UInt8 in [0x00, 0x09, 0x0A, 0x0D, 0x1F, 0x22, 0x5C, 0x7F] {
            for at in 0..<20 {
                var bytes = Array("abcdefghijklmnopqrstuvwxyz".utf8.prefix(20))
                bytes[at] = special
                let text = String(decoding: bytes, as: UTF8.self) + "é🚀"
                var out: [UInt8] = []
                PackedPayload(["k": .string(text), text: .int(Int64(at) - 10)]).writeJSON(into: &out)
                #expect(out == JSONWriter.compactBytes(.object(["k": .string(text), text: .int(Int64(at) - 10)])), "\(special) at \(at)")
            }
        }
    }

    @Test func envelopesPackAsTheParserWouldPackThem() async {
        await propertyCheck(count: 500, input: Gen.int(in: 0...Int.max)) { seed in
            var gen = DocumentGenerator(seed: UInt64(seed))
            check(envelope(&gen))
        }
    }

    @Test func damagedEnvelopesAreRefusedWheneverTheParserRefusesThem() async {
        await propertyCheck(count: 800, input: Gen.int(in: 0...Int.max)) { seed in
            var gen = DocumentGenerator(seed: UInt64(seed))
            var bytes = envelope(&gen)
            for _ in 0..<(1 + gen.int(3)) where !bytes.isEmpty {
                let i = gen.int(bytes.count)
                switch gen.int(3) {
                case 0: bytes.remove(at: i)
                case 1: bytes.insert(Array(#"{}[]",:"\-+.e0xu"#.utf8)[gen.int(15)], at: i)
                default: bytes[i] = UInt8(truncatingIfNeeded: gen.rng.next())
                }
            }
            check(bytes)
        }
    }

    @Test func theEdgesTheParserRefusesOrBoundsAreKept() {
        // "event_type" is 10 bytes: keys count against the string limit too.
        let tight = JSONParserLimits(maxDepth: 3, maxBytes: 200, maxStringBytes: 10)
        let accepted = [
            #"{"event_type":"a","payload":{"a":{"b":1}}}"#,           // depth 3
            #"{"event_type":"a","payload":{"a":[1]}}"#,
            #"{"event_type":"a","payload":{"k":"1234567890"}}"#,       // a string at the limit
            #"{"event_type":"a","payload":{"k":"12345678\n"}}"#,
            #"{"event_type":"a","payload":{"k":"\u00e9\u00e9\u00e9\u00e9\u00e9"}}"#,
            #"{"event_type":"a","payload":{"x":-0,"y":0.5,"z":-9223372036854775808}}"#,
            #"{"event_type":"a","payload":{"x":99999999999999999999}}"#, // beyond 64 bits: a double
            #"{"event_type":"a","payload":{"s":"\ud83d\ude00","n":null,"f":false}}"#,
            #" {"payload" : {} , "event_type":"a"} "#,
            #"{"event_type":"a","payload":{},"Timestamp":"x","x":[1,{"y":2}]}"#,
        ]
        let refused = [
            #"{"event_type":"a","payload":{"a":{"b":{"c":1}}}}"#,     // depth 4
            #"{"event_type":"a","payload":{"a":[[1]]}}"#,
            #"{"event_type":"a","payload":{"k":"12345678901"}}"#,      // past the string limit
            #"{"event_type":"a","payload":{"k":"\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"}}"#,
            #"{"event_type":"a","payload":{"a":1,"a":2}}"#,            // duplicate keys
            #"{"event_type":"a","payload":{"\u00e9":1,"e\u0301":2}}"#,  // duplicates as Strings: canonically equivalent
            #"{"event_type":"a","payload":{"K":1,"\u212a":2}}"#,
            #"{"event_type":"a","payload":{},"payload":{}}"#,
            #"{"event_type":"a","event_type":"b","payload":{}}"#,      // a duplicate beside the payload
            #"{"payload":{},"timestamp":"x","event_type":"a","timestamp":"y"}"#,
            #"{"payload":{},"timestamp":"2026-12-03T10:00:00Z","event_type":"a","time\u0073tamp":"2026-12-03T10:00:00Z"}"#,
            #"{"event_type":"a","payl\u006fad":{},"payload":{}}"#,     // the same key, escaped
            #"{"event_type":"a","x":1,"payload":{},"x":2}"#,
            #"{"event_type":"a","payload":{"x":1e400}}"#,
            #"{"event_type":"a","payload":{"t":nullx}}"#,
            #"{"event_type":"a","payload":{"s":"\ud83d"}}"#,          // a lone surrogate
            #"{"event_type":"a","payload":[1]}"#, #"{"payload":{}} x"#, #"[{"payload":{}}]"#, "",
        ]
        for text in accepted {
            #expect(fast(Array(text.utf8), tight) != nil, "refused: \(text)")
            check(Array(text.utf8), tight)
        }
        for text in refused {
            #expect(fast(Array(text.utf8), tight) == nil, "accepted: \(text)")
            check(Array(text.utf8), tight)
        }
        // Keys and stamps with escapes mean what they say unescaped (the stamp is past the tight string limit).
        let escaped = Array(#"{"event\u005ftype":"a","payload":{},"timestamp":"2026-12-03T10:00:00\u005a"}"#.utf8)
        #expect(fast(escaped, .default)?.eventType == .string("a"))
        #expect(fast(escaped, .default)?.stamp == Timestamp(iso8601: "2026-12-03T10:00:00Z"))
        check(escaped)
        // Left to the parser, canonically equal keys are refused as duplicates, as they always were.
        for text in [#"{"event_type":"a","payload":{"\u00e9":1,"e\u0301":2}}"#, #"{"event_type":"a","payload":{"K":1,"\u212a":2}}"#] {
            guard case .failure(let error) = EventIngest.decode(Array(text.utf8)) else { Issue.record("accepted: \(text)"); continue }
            #expect(error.issues.first?.message.contains("duplicate key") == true, "\(error.issues)")
        }
        // A payload with many keys (the duplicate check changes method past 16), with a duplicate at the end.
        let many = (0..<40).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        check(Array(#"{"event_type":"a","payload":{\#(many)}}"#.utf8))
        #expect(fast(Array(#"{"event_type":"a","payload":{\#(many)}}"#.utf8), .default) != nil)
        #expect(fast(Array(#"{"event_type":"a","payload":{\#(many),"k3":0}}"#.utf8), .default) == nil)
    }
}
