import Foundation
import Testing
import TeletopCore
@testable import TeletopTUI

@Suite("One key map")
struct KeyMapTests {
    let fixture = Fixture()

    /// The README's key table is the key map's, row for row.
    @Test func theReadmeKeyTableIsTheKeyMap() throws {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        let start = try #require(text.range(of: "<!-- keys: generated from KeyMap.bindings -->\n"))
        let end = try #require(text.range(of: "<!-- /keys -->", range: start.upperBound..<text.endIndex))
        let table = String(text[start.upperBound..<end.lowerBound])
        if ProcessInfo.processInfo.environment["TELETOP_UPDATE_README"] == "1" {
            try text.replacingCharacters(in: start.upperBound..<end.lowerBound, with: KeyMap.readmeTable).write(to: readme, atomically: true, encoding: .utf8)
            return
        }
        #expect(table == KeyMap.readmeTable, "README.md's key table should read:\n\(KeyMap.readmeTable)")
    }

    /// No key means two things in one place: a second binding would be dead.
    @Test func noKeyIsBoundTwiceInOneContext() {
        for context in KeyContext.allCases {
            var seen: [Key: String] = [:]
            for binding in KeyMap.bindings where binding.contexts.contains(context) {
                for (key, _) in binding.keys {
                    #expect(seen[key] == nil, "\(key) in \(context): \(binding.keysText) and \(seen[key] ?? "")")
                    seen[key] = binding.keysText
                }
            }
        }
    }

    /// What the footer shows is bound where it is shown, and the help screen lists every described binding.
    @Test func footerAndHelpReadTheMap() {
        let s = fixture.session(width: 160, height: 45)
        let footer = s.render().lines.last!
        for item in KeyMap.footer(s.state) { #expect(footer.contains("\(item.key) \(item.label)")) }
        #expect(footer.contains("space pause"))
        s.send(.key(.char(" ")))
        #expect(s.render().lines.last!.contains("space resume"), "the label follows the state")
        let help = HelpPopup(s.state, scroll: 0).lines().joined(separator: "\n")
        for binding in KeyMap.bindings where !binding.help.isEmpty {
            #expect(help.contains(binding.help), "help lacks \(binding.keysText)")
        }
    }

    /// `update` does what the map says: every main-view key reaches its action.
    @Test func updateFollowsTheMap() {
        #expect(KeyMap.action(for: .char("q"), in: .main) == .quit)
        #expect(KeyMap.action(for: .char("q"), in: .filter) == nil, "q is text in the filter line")
        #expect(KeyMap.action(for: .ctrl("c"), in: .formFields) == .quit, "Ctrl-C quits from anywhere")
        #expect(KeyMap.action(for: .ctrl("u"), in: .formFields) == nil, "the line editor takes Ctrl-U")
        let s = fixture.session(width: 160, height: 45)
        #expect(s.send(.key(.char("b"))) == [.burst])
        #expect(s.send(.key(.char("2"))) == [] && s.state.focus == .counters)
    }
}

@Suite("The filter line edits like the form")
struct FilterLineTests {
    let fixture = Fixture()

    @Test func cursorWordsAndUTF8() {
        let s = fixture.session(width: 160, height: 45)
        s.send(.key(.char("/")))
        s.type("provider timeout")
        s.send(.key(.ctrl("w")))
        #expect(s.state.textFilter == "provider ")
        s.send(.key(.home))
        s.type("用户")
        #expect(s.state.textFilter == "用户provider ")
        s.send(.key(.right)); s.send(.key(.delete))
        #expect(s.state.textFilter == "用户povider ")
        s.send(.key(.end)); s.send(.key(.backspace)); s.send(.key(.left)); s.send(.key(.ctrl("u")))
        #expect(s.state.textFilter == "r")
        s.send(.key(.ctrl("u")))
        #expect(s.state.textFilter == "r", "nothing before the cursor to erase")
        s.send(.key(.end)); s.send(.key(.backspace)); s.type("😀")
        #expect(s.state.textFilter == "😀")
        s.send(.key(.enter))
        #expect(s.state.mode == .normal && s.state.textFilter == "😀", "Enter keeps it")
    }

    /// The cursor is drawn where the editor says, reversed, as in the form.
    @Test func theCursorIsOnScreen() {
        let s = fixture.session(width: 160, height: 45)
        s.send(.key(.char("/")))
        s.type("abc")
        s.send(.key(.left))
        let grid = s.render()
        let title = grid.lines[1]
        let slash = title.range(of: "/abc")!
        let x = title.distance(from: title.startIndex, to: slash.lowerBound) + 3  // the "c"
        #expect(grid[x, 1].character == "c" && grid[x, 1].style.reverse)
    }
}

@Suite("A key's effect is complete before the next key")
struct KeyOrderTests {
    let fixture = Fixture()

    /// Issue 17's third point: `g` then Enter at once opened the newest event.
    @Test func gThenEnterOpensTheOldest() {
        let s = fixture.session(width: 160, height: 45)
        s.send(.key(.char("g")))
        s.send(.key(.enter))
        guard case .detail(let event, _) = s.state.mode else {
            Issue.record("no detail popup")
            return
        }
        #expect(event.sequence == fixture.logger.sequenceRange.oldest)
    }

    @Test func aKeyThatMovesTheFeedAsksForItsPage() {
        var state = fixture.session(width: 160, height: 45).state
        let effects = update(&state, .key(.char("g")))
        #expect(effects == [.loadFeed(state.feedQuery)])
        #expect(update(&state, .key(.char("o"))).isEmpty, "sorting counters does not touch the feed")
    }

    @Test func newEventsAskForAFreshPageAndOnlyThen() {
        var state = fixture.session(width: 160, height: 45).state
        let same = Refresh(snapshot: state.snapshot, simulator: state.simulator, sources: state.sources)
        #expect(update(&state, .refreshed(same)).isEmpty)
        fixture.logger.log("error_event", ["error_type": "x", "error_message": "y"], source: .http)
        let newer = Refresh(snapshot: fixture.logger.snapshot(), simulator: state.simulator, sources: state.sources)
        #expect(update(&state, .refreshed(newer)) == [.loadFeed(state.feedQuery)])
    }
}
