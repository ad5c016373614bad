import Foundation
import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import Synchronization
import TeletopCore

/// One event as a collector's stream sent it.
public struct RemoteEvent: Sendable {
    public var eventType: String
    public var payload: PackedPayload
    /// The collector's stamp.
    public var timestamp: Timestamp
    public var clientTimestamp: Timestamp?
    public var source: EventSource
    public var sequence: UInt64
    /// Which link it came by.
    public var origin: UInt8
}

/// The live link to one collector: its stream (`/api/telemetry/stream`,
/// resumed with Last-Event-ID after a break) and its figures (`/stats`, once a
/// second). It never gives up: a lost link is retried with a backoff of 0.25 s
/// doubling to at most 5 s; a refused token is retried every 30 s, so a
/// wrong token makes no retry storm.
public final class CollectorLink: Sendable {
    public enum State: Sendable, Equatable {
        case connecting
        case connected
        case reconnecting(at: Timestamp, reason: String)
        case unauthorized(String)
        case notTeletop(String)
    }

    public struct Status: Sendable, Equatable {
        public var state: State = .connecting
        /// Events the collector's ring no longer held when the link came back.
        public var missed: UInt64 = 0
        /// A restart whose gap could not be counted.
        public var missedUnknown = false
        public var received: UInt64 = 0
        public var restarts = 0
        /// From the collector's stamp to arrival here, worst over the last second.
        public var lagMillis: Double?
        public var stats: CollectorStats?
        /// Why the last `/stats` failed, and since when (nil: it answered).
        public var statsProblem: String?
        public var statsFailingSince: Timestamp?
    }

    struct Private {
        var status = Status()
        var stopped = false
        var lastID: String?
        var lastStamp: Int64 = .min
        var seenAtLastStamp: Set<UInt64> = []
        /// After a restart, events at the last stamp already seen come again: skip those.
        var dedupeStamp: Int64?
        var instance: String?
        var lagWorst: Double = 0
        var lagSecond: Int64 = 0
        var tasks: [Task<Void, Never>] = []
    }

    public let index: UInt8
    public let address: CollectorAddress
    let client: HTTPClient
    let clock: any TelemetryClock
    let onEvent: @Sendable ([RemoteEvent]) -> Void
    /// The stream's `q`: the collector filters before sending.
    let query: String?
    private let state = Mutex(Private())

    public init(index: UInt8, address: CollectorAddress, client: HTTPClient, clock: any TelemetryClock = SystemClock(),
                query: String? = nil, onEvent: @escaping @Sendable ([RemoteEvent]) -> Void) {
        self.query = query
        self.index = index
        self.address = address
        self.client = client
        self.clock = clock
        self.onEvent = onEvent
    }

    public var status: Status { state.withLock { $0.status } }

    public func start() {
        let stream = Task.detached { [self] in await runStream() }
        let stats = Task.detached { [self] in await runStats() }
        state.withLock { $0.tasks = [stream, stats] }
    }

    public func stop() {
        let tasks = state.withLock { s -> [Task<Void, Never>] in
            s.stopped = true
            return s.tasks
        }
        for t in tasks { t.cancel() }
    }

    var stopped: Bool { state.withLock { $0.stopped } || Task.isCancelled }

    func authorize(_ request: inout HTTPClientRequest) {
        if let token = address.token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
    }

    // MARK: the stream

    enum Refusal: Error {
        case unauthorized(String)
        case notTeletop(String)
        case busy(String)
    }

    func runStream() async {
        var backoff = 0.25
        while !stopped {
            var reason = "the collector ended the stream"
            var wait = backoff
            do {
                try await streamOnce { backoff = 0.25 }
            } catch Refusal.unauthorized(let why) {
                state.withLock { $0.status.state = .unauthorized(why) }
                wait = 30
                reason = why
            } catch Refusal.notTeletop(let why) {
                state.withLock { $0.status.state = .notTeletop(why) }
                wait = 5
                reason = why
            } catch Refusal.busy(let why) {
                reason = why
                wait = 5
            } catch {
                reason = Self.describe(error)
            }
            if stopped { break }
            let next = clock.now().adding(milliseconds: Int64(wait * 1000))
            state.withLock { s in
                switch s.status.state {
                case .unauthorized, .notTeletop: break
                default: s.status.state = .reconnecting(at: next, reason: reason)
                }
            }
            try? await Task.sleep(for: .milliseconds(Int(wait * 1000)))
            backoff = min(5, backoff * 2)
        }
    }

