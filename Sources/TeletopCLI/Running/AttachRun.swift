import Foundation
import Logging
import TeletopCore
import TeletopStore
import TeletopRemote
import TeletopTUI

/// `teletop attach`: the links first (they connect while the screen opens),
/// then the dashboard over them; each stopped on the way out.
struct AttachRun {
    let addresses: [CollectorAddress]
    /// `--where`: sent as the stream's `q`, so each collector filters before sending.
    let query: String?
    let logFile: String
    let monochrome: Bool
    let mouse: Bool
    /// The rules watch the collectors' merged counters; a query rule sees the streamed events.
    let alerts: AlertSettings
    /// The config file's feed columns and colours per event type.
    var feedColumns: [String] = []
    var typeColors: [String: TypeColor] = [:]

    func run() throws {
        let log = try LogFile.bootstrap(path: logFile)
        let fleet = Fleet(addresses: addresses, query: query)
        fleet.start()
        defer { fleet.stop() }
        // The form lists the collectors' plans; a collector not up yet leaves the contract's.
        let plan = fleet.plan(waitingUpTo: 2)
        let backend: CursesBackend
        do {
            backend = try CursesBackend(monochrome: monochrome, keysFromTTY: false, mouse: mouse)
        } catch {
            throw commandFailure("teletop: \(error)")
        }
        let watching = Alerts.start(alerts, logger: fleet.mirror, log: log, commandOutput: logFile, snapshot: { fleet.snapshot(only: nil) })
        defer { watching?.stop() }
        log.info("attach started", metadata: ["collectors": "\(addresses.map(\.base).joined(separator: " "))"])
        var options = DashboardApp.Options()
        options.logPath = logFile
        options.filterHistoryPath = StoreLocation.filterHistoryPath()
        options.log = { log.info("\($0)") }
        options.origins = fleet.names
        options.snapshot = { fleet.snapshot(only: $0) }
        if addresses.count > 1 { options.breakdown = { fleet.breakdown() } }
        options.sources = { fleet.links.map(Self.statusLine) }
        options.plan = plan
        options.simulatorAbsence = "attached: the simulator keys are not available here (each collector runs its own, with serve --sim-rate)"
        options.analytics = RemoteAnalytics(fleet: fleet)
        options.apiBaseURL = addresses[0].base
        options.apiNeedsToken = addresses[0].token != nil
        options.alerts = watching?.monitor
        // Percentiles of the payloads' numbers, counted off the producers' threads.
        let numbers = NumbersMonitor(logger: fleet.mirror)
        numbers.start()
        defer { numbers.stop() }
        options.numbers = numbers
        options.bell = alerts.bell
        options.feedColumns = feedColumns
        options.typeColors = typeColors
        options.fire = { eventType, payload, only in await Self.fire(eventType, payload, to: fleet.target(only: only)) }
        let app = DashboardApp(backend: backend, logger: fleet.mirror, simulator: nil, options: options)
        app.run()
        backend.shutdown()
        log.info("attach stopped", metadata: ["events": "\(fleet.mirror.snapshot().eventsLogged)"])
    }

    /// The form's event, to a collector's `/log`: its answer as the form reads an outcome.
    static func fire(_ eventType: String, _ payload: JSONObject, to link: CollectorLink?) async -> EventLogger.Outcome {
        guard let link else {
            return .rejected([ValidationIssue(field: "collector", problem: .notStored, expected: "a connected collector", got: "none")])
        }
        do {
            let (status, reply) = try await link.postJSON("/api/telemetry/log", .object(["event_type": .string(eventType), "payload": .object(payload)]))
            if status == 200, let stamp = reply?["timestamp"]?.stringValue.flatMap({ Timestamp(iso8601: $0) }) {
                return .accepted(LoggedEvent(sequence: 0, eventType: eventType, timestamp: stamp, source: .form, unplanned: false,
                                             packedPayload: PackedPayload(payload)))
            }
            var issues: [ValidationIssue] = []
            if case .array(let details)? = reply?["details"] {
                for d in details {
                    let problem = d["problem"]?.stringValue.flatMap(ValidationIssue.Problem.init(rawValue:)) ?? .notStored
                    issues.append(ValidationIssue(field: d["field"]?.stringValue ?? "body", problem: problem,
                                                  expected: d["expected"]?.stringValue ?? "", got: d["got"]?.stringValue ?? ""))
                }
            }
            if issues.isEmpty {
                let message = reply?["message"]?.stringValue ?? "status \(status)"
                issues = [ValidationIssue(field: "collector", problem: .notStored, expected: "200 from \(link.address.name)",
                                          got: "\(status)", message: "\(link.address.name) answered \(status): \(message)")]
            }
            return .rejected(issues)
        } catch {
            return .rejected([ValidationIssue(field: "collector", problem: .notStored, expected: "an answer from \(link.address.name)",
                                              got: "\(error)", message: "\(link.address.name): \(error)")])
        }
    }

    /// Each link's line in the header and the health pane.
    static func statusLine(_ link: CollectorLink) -> SourceStatus {
        let s = link.status
        let now = SystemClock().now()
        var text: String
        var active = false
        switch s.state {
        case .connecting: text = "connecting"
        case .connected:
            active = true
            text = "connected"
            if let lag = s.lagMillis { text += ", lag \(Int(lag.rounded())) ms" }
            if let since = s.statsFailingSince {
                text += ", not answering for \(max(0, (now.millisecondsSinceEpoch - since.millisecondsSinceEpoch) / 1000)) s"
            }
        case .reconnecting(let at, let reason):
            let wait = Double(at.millisecondsSinceEpoch - now.millisecondsSinceEpoch) / 1000
            text = wait > 0.05 ? "reconnecting in \(String(format: "%.1f", wait)) s (\(reason))" : "reconnecting now (last: \(reason))"
        case .unauthorized(let why): text = "unauthorized: \(why)"
        case .notTeletop(let why): text = "not a teletop: \(why)"
        }
        if s.missed > 0 { text += "; missed \(Describe.grouped(s.missed)) events while disconnected or too slow" }
        if s.missedUnknown { text += "; it restarted: events in its gap may be missing" }
        let short: String
        switch s.state {
        case .connected: short = "ok"
        case .reconnecting: short = "reconnecting"
        case .unauthorized: short = "401"
        case .notTeletop: short = "not teletop"
        case .connecting: short = "connecting"
        }
        return SourceStatus(name: link.address.name, state: text, active: active, short: short)
    }
}
