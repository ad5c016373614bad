import Testing
@testable import TeletopCore

@Suite("JSON parser")
struct JSONParserTests {
    func parse(_ s: String, limits: JSONParserLimits = .default) throws(JSONParseError) -> JSONValue {
        try JSONParser.parse(Array(s.utf8), limits: limits)
    }

    func error(_ bytes: [UInt8], limits: JSONParserLimits = .default) -> JSONParseError? {
        do {
            _ = try JSONParser.parse(bytes, limits: limits)
            return nil
        } catch {
            return error
        }
    }

    func error(_ s: String, limits: JSONParserLimits = .default) -> JSONParseError? {
        error(Array(s.utf8), limits: limits)
    }

    @Test func contractExampleKeepsIntegersAndOrder() throws {
        let v = try parse(#"{"user_id": "user_123", "chapter_id": 1, "section_id": "what-is-physical-ai", "block_type": "ask-question", "query": "What is Physical AI?"}"#)
        let o = try #require(v.objectValue)
        #expect(o.keys == ["user_id", "chapter_id", "section_id", "block_type", "query"])
        #expect(o["chapter_id"] == .int(1))
        #expect(JSONWriter.compact(v) == #"{"user_id":"user_123","chapter_id":1,"section_id":"what-is-physical-ai","block_type":"ask-question","query":"What is Physical AI?"}"#)
    }

    @Test func scalarsAndNesting() throws {
        #expect(try parse("  [1, -2, 3.5, -0.25e2, true, false, null, \"x\", [], {}]  ")
            == .array([1, -2, .double(3.5), .double(-25), true, false, nil, "x", .array([]), .object(JSONObject())]))
        #expect(try parse("9223372036854775807") == .int(Int64.max))
        #expect(try parse("-9223372036854775808") == .int(Int64.min))
        #expect(try parse("1.0") == .double(1.0))
        #expect(try parse("0") == .int(0))
    }

    @Test func escapesAndUnicode() throws {
        #expect(try parse(#""a\"b\\c\/d\b\f\n\r\t""#) == .string("a\"b\\c/d\u{8}\u{c}\n\r\t"))
        #expect(try parse(#""\u00e9\u4e2d\ud83d\ude00""#) == .string("é中😀"))
        #expect(try parse("\"é中😀\"") == .string("é中😀"))
        #expect(try parse(#""\u0000""#) == .string("\u{0}"))
    }

