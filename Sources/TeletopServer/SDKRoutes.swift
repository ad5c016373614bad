import CompressNIO
import Foundation
import Hummingbird
import NIOCore
import TeletopCore

/// The analytics SDKs' own endpoints, beside the contract's: Segment's
/// Tracking API (and RudderStack's, the same), PostHog's capture, OTLP/HTTP logs.
///
/// Each request goes the contract's road: decoded, mapped (`SegmentMapping`,
/// `PostHogMapping`, `OTLPLogsMapping`), checked against the plan, stored
/// before it is answered, logged with its protocol as the source. Each SDK
/// gets what its own code counts as success, and a 4xx only where retrying
/// cannot help (see the README's table).
extension TelemetryRoutes {
    enum SDKCall: Sendable {
        /// A Segment call by its path (`track`, ...); nil for `/v1/batch`.
        case segment(String?)
        case posthog
        case otlp

        var proto: SDKProtocol {
            switch self {
            case .segment: .segment
            case .posthog: .posthog
            case .otlp: .otlp
            }
        }
    }

    static let segmentPaths = SegmentMapping.calls.map { "/v1/\($0)" } + ["/v1/batch"]
    static let postHogPaths = ["/batch/", "/capture/", "/e/", "/i/v0/e/"]
    static let otlpPath = "/v1/logs"
    static var sdkPaths: [String] { segmentPaths + postHogPaths + [otlpPath] }

    /// Bodies up to this size (after gzip too): posthog-python sends batches of up to 5 MB.
    var sdkMaxBodyBytes: Int { max(maxBodyBytes, 5 << 20) }

    func addSDKRoutes(to router: Router<TeletopRequestContext>) {
        for call in SegmentMapping.calls {
            router.post(RouterPath("/v1/\(call)")) { request, context in await self.sdk(request, context, .segment(call)) }
        }
        router.post("/v1/batch") { request, context in await self.sdk(request, context, .segment(nil)) }
        for path in Self.postHogPaths {
            router.post(RouterPath(path)) { request, context in await self.sdk(request, context, .posthog) }
        }
        router.post(RouterPath(Self.otlpPath)) { request, context in await self.sdk(request, context, .otlp) }
    }

    /// What an SDK request became: the answer's inputs.
    struct SDKTally {
        var accepted = 0
        var rejectedEvents = 0
        /// Of those, the ones that broke the SDK's own protocol (no event name, no user): not the plan's refusals.
        var malformed = 0
        var issues: [ValidationIssue] = []
    }

    func sdk(_ request: Request, _ context: TeletopRequestContext, _ call: SDKCall) async -> Response {
        let proto = call.proto
        let protobuf = proto == .otlp && Self.mediaType(request) == "application/x-protobuf"
        do {
            let fault = faults.draw()
            switch fault?.kind {
            case .unavailable?:
                throw APIError(.serviceUnavailable, "fault_injected", "teletop's fault mode is on: \(fault!)",
                               headers: [.retryAfter: "\(fault!.retryAfterSeconds)"])
            case .rateLimited?:
                throw APIError(.tooManyRequests, "fault_injected", "teletop's fault mode is on: \(fault!)",
                               headers: [.retryAfter: "\(fault!.retryAfterSeconds)"])
            case .delay(let ms)?:
                try? await Task.sleep(for: .milliseconds(ms))
            case .drop?, nil:
                break
            }
            let body = try await readBody(request, limit: sdkMaxBodyBytes)
            defer { body.reservation.release() }
            if let refusal = durability?.refusal { throw APIError.storeUnavailable(refusal) }
            let bytes = try decompressed(body.bytes, request, proto)
            let (events, key) = try mapped(bytes, request, call)
            guard sdkAuthorized(request, key: key) else {
                throw APIError(.unauthorized, "unauthorized",
                               "this teletop has a token: send it as the \(Self.credentialName(proto)) (or as Authorization: Bearer TOKEN)")
            }
            let tally = try await admitSDK(events, source: proto.source)
            if fault?.kind == .drop, let channel = context.channel {
                // Taken and stored; the answer is never sent, so the SDK retries what teletop has.
                channel.close(mode: .all, promise: nil)
            }
            return success(tally, proto, protobuf: protobuf)
        } catch let error as APIError {
            return Self.sdkError(error, proto, protobuf: protobuf)
        } catch {
            return Self.sdkError(APIError(.badRequest, "bad_request", "\(error)"), proto, protobuf: protobuf)
        }
    }

