import Hummingbird
import Synchronization
import TeletopCore

/// `GET /api/telemetry/stream?event_type=`: Server-Sent Events of accepted
/// events as they arrive (`id:` the sequence, `event:` the type, `data:` the
/// AnalyticsEvent), with a comment every 15 s so idle connections stay open.
/// A client that closes its connection gives its slot back at once: the
/// connection's close ends the stream, not the next write that fails.
extension TelemetryRoutes {
    func stream(_ request: Request, _ context: TeletopRequestContext) throws -> Response {
        guard streams.claim() else {
            throw APIError(.serviceUnavailable, "too_many_streams", "at most \(StreamSlots.limit) stream clients at once; try again later",
                           headers: [.retryAfter: "5"])
        }
        let eventType = request.uri.queryParameters["event_type"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        // A quarter of a consumer queue's byte bound: 32 stalled clients cannot pin more than 8 queues' worth.
        let subscription = logger.subscribe(name: "http stream", capacity: 65_536, byteCapacity: max(1, logger.configuration.queueBytes / 4))
        context.onClientGone { subscription.cancel() }
        streams.track(subscription)
        // Released when the body is done or, if the client vanished before the
        // body ever ran, when the response is thrown away: never leaked.
        let lease = StreamLease(subscription: subscription, slots: streams)
        let body = ResponseBody { writer in
            let subscription = lease.subscription
            let keepAlive = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(15))
                    subscription.wake()
                }
            }
            defer { keepAlive.cancel() }
            try await writer.write(ByteBuffer(string: ": teletop stream\(eventType.map { " of \($0)" } ?? "")\n\n"))
            while true {
                let batch = await subscription.next(max: 512)
                if batch.isEmpty {
                    if subscription.isCancelled { break }
                    try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                    continue
                }
                var out: [UInt8] = []
                for event in batch where eventType == nil || event.eventType == eventType {
                    out += Array("id: \(event.sequence)\nevent: \(event.eventType)\ndata: ".utf8)
                    out += JSONWriter.compactBytes(event.analyticsEvent.jsonValue)
                    out += [0x0A, 0x0A]
                }
                if !out.isEmpty { try await writer.write(ByteBuffer(bytes: out)) }
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
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
