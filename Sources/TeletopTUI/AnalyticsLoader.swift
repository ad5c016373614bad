import Dispatch
import Synchronization
import TeletopCore

/// Runs the analytics queries on a thread of their own, so a slow query over
/// a big store never stalls a frame. The app asks (`request`) and picks up
/// the newest finished report (`take`).
final class AnalyticsLoader: Sendable {
    let source: (any AnalyticsSource)?
    let queue = DispatchQueue(label: "teletop.analytics")
    private let state = Mutex<(busy: Bool, ready: AnalyticsReport?)>((false, nil))

    init(source: (any AnalyticsSource)?) {
        self.source = source
    }

    /// Starts a load unless one is running (the next request after it picks up any change).
    func request(window: AnalyticsWindow, now: Timestamp) {
        let start = state.withLock { s -> Bool in
            if s.busy { return false }
            s.busy = true
            return true
        }
        guard start else { return }
        queue.async { [self] in
            let report = AnalyticsReport.load(from: source, window: window, now: now)
            state.withLock { $0 = (false, report) }
        }
    }

    /// The report finished since the last call, if any.
    func take() -> AnalyticsReport? {
        state.withLock { s in
            defer { s.ready = nil }
            return s.ready
        }
    }
}