    /// Duplicates marked, the events admitted, the ids of those taken remembered.
    func admitSDK(_ events: [Result<SDKEvent, IngestError>], source: EventSource) async throws -> SDKTally {
        var decoded: [Result<EventIngest.Decoded, IngestError>] = []
        var keys: [String?] = []
        var isDuplicate: [Bool] = []
        var tally = SDKTally()
        decoded.reserveCapacity(events.count)
        for event in events {
            switch event {
            case .success(let e):
                let dup = e.dedupeKey.map(duplicates.contains) ?? false
                decoded.append(.success(e.decoded(duplicate: dup)))
                keys.append(e.dedupeKey)
                isDuplicate.append(dup)
            case .failure(let error):
                decoded.append(.failure(error))
                keys.append(nil)
                isDuplicate.append(false)
                tally.malformed += 1
            }
        }
        var taken: [String] = []
        var duplicatesTaken = 0
        for (i, outcome) in await admit(decoded, source: source).enumerated() {
            switch outcome {
            case .accepted:
                tally.accepted += 1
                if let k = keys[i] { taken.append(k) }
                if isDuplicate[i] { duplicatesTaken += 1 }
            case .rejected(let issues):
                tally.rejectedEvents += 1
                tally.issues.append(contentsOf: issues)
            case .notStored(let reason):
                // Nothing of the request was kept (a store write is all or nothing): the SDK may retry all of it.
                throw APIError.storeUnavailable(reason)
            }
        }
        duplicates.remember(taken, duplicates: duplicatesTaken)
        return tally
    }

    // MARK: decoding

    /// The body without its gzip (by Content-Encoding, or PostHog's magic bytes); at most `sdkMaxBodyBytes`.
    func decompressed(_ body: ByteBuffer, _ request: Request, _ proto: SDKProtocol) throws -> [UInt8] {
        let encoding = request.headers[.contentEncoding]?.lowercased().trimmingCharacters(in: .whitespaces)
        let query = request.uri.queryParameters.get("compression")?.lowercased()
        if query == "lz64" || query == "base64" {
            throw APIError(.unsupportedMediaType, "unsupported_encoding",
                           "compression=\(query!) is not supported: send gzip (compression=gzip-js) or plain JSON")
        }
        let gzipMagic = body.readableBytes >= 2 && body.getInteger(at: body.readerIndex, as: UInt16.self) == 0x1F8B
        switch encoding {
        case nil, "", "identity":
            guard gzipMagic && (proto == .posthog || query == "gzip-js" || query == "gzip") else { return Array(body.readableBytesView) }
        case "gzip", "x-gzip":
            break
        default:
            throw APIError(.unsupportedMediaType, "unsupported_encoding",
                           "Content-Encoding \(encoding!) is not supported: send gzip or no encoding")
        }
        var compressed = body
        do {
            let plain = try compressed.decompress(with: .gzip(), maxSize: sdkMaxBodyBytes)
            return Array(plain.readableBytesView)
        } catch let error as CompressNIOError where error == .bufferOverflow {
            throw APIError(.contentTooLarge, "body_too_large", "the gzip body unpacks to more than \(sdkMaxBodyBytes) bytes")
        } catch {
            throw APIError(.badRequest, "bad_gzip", "the body is not valid gzip: \(error)")
        }
    }

