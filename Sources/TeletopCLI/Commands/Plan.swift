import ArgumentParser
import Foundation
import TeletopCore

/// `teletop plan`: plans from traffic.
struct Plan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Work with tracking plans.",
        subcommands: [Infer.self]
    )

    /// `teletop plan infer FILE.jsonl...`: the plan the recorded events imply.
    struct Infer: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the plan that recorded events imply.",
            discussion: """
                Types, fields, JSON types and required fields, as a plan file. Reads JSON Lines (a recording, `teletop export`, or - for standard input). A field present in every \
                event of its type is required; integers and decimals together are a number; strings that are all \
                ISO-8601 times are a timestamp; mixed types or null are any. Edit the result, then load it with --plan.
                """
        )

        @Argument(help: ArgumentHelp("JSON Lines files of events (- for standard input).", valueName: "file"))
        var files: [String]

        @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Write the plan here instead of standard output.", valueName: "file"))
        var output: String?

        func validate() throws {
            if files.isEmpty { throw ValidationError("give at least one JSON Lines file of events (or - for standard input)") }
        }

        func run() throws {
            var inference = PlanInference()
            var skipped = 0
            for file in files {
                do {
                    try JSONLinesFiles.forEachLine(file) { line in
                        guard case .line(let bytes, _) = line, case .success(let event) = EventIngest.decode(bytes) else {
                            skipped += 1
                            return
                        }
                        inference.add(eventType: event.eventType, payload: event.payload)
                    }
                } catch {
                    throw commandFailure("teletop plan infer: \(error.description)")
                }
            }
            guard inference.events > 0 else {
                throw commandFailure("teletop plan infer: no events in \(files.joined(separator: ", "))" +
                                     (skipped > 0 ? " (\(skipped) lines were not events)" : ""))
            }
            let text = inference.plan.fileText
            if let output {
                do { try text.write(toFile: output, atomically: true, encoding: .utf8) } catch {
                    throw commandFailure("teletop plan infer: -o \(output): \(error.localizedDescription)")
                }
            } else {
                print(text, terminator: "")
            }
            var note = "teletop plan infer: \(inference.plan.eventTypes.count) types from \(Describe.grouped(inference.events)) events"
            if skipped > 0 { note += "; \(Describe.grouped(skipped)) lines were not events and were skipped" }
            if inference.eventsLeftOut + inference.fieldsLeftOut > 0 {
                note += "; past the bounds (\(PlanInference.maxTypes) types, \(PlanInference.maxFields) fields a type): "
                    + "\(inference.eventsLeftOut) events and \(inference.fieldsLeftOut) fields left out"
            }
            FileHandle.standardError.write(Data((note + "\n").utf8))
        }
    }
}
