import Synchronization

/// A fault the SDK endpoints answer with, on demand, so a developer can watch
/// their SDK retry: `503` (with Retry-After), `429` (with Retry-After), a
/// delay before the answer, or a dropped connection, for a share of requests.
public struct SDKFault: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case unavailable  // 503 + Retry-After
        case rateLimited  // 429 + Retry-After
        case delay(milliseconds: Int)
        /// The events are taken, then the connection is closed without an answer
        /// (as a proxy that times out would): the SDK retries what was stored.
        case drop
    }

    public var kind: Kind
    /// Of every SDK request, the share (0...1) that gets the fault.
    public var share: Double
    /// Retry-After for 503 and 429, in seconds.
    public var retryAfterSeconds: Int

    public init(kind: Kind, share: Double = 1, retryAfterSeconds: Int = 1) {
        self.kind = kind
        self.share = min(1, max(0, share))
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// The modes the dashboard's key steps through, in order (then off).
    public static let cycle: [SDKFault] = [
        SDKFault(kind: .unavailable, share: 0.5), SDKFault(kind: .rateLimited, share: 0.5),
        SDKFault(kind: .delay(milliseconds: 2000), share: 0.5), SDKFault(kind: .drop, share: 0.5),
    ]

    public static let syntax = "503, 429, delay=MS or drop, optionally @PERCENT (503@50%, delay=2000@25%); off for none"

    /// `503`, `429@25%`, `delay=800`, `delay=800ms@50%`, `drop@10%`. nil for `off`.
    public static func parse(_ text: String) throws(FaultSyntaxError) -> SDKFault? {
        let t = String(text.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed()).lowercased()
        if t == "off" || t == "none" { return nil }
        let parts = t.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false)
        var share = 1.0
        if parts.count == 2 {
            var p = parts[1]
            if p.hasSuffix("%") { p = p.dropLast() }
            guard let percent = Double(p), percent > 0, percent <= 100 else {
                throw FaultSyntaxError(text: text, reason: "the share after @ must be a percentage from 1 to 100, got \"\(parts[1])\"")
            }
            share = percent / 100
        }
        let mode = parts[0]
        switch mode {
        case "503": return SDKFault(kind: .unavailable, share: share)
        case "429": return SDKFault(kind: .rateLimited, share: share)
        case "drop": return SDKFault(kind: .drop, share: share)
        default:
            if mode.hasPrefix("delay=") || mode.hasPrefix("delay:") {
                var ms = mode.dropFirst(6)
                if ms.hasSuffix("ms") { ms = ms.dropLast(2) }
                guard let n = Int(ms), n > 0, n <= 120_000 else {
                    throw FaultSyntaxError(text: text, reason: "a delay is 1 to 120000 milliseconds, got \"\(mode.dropFirst(6))\"")
                }
                return SDKFault(kind: .delay(milliseconds: n), share: share)
            }
            throw FaultSyntaxError(text: text, reason: "expected \(syntax)")
        }
    }

    /// `503 on 50% of SDK requests`: what the header shows while it is on.
    public var description: String {
        let what: String = switch kind {
        case .unavailable: "503 (Retry-After \(retryAfterSeconds)s)"
        case .rateLimited: "429 (Retry-After \(retryAfterSeconds)s)"
        case .delay(let ms): "a \(ms) ms delay"
        case .drop: "dropped connections"
        }
        return "\(what) on \(Int((share * 100).rounded()))% of SDK requests"
    }

    /// The mode as `parse` reads it back.
    public var spelled: String {
        let mode: String = switch kind {
        case .unavailable: "503"
        case .rateLimited: "429"
        case .delay(let ms): "delay=\(ms)"
        case .drop: "drop"
        }
        return "\(mode)@\(Int((share * 100).rounded()))%"
    }
}

public struct FaultSyntaxError: Error, Sendable, CustomStringConvertible {
    public var text: String
    public var reason: String
    public var description: String { "fault \"\(text)\": \(reason)" }
}

/// The fault now on, shared by the server (which applies it), the dashboard
/// (which shows it and turns it on and off) and the fault endpoint.
public final class FaultSwitch: Sendable {
    private struct State {
        var fault: SDKFault?
        var rng: SplitMix64
        var faulted = 0
    }

    private let state: Mutex<State>

    public init(_ fault: SDKFault? = nil, seed: UInt64 = 0x5EED_FA17) {
        state = Mutex(State(fault: fault, rng: SplitMix64(seed: seed)))
    }

    public var fault: SDKFault? {
        get { state.withLock { $0.fault } }
        set { state.withLock { $0.fault = newValue } }
    }

    /// Requests that got a fault so far.
    public var faulted: Int { state.withLock { $0.faulted } }

    /// For one request: the fault it gets, if any (drawn at the share).
    public func draw() -> SDKFault? {
        state.withLock { s in
            guard let f = s.fault else { return nil }
            let roll = Double(s.rng.next() >> 11) / Double(1 << 53)
            guard roll < f.share else { return nil }
            s.faulted += 1
            return f
        }
    }

    /// The next mode of `SDKFault.cycle` (after the last: off).
    @discardableResult
    public func cycle() -> SDKFault? {
        state.withLock { s in
            if let current = s.fault, let i = SDKFault.cycle.firstIndex(of: current) {
                s.fault = i + 1 < SDKFault.cycle.count ? SDKFault.cycle[i + 1] : nil
            } else {
                s.fault = s.fault == nil ? SDKFault.cycle[0] : nil
            }
            return s.fault
        }
    }
}
