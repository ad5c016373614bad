import Hummingbird
import TeletopCore

/// The one way an HTTP item becomes an event, for `/log` and `/batch` alike.
///
/// Each decoded item is checked (the plan, the client's timestamp). With a
/// store, the valid ones are written first and logged only once on disk, so
/// an item answered "not stored" is in no view at all; without one, they are
/// logged at once. Rejections are counted here, once.
extension TelemetryRoutes {
    enum ItemOutcome {
        case accepted(LoggedEvent)
        case rejected([ValidationIssue])
        /// Valid, but the store could not take it: not logged, not stored.
        case notStored(String)
    }

    func admit(_ items: [Result<EventIngest.Decoded, IngestError>]) async -> [ItemOutcome] {
        let now = logger.clock.now()
        var outcomes: [ItemOutcome] = []
        outcomes.reserveCapacity(items.count)
        // Indexes and events apart: an array of tuples has its metadata looked up at run time.
        var storeIndexes: [Int] = []
        var toStore: [LoggedEvent] = []
        for item in items {
            let decoded: EventIngest.Decoded
            switch item {
            case .failure(let error):
                outcomes.append(reject(error.eventType, error.issues))
                continue
            case .success(let d): decoded = d
            }
            if let sent = decoded.timestamp, let issue = EventIngest.clientTimestampIssue(sent) {
                outcomes.append(reject(decoded.eventType, [issue]))
                continue
            }
            let packed = PackedPayload(decoded.payload)
            guard durability != nil else {
                switch logger.log(decoded.eventType, packed, source: .http, clientTimestamp: decoded.timestamp) {
                case .accepted(let event): outcomes.append(.accepted(event))
                case .rejected(let issues): outcomes.append(.rejected(issues))  // counted by the logger
                }
                continue
            }
            let issues = logger.check(decoded.eventType, packed)
            if !issues.isEmpty {
                outcomes.append(reject(decoded.eventType, issues))
                continue
            }
            storeIndexes.append(outcomes.count)
            toStore.append(LoggedEvent(sequence: 0, eventType: decoded.eventType, timestamp: now, source: .http,
                                       unplanned: false, packedPayload: packed, clientTimestamp: decoded.timestamp))
            outcomes.append(.notStored(""))  // until the write says
        }
        guard let durability, !toStore.isEmpty else { return outcomes }
        switch await durability.write(toStore) {
        case .durable:
            for (index, e) in zip(storeIndexes, toStore) {
                switch logger.log(e.eventType, e.packedPayload, source: .http, timestamp: e.timestamp,
                                  clientTimestamp: e.clientTimestamp, stored: true) {
                case .accepted(let event): outcomes[index] = .accepted(event)
                case .rejected(let issues): outcomes[index] = .rejected(issues)
                }
            }
        case .notDurable(let reason):
            for index in storeIndexes { outcomes[index] = .notStored(reason) }
        }
        return outcomes
    }

    private func reject(_ eventType: String?, _ issues: [ValidationIssue]) -> ItemOutcome {
        logger.recordRejection(source: .http, eventType: eventType, line: nil, issues: issues)
        return .rejected(issues)
    }

    /// The media type of a request, without parameters, lowercased: `application/json`
    /// for `Application/JSON; charset=utf-8`. nil when there is no Content-Type.
    /// On every write: plain bytes, not Foundation's CharacterSet (which cost
    /// a tenth of a request's CPU), and no copy when the type is already plain.
    static func mediaType(_ request: Request) -> String? {
        guard let header = request.headers[.contentType] else { return nil }
        let utf8 = header.utf8
        let plain = utf8.allSatisfy { $0 != UInt8(ascii: ";") && $0 != 0x20 && $0 != 0x09 && !(0x41...0x5A).contains($0) }
        if plain { return header }
        var bytes = utf8.prefix { $0 != UInt8(ascii: ";") }[...]
        while let first = bytes.first, first == 0x20 || first == 0x09 { bytes.removeFirst() }
        while let last = bytes.last, last == 0x20 || last == 0x09 { bytes.removeLast() }
        return String(decoding: bytes.map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }, as: UTF8.self)
    }
}
