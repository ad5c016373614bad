import Hummingbird
import Synchronization
import TeletopCore

/// `GET /api/telemetry/stream?event_type=`: Server-Sent Events of accepted
/// events as they arrive, with a comment every 15 s so idle connections stay open.
///
/// - First, `event: hello` with `{"instance", "oldest", "newest", "started_at"}`:
///   this process (its sequences start over when it restarts) and its ring.
/// - Each event: `id: INSTANCE/SEQUENCE/STAMP_MS`, `event:` its type, `data:`
///   the AnalyticsEvent with its `sequence` and `source` beside.
/// - A reconnecting client sends the last id back (`Last-Event-ID`, as
///   EventSource does, or `?last_event_id=`). From the same instance, the
///   events after that sequence still in the ring come first; from an earlier
///   instance (a restart), those stamped at or after its time (a store
///   restores the ring with the events' own stamps). What the ring no longer
///   holds is announced as `event: gap` with `{"missed": n}` (null when a
///   restart makes the number unknowable) before the rest.
/// A client that closes its connection gives its slot back at once.
extension TelemetryRoutes {
    struct ResumePoint: Equatable {
        var instance: String
        var sequence: UInt64
        var stampMillis: Int64

        /// `INSTANCE/SEQUENCE/STAMP_MS`; a bare sequence means this instance.
        init?(_ text: String, currentInstance: String) {
            let parts = text.split(separator: "/", omittingEmptySubsequences: false)
            if parts.count == 1, let n = UInt64(text) {
                self.init(instance: currentInstance, sequence: n, stampMillis: .min)
                return
            }
            guard parts.count == 3, let n = UInt64(parts[1]), let t = Int64(parts[2]) else { return nil }
            self.init(instance: String(parts[0]), sequence: n, stampMillis: t)
        }

        init(instance: String, sequence: UInt64, stampMillis: Int64) {
            self.instance = instance
            self.sequence = sequence
            self.stampMillis = stampMillis
        }
    }

