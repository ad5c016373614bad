import ArgumentParser
import Foundation
import TeletopCore

/// `teletop send`: fire events at a running teletop from a shell or script.
struct Send: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send events to a running teletop over HTTP.",
        discussion: """
            teletop send ai_block_used user_id=user_123 chapter_id=1 section_id=what-is-physical-ai block_type=ask-question

            key=value: a value that reads as JSON (an integer, a number, true, false, null, \
            {...}, [...] or a "quoted string") is sent as that JSON; anything else as a string. \
            key==value always sends the string value. --json sends a raw payload; --file sends a \
            JSON Lines file in batches (at most 1,000 events and 768 KiB each). Exit status: 0 all accepted, 1 something \
            rejected, 2 teletop unreachable or an unexpected answer.
            """
    )

    @Argument(help: ArgumentHelp("The event type (not with --file).", valueName: "event-type"))
    var eventType: String?

    @Argument(help: ArgumentHelp("Payload fields as key=value (or key==value for a string).", valueName: "key=value"))
    var fields: [String] = []

    @Option(help: ArgumentHelp("The payload as raw JSON.", valueName: "json"))
    var json: String?

    @Option(help: ArgumentHelp("A JSON Lines file of EventLogRequests to send in batches.", valueName: "file"))
    var file: String?

    @Option(help: ArgumentHelp("Where teletop's HTTP API is.", valueName: "url"))
    var url = "http://127.0.0.1:7311"

    @Option(help: ArgumentHelp("Bearer token (default: $TELETOP_TOKEN).", valueName: "token"))
    var token: String?

    func validate() throws {
        if file != nil {
            guard eventType == nil, fields.isEmpty, json == nil else { throw ValidationError("--file sends whole requests: give no event type, fields or --json") }
        } else {
            guard eventType != nil else { throw ValidationError("give an event type, e.g. teletop send ai_block_used user_id=u1 chapter_id=1 ...") }
            guard json == nil || fields.isEmpty else { throw ValidationError("give fields or --json, not both") }
        }
    }

    /// `key=value` with the JSON rule; `key==value` a string.
    static func payload(from fields: [String]) throws -> JSONObject {
        var payload = JSONObject()
        for field in fields {
            guard let eq = field.firstIndex(of: "="), eq != field.startIndex else {
                throw ValidationError("field \(field.debugDescription): expected key=value")
            }
            let key = String(field[..<eq])
            var value = field[field.index(after: eq)...]
            if value.first == "=" {
                value = value.dropFirst()
                payload[key] = .string(String(value))
            } else if let parsed = try? JSONParser.parse(Array(value.utf8)) {
                payload[key] = parsed
            } else {
                payload[key] = .string(String(value))
            }
        }
        return payload
    }

    func run() throws {
        let sender = try EventSender(url: url, token: token)
        do {
            if let file {
                try sender.sendFile(file)
            } else {
                try sender.sendOne(eventType!, try payload())
            }
        } catch let error as SendError {
            throw commandFailure("teletop send: \(error.description)")
        }
    }

    /// The payload from --json or the fields.
    func payload() throws -> JSONObject {
        if let json {
            guard case .object(let object)? = try? JSONParser.parse(Array(json.utf8)) else {
                throw ValidationError("--json must be a JSON object, got \(json)")
            }
            return object
        }
        return try Self.payload(from: fields)
    }
}
