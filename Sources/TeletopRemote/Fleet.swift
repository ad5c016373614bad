import AsyncHTTPClient
import Dispatch
import Synchronization
import TeletopCore

/// The collectors an attached dashboard watches, seen as one: their streams
/// merged into a local logger (the feed, its filters, pause and detail work on
/// it), their own figures summed into the snapshot the counters and health
/// show, their plans joined for the form, their aggregates merged for the
/// analytics view.
public final class Fleet: Sendable {
    public let links: [CollectorLink]
    /// The merged feed: every collector's events in arrival order, each with its link as `origin`.
    public let mirror: EventLogger
    let client: HTTPClient

    public init(addresses: [CollectorAddress], query: String? = nil, ringCapacity: Int = 10_000, ringBytes: Int = 64 << 20) {
        let client = HTTPClient(eventLoopGroupProvider: .singleton,
                                configuration: .init(timeout: .init(connect: .seconds(3), read: .seconds(25))))
        self.client = client
        // Checked where they were accepted: here every type is taken as it came.
        let mirror = EventLogger(plan: TrackingPlan(eventTypes: [], acceptUnplanned: true),
                                 configuration: .init(ringCapacity: ringCapacity, ringBytes: ringBytes))
        self.mirror = mirror
        links = addresses.enumerated().map { i, address in
            CollectorLink(index: UInt8(i), address: address, client: client, query: query) { events in
                for e in events {
                    mirror.log(e.eventType, e.payload, source: e.source, timestamp: e.timestamp, clientTimestamp: e.clientTimestamp, origin: e.origin)
                }
            }
        }
    }

    public func start() { for l in links { l.start() } }

    public func stop() {
        for l in links { l.stop() }
        let done = DispatchSemaphore(value: 0)
        let client = self.client
        Task.detached {
            try? await client.shutdown()
            done.signal()
        }
        _ = done.wait(timeout: .now() + 3)
    }

    public var names: [String] { links.map(\.address.name) }

    /// Runs `body` from a thread that is not one of Swift's shared ones (the
    /// analytics queue, the CLI's start): waits for the async work it starts.
    static func blocking<T: Sendable>(_ seconds: Double = 12, _ body: @escaping @Sendable () async throws -> T) throws -> T {
        let done = DispatchSemaphore(value: 0)
        let result = Mutex<Result<T, any Error>?>(nil)
        Task.detached {
            let r: Result<T, any Error>
            do { r = .success(try await body()) } catch { r = .failure(error) }
            result.withLock { $0 = r }
            done.signal()
        }
        guard done.wait(timeout: .now() + seconds) == .success else { throw RemoteError("no answer within \(Int(seconds)) s") }
        return try result.withLock { $0! }.get()
    }

    /// Every collector's plan, joined (the first one's type wins a name both have): for the form.
    public func plan(waitingUpTo seconds: Int64 = 2) -> TrackingPlan? {
        var types: [EventTypeSpec] = []
        for answer in Self.getJSON("/api/telemetry/plan", from: links, timeout: seconds) {
            guard case .success(let (status, value)) = answer, status == 200, let value,
                  let plan = try? TrackingPlan.load(json: JSONWriter.compactBytes(value)) else { continue }
            for t in plan.eventTypes where !types.contains(where: { $0.name == t.name }) { types.append(t) }
        }
        return types.isEmpty ? nil : TrackingPlan(eventTypes: types)
    }

    /// The same GET to every link at once, their answers in link order: a
    /// collector that does not answer costs `timeout` once, not once per link
    /// (at start-up, the screen waits for the plans).
    static func getJSON(_ pathAndQuery: String, from links: [CollectorLink], timeout: Int64) -> [Result<(Int, JSONValue?), any Error>] {
        let all = try? blocking(Double(timeout) + 2) {
            await withTaskGroup(of: (Int, Result<(Int, JSONValue?), any Error>).self) { group in
                for (i, link) in links.enumerated() {
                    group.addTask {
                        do { return (i, .success(try await link.getJSON(pathAndQuery, timeout: .seconds(timeout)))) } catch { return (i, .failure(error)) }
                    }
                }
                var out = [Result<(Int, JSONValue?), any Error>](repeating: .failure(RemoteError("no answer")), count: links.count)
                for await (i, r) in group { out[i] = r }
                return out
            }
        }
        return all ?? Array(repeating: .failure(RemoteError("no answer within \(timeout) s")), count: links.count)
    }

