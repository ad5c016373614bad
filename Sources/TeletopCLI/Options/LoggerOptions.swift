import ArgumentParser
import Foundation
import TeletopCore

/// `--plan`, `--ring` and `--seed`: what builds the logger and the simulator,
/// the same for the dashboard and `serve`.
struct LoggerOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp("Seed of the simulator: the same seed gives the same events.", valueName: "n"))
    var seed: UInt64 = LoggerSettings().seed

    @Option(help: ArgumentHelp("A tracking plan file (JSON; see the README). Default: the contract's three event types.", valueName: "file"))
    var plan: String?

    @Option(name: .customLong("ring"), parsing: .unconditional, help: ArgumentHelp("How many recent events to keep in memory (the feed's history).", valueName: "n"))
    var ringCapacity: Int = LoggerSettings().ringCapacity

    @Option(name: .customLong("ring-bytes"), help: ArgumentHelp(
        "The most memory the ring of recent events may hold (payloads plus 64 bytes an event); the oldest go first.",
        valueName: "size"))
    var ringBytes = ByteSize(bytes: LoggerSettings().ringBytes)

    @Option(name: .customLong("queue-bytes"), help: ArgumentHelp(
        "The most memory each consumer's queue may hold: the store's, the recorder's; a stream client gets a quarter. Past it, events are dropped for that consumer and counted.",
        valueName: "size"))
    var queueBytes = ByteSize(bytes: LoggerSettings().queueBytes)

    @Flag(name: .customLong("accept-unplanned"), help: ArgumentHelp(
        "Watch first: take every event type, flagged as unplanned, while the plan's own types are still checked (for an app whose events are in no plan yet)."))
    var acceptUnplanned = false

    func validate() throws {
        guard ringCapacity >= 1 else { throw ValidationError("--ring must be at least 1, got \(ringCapacity)") }
        guard ringBytes.bytes >= 1 << 16 else { throw ValidationError("--ring-bytes must be at least 64KiB, got \(ringBytes)") }
        guard queueBytes.bytes >= 1 << 16 else { throw ValidationError("--queue-bytes must be at least 64KiB, got \(queueBytes)") }
    }

    var settings: LoggerSettings {
        LoggerSettings(seed: seed, planPath: plan, acceptUnplanned: acceptUnplanned, ringCapacity: ringCapacity, ringBytes: ringBytes.bytes, queueBytes: queueBytes.bytes)
    }

    /// `--sim-rate`, whose default differs between the dashboard and `serve`.
    static func validate(simRate: Double) throws {
        guard simRate >= 0, simRate <= Simulator.maxRate else {
            throw ValidationError("--sim-rate must be between 0 and \(Int(Simulator.maxRate)), got \(simRate)")
        }
    }
}
