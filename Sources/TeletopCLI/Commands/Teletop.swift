import ArgumentParser
import Foundation
import TeletopCore

/// The root command; `teletop` with no subcommand opens the dashboard.
public struct Teletop: ParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "teletop",
        abstract: "A terminal dashboard for live analytics telemetry.",
        discussion: """
            With no subcommand, opens the dashboard with the simulated AI-block generator running, \
            so events move at once. Press ? inside for every key.
            """,
        version: TeletopVersion.current,
        subcommands: [Dashboard.self, Serve.self, Attach.self, Send.self, Export.self, Replay.self, Plan.self, Check.self, Config.self],
        defaultSubcommand: Dashboard.self
    )

    /// `teletop`: ArgumentParser's parsing, with two things it does not do.
    /// A mistyped command (`teletop serv`) is answered "did you mean serve";
    /// `teletop --help` also lists the dashboard's options, since plain
    /// `teletop` runs the dashboard.
    public static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if let word = arguments.first, let message = unknownCommand(word) {
            FileHandle.standardError.write(Data((message + "\n").utf8))
            Foundation.exit(ExitCode.validationFailure.rawValue)
        }
        if arguments == ["--help"] || arguments == ["-h"] || arguments == ["help"] {
            print(helpMessage())
            print("\nWith no subcommand, teletop runs the dashboard, which takes these options:\n")
            print(helpMessage(for: Dashboard.self))
            Foundation.exit(0)
        }
        main(arguments)
    }

    static var commandNames: [String] { configuration.subcommands.map { $0._commandName } + ["help"] }

    /// The error for a first word that is no command but looks like one; nil
    /// for a real command, a flag, or a word too unlike any command.
    static func unknownCommand(_ word: String) -> String? {
        guard !word.hasPrefix("-"), !commandNames.contains(word) else { return nil }
        let close = commandNames.filter { $0.hasPrefix(word) || word.hasPrefix($0) || distance(word, $0) <= 2 }
        let hint = close.isEmpty ? "the commands are \(commandNames.dropLast().joined(separator: ", "))"
                                 : "did you mean '\(close[0])'?"
        return "Error: '\(word)' is not a teletop command; \(hint)\nUsage: teletop [<subcommand>] [<options>]\n  See 'teletop --help' for more information."
    }

    /// Edit distance, for command names of a few letters.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var row = Array(0...b.count)
        for i in 1...max(1, a.count) where !a.isEmpty {
            var previous = row[0]
            row[0] = i
            for j in 1...max(1, b.count) where !b.isEmpty {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return row[b.count]
    }
}
