import ArgumentParser
import Foundation
import TeletopCore

/// `teletop check --plan PLAN FILE.jsonl...`: recordings validated against a plan, for CI.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check recorded events against a tracking plan.",
        discussion: """
            Counts per type, per field and problem, with the first examples and their line numbers. \
            Exit status: 0 no violations, 1 violations, 2 unreadable input (a file or the plan).
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @Option(help: ArgumentHelp("The plan file to check against (default: the contract's three types).", valueName: "file"))
    var plan: String?

    @Option(help: ArgumentHelp("text or json (for CI).", valueName: "format"))
    var format: Format = .text

    @Argument(help: ArgumentHelp("JSON Lines files of events (- for standard input).", valueName: "file"))
    var files: [String]

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one JSON Lines file of events (or - for standard input)") }
    }

    func run() throws {
        let loaded = try LoggerSettings(planPath: plan).loadPlan()
        var check = PlanCheck(plan: loaded)
        for file in files {
            do {
                try JSONLinesFiles.forEachLine(file) { line in
                    switch line {
                    case .line(let bytes, let number): check.add(line: bytes, file: file, line: number)
                    case .tooLong(let number):
                        check.add(issue: ValidationIssue(field: "line", problem: .tooLarge, expected: "a line of at most 1 MiB",
                                                         got: "a longer line"), eventType: nil, file: file, line: number)
                    }
                }
            } catch {
                throw commandFailure("teletop check: \(error.description)")
            }
        }
        switch format {
        case .text: print(check.text(files: files, planName: plan ?? "the contract's plan"), terminator: "")
        case .json: print(JSONWriter.pretty(check.json(files: files)))
        }
        if !check.clean { throw ExitCode(1) }
    }
}
