import ArgumentParser
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
        subcommands: [Dashboard.self, Serve.self, Send.self, Export.self, Replay.self],
        defaultSubcommand: Dashboard.self
    )
}
