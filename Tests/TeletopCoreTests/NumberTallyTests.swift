import Testing
@testable import TeletopCore

@Suite("Percentiles of payload numbers")
struct NumberTallyTests {
    let start = Timestamp(year: 2026, month: 12, day: 2, hour: 9)

    func event(_ type: String, _ payload: JSONObject, at seconds: Int64 = 0) -> LoggedEvent {
        LoggedEvent(sequence: 1, eventType: type, timestamp: Timestamp(millisecondsSinceEpoch: start.millisecondsSinceEpoch + seconds * 1000),
                    source: .http, unplanned: false, packedPayload: PackedPayload(payload))
    }

    /// The nearest-rank percentile of the values themselves.
    func exact(_ sorted: [Double], _ p: Double) -> Double {
        sorted[max(0, Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1)]
    }

    @Test(arguments: [1, 7, 42, 2026])
    func percentilesAreWithinOnePercentOfTheValuesAndMaxIsExact(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var tally = NumberTally()
        var values: [Double] = []
        for _ in 0..<5_000 {
            // Latency-like: mostly small, a long tail.
            let v = Double(rng.next() % 1_000 + 1) * (rng.next() % 20 == 0 ? 40 : 1)
            values.append(v)
            tally.add(event("ai_block_used", ["latency_ms": .int(Int64(v)), "block_type": "text"]))
        }
        values.sort()
        let row = tally.report(now: start).rows.first { $0.field == "latency_ms" }!
        #expect(row.session.count == 5_000)
        #expect(row.session.max == values.last!)
        for (p, got) in [(50.0, row.session.p50), (95, row.session.p95), (99, row.session.p99)] {
            let want = exact(values, p)
            #expect(abs(got - want) <= want * 0.01 + 0.5, "p\(p): \(got) against \(want)")
        }
        #expect(tally.report(now: start).rows.map(\.field) == ["latency_ms"], "a string field is not a number")
    }

    @Test func theLastMinuteForgetsOlderValuesTheSessionKeepsThem() {
        var tally = NumberTally()
        for _ in 0..<10 { tally.add(event("ai_block_used", ["latency_ms": 5_000], at: 0)) }
        for _ in 0..<10 { tally.add(event("ai_block_used", ["latency_ms": 100], at: 65)) }
        let row = tally.report(now: Timestamp(millisecondsSinceEpoch: start.millisecondsSinceEpoch + 66_000)).rows[0]
        #expect(row.lastMinute?.count == 10)
        #expect(row.lastMinute?.max == 100)
        #expect(row.session.count == 20)
        #expect(row.session.max == 5_000)
        // Two minutes on, nothing new: the last minute is empty.
        #expect(tally.report(now: Timestamp(millisecondsSinceEpoch: start.millisecondsSinceEpoch + 200_000)).rows[0].lastMinute == nil)
    }

    @Test func fractionsCountAndWholeNumbersReadWhole() {
        var tally = NumberTally()
        for v in [0.25, 0.5, 0.75, 1.0] { tally.add(event("score", ["ratio": .double(v), "n": 2])) }
        let rows = tally.report(now: start).rows
        let ratio = rows.first { $0.field == "ratio" }!.session
        #expect(ratio.max == 1.0)
        #expect(abs(ratio.p50 - 0.5) <= 0.005)
        #expect(rows.first { $0.field == "n" }!.session.p50 == 2, "a bucket's top (2.007) reads as the whole number it holds")
    }

    @Test func negativeAndHugeValuesAreLeftOutAndCounted() {
        var tally = NumberTally()
        tally.add(event("t", ["a": -5, "b": .double(1e15), "c": 3]))
        let report = tally.report(now: start)
        #expect(report.outOfRange == 2)
        #expect(report.rows.map(\.field) == ["c"])
    }

    @Test func fieldsBeyondTheBoundAreCountedNotKept() {
        var tally = NumberTally()
        for i in 0..<(NumberTally.maxFields + 44) { tally.add(event("t", ["f\(i)": 1])) }
        tally.enforceBound()
        let report = tally.report(now: start)
        #expect(report.rows.count == NumberTally.maxFields)
        #expect(report.untrackedValues == 44)
        #expect(report.bytes > 0 && report.bytes <= NumberTally.maxBytes)
    }

    @Test func theByteBoundEvictsTheLeastRecentlySeenFields() {
        var tally = NumberTally()
        // Values across the whole range make each histogram as large as it gets.
        for i in 0..<NumberTally.maxFields {
            for v in [1.0, 1e3, 1e6, 1e9, 1e12] { tally.add(event("t", ["f\(i)": .double(v)], at: Int64(i))) }
            tally.enforceBound()
        }
        let report = tally.report(now: start)
        #expect(report.bytes <= NumberTally.maxBytes)
        #expect(report.evictedFields > 0, "\(report.rows.count) fields in \(report.bytes) bytes")
        #expect(report.rows.contains { $0.field == "f\(NumberTally.maxFields - 1)" }, "the newest field stays")
        #expect(!report.rows.contains { $0.field == "f0" }, "the oldest went first")
    }

    /// The tally remembers the last event's type: interleaved types with the same
    /// field names, and an eviction that renumbers the fields, must not cross them.
    @Test func typesInterleavedAndFieldsRenumberedStayApart() {
        var tally = NumberTally()
        for i in 0..<300 {
            let type = ["a", "b", "b", "c"][i % 4]
            tally.add(event(type, ["n": .int(type == "a" ? 1 : type == "b" ? 20 : 300), "m": .int(Int64(i))]))
        }
        func row(_ type: String, _ field: String) -> NumberRow? {
            tally.report(now: start).rows.first { $0.eventType == type && $0.field == field }
        }
        #expect(row("a", "n")?.session.count == 75 && row("a", "n")?.session.max == 1)
        #expect(row("b", "n")?.session.count == 150 && row("b", "n")?.session.max == 20)
        #expect(row("c", "n")?.session.count == 75 && row("c", "n")?.session.max == 300)
        // Fill the byte bound with other fields so the oldest (a's, b's, c's) go, then carry on with c.
        for i in 0..<NumberTally.maxFields {
            for v in [1.0, 1e3, 1e6, 1e9, 1e12] { tally.add(event("t", ["f\(i)": .double(v)], at: Int64(i + 1))) }
            tally.enforceBound()
        }
        #expect(row("c", "n") == nil, "evicted")
        tally.add(event("c", ["n": .int(7)], at: 10_000))
        tally.add(event("t", ["f\(NumberTally.maxFields - 1)": .int(5)], at: 10_000))
        #expect(row("c", "n")?.session.count == 1 && row("c", "n")?.session.max == 7)
        #expect(row("t", "f\(NumberTally.maxFields - 1)")?.session.count == 6)
    }

    @Test func theMonitorCountsWhatTheLoggerAccepted() {
        let clock = ManualClock(start)
        let logger = EventLogger(plan: .contract, clock: clock)
        let monitor = NumbersMonitor(logger: logger)
        for ms in [120, 480, 950] {
            logger.log("ai_block_used", ["user_id": "u1", "chapter_id": 1, "section_id": "s", "block_type": "text", "latency_ms": .int(Int64(ms))], source: .http)
        }
        monitor.catchUp()
        let row = monitor.report(now: clock.now()).rows.first { $0.field == "latency_ms" }
        #expect(row?.session.count == 3)
        #expect(row?.session.max == 950)
        #expect(row?.lastMinute?.count == 3)
    }
}
