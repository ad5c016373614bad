/// `teletop check`: recordings or exports read against a plan. Counts per
/// type, per field and problem, with the first examples and their line
/// numbers. A line that is not an event at all counts as a problem too.
/// Bounded: at most `maxProblems` distinct (type, field, problem) keys and
/// `examplesPerProblem` examples each; the rest are counted, not kept.
public struct PlanCheck: Sendable {
    public static let maxProblems = 1000
    public static let examplesPerProblem = 3
    /// The type column for lines that are not an event.
    public static let notAnEvent = "(not an event)"

    public struct Example: Sendable, Equatable {
        public var file: String
        public var line: Int
        public var message: String
    }

    public struct Problem: Sendable, Equatable {
        public var eventType: String
        public var field: String
        public var problem: String
        public var count: Int
        public var examples: [Example]
    }

    public struct TypeCount: Sendable, Equatable {
        public var eventType: String
        public var events: Int
        public var invalid: Int
    }

    public let plan: TrackingPlan
    public private(set) var events = 0
    public private(set) var invalid = 0
    public private(set) var problems: [Problem] = []
    public private(set) var problemsLeftOut = 0
    private var problemIndex: [String: Int] = [:]
    private var typeCounts: [TypeCount] = []
    private var typeIndex: [String: Int] = [:]

    public init(plan: TrackingPlan) {
        self.plan = plan
    }

    public var types: [TypeCount] { typeCounts }
    public var clean: Bool { invalid == 0 }

    /// One JSON Lines line (an AnalyticsEvent or an EventLogRequest).
    public mutating func add(line bytes: UnsafeBufferPointer<UInt8>, file: String, line: Int) {
        events += 1
        let issues: [ValidationIssue]
        let type: String
        switch EventIngest.decode(bytes) {
        case .failure(let error):
            type = error.eventType ?? Self.notAnEvent
            issues = error.issues
        case .success(let d):
            type = d.eventType
            issues = plan.validate(eventType: d.eventType, payload: d.packedPayload).issues
        }
        record(issues, type: type, file: file, line: line)
    }

    /// A line that could not even be read as one (too long): counted as not an event.
    public mutating func add(issue: ValidationIssue, eventType: String?, file: String, line: Int) {
        events += 1
        record([issue], type: eventType ?? Self.notAnEvent, file: file, line: line)
    }

    private mutating func record(_ issues: [ValidationIssue], type: String, file: String, line: Int) {
        count(type: type, invalid: !issues.isEmpty)
        guard !issues.isEmpty else { return }
        invalid += 1
        for issue in issues {
            let key = "\(type)\u{0}\(issue.field)\u{0}\(issue.problem.rawValue)"
            if let i = problemIndex[key] {
                problems[i].count += 1
                if problems[i].examples.count < Self.examplesPerProblem {
                    problems[i].examples.append(Example(file: file, line: line, message: issue.message))
                }
            } else if problems.count < Self.maxProblems {
                problemIndex[key] = problems.count
                problems.append(Problem(eventType: type, field: issue.field, problem: issue.problem.rawValue, count: 1,
                                        examples: [Example(file: file, line: line, message: issue.message)]))
            } else {
                problemsLeftOut += 1
            }
        }
    }

    private mutating func count(type: String, invalid: Bool) {
        let i: Int
        if let found = typeIndex[type] {
            i = found
        } else if typeCounts.count < Self.maxProblems {
            i = typeCounts.count
            typeIndex[type] = i
            typeCounts.append(TypeCount(eventType: type, events: 0, invalid: 0))
        } else {
            return
        }
        typeCounts[i].events += 1
        if invalid { typeCounts[i].invalid += 1 }
    }

    /// For people: a summary line, then per type, then per problem with its first examples.
    public func text(files: [String], planName: String) -> String {
        var out = "checked \(Describe.grouped(events)) events in \(files.count) file\(files.count == 1 ? "" : "s") against \(planName): "
        out += clean ? "no violations\n" : "\(Describe.grouped(invalid)) with violations\n"
        for t in typeCounts.sorted(by: { ($0.invalid, $0.events) > ($1.invalid, $1.events) }) {
            out += "  \(t.eventType): \(Describe.grouped(t.events)) events, \(Describe.grouped(t.invalid)) with violations\n"
        }
        if !problems.isEmpty { out += "problems:\n" }
        for p in problems.sorted(by: { $0.count > $1.count }) {
            out += "  \(p.eventType)  \(p.field)  \(p.problem)  \(Describe.grouped(p.count))\n"
            for e in p.examples { out += "    \(e.file):\(e.line): \(e.message)\n" }
        }
        if problemsLeftOut > 0 { out += "  (\(Describe.grouped(problemsLeftOut)) more problems of other kinds not listed)\n" }
        return out
    }

    /// For CI (`--format json`).
    public func json(files: [String]) -> JSONValue {
        .object([
            "files": .array(files.map(JSONValue.string)),
            "events": .int(Int64(events)), "invalid": .int(Int64(invalid)), "clean": .bool(clean),
            "types": .array(typeCounts.map { .object(["event_type": .string($0.eventType), "events": .int(Int64($0.events)),
                                                      "invalid": .int(Int64($0.invalid))]) }),
            "problems": .array(problems.map { p in
                .object(["event_type": .string(p.eventType), "field": .string(p.field), "problem": .string(p.problem),
                         "count": .int(Int64(p.count)),
                         "examples": .array(p.examples.map { .object(["file": .string($0.file), "line": .int(Int64($0.line)),
                                                                       "message": .string($0.message)]) })])
            }),
            "problems_left_out": .int(Int64(problemsLeftOut)),
        ])
    }
}
