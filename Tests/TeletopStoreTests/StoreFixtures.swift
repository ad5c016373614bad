import Foundation
import Logging
import TeletopCore
@testable import TeletopStore

let aiPayload: JSONObject = ["user_id": "user_1", "chapter_id": 1, "section_id": "intro", "block_type": "ask-question"]

func aiEvent(user: String = "user_1", chapter: Int64 = 1, section: String = "intro", block: String = "ask-question") -> JSONObject {
    ["user_id": .string(user), "chapter_id": .int(chapter), "section_id": .string(section), "block_type": .string(block)]
}

/// A fresh folder per test, removed when the value goes away.
final class TempDir {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "teletop-store-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String = "events.sqlite") -> String { "\(path)/\(name)" }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Fast retries and ticks, so failure and recovery take milliseconds in tests.
func quickOptions() -> StoreWriter.Options {
    var o = StoreWriter.Options()
    o.tick = .milliseconds(20)
    o.retryInitial = .milliseconds(10)
    o.retryMax = .milliseconds(50)
    o.pruneInterval = .milliseconds(20)
    return o
}

/// Polls `condition` every 10 ms for up to `seconds`.
func eventually(_ seconds: Double = 5, _ condition: () throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return try condition()
}

func storeHealth(_ logger: EventLogger) -> ComponentHealth? {
    logger.snapshot().components.first { $0.name == "store" }
}

/// The writer's own log says what failed; tests check health instead, so it stays quiet.
let quietLog = Logger(label: "teletop.store.test", factory: { _ in SwiftLogNoOpLogHandler() })
