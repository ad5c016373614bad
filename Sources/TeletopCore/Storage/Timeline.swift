/// One value's events through time: every event whose payload holds this
/// value in this field (`user_id = user_117`), the newest `limit`, oldest first.
public struct TimelineQuery: Sendable, Equatable {
    public var field: String
    public var value: JSONValue
    public var limit: Int
    /// Only events of this type (`/events?event_type=` with `q=user_id=...`); nil: every type.
    public var eventType: String?

    public init(field: String, value: JSONValue, limit: Int = 500, eventType: String? = nil) {
        self.field = field
        self.value = value
        self.limit = limit
        self.eventType = eventType
    }

    /// The event holds the value in the field (at the payload's top level).
    public func matches(_ event: LoggedEvent) -> Bool {
        (eventType == nil || event.eventType == eventType) && event.packedPayload.withMember(named: Array(field.utf8)) { $0.decode() == value } ?? false
    }
}

public struct TimelineResult: Sendable, Equatable {
    /// Oldest first.
    public var events: [LoggedEvent]
    /// False: the store keeps no index of this field, so it was not asked.
    public var indexed: Bool
    /// More events hold the value than `limit`: these are the newest.
    public var truncated = false
    public var elapsedMillis = 0.0

    public init(events: [LoggedEvent] = [], indexed: Bool, truncated: Bool = false, elapsedMillis: Double = 0) {
        self.events = events
        self.indexed = indexed
        self.truncated = truncated
        self.elapsedMillis = elapsedMillis
    }
}

extension TimelineResult {
    /// The ring's events and the store's, oldest first, each once: the store
    /// keeps what the ring shows, so an event both hold is one, the ring's
    /// copy. `fromStore`: only the store had it (it left the ring).
    public static func merge(memory: [LoggedEvent], stored: [LoggedEvent]) -> [(event: LoggedEvent, fromStore: Bool)] {
        // Counted, not a set: two events alike to the millisecond (a burst, a retry) are two,
        // and each of the ring's stands for one stored copy only.
        var inMemory: [EventIdentity: Int] = [:]
        for e in memory { inMemory[e.identity, default: 0] += 1 }
        var merged = memory.map { (event: $0, fromStore: false) }
        for e in stored {
            let id = e.identity
            if let n = inMemory[id], n > 0 {
                inMemory[id] = n - 1
            } else {
                merged.append((e, true))
            }
        }
        // Stable: events of one millisecond keep the ring's order.
        return merged.sorted { $0.event.timestamp < $1.event.timestamp }
    }
}

extension LoggedEvent {
    /// What the ring's copy of an event and the store's agree on (the store's
    /// comes back with its row id for a sequence): when, what, and the payload.
    public var identity: EventIdentity { EventIdentity(timestamp: timestamp.millisecondsSinceEpoch, eventType: eventType, payload: packedPayload) }
}

public struct EventIdentity: Hashable, Sendable {
    var timestamp: Int64
    var eventType: String
    var payload: PackedPayload

    public func hash(into h: inout Hasher) {
        h.combine(timestamp)
        h.combine(eventType)
        h.combine(payload.count)
    }
}

extension EventQuery {
    /// `FIELD=VALUE` on a payload field and nothing else: what a timeline
    /// asks, which the store answers from its index. A number also asks for
    /// the same digits as a string, as `=` matches both.
    public var timelineQueries: [TimelineQuery] {
        guard case .compare(.field(let name), .eq, let literal) = root, literal.regex == nil else { return [] }
        let field = String(decoding: name, as: UTF8.self)
        if let n = literal.number, let i = Int64(exactly: n), String(i) == literal.text {
            return [TimelineQuery(field: field, value: .int(i)), TimelineQuery(field: field, value: .string(literal.text))]
        }
        return [TimelineQuery(field: field, value: .string(literal.text))]
    }
}

/// The payload fields the store keeps an index of, so that one user's or
/// one session's timeline is a lookup, not a scan of every row; and the
/// index's key for a value. Only these: each indexed field costs every
/// insert a b-tree entry.
public enum TimelineKey {
    public static let indexedFields = ["user_id", "session_id"]
    static let indexedFieldBytes = indexedFields.map { Array($0.utf8) }

    /// 64-bit FNV-1a of the value's kind and text: a string by its UTF-8, an
    /// integer by its decimal digits. nil: neither (not indexed). A lookup
    /// checks each row's value, so a collision costs a row, never a wrong answer.
    public static func key(_ value: JSONValue) -> Int64? {
        switch value {
        case .string(let s): var u = Array(s.utf8); return u.withUnsafeMutableBufferPointer { key(string: UnsafeBufferPointer($0)) }
        case .int(let i): return key(int: i)
        default: return nil
        }
    }

    static func key(string bytes: UnsafeBufferPointer<UInt8>) -> Int64 { fnv(0x73, bytes) }

    static func key(int: Int64) -> Int64 {
        var digits = Array(String(int).utf8)
        return digits.withUnsafeMutableBufferPointer { fnv(0x69, UnsafeBufferPointer($0)) }
    }

    private static func fnv(_ kind: UInt8, _ bytes: UnsafeBufferPointer<UInt8>) -> Int64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        h = (h ^ UInt64(kind)) &* 0x100_0000_01b3
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return Int64(bitPattern: h)
    }
}

extension PackedPayload {
    /// The index keys of this payload's indexed fields: (position in `TimelineKey.indexedFields`, key).
    public func forEachTimelineKey(_ body: (_ field: Int, _ key: Int64) -> Void) {
        let names = TimelineKey.indexedFieldBytes
        forEachMember { m in
            guard m.tag == .string || m.tag == .int else { return }
            for (f, name) in names.enumerated() where Bytes.equal(m.key, name) {
                if m.tag == .string {
                    body(f, TimelineKey.key(string: m.data))
                } else if case .int(let i) = m.decode() {
                    body(f, TimelineKey.key(int: i))
                }
            }
        }
    }
}
