/// One alert rule, as `--alert` and the config file spell it:
///
///     health                                   every change of health: degraded, unhealthy, back to healthy
///     new type                                 the first event of a type not seen before
///     TARGET rate > N/s for DURATION           the rate over the last DURATION above N
///     TARGET rate < N/m for DURATION           ... below N: a source that went quiet
///
/// TARGET is an event type (one word), `*` for every event, or a query in
/// the `/` filter's language (`source=http`, `(latency_ms>800 and
/// source=segment)`). A rate is per second (`/s`), minute (`/m`) or hour
/// (`/h`); a duration is `30s`, `2m`, `1h` (at most an hour: the rule keeps
/// one sample per second of it).
public struct AlertRule: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case health
        case newType
        case rate(Target, Comparison, perSecond: Double, windowSeconds: Int)
    }

    public enum Target: Sendable, Equatable {
        case everyEvent
        case eventType(String)
        case query(EventQuery)
    }

    public enum Comparison: String, Sendable, Equatable {
        case above = ">", below = "<"
    }

    /// The rule as it was written (shown in the alerts pane and sent to actions).
    public let text: String
    public let kind: Kind

    public static let maxWindowSeconds = 3_600

    public init(text: String, kind: Kind) {
        self.text = text
        self.kind = kind
    }

    public static func parse(_ text: String) throws(AlertRuleError) -> AlertRule {
        let words = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        func fail(_ message: String) -> AlertRuleError { AlertRuleError(rule: text, message: message) }
        guard !words.isEmpty else { throw fail("the rule is empty; expected `health`, `new type` or `TARGET rate > N/s for DURATION`") }
        let lowered = words.map { $0.lowercased() }
        if lowered == ["health"] { return AlertRule(text: text, kind: .health) }
        if lowered == ["new", "type"] || lowered == ["new_type"] { return AlertRule(text: text, kind: .newType) }
        // The last `rate`: a query may hold the word in a quoted phrase, never after it.
        guard let rateAt = lowered.lastIndex(of: "rate") else {
            throw fail("expected `health`, `new type` or `TARGET rate > N/s for DURATION`, got \"\(text)\"")
        }
        let targetText = words[..<rateAt].joined(separator: " ")
        let rest = Array(words[(rateAt + 1)...])
        guard !targetText.isEmpty else { throw fail("expected an event type, * or a query before `rate`") }
        let target: Target
        if targetText == "*" {
            target = .everyEvent
        } else if rateAt == 1, isTypeName(targetText) {
            target = .eventType(targetText)
        } else {
            do { target = .query(try EventQuery.parse(targetText)) } catch {
                throw fail("the target \"\(targetText)\" is not a query: \(error)")
            }
        }
        guard rest.count == 4 else {
            throw fail("expected `rate > N/s for DURATION` (or <) after the target, got \"rate \(rest.joined(separator: " "))\"")
        }
        guard let comparison = Comparison(rawValue: rest[0]) else { throw fail("expected > or < after `rate`, got \"\(rest[0])\"") }
        guard let perSecond = parseRate(rest[1]) else {
            throw fail("expected a rate like 5/s, 30/m or 100/h after \(rest[0]), got \"\(rest[1])\"")
        }
        guard rest[2].lowercased() == "for" else { throw fail("expected `for DURATION` after the rate, got \"\(rest[2])\"") }
        guard let window = parseDuration(rest[3]), window > 0 else {
            throw fail("expected a duration like 30s, 2m or 1h after `for`, got \"\(rest[3])\"")
        }
        guard window <= maxWindowSeconds else { throw fail("the window \(rest[3]) is longer than the most, 1h") }
        return AlertRule(text: text, kind: .rate(target, comparison, perSecond: perSecond, windowSeconds: window))
    }

    /// What the contract allows in an event type: a bare one is a type, not free text.
    static func isTypeName(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy { c in
            (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39) || c == 0x5F || c == 0x2D || c == 0x2E
        }
    }

    /// `5/s`, `30/m`, `0.5/s`, `100/h` as events per second.
    static func parseRate(_ s: String) -> Double? {
        let parts = s.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let n = Double(parts[0]), n >= 0, n.isFinite else { return nil }
        switch parts[1].lowercased() {
        case "s": return n
        case "m": return n / 60
        case "h": return n / 3600
        default: return nil
        }
    }

    /// `30s`, `2m`, `1h` (or a bare number of seconds) as seconds.
    static func parseDuration(_ s: String) -> Int? {
        guard let last = s.last else { return nil }
        let unit: Int
        var digits = Substring(s)
        switch last {
        case "s": unit = 1; digits = digits.dropLast()
        case "m": unit = 60; digits = digits.dropLast()
        case "h": unit = 3600; digits = digits.dropLast()
        default: unit = 1
        }
        guard let n = Int(digits), n >= 0, n <= 1_000_000 else { return nil }
        return n * unit
    }

    /// The rate rule's events-per-second threshold, spelled as it was written.
    var thresholdText: String {
        guard case .rate(_, let comparison, let perSecond, _) = kind else { return "" }
        return "\(comparison.rawValue) \(AlertRule.rateText(perSecond))"
    }

    /// `30s`, `2m`, `1m30s`, `1h`.
    static func durationText(_ seconds: Int) -> String {
        if seconds % 3600 == 0 { return "\(seconds / 3600)h" }
        if seconds >= 60 { return seconds % 60 == 0 ? "\(seconds / 60)m" : "\(seconds / 60)m\(seconds % 60)s" }
        return "\(seconds)s"
    }

    static func rateText(_ perSecond: Double) -> String {
        if perSecond >= 100 { return "\(Int(perSecond.rounded()))/s" }
        let tenths = (perSecond * 100).rounded() / 100
        return "\(tenths)/s"
    }
}

/// A rule that does not read: which rule, and what was expected where.
public struct AlertRuleError: Error, Sendable, Equatable, CustomStringConvertible {
    public var rule: String
    public var message: String
    public var description: String { "alert rule \"\(rule)\": \(message)" }
}