    func stream(_ request: Request, _ context: TeletopRequestContext) throws -> Response {
        let eventType = request.uri.queryParameters["event_type"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        // The query language: the collector filters before sending (attach --where).
        let q = try Self.query(request)
        let resumeText = request.headers.first { $0.name.canonicalName == "last-event-id" }?.value
            ?? request.uri.queryParameters["last_event_id"].map(String.init)
        let resume = try resumeText.flatMap { text -> ResumePoint? in
            guard !text.isEmpty else { return nil }
            guard let point = ResumePoint(text, currentInstance: self.instance) else {
                throw APIError(.badRequest, "bad_query",
                               "last_event_id: expected an id this stream sent (INSTANCE/SEQUENCE/STAMP), got \(Describe.string(text))")
            }
            return point
        }
        guard streams.claim() else {
            throw APIError(.serviceUnavailable, "too_many_streams", "at most \(StreamSlots.limit) stream clients at once; try again later",
                           headers: [.retryAfter: "5"])
        }
        // A quarter of a consumer queue's byte bound: 32 stalled clients cannot pin more than 8 queues' worth.
        // Subscribed before the ring is read, so nothing falls between the two.
        let subscription = logger.subscribe(name: "http stream", capacity: 65_536, byteCapacity: max(1, logger.configuration.queueBytes / 4))
        context.onClientGone { subscription.cancel() }
        streams.track(subscription)
        // Released when the body is done or, if the client vanished before the
        // body ever ran, when the response is thrown away: never leaked.
        let lease = StreamLease(subscription: subscription, slots: streams)
        let logger = self.logger
        let instance = self.instance
        let body = ResponseBody { writer in
            let subscription = lease.subscription
            let keepAlive = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(15))
                    subscription.wake()
                }
            }
            defer { keepAlive.cancel() }
            let range = logger.sequenceRange
            let hello = JSONValue.object(["instance": .string(instance), "oldest": .int(Int64(range.oldest)),
                                          "newest": .int(Int64(range.newest)), "started_at": .string(logger.snapshot().startedAt.iso8601)])
            var head = Array(": teletop stream\(eventType.map { " of \($0)" } ?? "")\n\nevent: hello\ndata: ".utf8)
            head += JSONWriter.compactBytes(hello) + [0x0A, 0x0A]
            try await writer.write(ByteBuffer(bytes: head))
            // What the client missed, from the ring, up to where the subscription takes over.
            var sent: UInt64 = 0
            if let resume {
                let (gap, replay) = Self.catchUp(logger: logger, resume: resume, instance: instance, upTo: range.newest)
                var out: [UInt8] = []
                if let gap {
                    out += Array("event: gap\ndata: ".utf8)
                    out += JSONWriter.compactBytes(.object(["missed": gap.map { .int(Int64($0)) } ?? .null,
                                                            "restarted": .bool(resume.instance != instance)]))
                    out += [0x0A, 0x0A]
                }
                for event in replay where (eventType == nil || event.eventType == eventType) && (q?.matches(event) ?? true) {
                    Self.frame(event, instance: instance, into: &out)
                    if out.count > 256 << 10 {
                        try await writer.write(ByteBuffer(bytes: out))
                        out.removeAll(keepingCapacity: true)
                    }
                }
                sent = max(sent, replay.last?.sequence ?? 0)
                if !out.isEmpty { try await writer.write(ByteBuffer(bytes: out)) }
            }
            sent = max(sent, range.newest)
            var overflowTold: UInt64 = 0
            while true {
                let batch = await subscription.next(max: 512)
                if batch.isEmpty {
                    if subscription.isCancelled { break }
                    try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                    continue
                }
                var out: [UInt8] = []
                // A client too slow for its queue lost events here: it is told how many, before the rest.
                let overflow = subscription.stats.overflow
                if overflow > overflowTold {
                    out += Array("event: gap\ndata: ".utf8)
                    out += JSONWriter.compactBytes(.object(["missed": .int(Int64(overflow - overflowTold)), "restarted": false, "slow": true]))
                    out += [0x0A, 0x0A]
                    overflowTold = overflow
                }
                for event in batch where event.sequence > sent && (eventType == nil || event.eventType == eventType) && (q?.matches(event) ?? true) {
                    Self.frame(event, instance: instance, into: &out)
                }
                if !out.isEmpty { try await writer.write(ByteBuffer(bytes: out)) }
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }

    /// One event as SSE: `id: INSTANCE/SEQUENCE/STAMP_MS`, its type, the
    /// AnalyticsEvent with sequence and source. Written straight from the
    /// packed payload (no JSON tree in between): at 50,000 events a second
    /// the stream's cost is this function.
    static func frame(_ event: LoggedEvent, instance: String, into out: inout [UInt8]) {
        out.append(contentsOf: "id: ".utf8)
        out.append(contentsOf: instance.utf8)
        out.append(UInt8(ascii: "/"))
        digits(event.sequence, into: &out)
        out.append(UInt8(ascii: "/"))
        let millis = event.timestamp.millisecondsSinceEpoch
        if millis < 0 { out.append(UInt8(ascii: "-")) }
        digits(millis.magnitude, into: &out)
        out.append(contentsOf: "\nevent: ".utf8)
        out.append(contentsOf: event.eventType.utf8)
        out.append(contentsOf: "\ndata: {\"event_type\":".utf8)
        JSONWriter.writeString(event.eventType, into: &out)
        out.append(contentsOf: ",\"payload\":".utf8)
        event.packedPayload.writeJSON(into: &out)
        out.append(contentsOf: ",\"timestamp\":\"".utf8)
        out.append(contentsOf: event.timestamp.iso8601.utf8)
        if let client = event.clientTimestamp {
            out.append(contentsOf: "\",\"client_timestamp\":\"".utf8)
            out.append(contentsOf: client.iso8601.utf8)
        }
        out.append(contentsOf: "\",\"sequence\":".utf8)
        digits(event.sequence, into: &out)
        out.append(contentsOf: ",\"source\":\"".utf8)
        out.append(contentsOf: event.source.description.utf8)
        out.append(contentsOf: "\"}\n\n".utf8)
    }

