import CompressNIO
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TeletopCore
@testable import TeletopServer

@Suite("The SDK endpoints")
struct SDKRoutesTests {
    static let watching: TrackingPlan = {
        var plan = TrackingPlan.contract
        plan.acceptUnplanned = true
        return plan
    }()

    func app(_ logger: EventLogger, token: String? = nil, faults: FaultSwitch = FaultSwitch()) -> some ApplicationProtocol {
        Application(responder: TelemetryRoutes(logger: logger, token: token, faults: faults).responder())
    }

    func json(_ buffer: ByteBuffer) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any])
    }

    static let batch = #"{"batch": [{"type": "track", "event": "Order Completed", "userId": "u", "messageId": "m1", "properties": {"n": 1}}]}"#

    @Test func aGzipBatchIsTakenAndARetryIsMarkedAsADuplicate() async throws {
        let logger = EventLogger(plan: Self.watching)
        try await app(logger).test(.router) { client in
            var plain = ByteBuffer(string: Self.batch)
            let gz = try plain.compress(with: .gzip())
            for _ in 0..<2 {
                try await client.execute(uri: "/v1/batch", method: .post,
                                         headers: [.contentType: "application/json", .contentEncoding: "gzip"], body: gz) { response in
                    #expect(response.status == .ok)
                    let body = try json(response.body)
                    #expect(body["success"] as? Bool == true && body["accepted"] as? Int == 1)
                }
            }
        }
        let events = logger.recentEvents(limit: 5)
        #expect(events.map(\.eventType) == ["order_completed", "order_completed"])
        #expect(events.map(\.source) == [.segment, .segment])
        #expect(!SDKMetadata.isDuplicate(events[0].payload) && SDKMetadata.isDuplicate(events[1].payload))
    }

    @Test func withATokenEachSDKMustSendItsOwnCredential() async throws {
        let logger = EventLogger(plan: Self.watching)
        let basic = "Basic " + Data("secret:".utf8).base64EncodedString()
        try await app(logger, token: "secret").test(.router) { client in
            try await client.execute(uri: "/v1/track", method: .post, headers: [.authorization: basic],
                                     body: ByteBuffer(string: #"{"event": "A", "userId": "u"}"#)) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v1/track", method: .post,
                                     body: ByteBuffer(string: #"{"event": "A", "userId": "u", "writeKey": "wrong"}"#)) { response in
                #expect(response.status == .unauthorized)
                try #expect(try json(response.body)["code"] as? String == "unauthorized")
            }
            try await client.execute(uri: "/capture/", method: .post,
                                     body: ByteBuffer(string: #"{"api_key": "secret", "event": "b", "distinct_id": "p"}"#)) { #expect($0.status == .ok) }
            try await client.execute(uri: "/batch/", method: .post,
                                     body: ByteBuffer(string: #"{"api_key": "nope", "batch": [{"event": "b", "distinct_id": "p"}]}"#)) { response in
                #expect(response.status == .unauthorized)
                try #expect((try json(response.body)["detail"] as? String)?.contains("api_key") == true)
            }
        }
        #expect(logger.recentEvents(limit: 9).map(\.eventType) == ["a", "b"])
    }

    @Test func faultsAnswerWithRetryAfterAndKeepNothing() async throws {
        let logger = EventLogger(plan: Self.watching)
        let faults = FaultSwitch(SDKFault(kind: .unavailable))
        try await app(logger, faults: faults).test(.router) { client in
            try await client.execute(uri: "/v1/batch", method: .post, body: ByteBuffer(string: Self.batch)) { response in
                #expect(response.status == .serviceUnavailable && response.headers[.retryAfter] == "1")
                try #expect(try json(response.body)["code"] as? String == "fault_injected")
            }
            faults.fault = SDKFault(kind: .rateLimited)
            try await client.execute(uri: "/e/", method: .post, body: ByteBuffer(string: #"{"event": "x", "distinct_id": "p"}"#)) { response in
                #expect(response.status == .tooManyRequests && response.headers[.retryAfter] == "1")
            }
            // The contract's own endpoints never get a fault.
            try await client.execute(uri: "/api/telemetry/fault", method: .post, body: ByteBuffer(string: #"{"fault": "bogus"}"#)) { response in
                #expect(response.status == .badRequest)
                try #expect((try json(response.body)["message"] as? String)?.contains("503, 429") == true)
            }
            try await client.execute(uri: "/api/telemetry/fault", method: .post, body: ByteBuffer(string: #"{"fault": "off"}"#)) { response in
                try #expect(response.status == .ok && (try json(response.body)["fault"] as? String) == "off")
            }
        }
        #expect(logger.recentEvents(limit: 5).isEmpty && faults.fault == nil && faults.faulted == 2)
    }

    @Test func badBodiesAreClearErrorsInTheSDKsShape() async throws {
        let logger = EventLogger(plan: Self.watching)
        try await app(logger).test(.router) { client in
            try await client.execute(uri: "/v1/batch", method: .post, headers: [.contentEncoding: "br"], body: ByteBuffer(string: "{}")) { response in
                #expect(response.status == .unsupportedMediaType)
                try #expect((try json(response.body)["message"] as? String)?.contains("br") == true)
            }
            try await client.execute(uri: "/v1/batch", method: .post, headers: [.contentEncoding: "gzip"], body: ByteBuffer(string: "not gzip")) { response in
                try #expect(response.status == .badRequest && (try json(response.body)["code"] as? String) == "bad_gzip")
            }
            // A gzip bomb stops at the bound.
            var zeros = ByteBuffer(repeating: 0x20, count: 8 << 20)
            let bomb = try zeros.compress(with: .gzip())
            try await client.execute(uri: "/batch/", method: .post, headers: [.contentEncoding: "gzip"], body: bomb) { response in
                #expect(response.status == .contentTooLarge)
            }
            try await client.execute(uri: "/v1/track", method: .post, body: ByteBuffer(string: #"{"userId": "u"}"#)) { response in
                #expect(response.status == .badRequest)
                let body = try json(response.body)
                #expect(body["code"] as? String == "validation_failed" && (body["message"] as? String)?.contains("body.event") == true)
            }
            try await client.execute(uri: "/v1/logs", method: .post, headers: [.contentType: "text/csv"], body: ByteBuffer(string: "a,b")) { response in
                #expect(response.status == .unsupportedMediaType)
                try #expect(try json(response.body)["code"] as? Int == 3, "a google.rpc.Status: INVALID_ARGUMENT")
            }
        }
        #expect(logger.recentEvents(limit: 5).isEmpty)
    }

    @Test func otlpIsAnsweredInTheRequestsOwnType() async throws {
        let logger = EventLogger(plan: .contract)  // otel_log is not planned: a partial success
        try await app(logger).test(.router) { client in
            let body: [UInt8] = [0x0A, 0x06, 0x12, 0x04, 0x12, 0x02, 0x32, 0x00]  // resourceLogs{scopeLogs{logRecords{attributes{}}}}
            try await client.execute(uri: "/v1/logs", method: .post, headers: [.contentType: "application/x-protobuf"],
                                     body: ByteBuffer(bytes: body)) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/x-protobuf")
                let bytes = Array(response.body.readableBytesView)
                #expect(bytes.starts(with: [0x0A]) && bytes[2...3] == [0x08, 0x01], "partial_success {rejected_log_records: 1, ...}")
            }
        }
        #expect(logger.snapshot().totalRejected == 1)
    }
}
