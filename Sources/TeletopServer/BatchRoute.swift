import Hummingbird
import TeletopCore

/// `POST /api/telemetry/batch`: a JSON array, or NDJSON (one request per
/// line), of EventLogRequests. Valid items are logged even when others fail;
/// the answer counts both and gives each rejected item's index and reasons.
extension TelemetryRoutes {
    static let maxBatchItems = 1000

    func batch(_ request: Request) async throws -> Response {
        let contentType = request.headers[.contentType]?.lowercased() ?? "application/json"
        let ndjson = contentType.hasPrefix("application/x-ndjson") || contentType.hasPrefix("application/jsonl")
        guard ndjson || contentType.hasPrefix("application/json") else {
            return ErrorBody(error: "unsupported_media_type",
                             message: "Content-Type must be application/json (an array) or application/x-ndjson, got \(contentType)")
                .response(.unsupportedMediaType)
        }
        let body: ByteBuffer
        switch await readBody(request) {
        case .success(let read): body = read
        case .failure(let refusal): return refusal.response
        }
        var items: [Result<EventIngest.Decoded, IngestError>] = []
        var tooMany = false
        body.withUnsafeReadableBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            // The content type decides: NDJSON is always lines, JSON always one array.
            if !ndjson {
                items = Self.decodeArray(bytes, maxBytes: maxBodyBytes, tooMany: &tooMany)
            } else {
                var splitter = LineSplitter(maxLineBytes: maxBodyBytes)
                let handle: (LineSplitter.Piece) -> Void = { piece in
                    guard case .line(let line, _) = piece else { return }
                    if items.count == Self.maxBatchItems { tooMany = true; return }
                    items.append(EventIngest.decode(line))
                }
                splitter.feed(bytes, handle)
                splitter.finish(handle)
            }
        }
        if let refusal = durability?.refusal { return Self.storeUnavailable(refusal) }
        if tooMany {
            return ErrorBody(error: "batch_too_large", message: "a batch holds at most \(Self.maxBatchItems) events").response(.contentTooLarge)
        }
        var rejected: [(index: Int, issues: [ValidationIssue])] = []
        var logged: [(index: Int, sequence: UInt64)] = []
        for (index, item) in items.enumerated() {
            let issues: [ValidationIssue]
            switch item {
            case .success(let d):
                switch logger.log(d.eventType, d.payload, source: .http, timestamp: d.timestamp) {
                case .accepted(let event): logged.append((index, event.sequence)); continue
                case .rejected(let found): issues = found
                }
            case .failure(let error):
                logger.recordRejection(source: .http, eventType: error.eventType, line: nil, issues: error.issues)
                issues = error.issues
            }
            rejected.append((index, issues))
        }
        // Counted as accepted only once on disk. Batches commit in order, so after
        // the last event's answer the others' are immediate.
        var accepted = logged.count
        if let durability {
            for (index, sequence) in logged.reversed() {
                guard case .notDurable(let reason) = await durability.awaitDurable(sequence) else { continue }
                accepted -= 1
                rejected.append((index, [ValidationIssue(field: "event", problem: .notStored, expected: "stored", got: "not stored",
                                                         message: "event \(index): accepted but not stored: \(reason)")]))
            }
            rejected.sort { $0.index < $1.index }
        }
        let answers: [JSONValue] = rejected.map { r in
            .object(["index": .int(Int64(r.index)), "message": .string(r.issues.map(\.message).joined(separator: "; ")),
                     "details": .array(r.issues.map(ErrorBody.detail))])
        }
        return Self.json(.object(["accepted": .int(Int64(accepted)), "rejected": .int(Int64(rejected.count)),
                                  "rejected_items": .array(answers)]), status: .ok)
    }

    /// A JSON array of requests; a body that is not one is a single failed item at index 0.
    static func decodeArray(_ bytes: UnsafeBufferPointer<UInt8>, maxBytes: Int, tooMany: inout Bool) -> [Result<EventIngest.Decoded, IngestError>] {
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes, limits: JSONParserLimits(maxBytes: maxBytes))
        } catch {
            return [.failure(IngestError(eventType: nil, issues: [ValidationIssue(
                field: "body", problem: .malformedJSON, expected: "a JSON array", got: "invalid JSON at byte \(error.offset)",
                message: "body: \(error.description)")]))]
        }
        guard case .array(let elements) = value else {
            return [.failure(IngestError(eventType: nil, issues: [ValidationIssue(
                field: "body", problem: .wrongType, expected: "array", got: Describe.value(value))]))]
        }
        if elements.count > maxBatchItems { tooMany = true; return [] }
        return elements.map(EventIngest.decode)
    }
}
