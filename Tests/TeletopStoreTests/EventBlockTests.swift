import Testing
import TeletopCore
@testable import TeletopStore

/// The text of `event_block` rows: what the writer appends reads back the same.
@Suite("Event blocks")
struct EventBlockTests {
    static func decode(_ text: [UInt8]) throws -> [EventBlock.Element?] {
        try text.withUnsafeBufferPointer { try EventBlock.elements($0) }
    }

    @Test func elementsReadBackWithTheirPayloadsAndTimestamps() throws {
        // Strings that hold the format's own brackets, commas and quotes, and numbers of every sign.
        let payloads: [JSONObject] = [
            ["q": "a],[\"b\"", "n": -12, "x": 1.5e-7, "nested": .object(["a": .array([1, "]"])])],
            [:],
            ["emoji": "🚀", "esc": "line\nbreak\\"],
        ]
        var text: [UInt8] = [0x5B]
        for (i, p) in payloads.enumerated() {
            if i > 0 { text.append(0x2C) }
            EventBlock.append(typeID: Int64(i + 1), ts: i == 1 ? -5 : 1_733_270_000_000 + Int64(i), source: 2,
                              clientTS: i == 2 ? nil : Int64.min, payload: PackedPayload(p), into: &text)
        }
        text.append(0x5D)
        let elements = try Self.decode(text)
        #expect(elements.count == 3)
        for (i, e) in elements.enumerated() {
            let e = try #require(e)
            #expect(e.index == i && e.typeID == Int64(i + 1) && e.source == 2)
            #expect(e.ts == (i == 1 ? -5 : 1_733_270_000_000 + Int64(i)))
            #expect(e.clientTS == (i == 2 ? nil : Int64.min))
            let payload = try JSONParser.parse(Array(text[e.payload]))
            #expect(payload == .object(payloads[i]))
        }
    }

    @Test func nullsAreEventsRetentionTookAndRewritingKeepsTheRest() throws {
        var text: [UInt8] = Array("[[1,10,0,{\"a\":1}],null,[2,30,1,{\"b\":[2]},77]]".utf8)
        let elements = try Self.decode(text)
        #expect(elements.count == 3 && elements[1] == nil && elements[2]?.clientTS == 77)
        text = text.withUnsafeBufferPointer { EventBlock.text($0, elements, removing: [0]) }
        #expect(String(decoding: text, as: UTF8.self) == "[null,null,[2,30,1,{\"b\":[2]},77]]")
        // What sqlite3 users might leave after editing by hand: spaces are fine.
        #expect(try Self.decode(Array(" [ [1 , 2 , 3 , { } ] ] ".utf8)).first??.ts == 2)
    }

    @Test func textTheStoreDidNotWriteIsRefusedNotMisread() {
        for bad in ["", "{}", "[[1,2]]", "[[1,2,3,{\"a\":1}", "[[x,2,3,{}]]", "[[1,2,3,\"unterminated]]", "[[1,2,3,{}] [1,2,3,{}]]",
                    "[[1,99999999999999999999,3,{}]]", "[[1,9223372036854775808,3,{}]]"] {
            #expect(throws: EventBlock.Malformed.self, "\(bad)") { try Self.decode(Array(bad.utf8)) }
        }
    }

    @Test func integersAreWrittenAsJSONDigits() {
        for v: Int64 in [0, 7, -1, 10, 1_733_270_000_000, .max, .min] {
            let out = [UInt8](unsafeUninitializedCapacity: 20) { buffer, count in
                var p = buffer.baseAddress!
                JSONWriter.writeInt(v, to: &p)
                count = p - buffer.baseAddress!
            }
            #expect(String(decoding: out, as: UTF8.self) == String(v))
        }
    }
}
