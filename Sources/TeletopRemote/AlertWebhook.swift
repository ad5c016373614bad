import AsyncHTTPClient
import NIOCore
import Synchronization
import TeletopCore

/// `--alert-webhook URL`: each alert POSTed as JSON, in order, by one task.
/// An attempt times out after `timeoutSeconds`; a failure or an answer other
/// than 2xx is retried after 1, 2 and 4 s, then given up and logged. The
/// queue holds at most `maxQueued` alerts; beyond that the oldest is dropped
/// and logged, so a dead endpoint never grows memory.
public final class AlertWebhook: AlertAction {
    public let url: String
    let log: @Sendable (String) -> Void
    public static let timeoutSeconds: Int64 = 5
    /// The waits before each retry.
    public let retryDelays: [Duration]
    public static let maxQueued = 100

    /// Newest kept: a full queue hands back the oldest, which is logged as dropped.
    private let queue: AsyncStream<AlertEvent>
    private let input: AsyncStream<AlertEvent>.Continuation
    public let dropped = Atomic<Int>(0)
    public let delivered = Atomic<Int>(0)
    private let task = Mutex<Task<Void, Never>?>(nil)

    public init(url: String, retryDelays: [Duration] = [.seconds(1), .seconds(2), .seconds(4)], log: @escaping @Sendable (String) -> Void) {
        self.url = url
        self.retryDelays = retryDelays
        self.log = log
        (queue, input) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(Self.maxQueued))
        task.withLock { $0 = Task.detached { [self] in await self.run() } }
    }

    public func deliver(_ alert: AlertEvent) {
        if case .dropped(let gone) = input.yield(alert) {
            let n = dropped.add(1, ordering: .relaxed).newValue
            log("--alert-webhook: queue full, alert \(gone.id) dropped (\(n) so far)")
        }
    }

    public func stop() {
        input.finish()
        task.withLock { $0 }?.cancel()
    }

    private func run() async {
        for await alert in queue {
            var problem = ""
            for attempt in 0...retryDelays.count {
                if attempt > 0 { try? await Task.sleep(for: retryDelays[attempt - 1]) }
                do {
                    var request = HTTPClientRequest(url: url)
                    request.method = .POST
                    request.headers.add(name: "Content-Type", value: "application/json")
                    request.headers.add(name: "User-Agent", value: "teletop/\(TeletopVersion.current)")
                    request.body = .bytes(ByteBuffer(string: alert.json))
                    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(Self.timeoutSeconds))
                    _ = try? await response.body.collect(upTo: 1 << 16)
                    if (200..<300).contains(response.status.code) {
                        delivered.add(1, ordering: .relaxed)
                        problem = ""
                        break
                    }
                    problem = "answered \(response.status.code)"
                } catch {
                    problem = String(describing: error)
                }
            }
            if !problem.isEmpty {
                log("--alert-webhook: alert \(alert.id) not delivered to \(url) after \(retryDelays.count + 1) tries: \(problem)")
            }
        }
    }
}
