import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TeletopCore
@testable import TeletopServer

@Suite("?q= on the read endpoints")
struct QueryRoutesTests {
    @Test func eventsTakesAQueryAndABadOneSaysWhere() async throws {
        let logger = EventLogger()
        for i in 0..<3000 {
            logger.log("error_event", ["error_type": .string(i % 3 == 0 ? "timeout" : "other"), "error_message": "m", "chapter_id": .int(Int64(i % 10))],
                       source: i % 2 == 0 ? .http : .sim)
        }
        let app = Application(responder: TelemetryRoutes(logger: logger).responder())
        try await app.test(.router) { client in
            let q = "error_type=timeout and chapter_id>=5 and source=http".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            try await client.execute(uri: "/api/telemetry/events?limit=1000&q=\(q)", method: .get) { response in
                #expect(response.status == .ok)
                let events = try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [[String: Any]])
                // i % 3 == 0, i % 10 >= 5, i even: counted from first principles over all 3,000.
                let expected = (0..<3000).filter { $0 % 3 == 0 && $0 % 10 >= 5 && $0 % 2 == 0 }.count
                #expect(events.count == expected)
                #expect(events.allSatisfy { ($0["payload"] as? [String: Any])?["error_type"] as? String == "timeout" })
            }
            try await client.execute(uri: "/api/telemetry/events?q=chapter_id%3E", method: .get) { response in
                #expect(response.status == .badRequest)
                let body = try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])
                #expect(body["error"] as? String == "bad_query")
                #expect((body["message"] as? String)?.contains("q: at 12: expected a value after chapter_id>") == true)
            }
        }
    }
}

extension QueryRoutesTests {
    @Test func aQueryStringReadsAsFormsWriteIt() {
        #expect(TelemetryRoutes.formValue("q", in: "limit=5&q=source%3Dhttp+or+chapter_id%3E0") == "source=http or chapter_id>0")
        #expect(TelemetryRoutes.formValue("q", in: "q=a%2Bb") == "a+b")
        #expect(TelemetryRoutes.formValue("q", in: "limit=5") == nil)
    }
}
