import Testing
import TeletopCore
@testable import TeletopTUI

/// Issue 17, point 2: a grapheme cluster is kept whole and measured as the
/// terminal draws it, so no line crosses a border.
@Suite("Grapheme clusters")
struct GraphemeTests {
    static let family = "👨\u{200D}👩\u{200D}👧\u{200D}👦"
    static let samples = ["質問👍🏽", "🇯🇵", family, "e\u{301}té", "❤️ ok", "नमस्ते", "a\u{0308}\u{0301}"]

    @Test func widthsAsTerminalsDrawThem() {
        #expect(DisplayWidth.of("👍🏽") == 4, "a wide hand and a wide skin tone, as tmux and ncurses place them")
        #expect(DisplayWidth.of("🇯🇵") == 2)
        #expect(DisplayWidth.of("質問👍🏽") == 8)
        #expect(DisplayWidth.of("e\u{301}") == 1)
        #expect(DisplayWidth.of("❤️") == 1)
        // A ZWJ sequence is shown with its joiners visible: each part is drawn on its own.
        let shown = SafeText.clean(Self.family)
        #expect(shown == #"👨\u200d👩\u200d👧\u200d👦"#)
        #expect(DisplayWidth.of(shown) == 4 * 2 + 3 * 6)
    }

    @Test func aClusterSitsWholeInOneCellAndOwnsTheCellsAfterIt() {
        var grid = CellGrid(width: 10, height: 1)
        #expect(grid.put("a👍🏽b", x: 0, y: 0) == 6)
        #expect(grid[1, 0].character == "👍🏽" && (2...4).allSatisfy { grid[$0, 0].continuation } && grid[5, 0].character == "b")
        #expect(grid.lines == ["a👍🏽b    "])
        // Writing over any part of it blanks all of it, never leaving half.
        grid.put("x", x: 3, y: 0)
        #expect(grid.lines == ["a  x b    "])
        #expect((0..<10).allSatisfy { !grid[$0, 0].continuation || $0 == 0 })
        // Clipped: a cluster that does not fit whole is not drawn at all.
        var narrow = CellGrid(width: 4, height: 1)
        #expect(narrow.put("a👍🏽", x: 0, y: 0) == 4)
        #expect(narrow.lines == ["a   "])
    }

    /// A screen full of such text: every border character sits in the column
    /// the layout gives it, measured from the line's text as the terminal measures it.
    @Test(arguments: [(160, 45), (80, 24)])
    func bordersStayInTheirColumns(width: Int, height: Int) {
        let fixture = Fixture()
        for i in 0..<60 {
            let text = Self.samples[i % Self.samples.count]
            fixture.logger.log("ai_block_used", ["user_id": .string(text), "chapter_id": 1, "section_id": .string(text + text),
                                                 "block_type": .string(Self.samples[(i + 3) % Self.samples.count]), "query": .string(text)],
                               source: .http)
        }
        let s = fixture.session(width: width, height: height)
        s.refresh()
        let grid = s.render()
        for (y, line) in grid.lines.enumerated() {
            #expect(DisplayWidth.of(line) == width, "row \(y) is \(DisplayWidth.of(line)) columns: \(line)")
            var column = 0
            var measured: [Int] = []
            for c in line {
                if "│┌┐└┘".contains(c) { measured.append(column) }
                column += DisplayWidth.of(c)
            }
            let inGrid = (0..<width).filter { "│┌┐└┘".contains(grid[$0, y].character) && !grid[$0, y].continuation }
            #expect(measured == inGrid, "row \(y): borders at \(measured), the grid has them at \(inGrid)")
        }
        let text = grid.lines.joined(separator: "\n")
        #expect(text.contains("質問👍🏽") && text.contains("🇯🇵"), "the clusters are drawn whole")
    }

    /// The detail popup shows the JSON as stored (a joiner as its JSON escape).
    @Test func theDetailPopupShowsWhatIsStored() {
        let logger = EventLogger(clock: ManualClock())
        let event = logger.log("error_event", ["error_type": "質問👍🏽", "error_message": .string("🇯🇵 " + Self.family)], source: .form).event!
        let lines = DetailPopup(event: event, scroll: 0, glyphs: .unicode).lines.joined(separator: "\n")
        #expect(lines.contains(#""error_type": "質問👍🏽""#))
        #expect(lines.contains("🇯🇵 " + Self.family), "the popup's text is the stored string; the grid shows its joiners escaped")
    }
}