    /// The collectors' own figures, summed, over the merged feed's snapshot
    /// (which keeps what only it has: the last 120 s per type for the sparklines).
    /// `only`: one collector's (the narrowed view).
    public func snapshot(only: UInt8? = nil) -> TelemetrySnapshot {
        var snap = mirror.snapshot()
        let statuses = links.filter { only == nil || $0.index == only }.map { ($0, $0.status) }
        let stats = statuses.compactMap { $0.1.stats }
        guard !stats.isEmpty else {
            snap.health = HealthReport(status: .degraded, reasons: [], message: "waiting for the collectors' figures")
            return snap
        }
        // Lifetime totals: collectors of one fleet each report the fleet's (their
        // shared store's), so a fleet counts once, at its newest figure; the
        // rest are summed. Rates and rejections are each collector's own.
        snap.eventsLogged = Self.lifetime(stats) { $0.eventsLogged }
        snap.totalAccepted = snap.eventsLogged
        snap.totalRejected = stats.reduce(0) { $0 + $1.rejected }
        snap.dropped = stats.reduce(0) { $0 + $1.dropped }
        snap.rate1s = stats.reduce(0) { $0 + $1.rate1s }
        snap.rate10s = stats.reduce(0) { $0 + $1.rate10s }
        snap.rate60s = stats.reduce(0) { $0 + $1.rate60s }
        var types: [TypeStats] = []
        let mirrorTypes = Dictionary(snap.types.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for s in stats {
            for t in s.types {
                if let i = types.firstIndex(where: { $0.name == t.name }) {
                    types[i].accepted += t.accepted
                    types[i].rejected += t.rejected
                    types[i].rate1s += t.rate1s
                    types[i].rate10s += t.rate10s
                    types[i].rate60s += t.rate60s
                    types[i].planned = types[i].planned || t.planned
                    if let at = t.lastEventAt { types[i].lastEventAt = max(types[i].lastEventAt ?? at, at) }
                } else {
                    let seen = mirrorTypes[t.name]
                    types.append(TypeStats(name: t.name, planned: t.planned, accepted: t.accepted, rejected: t.rejected,
                                           rate1s: t.rate1s, rate10s: t.rate10s, rate60s: t.rate60s,
                                           acceptedInWindow: seen?.acceptedInWindow ?? 0,
                                           history: seen?.history ?? Array(repeating: 0, count: 120), lastEventAt: t.lastEventAt))
                }
            }
        }
        for i in types.indices {
            let name = types[i].name
            types[i].accepted = Self.lifetime(stats) { s in s.types.first { $0.name == name }?.accepted ?? 0 }
        }
        snap.types = types
        snap.lastEventAt = types.compactMap(\.lastEventAt).max()
        // Health: the worst of all, a line per collector. A collector this
        // dashboard cannot see (link lost, refused, silent) is degraded here.
        var worst = stats.map(\.health).max() ?? .healthy
        var reasons: [HealthReport.Reason] = []
        for (link, status) in statuses {
            let name = link.address.name
            if status.state != .connected {
                worst = max(worst, .degraded)
                reasons.append(.init(status: .degraded, text: "\(name): \(Self.describe(status.state))"))
            } else if status.statsFailingSince != nil {
                worst = max(worst, .degraded)
                reasons.append(.init(status: .degraded, text: "\(name): its figures are not answering (\(status.statsProblem ?? "no answer"))"))
            } else if let s = status.stats {
                reasons.append(.init(status: s.health, text: "\(name): \(s.healthMessage)"))
            } else {
                reasons.append(.init(status: .degraded, text: "\(name): no figures yet"))
            }
        }
        // The pane shows the message, then every reason after the first: one line per collector.
        let message = statuses.count == 1 && worst == stats.first?.health ? (stats.first?.healthMessage ?? "")
            : statuses.count == 1 ? reasons[0].text : "\(worst.rawValue): the worst of \(statuses.count) collectors"
        reasons.insert(.init(status: worst, text: message), at: 0)
        snap.health = HealthReport(status: worst, reasons: reasons, message: message)
        return snap
    }

    /// A lifetime figure over collectors: the largest per fleet, summed over fleets and lone collectors.
    static func lifetime(_ stats: [CollectorStats], _ figure: (CollectorStats) -> UInt64) -> UInt64 {
        var perFleet: [String: UInt64] = [:]
        var alone: UInt64 = 0
        for s in stats {
            if let fleet = s.fleet { perFleet[fleet] = max(perFleet[fleet] ?? 0, figure(s)) } else { alone += figure(s) }
        }
        return perFleet.values.reduce(alone, +)
    }

    static func describe(_ state: CollectorLink.State) -> String {
        switch state {
        case .connected: "connected"
        case .connecting: "connecting"
        case .reconnecting(_, let reason): "link lost (\(reason)), reconnecting"
        case .unauthorized(let why): "unauthorized: \(why)"
        case .notTeletop(let why): "not a teletop: \(why)"
        }
    }

    /// Each type's lifetime total per collector, in link order.
    public func breakdown() -> [String: [UInt64]] {
        var out: [String: [UInt64]] = [:]
        for link in links {
            guard let stats = link.status.stats else { continue }
            for t in stats.types {
                out[t.name, default: Array(repeating: 0, count: links.count)][Int(link.index)] = t.accepted
            }
        }
        return out
    }

    /// The link that takes the form's events: the narrowed one, else the first connected.
    public func target(only: UInt8?) -> CollectorLink? {
        if let only { return links.first { $0.index == only } }
        return links.first { $0.status.state == .connected } ?? links.first
    }
}

public struct RemoteError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
