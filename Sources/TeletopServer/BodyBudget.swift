import Hummingbird
import Synchronization

/// The bytes of request bodies being read or handled at once, across every
/// connection. Each write reserves its declared length (the most a chunked
/// body may be, when it declares none) before reading, and gives it back when
/// answered; past the budget, 503 `server_busy` with `Retry-After`, so a crowd
/// of slow uploads cannot grow memory without bound. The budget is sixteen
/// times `--max-body`, at least 64 MiB.
final class BodyBudget: Sendable {
    static let minimum = 64 << 20
    let bytes: Int
    private let used = Atomic<Int>(0)

    init(bytes: Int) {
        self.bytes = bytes
    }

    final class Reservation: Sendable {
        private let budget: BodyBudget?
        private let size: Int
        private let released = Atomic<Bool>(false)

        fileprivate init(budget: BodyBudget?, size: Int) {
            self.budget = budget
            self.size = size
        }

        func release() {
            guard let budget, !released.exchange(true, ordering: .relaxed) else { return }
            budget.used.subtract(size, ordering: .relaxed)
        }
    }

    /// `declared`: the request's Content-Length, when it has one.
    func reserve(declared: Int?, maxBodyBytes: Int) throws -> Reservation {
        let size = min(declared ?? maxBodyBytes, maxBodyBytes)
        guard size > 0 else { return Reservation(budget: nil, size: 0) }
        if used.add(size, ordering: .relaxed).newValue > bytes {
            used.subtract(size, ordering: .relaxed)
            throw APIError(.serviceUnavailable, "server_busy",
                           "\(bytes >> 20) MiB of request bodies are being read already; try again shortly", headers: [.retryAfter: "1"])
        }
        return Reservation(budget: self, size: size)
    }

    var inUse: Int { used.load(ordering: .relaxed) }
}
