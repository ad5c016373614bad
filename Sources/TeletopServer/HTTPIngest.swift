import Hummingbird
import TeletopCore

/// The one way an HTTP item becomes an event, for `/log` and `/batch` alike.
///
/// Each decoded item goes through the core's `EventIngest` (the door JSON
/// Lines and replay use too), which checks it and counts a rejection once.
/// With a store, the vetted ones are written first and logged only once on
/// disk; without one, they are logged at once.
extension TelemetryRoutes {
    enum ItemOutcome {
        case accepted(LoggedEvent)
        case rejected([ValidationIssue])
        /// Valid, but the store could not take it: not logged, not stored.
        case notStored(String)
    }

    func admit(_ items: [Result<EventIngest.Decoded, IngestError>], source: EventSource = .http) async -> [ItemOutcome] {
        guard let durability else {
            // No store: straight through the core's one door.
            return items.map { item in
                switch EventIngest.admit(item, into: logger, source: source, stamp: .client) {
                case .accepted(let event): .accepted(event)
                case .rejected(let issues): .rejected(issues)
                }
            }
        }
        let now = logger.clock.now()
        var outcomes: [ItemOutcome] = []
        outcomes.reserveCapacity(items.count)
        // Indexes and events apart: an array of tuples has its metadata looked up at run time.
        var storeIndexes: [Int] = []
        var toStore: [LoggedEvent] = []
        for item in items {
            switch EventIngest.vet(item, into: logger, source: source, stamp: .client) {
            case .failure(let error):
                outcomes.append(.rejected(error.issues))  // counted by vet
            case .success(let v):
                storeIndexes.append(outcomes.count)
                toStore.append(LoggedEvent(sequence: 0, eventType: v.eventType, timestamp: now, source: source,
                                           unplanned: false, packedPayload: v.payload, clientTimestamp: v.clientTimestamp))
                outcomes.append(.notStored(""))  // until the write says
            }
        }
        guard !toStore.isEmpty else { return outcomes }
        // Stored first, logged once on disk: an item answered "not stored" is in no view at all.
        switch await durability.write(toStore) {
        case .durable:
            for (index, e) in zip(storeIndexes, toStore) {
                switch logger.log(e.eventType, e.packedPayload, source: source, timestamp: e.timestamp,
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