    /// Plain runs are scanned eight bytes a step: whatever ends one (a quote, an
    /// escape, a control character, a byte beyond ASCII) is found at every place
    /// in and around a step, by the parser and by the packer alike.
    @Test func whatEndsAPlainRunIsFoundAtEveryPlace() throws {
        let plain = Array("abcdefghijklmnopqrstuvwx".utf8)
        for at in 0...plain.count {
            let head = String(decoding: plain[..<at], as: UTF8.self), tail = String(decoding: plain[at...], as: UTF8.self)
            for (inside, means) in [(#"\""#, "\""), (#"\\"#, "\\"), (#"\n"#, "\n"), ("é", "é"), ("😀", "😀"), (#"\u0001"#, "\u{1}")] {
                let text = "\"" + head + inside + tail + "\""
                #expect(try parse(text) == .string(head + means + tail), "\(text)")
                let line = Array(#"{"event_type":"a","payload":{"k":\#(text)}}"#.utf8)
                let packed = line.withUnsafeBufferPointer { JSONParser.parseEnvelope($0, limits: .default) }?.packed
                #expect(packed?.unpack() == ["k": .string(head + means + tail)], "\(text)")
            }
            #expect(try parse("\"" + head + "\"") == .string(head), "a quote ends the string after \(at) bytes")
            #expect(error([0x22] + plain[..<at] + [0x01] + plain[at...] + [0x22])?.reason.contains("control character") == true, "raw control at \(at)")
            #expect(error([0x22] + plain[..<at] + [0xFF] + plain[at...] + [0x22]) != nil, "invalid UTF-8 at \(at)")
            #expect(error([0x22] + plain[..<at]) != nil, "unterminated at \(at)")
        }
    }

    @Test func errorsCarryOffsetAndReason() throws {
        #expect(error(#"{"a": 1} x"#) == JSONParseError(offset: 9, reason: "unexpected 'x' after the end of the document"))
        #expect(error(#"{"a": "b"#)?.reason == "unterminated string")
        #expect(error(#"{"a": "b"#)?.offset == 6)
        #expect(error(#""\q""#)?.reason == #"invalid escape \q"#)
        #expect(error(#""\ud83d""#)?.reason.hasPrefix("lone high surrogate") == true)
        #expect(error(#""\ude00""#)?.reason.hasPrefix("lone low surrogate") == true)
        #expect(error(#""\ud83d\u0041""#)?.reason.contains("not a low surrogate") == true)
        // Past 64 bits an integer is read as a double, as JavaScript reads it.
        #expect(try parse("9223372036854775808") == .double(9223372036854775808))
        #expect(try parse("-9223372036854775809") == .double(-9223372036854775809))
        #expect(try parse("1289449407267283035750400") == .double(1.2894494072672830e24))
        #expect(error("1e400")?.reason == "number out of range for a double")
        #expect(error("01")?.reason == "leading zeros are not allowed")
        #expect(error("1.")?.reason == "expected a digit after the decimal point")
        #expect(error("-")?.reason == "expected a digit")
        #expect(error("[1,]")?.offset == 3)
        #expect(error("{\"a\" 1}")?.reason == "unexpected byte 0x31, expected ':' after an object key".replacingOccurrences(of: "byte 0x31", with: "'1'"))
        #expect(error("\"a\u{1}b\"")?.reason == "control character byte 0x01 inside a string must be escaped")
        #expect(error("tru")?.reason == #"invalid literal "tru", expected true"#)
        #expect(error("not json")?.reason == #"unexpected word "not": a JSON value is an object, an array, a "quoted string", a number, true, false or null"#)
        #expect(error("hello")?.reason.hasPrefix(#"unexpected word "hello""#) == true)
        #expect(error("nullx")?.reason.hasPrefix(#"unexpected word "nullx""#) == true)
        #expect(error("")?.reason == "unexpected end of input, expected a value")
        #expect(error(#"{"a": 1, "a": 2}"#) == JSONParseError(offset: 9, reason: "duplicate key \"a\""))
    }

    @Test func invalidUTF8IsRefused() {
        #expect(error([0x22, 0xFF, 0x22])?.reason == "invalid UTF-8 lead byte 0xFF")
        #expect(error([0x22, 0xC0, 0x80, 0x22])?.reason == "invalid UTF-8 lead byte 0xC0")  // overlong NUL
        #expect(error([0x22, 0xED, 0xA0, 0x80, 0x22])?.reason == "invalid UTF-8 sequence")  // encoded surrogate
        #expect(error([0x22, 0xF4, 0x90, 0x80, 0x80, 0x22])?.reason == "invalid UTF-8 sequence")  // above U+10FFFF
        #expect(error([0x22, 0xE4, 0xB8])?.reason == "truncated UTF-8 sequence")
        #expect(error([0x22, 0xE4, 0x41, 0x41, 0x22])?.offset == 1)
    }

    @Test func limitsAreEnforced() {
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        #expect(error(deep)?.reason == "nesting deeper than the limit of 64")
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(error(ok) == nil)
        let limits = JSONParserLimits(maxDepth: 64, maxBytes: 10, maxStringBytes: 4)
        #expect(error("[1,2,3,4,5,6]", limits: limits)?.reason == "document is 13 bytes, over the limit of 10")
        #expect(error(#""abcde""#, limits: limits)?.reason == "string longer than the limit of 4 bytes")
        #expect(error(#""ab\ncde""#, limits: limits)?.reason == "string longer than the limit of 4 bytes")
        #expect(error(#""abcd""#, limits: limits) == nil)
    }

    @Test func writerEscapesControlCharacters() {
        let v: JSONValue = ["k\u{1b}": "a\u{1b}[2J\n\"\\"]
        #expect(JSONWriter.compact(v) == #"{"k\u001b":"a\u001b[2J\n\"\\"}"#)
        #expect(JSONWriter.pretty(["a": [1, 2], "b": [:]]) == "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": {}\n}")
    }
}
