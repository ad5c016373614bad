import Foundation
import Testing

extension EndToEnd {
@Suite("The form in the real binary", .serialized)
struct FormEndToEndTests {
    @Test func fillSubmitAndFixAnEvent() throws {
        let t = try TmuxSession("--no-sim")
        _ = try t.waitFor { $0.contains("waiting for events") && $0.contains("3 Health") }
        try t.keys("n")
        _ = try t.waitFor { $0.contains("New event: choose a type") }
        try t.keys("Enter")
        _ = try t.waitFor { $0.contains("New event: ai_block_used") && $0.contains("query") }
        // A wrong chapter_id first: marked as the field is left, and again on submit, text kept.
        try t.keys("user_42", "Tab", "one", "Tab", "what-is-physical-ai", "Tab", "ask-question", "Enter")
        let rejected = try t.waitFor { $0.contains("rejected: 1 problem") }
        #expect(rejected.contains(#"✖ payload.chapter_id: expected integer, got string "one""#))
        let chapterLine = try #require(rejected.split(separator: "\n").first { $0.contains("chapter_id *") })
        #expect(chapterLine.contains("integer") && chapterLine.contains("one"), "the text typed is kept")
        #expect(eventCount(rejected) == 0)

        // Fix it: back to chapter_id, erase, type 1, submit.
        try t.keys("BTab", "BTab", "C-u", "1", "Enter")
        let accepted = try t.waitFor { $0.contains("accepted at") }
        #expect(accepted.contains("source form"))
        try t.keys("Escape")
        let screen = try t.waitFor { eventCount($0) == 1 && $0.contains("3 Health") && !$0.contains("New event") }
        let feedLine = try #require(screen.split(separator: "\n").first { $0.contains("ai_block_used form") })
        #expect(feedLine.contains("user_id=user_42 chapter_id=1 section_id=what-is-physical"), "clipped to the feed width")
        let counters = try #require(screen.split(separator: "\n").first { $0.contains("│ai_block_used ") })
        #expect(counters.contains(" 1 "), "counted")
        try t.keys("q")
        #expect(t.exitStatus() == "0")
    }
}
}
