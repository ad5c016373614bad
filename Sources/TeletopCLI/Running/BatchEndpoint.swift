import Foundation
import TeletopCore
import TeletopRemote

/// The batch endpoint's answer, for `send` and `replay --url`.
extension BlockingHTTPClient {
    /// `Authorization: Bearer` from `--token`, else `$TELETOP_TOKEN`; none when both are empty.
    static func headers(token: String?) -> [String: String] {
        guard let token = HTTPOptions.token(token) else { return [:] }
        return ["Authorization": "Bearer \(token)"]
    }

    /// What `POST /api/telemetry/batch` answered with 200: the accepted count and
    /// each rejected item's index in the batch with its reasons.
    struct BatchResult {
        var accepted = 0
        var rejections: [(index: Int, message: String)] = []
    }

    /// Posts NDJSON lines to the batch endpoint. The result is nil unless the
    /// answer was a 200 with the batch shape; the reply is there to say why.
    func postBatch(_ body: [UInt8], headers: [String: String]) throws -> (reply: BlockingHTTPClient.Reply, result: BatchResult?) {
        let reply = try request("POST", "/api/telemetry/batch", body: body, contentType: "application/x-ndjson", headers: headers)
        guard reply.status == 200, case .object(let o)? = try? JSONParser.parse(Array(reply.body.utf8)) else { return (reply, nil) }
        var result = BatchResult()
        if case .int(let a)? = o["accepted"] { result.accepted = Int(a) }
        if case .array(let items)? = o["rejected_items"] {
            for case .object(let item) in items {
                guard case .int(let index)? = item["index"], case .string(let message)? = item["message"] else { continue }
                result.rejections.append((Int(index), message))
            }
        }
        return (reply, result)
    }
}

struct SendError: Error, CustomStringConvertible {
    var description: String
    init(_ message: String) { description = message }
}
