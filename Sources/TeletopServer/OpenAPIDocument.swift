import Foundation
import TeletopCore

/// `/openapi.yaml`: the document kept in the repo (Sources/TeletopServer/openapi.yaml)
/// plus, generated from the loaded tracking plan, a request schema and a
/// payload schema per planned type, so the document says exactly what this
/// collector accepts (`--plan` changes it).
enum OpenAPIDocument {
    /// The hand-written part; its `components.schemas` is the document's last
    /// section, so the generated schemas are appended to it.
    static let base: String = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml"),
              let text = try? String(contentsOf: url, encoding: .utf8) else { return "openapi.yaml is missing from the build\n" }
        return text
    }()

    static func render(plan: TrackingPlan) -> String {
        var out = base.replacingOccurrences(of: "@VERSION@", with: TeletopVersion.current)
        if !out.hasSuffix("\n") { out += "\n" }
        let names = plan.eventTypes.map(\.name)
        out += """
                EventLogRequest:
                  description: >-
                    An event to log: one of the loaded plan's types, its payload as that type's schema says.
                    A top-level `timestamp` is the client's own time: it is kept beside teletop's stamp as
                    `client_timestamp` (teletop's stamp orders, windows and retains) and must name a year
                    from 2000 to 2099.
                  oneOf:

            """
        for name in names { out += "        - {$ref: '#/components/schemas/\(requestName(name))'}\n" }
        if plan.acceptUnplanned {
            out += "        - {$ref: '#/components/schemas/UnplannedEventLogRequest'}\n"
            out += """
                    UnplannedEventLogRequest:
                      description: This plan accepts event types it does not list (they are flagged as unplanned).
                      type: object
                      required: [event_type, payload]
                      properties:
                        event_type: {type: string, pattern: '^[a-z0-9_.-]{1,64}$', not: {enum: \(flow(names))}}
                        payload: {type: object}
                        timestamp: {$ref: '#/components/schemas/ClientTimestamp'}

                """
        }
        out += """
                ClientTimestamp: {type: string, format: date-time, pattern: '^20[0-9]{2}-', description: "the client's time, kept as client_timestamp"}

            """
        for spec in plan.eventTypes {
            out += """
                    \(requestName(spec.name)):
                      type: object
                      required: [event_type, payload]
                      properties:
                        event_type: {const: \(quoted(spec.name))}
                        payload: {$ref: '#/components/schemas/\(payloadName(spec.name))'}
                        timestamp: {$ref: '#/components/schemas/ClientTimestamp'}
                    \(payloadName(spec.name)):
                      type: object

                """
            if !spec.description.isEmpty { out += "      description: \(quoted(spec.description))\n" }
            let required = spec.fields.filter(\.required).map(\.name)
            if !required.isEmpty { out += "      required: \(flow(required))\n" }
            out += "      additionalProperties: \(spec.allowAdditionalFields)\n"
            out += "      properties:\n"
            if spec.fields.isEmpty { out.removeLast("      properties:\n".count); out += "      properties: {}\n" }
            for field in spec.fields { out += "        \(quoted(field.name)): \(schema(field))\n" }
        }
        return out
    }

    static func requestName(_ type: String) -> String { "EventLogRequest.\(type)" }
    static func payloadName(_ type: String) -> String { "Payload.\(type)" }

    static func schema(_ field: FieldSpec) -> String {
        switch field.type {
        // The plan counts characters (code points), as maxLength does.
        case .string: "{type: string, \(field.required ? "minLength: 1, " : "")maxLength: \(field.maxLength)}"
        case .timestamp: "{type: string, format: date-time}"
        case .integer: "{type: integer, minimum: \(Int64.min), maximum: \(Int64.max)}"
        case .number: "{type: number}"
        case .boolean: "{type: boolean}"
        case .object: "{type: object}"
        case .array: "{type: array}"
        case .any: "{}"
        }
    }

    /// A YAML flow scalar that is also a JSON string: safe for any name or text.
    static func quoted(_ s: String) -> String {
        String(decoding: JSONWriter.compactBytes(.string(s)), as: UTF8.self)
    }

    static func flow(_ items: [String]) -> String { "[" + items.map(quoted).joined(separator: ", ") + "]" }
}
