import TeletopCore

/// Accepted events per second over the last ten minutes, for the counters'
/// chart. The logger keeps only 120 s of per-second counts, so `update`
/// copies each snapshot's into this ring: the dashboard remembers what it
/// watched. Seconds before it started, or missed while it was not drawing,
/// count as none.
public struct RateHistory: Equatable, Sendable {
    public static let seconds = 600
    private var counts = [Int](repeating: 0, count: seconds)
    /// The newest whole second held (the one before the snapshot's).
    private(set) var newest: Int64?

    public init() {}

    /// Takes the snapshot's last 120 s (all types summed); once per second, as later frames in it add nothing.
    public mutating func adopt(_ snapshot: TelemetrySnapshot) {
        let end = snapshot.takenAt.secondsSinceEpoch - 1
        guard end != newest else { return }
        let span = snapshot.types.first?.history.count ?? 0
        // Seconds skipped since the last snapshot that its history does not reach: nothing seen.
        let firstCovered = end - Int64(span) + 1
        if let newest, newest < end {
            var s = max(newest + 1, end - Int64(Self.seconds) + 1)
            while s < firstCovered { counts[slot(s)] = 0; s += 1 }
        } else {
            // The first snapshot, or a clock that went back: start over.
            counts = Array(repeating: 0, count: Self.seconds)
        }
        for k in 0..<span {
            let s = firstCovered + Int64(k)
            guard s > end - Int64(Self.seconds) else { continue }
            counts[slot(s)] = snapshot.types.reduce(0) { $0 + (k < $1.history.count ? $1.history[k] : 0) }
        }
        newest = end
    }

    private func slot(_ second: Int64) -> Int { Int(((second % Int64(Self.seconds)) + Int64(Self.seconds)) % Int64(Self.seconds)) }

    /// Sums of `step` seconds each, oldest first, covering the ten minutes up to the newest second held.
    public func sums(step: Int) -> [Int] {
        guard let newest else { return [] }
        let start = newest - Int64(Self.seconds) + 1
        return stride(from: 0, to: Self.seconds, by: step).map { offset in
            (0..<min(step, Self.seconds - offset)).reduce(0) { $0 + counts[slot(start + Int64(offset + $1))] }
        }
    }
}