    static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        if text.contains("connectTimeout") || text.contains("connect timeout") { return "no answer to connect" }
        if text.contains("refused") || text.contains("ECONNREFUSED") { return "connection refused" }
        if text.contains("readTimeout") { return "no data for 25 s" }
        if text.contains("remoteConnectionClosed") || text.contains("ioOnClosedChannel") || text.contains("EOF") { return "the connection closed" }
        return text.count > 80 ? String(text.prefix(80)) + "…" : text
    }

    private func streamOnce(connected: () -> Void) async throws {
        let q = query.flatMap { $0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) }.map { "?q=" + $0 } ?? ""
        var request = HTTPClientRequest(url: address.base + "/api/telemetry/stream" + q)
        request.headers.add(name: "Accept", value: "text/event-stream")
        authorize(&request)
        if let last = state.withLock({ $0.lastID }) { request.headers.add(name: "Last-Event-ID", value: last) }
        let response = try await client.execute(request, timeout: .seconds(5))
        switch response.status.code {
        case 200: break
        case 401, 403:
            throw Refusal.unauthorized("\(response.status.code) from the collector: the token is wrong or missing (--token, TELETOP_TOKEN, or http://:TOKEN@host)")
        case 503:
            throw Refusal.busy("the collector has no stream place free (503)")
        default:
            throw Refusal.notTeletop("GET /api/telemetry/stream answered \(response.status.code) \(response.status.reasonPhrase)")
        }
        let type = response.headers.first(name: "Content-Type") ?? ""
        guard type.hasPrefix("text/event-stream") else {
            throw Refusal.notTeletop("GET /api/telemetry/stream answered \(type.isEmpty ? "no content type" : type), not an event stream")
        }
        var parser = SSEParser()
        var helloSeen = false
        var bytesBeforeHello = 0
        var batch: [RemoteEvent] = []
        for try await chunk in response.body {
            if stopped { return }
            var refusal: Refusal?
            parser.feed(chunk.readableBytesView) { event in
                switch event.event {
                case "hello":
                    helloSeen = true
                    hello(event.data)
                    connected()
                case "gap":
                    gap(event.data)
                default:
                    guard helloSeen else { refusal = .notTeletop("its stream did not begin with teletop's hello"); return }
                    if let e = decode(event) { batch.append(e) }
                }
            }
            if let refusal { throw refusal }
            if !helloSeen {
                bytesBeforeHello += chunk.readableBytes
                if bytesBeforeHello > 64 << 10 { throw Refusal.notTeletop("its stream did not begin with teletop's hello") }
            }
            if !batch.isEmpty {
                onEvent(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
    }

    private func hello(_ data: [UInt8]) {
        let value = try? JSONParser.parse(data)
        let instance = value?["instance"]?.stringValue
        state.withLock { s in
            if let old = s.instance, let instance, old != instance {
                s.status.restarts += 1
                s.dedupeStamp = s.lastStamp
            }
            s.instance = instance ?? s.instance
            s.status.state = .connected
        }
    }

    private func gap(_ data: [UInt8]) {
        let value = try? JSONParser.parse(data)
        state.withLock { s in
            if let n = value?["missed"]?.intValue, n > 0 { s.status.missed += UInt64(n) } else if value?["missed"] == .null { s.status.missedUnknown = true }
        }
    }

    private func decode(_ event: SSEParser.Event) -> RemoteEvent? {
        // The payload packed as it is read (no JSON tree for it: the mirror logs
        // it packed); the parser only for a frame the packer refuses.
        let typeMember: JSONValue?, stamp: Timestamp?, payload: PackedPayload, o: JSONObject
        if let e = event.data.withUnsafeBufferPointer({ JSONParser.parseEnvelope($0, limits: .default) }) {
            (typeMember, payload, o) = (e.eventType, e.packed, e.others)
            stamp = e.stamp
        } else {
            guard let value = try? JSONParser.parse(event.data), case .object(let whole) = value,
                  case .object(let unpacked)? = whole["payload"] else { return nil }
            (typeMember, payload, o) = (whole["event_type"], PackedPayload(unpacked), whole)
            stamp = whole["timestamp"]?.stringValue.flatMap { Timestamp(iso8601: $0) }
        }
        guard let type = typeMember?.stringValue, let stamp else { return nil }
        let millis = stamp.millisecondsSinceEpoch
        let fingerprint = Self.fingerprint(event.data)
        let now = clock.now()
        let keep = state.withLock { s -> Bool in
            if millis != s.lastStamp {
                if millis > s.lastStamp {
                    s.lastStamp = millis
                    s.seenAtLastStamp.removeAll(keepingCapacity: true)
                }
            }
            if let d = s.dedupeStamp {
                if millis > d { s.dedupeStamp = nil } else if millis == d && s.seenAtLastStamp.contains(fingerprint) { return false } else if millis < d { return false }
            }
            if millis == s.lastStamp && s.seenAtLastStamp.count < 4096 { s.seenAtLastStamp.insert(fingerprint) }
            s.lastID = event.id ?? s.lastID
            s.status.received += 1
            let lag = Double(now.millisecondsSinceEpoch - millis)
            let second = now.secondsSinceEpoch
            if second != s.lagSecond {
                s.status.lagMillis = max(s.lagWorst, lag)
                s.lagWorst = 0
                s.lagSecond = second
            }
            s.lagWorst = max(s.lagWorst, lag)
            if s.status.lagMillis == nil { s.status.lagMillis = lag }
            return true
        }
        guard keep else { return nil }
        let source = o["source"]?.stringValue.flatMap { name in EventSource.allCases.first { $0.description == name } } ?? .http
        return RemoteEvent(eventType: type, payload: payload, timestamp: stamp,
                           clientTimestamp: o["client_timestamp"]?.stringValue.flatMap { Timestamp(iso8601: $0) },
                           source: source, sequence: UInt64(max(0, o["sequence"]?.intValue ?? 0)), origin: index)
    }

    /// The event's identity at one stamp, to skip what a restarted collector
    /// sends again: its data less the sequence, which a restart renumbers.
    static func fingerprint(_ bytes: [UInt8]) -> UInt64 {
        Fingerprint.of(bytes[..<sequenceOffset(bytes)])
    }

    private static let sequenceMarker = Array(#","sequence":"#.utf8)

    /// Where `,"sequence":` starts (the end when it is absent). Called for
    /// every event a dashboard receives: a comma-led memcmp, not a generic
    /// slice comparison at every byte (that was a sixth of an attached
    /// dashboard's thread at 50,000 events/s).
    static func sequenceOffset(_ bytes: [UInt8]) -> Int {
        let marker = sequenceMarker
        guard bytes.count >= marker.count else { return bytes.count }
        return bytes.withUnsafeBufferPointer { b in
            marker.withUnsafeBufferPointer { m in
                var i = 0
                let last = b.count - m.count
                while i <= last {
                    if b[i] == 0x2C, memcmp(b.baseAddress! + i, m.baseAddress!, m.count) == 0 { return i }
                    i += 1
                }
                return b.count
            }
        }
    }

    // MARK: the figures

    func runStats() async {
        while !stopped {
            await pollStats()
            try? await Task.sleep(for: .seconds(1))
        }
    }

    func pollStats() async {
        do {
            var request = HTTPClientRequest(url: address.base + "/api/telemetry/stats")
            authorize(&request)
            let response = try await client.execute(request, timeout: .seconds(3))
            let body = try await response.body.collect(upTo: 16 << 20)
            guard response.status.code == 200, let value = try? JSONParser.parse(Array(body.readableBytesView)),
                  let stats = CollectorStats(value) else {
                let why = "GET /api/telemetry/stats answered \(response.status.code), not teletop's stats"
                state.withLock { s in
                    s.status.statsProblem = why
                    if s.status.state == .connecting { s.status.state = .notTeletop(why) }
                }
                return
            }
            state.withLock { s in
                s.status.stats = stats
                s.status.statsProblem = nil
                s.status.statsFailingSince = nil
                if case .notTeletop = s.status.state { s.status.state = .connecting }
            }
        } catch {
            let now = clock.now()
            state.withLock { s in
                s.status.statsProblem = Self.describe(error)
                if s.status.statsFailingSince == nil { s.status.statsFailingSince = now }
            }
        }
    }

    // MARK: requests for the dashboard

    /// GET a JSON document (the plan, a top-N, a series).
    public func getJSON(_ pathAndQuery: String, timeout: TimeAmount = .seconds(10)) async throws -> (Int, JSONValue?) {
        var request = HTTPClientRequest(url: address.base + pathAndQuery)
        authorize(&request)
        let response = try await client.execute(request, timeout: timeout)
        let body = try await response.body.collect(upTo: 16 << 20)
        return (Int(response.status.code), try? JSONParser.parse(Array(body.readableBytesView)))
    }

    /// POST a JSON body (the form's event to `/log`).
    public func postJSON(_ path: String, _ body: JSONValue, timeout: TimeAmount = .seconds(10)) async throws -> (Int, JSONValue?) {
        var request = HTTPClientRequest(url: address.base + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        authorize(&request)
        request.body = .bytes(ByteBuffer(bytes: JSONWriter.compactBytes(body)))
        let response = try await client.execute(request, timeout: timeout)
        let reply = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), try? JSONParser.parse(Array(reply.readableBytesView)))
    }
}