    func mapped(_ bytes: [UInt8], _ request: Request, _ call: SDKCall) throws -> ([Result<SDKEvent, IngestError>], String?) {
        if case .otlp = call {
            let type = Self.mediaType(request) ?? "application/x-protobuf"
            let message: JSONValue
            switch type {
            case "application/x-protobuf", "application/protobuf":
                do { message = try OTLPProtobuf.logsRequest(bytes) } catch {
                    throw APIError(.badRequest, "malformed_protobuf", "not an ExportLogsServiceRequest: \(error)")
                }
            case "application/json":
                message = try json(bytes)
            default:
                throw APIError(.unsupportedMediaType, "unsupported_media_type",
                               "OTLP/HTTP takes application/x-protobuf or application/json, got \(request.headers[.contentType] ?? type)")
            }
            switch OTLPLogsMapping.map(message) {
            case .success(let events): return (events, nil)
            case .failure(let error): throw APIError(issues: error.issues)
            }
        }
        if let type = Self.mediaType(request), type != "application/json", type != "text/plain" {
            throw APIError(.unsupportedMediaType, "unsupported_media_type",
                           "Content-Type must be application/json, got \(request.headers[.contentType] ?? type)")
        }
        let value = try json(bytes)
        switch call {
        case .segment(let name):
            switch SegmentMapping.map(value, call: name) {
            case .success(let r): return (r.events, r.writeKey)
            case .failure(let error): throw APIError(issues: error.issues)
            }
        default:
            switch PostHogMapping.map(value) {
            case .success(let r): return (r.events, r.apiKey)
            case .failure(let error): throw APIError(issues: error.issues)
            }
        }
    }

    private func json(_ bytes: [UInt8]) throws -> JSONValue {
        do {
            return try JSONParser.parse(bytes, limits: JSONParserLimits(maxBytes: sdkMaxBodyBytes))
        } catch {
            throw APIError(issues: [ValidationIssue(field: "body", problem: .malformedJSON, expected: "a JSON body",
                                                    got: "invalid JSON at byte \(error.offset)", message: "body: \(error.description)")])
        }
    }

    // MARK: authentication

