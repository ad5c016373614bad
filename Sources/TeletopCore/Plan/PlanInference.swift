/// The plan a set of events implies: their types, each type's top-level
/// fields with the JSON type seen (integers and decimals together are a
/// number; strings that all read as ISO-8601 are a timestamp; anything mixed,
/// or null, is `any`), and which fields were in every event (required).
/// `_sdk` is left out: it is what an SDK sent besides its properties.
///
/// Bounded: at most `maxTypes` types and `maxFields` fields per type are
/// followed; past them, events and fields are counted as left out.
public struct PlanInference: Sendable {
    public static let maxTypes = 500
    public static let maxFields = 200

    struct FieldSeen: Sendable {
        var name: String
        var count = 0
        var kinds: UInt16 = 0
        var allTimestamps = true
    }

    struct TypeSeen: Sendable {
        var name: String
        var count = 0
        var fields: [FieldSeen] = []
        var index: [String: Int] = [:]
    }

    private var types: [TypeSeen] = []
    private var index: [String: Int] = [:]
    public private(set) var events = 0
    /// Events of types past `maxTypes`, and fields past `maxFields`, not followed.
    public private(set) var eventsLeftOut = 0
    public private(set) var fieldsLeftOut = 0

    public init() {}

    static func kind(_ v: JSONValue) -> UInt16 {
        switch v {
        case .null: 1
        case .bool: 2
        case .int: 4
        case .double: 8
        case .string: 16
        case .array: 32
        case .object: 64
        }
    }

    public mutating func add(eventType: String, payload: JSONObject) {
        events += 1
        let t: Int
        if let i = index[eventType] {
            t = i
        } else {
            guard types.count < Self.maxTypes else { eventsLeftOut += 1; return }
            t = types.count
            index[eventType] = t
            types.append(TypeSeen(name: eventType))
        }
        types[t].count += 1
        for member in payload.members where member.key != SDKMetadata.key {
            let f: Int
            if let i = types[t].index[member.key] {
                f = i
            } else {
                guard types[t].fields.count < Self.maxFields else { fieldsLeftOut += 1; continue }
                f = types[t].fields.count
                types[t].index[member.key] = f
                types[t].fields.append(FieldSeen(name: member.key))
            }
            types[t].fields[f].count += 1
            types[t].fields[f].kinds |= Self.kind(member.value)
            if case .string(let s) = member.value {
                if types[t].fields[f].allTimestamps && Timestamp(iso8601: s) == nil { types[t].fields[f].allTimestamps = false }
            }
        }
    }

    static func fieldType(_ f: FieldSeen) -> FieldType {
        switch f.kinds {
        case 2: .boolean
        case 4: .integer
        case 8, 12: .number
        case 16: f.allTimestamps ? .timestamp : .string
        case 32: .array
        case 64: .object
        default: .any
        }
    }

    /// The plan, types in the order first seen, fields likewise.
    public var plan: TrackingPlan {
        TrackingPlan(eventTypes: types.map { t in
            EventTypeSpec(name: t.name, description: "inferred from \(Describe.grouped(t.count)) event\(t.count == 1 ? "" : "s")",
                          fields: t.fields.map { FieldSpec($0.name, Self.fieldType($0), required: $0.count == t.count) },
                          allowAdditionalFields: false)
        })
    }
}
