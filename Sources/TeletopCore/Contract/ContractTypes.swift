/// The contract's four JSON shapes (see shared/notes/event-contract.md), with
/// exactly its snake_case keys. Each is Codable for clients that want
/// Foundation, and also converts to and from `JSONValue` for the hot paths,
/// which never touch Codable.

public struct AnalyticsEvent: Sendable, Equatable, Codable {
    public var eventType: String
    public var payload: JSONObject
    /// teletop's stamp: the logger's clock when the event was accepted (or the
    /// recorded time, for a replay or a file of recorded events).
    public var timestamp: Timestamp
    /// The `timestamp` an HTTP client sent, kept beside teletop's own; written
    /// as `client_timestamp` only when there is one, so the contract's shape is unchanged otherwise.
    public var clientTimestamp: Timestamp?

    public init(eventType: String, payload: JSONObject, timestamp: Timestamp, clientTimestamp: Timestamp? = nil) {
        self.eventType = eventType
        self.payload = payload
        self.timestamp = timestamp
        self.clientTimestamp = clientTimestamp
    }

    enum CodingKeys: String, CodingKey {
        case eventType = "event_type", payload, timestamp, clientTimestamp = "client_timestamp"
    }

    public var jsonValue: JSONValue {
        var fields: [JSONObject.Member] = [.init(key: "event_type", value: .string(eventType)), .init(key: "payload", value: .object(payload)),
                                            .init(key: "timestamp", value: .string(timestamp.iso8601))]
        if let clientTimestamp { fields.append(.init(key: "client_timestamp", value: .string(clientTimestamp.iso8601))) }
        return .object(JSONObject(fields))
    }
}

public struct EventLogRequest: Sendable, Equatable, Codable {
    public var eventType: String
    public var payload: JSONObject

    public init(eventType: String, payload: JSONObject) {
        self.eventType = eventType
        self.payload = payload
    }

    enum CodingKeys: String, CodingKey {
        case eventType = "event_type", payload
    }

    public var jsonValue: JSONValue {
        .object(["event_type": .string(eventType), "payload": .object(payload)])
    }
}

public struct EventLogResponse: Sendable, Equatable, Codable {
    public var message: String
    public var eventType: String
    public var timestamp: Timestamp

    public init(message: String, eventType: String, timestamp: Timestamp) {
        self.message = message
        self.eventType = eventType
        self.timestamp = timestamp
    }

    enum CodingKeys: String, CodingKey {
        case message, eventType = "event_type", timestamp
    }

    public var jsonValue: JSONValue {
        .object(["message": .string(message), "event_type": .string(eventType), "timestamp": .string(timestamp.iso8601)])
    }
}

public enum HealthStatus: String, Sendable, Codable, Comparable, CaseIterable {
    case healthy, degraded, unhealthy

    var severity: Int {
        switch self {
        case .healthy: 0
        case .degraded: 1
        case .unhealthy: 2
        }
    }

    public static func < (a: HealthStatus, b: HealthStatus) -> Bool { a.severity < b.severity }
}

public struct TelemetryHealthResponse: Sendable, Equatable, Codable {
    public var status: HealthStatus
    public var message: String
    public var eventsLogged: Int

    public init(status: HealthStatus, message: String, eventsLogged: Int) {
        self.status = status
        self.message = message
        self.eventsLogged = eventsLogged
    }

    enum CodingKeys: String, CodingKey {
        case status, message, eventsLogged = "events_logged"
    }

    public var jsonValue: JSONValue {
        .object(["status": .string(status.rawValue), "message": .string(message), "events_logged": .int(Int64(eventsLogged))])
    }
}

extension Timestamp: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let t = Timestamp(iso8601: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                debugDescription: "expected an ISO-8601 UTC timestamp like 2025-01-27T00:00:00.000Z, got \"\(text)\""))
        }
        self = t
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(iso8601)
    }
}

private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        if let object = try? JSONObject(from: decoder) {
            self = .object(object)
            return
        }
        if var array = try? decoder.unkeyedContainer() {
            var items: [JSONValue] = []
            while !array.isAtEnd { items.append(try array.decode(JSONValue.self)) }
            self = .array(items)
            return
        }
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int64.self) { self = .int(i) }
        else if let d = try? c.decode(Double.self) { self = .double(d) }
        else { self = .string(try c.decode(String.self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .null: var c = encoder.singleValueContainer(); try c.encodeNil()
        case .bool(let b): var c = encoder.singleValueContainer(); try c.encode(b)
        case .int(let i): var c = encoder.singleValueContainer(); try c.encode(i)
        case .double(let d): var c = encoder.singleValueContainer(); try c.encode(d)
        case .string(let s): var c = encoder.singleValueContainer(); try c.encode(s)
        case .array(let items):
            var c = encoder.unkeyedContainer()
            for item in items { try c.encode(item) }
        case .object(let o): try o.encode(to: encoder)
        }
    }
}

extension JSONObject: Codable {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        // Codable gives no order guarantee; the byte parser is the path that keeps order.
        members = try c.allKeys.map { Member(key: $0.stringValue, value: try c.decode(JSONValue.self, forKey: $0)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: AnyKey.self)
        for m in members { try c.encode(m.value, forKey: AnyKey(stringValue: m.key)) }
    }
}
