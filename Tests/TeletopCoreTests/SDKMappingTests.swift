import Testing
@testable import TeletopCore

@Suite("SDK wire protocols mapped onto the contract")
struct SDKMappingTests {
    func parse(_ text: String) throws -> JSONValue { try JSONParser.parse(Array(text.utf8)) }

    @Test(arguments: [
        ("Order Completed", "order_completed"), ("$pageview", "pageview"), ("$identify", "identify"),
        ("checkoutStarted", "checkout_started"), ("orderID", "order_id"), ("api.v2-call", "api.v2-call"),
        ("Café – Visited", "caf_visited"), ("  padded  ", "padded"), ("🎉", "unnamed"), ("", "unnamed"),
        ("Signup/Clicked:Now", "signup_clicked_now"), ("already_fine", "already_fine"),
    ])
    func eventNamesBecomeValidTypesByTheStatedRule(name: String, type: String) {
        #expect(SDKEventName.eventType(for: name) == type)
        #expect(EventTypeName.problem(SDKEventName.eventType(for: name)) == nil)
    }

    @Test func aLongNameIsCutToSixtyFourBytesAndStaysValid() {
        let type = SDKEventName.eventType(for: String(repeating: "Very Long Name ", count: 20))
        #expect(type.utf8.count <= 64 && EventTypeName.problem(type) == nil && !type.hasSuffix("_"))
    }

