import ArgumentParser
import Foundation

/// `--stdin` and `--follow FILE`, shared by the dashboard and `serve`.
struct InputOptions: ParsableArguments {
    @Flag(name: .customLong("stdin"), help: "Read JSON Lines events from standard input (one EventLogRequest or AnalyticsEvent per line).")
    var readStdin = false

    @Option(name: .customLong("follow"), help: ArgumentHelp("Follow a JSON Lines file as it grows, from its start (copes with truncation and rotation).", valueName: "file"))
    var followPath: String?

    @Option(name: .customLong("max-line"), parsing: .unconditional, help: ArgumentHelp("Longest accepted line in bytes; longer lines are rejected and skipped.", valueName: "bytes"))
    var maxLineBytes: Int = InputSettings().maxLineBytes

    func validate() throws {
        guard maxLineBytes >= 64 else { throw ValidationError("--max-line must be at least 64 bytes, got \(maxLineBytes)") }
    }

    var settings: InputSettings { InputSettings(readStdin: readStdin, followPath: followPath, maxLineBytes: maxLineBytes) }
}
