import Hummingbird
import TeletopCore

/// `POST /api/telemetry/batch`: a JSON array, or NDJSON (one request per
/// line), of EventLogRequests. Valid items are logged even when others fail;
/// the answer counts both and gives each rejected item's index and reasons.
extension TelemetryRoutes {
    static let maxBatchItems = 1000

    func batch(_ request: Request) async throws -> Response {
        let mediaType = Self.mediaType(request) ?? "application/json"
        let ndjson = Self.lineMediaTypes.contains(mediaType)
        guard ndjson || mediaType == "application/json" else {
            throw APIError(.unsupportedMediaType, "unsupported_media_type",
                           "Content-Type must be application/json (an array), application/x-ndjson or application/jsonl (one event per line), got \(request.headers[.contentType] ?? mediaType)")
        }
        let body = try await readBody(request)
        defer { body.reservation.release() }
        var items: [Result<EventIngest.Decoded, IngestError>] = []
        var tooMany = false
        var unreadable: ValidationIssue?
        body.bytes.withUnsafeReadableBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            // The content type decides: NDJSON is always lines, JSON always one array.
            if !ndjson {
                switch Self.decodeArray(bytes, maxBytes: maxBodyBytes) {
                case .success(let decoded): items = decoded
                case .failure(let issue): unreadable = issue
                case .tooMany: tooMany = true
                }
            } else {
                var splitter = LineSplitter(maxLineBytes: maxBodyBytes)
                let handle: (LineSplitter.Piece) -> Void = { piece in
                    guard case .line(let line, _) = piece else { return }
                    if items.count == Self.maxBatchItems { tooMany = true; return }
                    items.append(EventIngest.decode(line))
                }
                splitter.feed(bytes, handle)
                splitter.finish(handle)
                if items.isEmpty && !tooMany {
                    unreadable = ValidationIssue(field: "body", problem: .missing, expected: "one JSON event per line", got: "no lines")
                }
            }
        }
        // A body that is not a batch at all is the client's mistake, answered as /log answers one.
        if let unreadable {
            logger.recordRejection(source: .http, eventType: nil, line: nil, issues: [unreadable])
            throw APIError(issues: [unreadable])
        }
        if tooMany {
            throw APIError(.contentTooLarge, "batch_too_large", "a batch holds at most \(Self.maxBatchItems) events")
        }
        if let refusal = durability?.refusal { throw APIError.storeUnavailable(refusal) }
        let outcomes = await admit(items)
        // One transaction holds the whole batch: not stored means none of it was, so a retry is safe.
        for case .notStored(let reason) in outcomes { throw APIError.storeUnavailable(reason) }
        var accepted = 0
        var answers: [JSONValue] = []
        for (index, outcome) in outcomes.enumerated() {
            guard case .rejected(let issues) = outcome else { accepted += 1; continue }
            answers.append(.object(["index": .int(Int64(index)), "message": .string(issues.map(\.message).joined(separator: "; ")),
                                    "details": .array(issues.map(APIError.detail))]))
        }
        return Self.json(.object(["accepted": .int(Int64(accepted)), "rejected": .int(Int64(answers.count)),
                                  "rejected_items": .array(answers)]), status: .ok)
    }

    /// Media types whose body is one event per line.
    static let lineMediaTypes: Set<String> = ["application/x-ndjson", "application/jsonl"]

    enum ArrayDecoding {
        case success([Result<EventIngest.Decoded, IngestError>])
        case failure(ValidationIssue)
        case tooMany
    }

    /// A JSON array of requests; anything else is one issue about the body.
    static func decodeArray(_ bytes: UnsafeBufferPointer<UInt8>, maxBytes: Int) -> ArrayDecoding {
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes, limits: JSONParserLimits(maxBytes: maxBytes))
        } catch {
            return .failure(ValidationIssue(field: "body", problem: .malformedJSON, expected: "a JSON array of events",
                                            got: bytes.isEmpty ? "an empty body" : "invalid JSON at byte \(error.offset)",
                                            message: bytes.isEmpty ? "body: expected a JSON array of events, got an empty body" : "body: \(error.description)"))
        }
        guard case .array(let elements) = value else {
            return .failure(ValidationIssue(field: "body", problem: .wrongType, expected: "a JSON array of events", got: Describe.value(value)))
        }
        if elements.count > maxBatchItems { return .tooMany }
        return .success(elements.map(EventIngest.decode))
    }
}