    /// With a token set, the SDK's own credential must be it: Segment's write
    /// key (Basic auth or `writeKey`), PostHog's project key (`api_key`), or a
    /// Bearer token (OTLP's headers option). Without one, any key is taken.
    func sdkAuthorized(_ request: Request, key: String?) -> Bool {
        guard let token else { return true }
        let expected = Array(token.utf8)
        if let key, BearerToken.constantTimeEqual(Array(key.utf8), expected) { return true }
        guard let header = request.headers[.authorization] else { return false }
        let lower = header.lowercased()
        if lower.hasPrefix("bearer ") {
            return BearerToken.constantTimeEqual(Array(header.utf8.dropFirst(7)), expected)
        }
        if lower.hasPrefix("basic "), let data = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)) {
            let user = data.prefix { $0 != UInt8(ascii: ":") }
            return BearerToken.constantTimeEqual(Array(user), expected)
        }
        return false
    }

    static func credentialName(_ proto: SDKProtocol) -> String {
        switch proto {
        case .segment: "write key (Basic auth or writeKey)"
        case .posthog: "project API key (api_key)"
        case .otlp: "Authorization header (OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer%20TOKEN)"
        }
    }

    // MARK: answers

    /// Success as each SDK reads it. Events the plan refuses are answered as
    /// Segment and PostHog do (200, counted, shown in the dashboard's
    /// rejections: retrying cannot change the verdict); OTLP's spec says a
    /// partial success. Only a request that broke the SDK's own protocol in
    /// every event (no event name, no user) is a 400.
    func success(_ tally: SDKTally, _ proto: SDKProtocol, protobuf: Bool) -> Response {
        if tally.accepted == 0 && tally.malformed > 0 && tally.malformed == tally.rejectedEvents && proto != .otlp {
            var error = APIError(issues: tally.issues)
            error.message = "none of the \(tally.rejectedEvents) events was taken: " + error.message
            return Self.sdkError(error, proto, protobuf: false)
        }
        let errors = JSONValue.array(tally.issues.prefix(10).map { .string($0.message) })
        switch proto {
        case .segment:
            return Self.json(.object(["success": true, "accepted": .int(Int64(tally.accepted)),
                                      "rejected": .int(Int64(tally.rejectedEvents)), "errors": errors]), status: .ok)
        case .posthog:
            return Self.json(.object(["status": 1, "accepted": .int(Int64(tally.accepted)),
                                      "rejected": .int(Int64(tally.rejectedEvents)), "errors": errors]), status: .ok)
        case .otlp:
            let message = tally.issues.prefix(10).map(\.message).joined(separator: "; ")
            if protobuf {
                let bytes = OTLPProtobuf.logsResponse(rejected: tally.rejectedEvents, message: message)
                return Response(status: .ok, headers: [.contentType: "application/x-protobuf"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
            }
            guard tally.rejectedEvents > 0 else { return Self.json(.object([:]), status: .ok) }
            return Self.json(.object(["partialSuccess": .object(["rejectedLogRecords": .string(String(tally.rejectedEvents)),
                                                                 "errorMessage": .string(message)])]), status: .ok)
        }
    }

    /// An error in the shape the SDK reads (Segment: `code`, `message`;
    /// PostHog: `detail`; OTLP: a google.rpc.Status), with teletop's own
    /// `error` and `details` beside them, and the error's headers (Retry-After).
    static func sdkError(_ error: APIError, _ proto: SDKProtocol, protobuf: Bool) -> Response {
        var response: Response
        switch proto {
        case .segment:
            response = json(.object(["code": .string(error.code), "message": .string(error.message), "error": .string(error.code),
                                     "details": .array(error.details.map(APIError.detail))]), status: error.status)
        case .posthog:
            response = json(.object(["type": .string(error.status.code >= 500 ? "server_error" : "validation_error"),
                                     "code": .string(error.code), "detail": .string(error.message), "error": .string(error.code),
                                     "message": .string(error.message), "details": .array(error.details.map(APIError.detail))]),
                            status: error.status)
        case .otlp:
            let code = grpcCode(error.status)
            if protobuf {
                let bytes = OTLPProtobuf.status(code: code, message: error.message)
                response = Response(status: error.status, headers: [.contentType: "application/x-protobuf"],
                                    body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
            } else {
                response = json(.object(["code": .int(Int64(code)), "message": .string(error.message), "error": .string(error.code),
                                         "details": .array(error.details.map(APIError.detail))]), status: error.status)
            }
        }
        for field in error.headers { response.headers.append(field) }
        return response
    }

    /// google.rpc.Code for an HTTP status, as OTLP/HTTP pairs them.
    static func grpcCode(_ status: HTTPResponse.Status) -> Int {
        switch status.code {
        case 400, 415: 3  // INVALID_ARGUMENT
        case 401: 16  // UNAUTHENTICATED
        case 413, 429: 8  // RESOURCE_EXHAUSTED
        case 503: 14  // UNAVAILABLE
        default: 13  // INTERNAL
        }
    }
}

/// `POST /api/telemetry/fault` and the SDK part of `/stats`.
extension TelemetryRoutes {
    /// `{"fault": "503@50%"}` turns a fault mode on, `{"fault": "off"}` off; the answer is the mode now on.
    func setFault(_ request: Request) async throws -> Response {
        let body = try await readBody(request)
        defer { body.reservation.release() }
        let value: JSONValue
        do { value = try JSONParser.parse(Array(body.bytes.readableBytesView)) } catch {
            throw APIError(issues: [ValidationIssue(field: "body", problem: .malformedJSON, expected: "{\"fault\": \"503@50%\"}",
                                                    got: "invalid JSON at byte \(error.offset)")])
        }
        guard case .string(let text)? = value["fault"] else {
            throw APIError(issues: [ValidationIssue(field: "fault", problem: value["fault"] == nil ? .missing : .wrongType,
                                                    expected: "a string: " + SDKFault.syntax, got: value["fault"].map(Describe.value) ?? "nothing")])
        }
        do {
            faults.fault = try SDKFault.parse(text)
        } catch {
            throw APIError(issues: [ValidationIssue(field: "fault", problem: .badName, expected: SDKFault.syntax,
                                                    got: Describe.string(text), message: error.description)])
        }
        return Self.json(faultStatus, status: .ok)
    }

    var faultStatus: JSONValue {
        guard let f = faults.fault else { return .object(["fault": "off", "description": "no fault: the SDK endpoints answer normally"]) }
        return .object(["fault": .string(f.spelled), "description": .string(f.description), "faulted": .int(Int64(faults.faulted))])
    }

    var sdkStatus: JSONValue {
        let d = duplicates.status
        return .object(["fault": faultStatus,
                        "duplicates": .int(Int64(d.duplicates)),
                        "dedupe_window": .object(["ids": .int(Int64(d.ids)), "bytes": .int(Int64(d.bytes)),
                                                  "evicted": .int(Int64(d.evicted))])])
    }
}
