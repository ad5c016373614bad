import TeletopCore
import TeletopStore
import TeletopTUI

/// What `teletop serve` prints when it stops: as text for people, as JSON for scripts.
struct ServeSummary {
    let snapshot: TelemetrySnapshot
    let inputs: [(name: String, label: String, stats: JSONLinesIngestor.Stats)]
    let elapsedSeconds: Double
    let stoppedBy: String
    /// The store's state when serve stopped (nil with --in-memory).
    let store: StoreWriter.Status?

    init(logger: EventLogger, sources: InputSources, store: StoreWriter.Status?, elapsed: Duration, stoppedBy: String) {
        self.store = store
        snapshot = logger.snapshot()
        inputs = sources.readers.map { ($0.name, $0.label, $0.ingestor.current) }
        elapsedSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        self.stoppedBy = stoppedBy
    }

    /// Accepted by this run (the table's per-type counts include stored history).
    var accepted: UInt64 { snapshot.totalAccepted }
    var rejected: UInt64 { snapshot.totalRejected }
    var lines: Int { inputs.reduce(0) { $0 + $1.stats.lines } }
    /// Accepted events that never reached the store (it failed until the end).
    var unstored: Int { store?.unwritten ?? 0 }
    /// Rejected lines of the inputs (not HTTP requests or form events).
    var rejectedLines: Int { inputs.reduce(0) { $0 + $1.stats.rejected } }
    var inputFailed: Bool { inputs.contains { $0.stats.failure != nil } }
    /// The first rejections of every input, in input order.
    var firstRejections: [Rejection] { inputs.flatMap(\.stats.firstRejections) }

    var text: String {
        var out: [String] = []
        let rate = elapsedSeconds > 0 ? Double(lines) / elapsedSeconds : 0
        out.append("teletop serve stopped (\(stoppedBy)) after \(Format.oneDecimal(elapsedSeconds)) s: "
                   + "\(Format.grouped(accepted)) events accepted, \(Format.grouped(rejected)) rejected"
                   + (inputs.isEmpty ? "" : ", \(Format.grouped(lines)) lines read (\(Format.rate(rate)) lines/s)"))
        for input in inputs {
            let s = input.stats
            out.append("  \(input.label): \(s.failure ?? s.state); \(Format.grouped(s.lines)) lines, "
                       + "\(Format.grouped(s.accepted)) accepted, \(Format.grouped(s.rejected)) rejected")
        }
        if let store {
            out.append("  store \(store.path): " + (store.failure.map { "FAILING: \($0); " } ?? "")
                       + "\(Format.grouped(store.written)) written by this run, \(Format.grouped(store.eventsStored)) stored"
                       + (store.unwritten > 0 ? ", \(Format.grouped(store.unwritten)) accepted but NOT stored" : ""))
        }
        if !snapshot.types.isEmpty {
            out.append("")
            out.append(Format.column("event_type", 24) + Format.column(store == nil ? "accepted" : "all time", 12, right: true) + Format.column("rejected", 12, right: true))
            for t in snapshot.types.sorted(by: { $0.name < $1.name }) {
                out.append(Format.column(SafeText.clean(t.name), 24) + Format.column(Format.grouped(t.accepted), 12, right: true)
                           + Format.column(Format.grouped(t.rejected), 12, right: true))
            }
        }
        let first = firstRejections
        if !first.isEmpty {
            out.append("")
            out.append("rejected (first \(first.count)):")
            for r in first { out.append("  \(r.source) " + SafeText.clean(r.summary)) }
        }
        out.append("")
        let health = snapshot.healthResponse
        out.append("health: \(health.message)")
        return out.joined(separator: "\n")
    }

    var json: String {
        func issues(_ r: Rejection) -> JSONValue {
            .array(r.issues.map { i in
                .object(["field": .string(i.field), "problem": .string(i.problem.rawValue), "expected": .string(i.expected),
                         "got": .string(i.got), "message": .string(i.message)])
            })
        }
        let value: JSONValue = .object([
            "stopped_by": .string(stoppedBy),
            "elapsed_seconds": .double(elapsedSeconds),
            "events_accepted": .int(Int64(accepted)),
            "events_logged": .int(Int64(snapshot.eventsLogged)),
            "store": store.map { s in
                .object(["path": .string(s.path), "failure": s.failure.map { .string($0) } ?? .null,
                         "written": .int(Int64(s.written)), "stored": .int(Int64(s.eventsStored)),
                         "not_stored": .int(Int64(s.unwritten))])
            } ?? .null,
            "rejected": .int(Int64(rejected)),
            "lines": .int(Int64(lines)),
            "inputs": .array(inputs.map { input in
                .object(["source": .string(input.name.lowercased()), "name": .string(input.label),
                         "state": .string(input.stats.state), "failure": input.stats.failure.map { .string($0) } ?? .null,
                         "lines": .int(Int64(input.stats.lines)), "accepted": .int(Int64(input.stats.accepted)),
                         "rejected": .int(Int64(input.stats.rejected))])
            }),
            "event_types": .array(snapshot.types.sorted(by: { $0.name < $1.name }).map { t in
                .object(["event_type": .string(t.name), "accepted": .int(Int64(t.accepted)), "rejected": .int(Int64(t.rejected))])
            }),
            "first_rejections": .array(firstRejections.map { r in
                .object(["source": .string(r.source.description), "line": r.line.map { .int(Int64($0)) } ?? .null,
                         "event_type": r.eventType.map { .string($0) } ?? .null, "issues": issues(r)])
            }),
            "health": snapshot.healthResponse.jsonValue,
        ])
        return JSONWriter.pretty(value)
    }
}
