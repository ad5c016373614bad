import Foundation
import Hummingbird
import Synchronization
import Testing
import TeletopCore
@testable import TeletopRemote

@Suite("The alert webhook")
struct AlertWebhookTests {
    let alert = AlertEvent(id: 1, rule: "health", ruleIndex: 0, state: .firing, at: Timestamp(year: 2026, month: 12, day: 2),
                           message: "health degraded: errors", value: nil)

    final class Bodies: Sendable {
        let seen = Mutex<[String]>([])
        func withLock<R>(_ body: (inout [String]) -> R) -> R { seen.withLock { body(&$0) } }
    }

    /// A receiver on a loopback port that fails its first `failures` posts with 500.
    func receiver(failures: Int) async throws -> (port: Int, bodies: Bodies, stop: () -> Void) {
        let bodies = Bodies()
        let router = Router()
        router.post("/hook") { request, context -> Response in
            let body = try await request.body.collect(upTo: 1 << 16)
            let n = bodies.withLock { $0.append(String(buffer: body)); return $0.count }
            return Response(status: n <= failures ? .internalServerError : .ok)
        }
        let port = Mutex<Int?>(nil)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in port.withLock { $0 = channel.localAddress?.port } })
        let task = Task { try await app.runService() }
        for _ in 0..<200 where port.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(10)) }
        return (try #require(port.withLock { $0 }), bodies, { task.cancel() })
    }

    @Test func aFailedPostIsRetriedAndTheAlertArrivesAsJSON() async throws {
        let (port, bodies, stop) = try await receiver(failures: 1)
        defer { stop() }
        let logged = Mutex<[String]>([])
        let hook = AlertWebhook(url: "http://127.0.0.1:\(port)/hook", retryDelays: [.milliseconds(50), .milliseconds(50)]) { line in
            logged.withLock { $0.append(line) }
        }
        defer { hook.stop() }
        hook.deliver(alert)
        for _ in 0..<300 where hook.delivered.load(ordering: .relaxed) == 0 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(hook.delivered.load(ordering: .relaxed) == 1)
        let seen = bodies.withLock { $0 }
        #expect(seen.count == 2, "one 500, then the retry")
        #expect(seen.allSatisfy { $0 == alert.json })
        #expect(logged.withLock { $0 }.isEmpty)
    }

    @Test func anEndpointThatNeverAnswersWellIsGivenUpOnAndLogged() async throws {
        let (port, bodies, stop) = try await receiver(failures: 100)
        defer { stop() }
        let logged = Mutex<[String]>([])
        let hook = AlertWebhook(url: "http://127.0.0.1:\(port)/hook", retryDelays: [.milliseconds(20), .milliseconds(20), .milliseconds(20)]) { line in
            logged.withLock { $0.append(line) }
        }
        defer { hook.stop() }
        hook.deliver(alert)
        for _ in 0..<300 where logged.withLock({ $0 }).isEmpty { try await Task.sleep(for: .milliseconds(10)) }
        #expect(bodies.withLock { $0 }.count == 4)
        #expect(logged.withLock { $0 } == ["--alert-webhook: alert 1 not delivered to http://127.0.0.1:\(port)/hook after 4 tries: answered 500"])
    }

    @Test func aFullQueueDropsTheOldestAndSaysSo() throws {
        let logged = Mutex<[String]>([])
        // Nothing listens on port 9 of loopback; the retries keep the first alert in flight.
        let hook = AlertWebhook(url: "http://127.0.0.1:9/hook", retryDelays: [.seconds(30)]) { line in logged.withLock { $0.append(line) } }
        defer { hook.stop() }
        for i in 0..<(AlertWebhook.maxQueued + 5) {
            var a = alert
            a.id = UInt64(i + 1)
            hook.deliver(a)
        }
        #expect(hook.dropped.load(ordering: .relaxed) >= 4)
        #expect(logged.withLock { $0 }.contains { $0.hasPrefix("--alert-webhook: queue full, alert") })
    }
}
