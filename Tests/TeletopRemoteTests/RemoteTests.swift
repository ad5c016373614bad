import Testing
import TeletopCore
@testable import TeletopRemote

@Suite("The client side of attach")
struct RemoteTests {
    @Test func addressesTakeANameAndATokenOfTheirOwn() throws {
        let a = try CollectorAddress("http://127.0.0.1:7311", defaultToken: nil)
        #expect(a.base == "http://127.0.0.1:7311" && a.name == "127.0.0.1:7311" && a.token == nil)
        let b = try CollectorAddress("eu=http://:s3cret@10.0.0.5:7400/", defaultToken: "env")
        #expect(b.base == "http://10.0.0.5:7400" && b.name == "eu" && b.token == "s3cret")
        let c = try CollectorAddress("localhost:9000", defaultToken: "env")
        #expect(c.base == "http://localhost:9000" && c.token == "env")
        #expect(throws: CollectorAddress.ParseError.self) { try CollectorAddress("ftp://x:1", defaultToken: nil) }
        #expect(throws: CollectorAddress.ParseError.self) { try CollectorAddress("=http://x:1", defaultToken: nil) }
    }

    @Test func sseIsParsedAsBytesArriveInAnyCut() {
        let text = ": teletop stream\n\nevent: hello\ndata: {\"instance\":\"a\"}\n\nid: a/1/5\r\nevent: x\ndata: one\ndata: two\n\n: keep-alive\n\n"
        let bytes = Array(text.utf8)
        for cut in [1, 3, 7, bytes.count] {
            var parser = SSEParser()
            var events: [SSEParser.Event] = []
            var i = 0
            while i < bytes.count {
                parser.feed(bytes[i..<min(bytes.count, i + cut)]) { events.append($0) }
                i += cut
            }
            #expect(events.map(\.event) == ["hello", "x"], "cut \(cut)")
            #expect(events.last?.id == "a/1/5" && events.last?.data == Array("one\ntwo".utf8))
        }
        // An over-long line is dropped with its event, not held.
        var parser = SSEParser(maxLineBytes: 16)
        var got: [SSEParser.Event] = []
        parser.feed(Array("data: \(String(repeating: "x", count: 100))\n\ndata: ok\n\n".utf8)) { got.append($0) }
        #expect(got.map(\.data) == [Array("ok".utf8)] && parser.droppedLines == 1)
    }

    @Test func collectorStatsAreReadFromTeletopsOwnShapeOnly() throws {
        let stats = try #require(CollectorStats(try JSONParser.parse(Array(#"""
            {"instance": "abc", "events_logged": 12, "rejected": 2, "rate_1s": 1.5, "rate_10s": 1, "rate_60s": 0.5,
             "event_types": [{"event_type": "a", "planned": true, "accepted": 10, "rejected": 2, "rate_1s": 1.5, "rate_10s": 1, "rate_60s": 0.5,
                              "last_event_at": "2026-12-02T10:00:00.000Z"}],
             "health": {"status": "degraded", "message": "too many errors", "events_logged": 12}}
            """#.utf8))))
        #expect(stats.instance == "abc" && stats.eventsLogged == 12 && stats.types[0].accepted == 10 && stats.health == .degraded)
        #expect(CollectorStats(try JSONParser.parse(Array(#"{"status": "ok"}"#.utf8))) == nil, "another server's JSON is not teletop's stats")
    }

    /// Issue 18: collectors of one fleet each report the fleet's lifetime
    /// totals; a view over several counts the fleet once, lone collectors in full.
    @Test func aFleetsTotalsAreCountedOnceAndLoneCollectorsAreSummed() throws {
        func stats(_ fleet: String?, _ logged: Int) throws -> CollectorStats {
            let fleetJSON = fleet.map { "\"\($0)\"" } ?? "null"
            return try #require(CollectorStats(try JSONParser.parse(Array("""
                {"fleet": \(fleetJSON), "events_logged": \(logged), "event_types": [{"event_type": "a", "accepted": \(logged)}],
                 "health": {"status": "healthy", "message": "ok"}}
                """.utf8))))
        }
        let all = [try stats("f1", 100), try stats("f1", 103), try stats(nil, 7), try stats("f2", 5), try stats(nil, 1)]
        #expect(all[0].fleet == "f1" && all[2].fleet == nil)
        #expect(Fleet.lifetime(all) { $0.eventsLogged } == 103 + 7 + 5 + 1)
        #expect(Fleet.lifetime(all) { $0.types[0].accepted } == 116)
    }

    @Test func theFingerprintIgnoresTheSequenceARestartRenumbers() {
        let a = Array(#"{"event_type":"x","payload":{},"timestamp":"t","sequence":5,"source":"http"}"#.utf8)
        let b = Array(#"{"event_type":"x","payload":{},"timestamp":"t","sequence":1,"source":"http"}"#.utf8)
        let c = Array(#"{"event_type":"y","payload":{},"timestamp":"t","sequence":1,"source":"http"}"#.utf8)
        #expect(CollectorLink.fingerprint(a) == CollectorLink.fingerprint(b))
        #expect(CollectorLink.fingerprint(a) != CollectorLink.fingerprint(c))
    }

    @Test func theSequenceIsFoundWhereverItIsAndOnlyWithItsComma() {
        let frame = #"{"event_type":"x","payload":{"k":"v"},"timestamp":"t","sequence":5,"source":"http"}"#
        #expect(CollectorLink.sequenceOffset(Array(frame.utf8)) == frame.utf8.count - #","sequence":5,"source":"http"}"#.utf8.count)
        #expect(CollectorLink.sequenceOffset(Array(#","sequence":1}"#.utf8)) == 0)
        // Without its comma it is not the marker.
        #expect(CollectorLink.sequenceOffset(Array(#"{"sequence":1}"#.utf8)) == 14)
        #expect(CollectorLink.sequenceOffset(Array("short".utf8)) == 5)
        #expect(CollectorLink.sequenceOffset([]) == 0)
        // Brute force over the old definition, on frames cut at every length.
        let bytes = Array(frame.utf8), marker = Array(#","sequence":"#.utf8)
        for n in 0...bytes.count {
            let cut = Array(bytes[..<n])
            let old = cut.indices.first { cut[$0...].starts(with: marker) } ?? cut.count
            #expect(CollectorLink.sequenceOffset(cut) == old, "cut at \(n)")
        }
    }
}