    @Test func aSegmentBatchKeepsEverythingButTheWriteKey() throws {
        let body = try parse(#"""
        {"writeKey": "wk", "sentAt": "2026-12-01T10:00:01Z", "context": {"library": {"name": "x"}},
         "batch": [
          {"type": "track", "event": "Order Completed", "userId": "u1", "messageId": "m1",
           "timestamp": "2026-12-01T10:00:00.123456+00:00", "properties": {"revenue": 9.5, "_sdk": "mine"}},
          {"type": "identify", "anonymousId": "a1", "traits": {"plan": "pro"}, "writeKey": "wk2"},
          {"type": "alias", "userId": "u2", "previousId": "a1"},
          {"type": "track", "userId": "u1"},
          {"type": "bogus", "userId": "u1"},
          {"type": "page", "properties": {}}
         ]}
        """#)
        let request = try SegmentMapping.map(body, call: nil).get()
        #expect(request.writeKey == "wk")
        #expect(request.events.count == 6)
        let track = try request.events[0].get()
        #expect(track.eventType == "order_completed")
        #expect(track.fields["revenue"] == .double(9.5))
        #expect(track.metadata["event"] == "Order Completed" && track.metadata["messageId"] == "m1")
        #expect(track.metadata["context"]?["library"]?["name"] == "x", "the batch's context is given to each call")
        #expect(track.metadata["sentAt"] == "2026-12-01T10:00:01Z")
        #expect(track.dedupeKey == "segment:m1")
        #expect(track.clientTimestamp == Timestamp(year: 2026, month: 12, day: 1, hour: 10, millisecond: 123))
        // A property called _sdk does not hide the metadata, and is not lost.
        let decoded = track.decoded()
        #expect(decoded.payload["_sdk"]?["shadowed_property"] == "mine")
        #expect(decoded.payload["_sdk"]?["protocol"] == "segment")
        #expect(SDKMetadata.original(decoded.payload)?["properties"]?["_sdk"] == "mine")
        let identify = try request.events[1].get()
        #expect(identify.eventType == "identify" && identify.fields["plan"] == "pro")
        #expect(identify.metadata["writeKey"] == nil, "a write key is never kept")
        let alias = try request.events[2].get()
        #expect(alias.eventType == "alias" && alias.fields.isEmpty && alias.metadata["previousId"] == "a1")
        // Each broken call names its place and what was expected.
        guard case .failure(let noName) = request.events[3], case .failure(let badType) = request.events[4],
              case .failure(let noUser) = request.events[5] else { Issue.record("expected three failures"); return }
        #expect(noName.issues[0].field == "batch[3].event" && noName.issues[0].problem == .missing)
        #expect(badType.issues[0].field == "batch[4].type" && badType.issues[0].got == "\"bogus\"")
        #expect(noUser.issues[0].field == "batch[5].userId" && noUser.issues[0].expected.contains("anonymousId"))
    }

    @Test func theOriginalCallIsRebuiltFromThePayload() throws {
        let body = try parse(#"{"event": "Clicked", "userId": "u", "properties": {"a": 1}, "messageId": "m"}"#)
        let event = try SegmentMapping.map(body, call: "track").get().events[0].get()
        let original = try #require(SDKMetadata.original(event.decoded().payload))
        #expect(original["event"] == "Clicked" && original["userId"] == "u" && original["messageId"] == "m")
        #expect(original["properties"] == .object(["a": 1]))
        #expect(original["protocol"] == nil && original["fields_from"] == nil)
    }

    @Test func postHogBodiesOfEveryShape() throws {
        let single = try PostHogMapping.map(parse(#"{"api_key": "k", "event": "$pageview", "distinct_id": "p", "uuid": "u1", "properties": {"$current_url": "/"}}"#)).get()
        #expect(single.apiKey == "k")
        let page = try single.events[0].get()
        #expect(page.eventType == "pageview" && page.fields["$current_url"] == "/" && page.metadata["event"] == "$pageview")
        #expect(page.dedupeKey == "posthog:u1" && page.metadata["api_key"] == nil)
        let batch = try PostHogMapping.map(parse(#"{"api_key": "k", "batch": [{"event": "a", "distinct_id": "p"}, {"event": "b"}]}"#)).get()
        #expect(batch.events.count == 2)
        guard case .failure(let e) = batch.events[1] else { Issue.record("no distinct_id must fail"); return }
        #expect(e.issues[0].field == "batch[1].distinct_id")
        let array = try PostHogMapping.map(parse(#"[{"event": "x", "properties": {"distinct_id": "p", "token": "tk"}}]"#)).get()
        let first = try array.events[0].get()
        #expect(array.apiKey == "tk" && first.eventType == "x")
        guard case .failure = PostHogMapping.map(.string("no")) else { Issue.record("a string body must fail"); return }
    }

    /// A hand-built `ExportLogsServiceRequest`, field by field, as the protobuf encoding lays it out.
    static func otlpProtobuf() -> [UInt8] {
        func varint(_ v: UInt64) -> [UInt8] { var out: [UInt8] = []; OTLPProtobuf.varint(v, into: &out); return out }
        func field(_ n: Int, _ bytes: [UInt8]) -> [UInt8] { varint(UInt64(n << 3 | 2)) + varint(UInt64(bytes.count)) + bytes }
        func string(_ n: Int, _ s: String) -> [UInt8] { field(n, Array(s.utf8)) }
        func kv(_ key: String, _ any: [UInt8]) -> [UInt8] { string(1, key) + field(2, any) }
        let stringValue = { (s: String) in string(1, s) }
        let intValue = { (i: Int64) in varint(3 << 3) + varint(UInt64(bitPattern: i)) }
        var time: [UInt8] = varint(1 << 3 | 1)
        for k in 0..<8 { time.append(UInt8(truncatingIfNeeded: UInt64(1_764_633_600_000_000_000) >> (8 * UInt64(k)))) }
        let list = field(6, field(1, kv("inner", stringValue("v"))))  // kvlistValue {values: [inner = "v"]}
        let record = time + varint(2 << 3) + varint(9) + string(3, "INFO") + field(5, stringValue("hello"))
            + field(6, kv("event.name", stringValue("Payment Succeeded"))) + field(6, kv("amount", intValue(-42)))
            + field(6, kv("nested", list)) + field(9, [0xAB, 0xCD]) + string(12, "ignored.when.attribute")
        let scope = string(1, "shop") + string(2, "1.0")
        let resource = field(1, kv("service.name", stringValue("checkout")))
        let scopeLogs = field(1, scope) + field(2, record)
        return field(1, field(1, resource) + field(2, scopeLogs))
    }

    @Test func otlpProtobufReadsIntoTheJSONShapeAndMaps() throws {
        let json = try OTLPProtobuf.logsRequest(Self.otlpProtobuf())
        let events = try OTLPLogsMapping.map(json).get()
        #expect(events.count == 1)
        let e = try events[0].get()
        #expect(e.eventType == "payment_succeeded")
        #expect(e.fields["amount"] == .int(-42))
        #expect(e.fields["nested"] == .object(["inner": "v"]))
        #expect(e.metadata["body"] == "hello" && e.metadata["severityNumber"] == .int(9) && e.metadata["severityText"] == "INFO")
        #expect(e.metadata["traceId"] == "abcd")
        #expect(e.metadata["resource"]?["service.name"] == "checkout")
        #expect(e.metadata["scope"] == .object(["name": "shop", "version": "1.0"]))
        #expect(e.clientTimestamp == Timestamp(year: 2025, month: 12, day: 2))
        // The same record twice is recognised as one.
        let again = try OTLPLogsMapping.map(OTLPProtobuf.logsRequest(Self.otlpProtobuf())).get()[0].get()
        #expect(again.dedupeKey == e.dedupeKey && e.dedupeKey != nil)
    }

    @Test func brokenProtobufIsAClearErrorNeverACrash() {
        var bytes = Self.otlpProtobuf()
        bytes.removeLast(5)
        #expect(throws: OTLPProtobuf.DecodeError.self) { try OTLPProtobuf.logsRequest(bytes) }
        #expect(throws: OTLPProtobuf.DecodeError.self) { try OTLPProtobuf.logsRequest([0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F]) }
        #expect(throws: OTLPProtobuf.DecodeError.self) { try OTLPProtobuf.logsRequest([0x0B]) }  // wire type 3
        // Nesting past the bound is refused, not recursed into.
        func varint(_ v: Int) -> [UInt8] { var out: [UInt8] = []; OTLPProtobuf.varint(UInt64(v), into: &out); return out }
        func field(_ n: Int, _ bytes: [UInt8]) -> [UInt8] { varint(n << 3 | 2) + varint(bytes.count) + bytes }
        var any: [UInt8] = field(1, [0x61])  // stringValue "a"
        for _ in 0..<40 { any = field(5, field(1, any)) }  // arrayValue {values: [any]}
        let record = field(6, field(1, [0x6B]) + field(2, any))
        let deep = field(1, field(2, field(2, record)))
        #expect { try OTLPProtobuf.logsRequest(deep) } throws: { ($0 as? OTLPProtobuf.DecodeError)?.reason.contains("nested deeper") == true }
    }

    @Test func thePartialSuccessResponseIsValidProtobuf() throws {
        #expect(OTLPProtobuf.logsResponse(rejected: 0, message: "") == [])
        let bytes = OTLPProtobuf.logsResponse(rejected: 3, message: "no")
        #expect(bytes == [0x0A, 0x06, 0x08, 0x03, 0x12, 0x02, 0x6E, 0x6F])
    }

    @Test func theDuplicateWindowIsBoundedInCountAndBytesAndSaysWhatItEvicted() {
        let window = DuplicateWindow(limits: .init(ids: 3, bytes: 1 << 20))
        window.remember(["a", "b", "c", "d"])
        #expect(!window.contains("a") && window.contains("d"))
        #expect(window.status.ids == 3 && window.status.evicted == 1)
        let small = DuplicateWindow(limits: .init(ids: 100, bytes: 200))
        small.remember((0..<10).map { "id-\($0)" })
        #expect(small.status.bytes <= 200 && small.status.evicted > 0 && small.contains("id-9"))
        small.remember(["id-9"], duplicates: 1)
        #expect(small.status.duplicates == 1)
    }

    @Test func faultModesParseAndSayWhatIsOn() throws {
        #expect(try SDKFault.parse("503") == SDKFault(kind: .unavailable, share: 1))
        #expect(try SDKFault.parse("429@25%") == SDKFault(kind: .rateLimited, share: 0.25))
        #expect(try SDKFault.parse("delay=800ms@50") == SDKFault(kind: .delay(milliseconds: 800), share: 0.5))
        #expect(try SDKFault.parse("drop@10%")?.description == "dropped connections on 10% of SDK requests")
        #expect(try SDKFault.parse("off") == nil)
        #expect(throws: FaultSyntaxError.self) { try SDKFault.parse("500") }
        #expect(throws: FaultSyntaxError.self) { try SDKFault.parse("503@0%") }
        #expect(throws: FaultSyntaxError.self) { try SDKFault.parse("delay=forever") }
        let faults = FaultSwitch(SDKFault(kind: .unavailable, share: 0.5), seed: 1)
        let hits = (0..<1000).filter { _ in faults.draw() != nil }.count
        #expect((400...600).contains(hits) && faults.faulted == hits)
        faults.fault = nil
        #expect(faults.cycle() == SDKFault.cycle[0])
        for _ in 1..<SDKFault.cycle.count { faults.cycle() }
        #expect(faults.cycle() == nil, "after the last mode: off")
    }

    @Test func aPlanNeverChecksTheSDKKey() throws {
        let plan = try TrackingPlan.load(json: Array(#"{"event_types": {"clicked": {"additional_fields": false, "fields": {"button": {"type": "string", "required": true}}}}}"#.utf8))
        let ok: JSONObject = ["button": "hero", "_sdk": .object(["protocol": "segment"])]
        #expect(plan.validate(eventType: "clicked", payload: ok).isValid)
        let bad: JSONObject = ["button": "hero", "other": 1, "_sdk": .object([:])]
        #expect(plan.validate(eventType: "clicked", payload: bad).issues.map(\.field) == ["payload.other"])
    }
}
