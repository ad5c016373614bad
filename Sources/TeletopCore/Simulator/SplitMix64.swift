/// A small, fast, seedable generator: the same seed always gives the same
/// sequence, on every platform, which `SystemRandomNumberGenerator` cannot promise.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    public mutating func unit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }
}

/// Picks indexes with fixed weights in O(log n): the skew of real traffic,
/// where a few users and chapters are busy and most are quiet.
struct WeightedChoice: Sendable {
    private let cumulative: [Double]

    init(weights: [Double]) {
        var total = 0.0
        cumulative = weights.map { total += $0; return total }
    }

    /// Zipf-like weights 1/rank^s for `count` items.
    static func zipf(count: Int, exponent s: Double) -> WeightedChoice {
        WeightedChoice(weights: (1...count).map { 1 / pow(Double($0), s) })
    }

    func pick(_ rng: inout SplitMix64) -> Int {
        let x = rng.unit() * cumulative[cumulative.count - 1]
        var lo = 0, hi = cumulative.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if cumulative[mid] > x { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