    static func digits(_ n: UInt64, into out: inout [UInt8]) {
        if n < 10 {
            out.append(UInt8(ascii: "0") + UInt8(n))
            return
        }
        var buffer: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &buffer) { raw in
            var i = raw.count
            var v = n
            while v > 0 {
                i -= 1
                raw[i] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
            }
            out.append(contentsOf: raw[i...])
        }
    }

    /// The ring's events a resuming client has not seen (up to `newest`), and
    /// how many it missed for good: nil when none, nil inside when unknowable.
    static func catchUp(logger: EventLogger, resume: ResumePoint, instance: String, upTo newest: UInt64) -> (gap: UInt64??, events: [LoggedEvent]) {
        let range = logger.sequenceRange
        if resume.instance == instance {
            guard resume.sequence < newest else { return (nil, []) }
            // The ring starts at `oldest`: everything between the client's last and it is gone.
            let oldest = range.oldest == 0 ? newest + 1 : range.oldest
            let missed = oldest > resume.sequence + 1 ? oldest - resume.sequence - 1 : 0
            var events: [LoggedEvent] = []
            var after = resume.sequence
            while after < newest {
                let chunk = logger.events(after: after, limit: 4096).filter { $0.sequence <= newest }
                guard let last = chunk.last else { break }
                events += chunk
                after = last.sequence
            }
            return (missed > 0 ? .some(missed) : nil, events)
        }
        // Another instance's sequence: by time. Events at the client's last
        // millisecond come again (it skips those it has); whether any were lost
        // before the ring's oldest cannot be known.
        var events: [LoggedEvent] = []
        var after: UInt64 = 0
        while after < newest {
            let chunk = logger.events(after: after, limit: 4096).filter { $0.sequence <= newest }
            guard let last = chunk.last else { break }
            events += chunk.filter { $0.timestamp.millisecondsSinceEpoch >= resume.stampMillis }
            after = last.sequence
        }
        let oldestStamp = logger.events(after: 0, limit: 1).first?.timestamp.millisecondsSinceEpoch
        let covered = oldestStamp.map { $0 <= resume.stampMillis } ?? false
        return (covered ? nil : .some(nil), events)
    }
}

/// A stream's subscription and slot, given back exactly once.
final class StreamLease: Sendable {
    let subscription: EventSubscription
    let slots: StreamSlots

    init(subscription: EventSubscription, slots: StreamSlots) {
        self.subscription = subscription
        self.slots = slots
    }

    deinit {
        subscription.cancel()
        slots.untrack(subscription)
        slots.release()
    }
}

/// Counts open streams, so slow or idle clients cannot pile up without bound,
/// and keeps their subscriptions so a stopping server can end them.
final class StreamSlots: Sendable {
    static let limit = 32
    private let open = Atomic<Int>(0)
    private let subscriptions = Mutex<[ObjectIdentifier: EventSubscription]>([:])

    func track(_ subscription: EventSubscription) {
        subscriptions.withLock { $0[ObjectIdentifier(subscription)] = subscription }
    }

    func untrack(_ subscription: EventSubscription) {
        _ = subscriptions.withLock { $0.removeValue(forKey: ObjectIdentifier(subscription)) }
    }

    /// Every stream's body returns, so its connection can close.
    func endAll() {
        for subscription in subscriptions.withLock({ Array($0.values) }) { subscription.cancel() }
    }

    func claim() -> Bool {
        if open.add(1, ordering: .relaxed).newValue <= Self.limit { return true }
        open.subtract(1, ordering: .relaxed)
        return false
    }

    func release() { open.subtract(1, ordering: .relaxed) }
    var count: Int { open.load(ordering: .relaxed) }
}
