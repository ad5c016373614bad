/// An event as an analytics SDK sent it, mapped onto the contract.
///
/// The mapping keeps everything: the SDK's properties (or attributes, or
/// traits) become the payload's fields, so a plan validates them; the rest of
/// what the SDK sent (its own event name, ids, timestamps, context) goes
/// under one reserved payload key, `_sdk`, which plans never check.
public struct SDKEvent: Sendable, Equatable {
    public var eventType: String
    /// The payload's own fields: the SDK's properties, traits or attributes.
    public var fields: JSONObject
    /// Everything else the SDK sent for this event, under `_sdk` (first: `protocol`).
    public var metadata: JSONObject
    /// The SDK's own time for the event, when it gave one within bounds.
    public var clientTimestamp: Timestamp?
    /// What makes a retry recognisable (Segment's messageId, PostHog's uuid, a hash of an OTLP record).
    public var dedupeKey: String?

    public init(eventType: String, fields: JSONObject, metadata: JSONObject, clientTimestamp: Timestamp?, dedupeKey: String?) {
        self.eventType = eventType
        self.fields = fields
        self.metadata = metadata
        self.clientTimestamp = clientTimestamp
        self.dedupeKey = dedupeKey
    }

    /// An SDK's own time for an event when it is within the client-timestamp
    /// bounds (else it stays only in `_sdk`: an SDK's odd clock never refuses its event).
    static func clientStamp(_ t: Timestamp?) -> Timestamp? {
        t.flatMap { EventIngest.clientTimestampIssue($0) == nil ? $0 : nil }
    }

    /// The same from an ISO-8601 string member (Segment's and PostHog's `timestamp`).
    static func clientStamp(iso value: JSONValue?) -> Timestamp? {
        clientStamp(value?.stringValue.flatMap { Timestamp(iso8601: $0) })
    }

    /// The contract event: fields, then `_sdk`. A property that is itself
    /// called `_sdk` is kept inside the metadata as `shadowed_property`.
    public func decoded(duplicate: Bool = false) -> EventIngest.Decoded {
        var payload = fields
        var meta = metadata
        if let clash = payload[SDKMetadata.key] {
            meta["shadowed_property"] = clash
            payload[SDKMetadata.key] = nil
        }
        if duplicate { meta["duplicate"] = .bool(true) }
        payload.members.append(.init(key: SDKMetadata.key, value: .object(meta)))
        return EventIngest.Decoded(eventType: eventType, payload: payload, timestamp: clientTimestamp)
    }
}

/// The reserved payload key that carries what an SDK sent besides its properties.
public enum SDKMetadata {
    public static let key = "_sdk"
    static let keyBytes: [UInt8] = Array(key.utf8)

    /// True for the reserved key, read from packed bytes (plans skip it).
    @inline(__always)
    static func isKey(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes.count == 4 && bytes[0] == 0x5F && bytes[1] == 0x73 && bytes[2] == 0x64 && bytes[3] == 0x6B
    }

    /// The metadata of a logged event, when it came from an SDK.
    public static func of(_ payload: JSONObject) -> JSONObject? { payload[key]?.objectValue }

    /// True when the event was marked as a retry of one already received.
    public static func isDuplicate(_ payload: JSONObject) -> Bool {
        of(payload)?["duplicate"] == .bool(true)
    }

    /// The request as the SDK sent this event: its metadata with the fields put
    /// back where the protocol keeps them (`properties`, `traits`, `attributes`).
    public static func original(_ payload: JSONObject) -> JSONObject? {
        guard var meta = of(payload) else { return nil }
        let fields = JSONObject(payload.members.filter { $0.key != key })
        let place = meta["fields_from"]?.stringValue ?? "properties"
        meta["fields_from"] = nil
        meta["duplicate"] = nil
        meta["protocol"] = nil
        if let shadowed = meta["shadowed_property"] {
            meta["shadowed_property"] = nil
            var f = fields
            f[key] = shadowed
            meta[place] = .object(f)
        } else if !(fields.isEmpty && place == "none") {
            meta[place] = .object(fields)
        }
        return meta
    }
}

/// Which wire protocol an event arrived by.
public enum SDKProtocol: String, Sendable, CaseIterable {
    case segment, posthog, otlp

    public var source: EventSource {
        switch self {
        case .segment: .segment
        case .posthog: .posthog
        case .otlp: .otlp
        }
    }
}
