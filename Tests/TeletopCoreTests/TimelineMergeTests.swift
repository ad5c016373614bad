import Testing
@testable import TeletopCore

@Suite("The ring's events and the store's, merged")
struct TimelineMergeTests {
    func event(_ seq: UInt64, ms: Int64, _ payload: JSONObject = ["user_id": "u1"]) -> LoggedEvent {
        LoggedEvent(sequence: seq, eventType: "chapter_visit", timestamp: Timestamp(millisecondsSinceEpoch: 1_796_200_000_000 + ms), source: .http,
                    unplanned: false, packedPayload: PackedPayload(payload))
    }

    @Test func eachEventOnceOldestFirstAndTwinsStayTwo() {
        // Two alike to the millisecond (a retry): both stored; the ring holds only the second.
        let stored = [event(1, ms: 0), event(2, ms: 500), event(3, ms: 500), event(4, ms: 900)]
        let ring = [event(103, ms: 500), event(104, ms: 900)]
        let merged = TimelineResult.merge(memory: ring, stored: stored)
        #expect(merged.map(\.event.timestamp.millisecondsSinceEpoch) == [0, 500, 500, 900].map { 1_796_200_000_000 + $0 })
        #expect(merged.map(\.fromStore) == [true, false, true, false], "the ring's copy where it has one; the twin it lacks from the store")
        #expect(merged.count == 4)
    }

    @Test func aTypeNarrowsAMatch() {
        let q = TimelineQuery(field: "user_id", value: "u1", eventType: "ai_block_used")
        #expect(!q.matches(event(1, ms: 0)))
        #expect(TimelineQuery(field: "user_id", value: "u1").matches(event(1, ms: 0)))
        #expect(!TimelineQuery(field: "user_id", value: "u2").matches(event(1, ms: 0)))
    }
}
