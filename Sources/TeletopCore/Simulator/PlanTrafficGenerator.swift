#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Believable traffic for a loaded plan's own event types (`--plan`), where the
/// contract's AI-block vocabulary would only be rejected. Everything that
/// depends on names is worked out once, in init: each field gets a value
/// generator chosen from its type and its name (`user_id` → `user_117`,
/// `duration_ms` → a latency, `country` → `DE`), with strings already cut to
/// the field's `max_length`. Making an event is then a few table picks, no
/// string matching, at the simulator's 1M events/s.
///
/// Every event passes the plan by construction: each required field is
/// present, each value has the field's type, no string is empty or over
/// `max_length`, and no unplanned field is sent (so `additional_fields: false`
/// holds too). The one exception is a plan no event can pass: a required
/// `timestamp` with `max_length` under 20, shorter than any ISO-8601 date-time.
struct PlanTrafficGenerator: Sendable {
    /// How one field's values are made; the data each case needs is precomputed.
    enum Value: Sendable {
        /// A pick from fixed values (strings, ids, objects, arrays), zipf-skewed
        /// so a few are common, as real users, pages and products are.
        case pool([JSONValue], WeightedChoice)
        /// An integer from a log-uniform spread: small values common, a long tail up to `hi`.
        case longTail(lo: Double, hi: Double)
        case uniform(ClosedRange<Int64>)
        /// Log-normal milliseconds as the contract's latency: most near 900, a tail to several seconds.
        case millis(integer: Bool)
        /// A double in `lo...hi` rounded to 1/`scale`, as people read prices and ratings.
        case decimal(lo: Double, hi: Double, scale: Double)
        /// Log-uniform doubles in 0.1...1000, two decimals: a generic measurement.
        case longTailDecimal
        case bool(trueShare: Double)
        /// Within the last two seconds of the clock; `short` drops the milliseconds
        /// (20 characters) for a field whose `max_length` is under 24.
        case timestamp(short: Bool)
        /// A field no value can pass (timestamp, `max_length` < 20): left out when
        /// optional; when required the plan rejects every event of the type.
        case never
    }

    struct Field: Sendable {
        let key: String
        let required: Bool
        let value: Value
    }

    struct EventType: Sendable {
        let name: String
        let fields: [Field]
    }

    /// Share of optional fields that are sent: most events fill them, not all.
    static let optionalPresence = 0.8

    let types: [EventType]
    /// Types whose name contains "error" (the plan's own error events) and the rest.
    /// Like the contract's error_event they are rare, and the error storm
    /// raises their share; with none, the storm changes nothing here.
    let errorTypes: [Int]
    let otherTypes: [Int]
    let errorChoice: WeightedChoice?
    let otherChoice: WeightedChoice?

    /// `plan` must list at least one type.
    /// Traffic for the plan's types, less those `excluding` names (a plan that
    /// extends the contract: the contract's own generator makes those).
    init(plan: TrackingPlan, excluding: Set<String> = []) {
        let types = plan.eventTypes.filter { !excluding.contains($0.name) }.map { spec in
            EventType(name: spec.name, fields: spec.fields.compactMap { f in
                let value = Self.generator(for: f)
                // An optional field no value can pass is left out here, not skipped per event.
                if case .never = value, !f.required { return nil }
                return Field(key: f.name, required: f.required, value: value)
            })
        }
        self.types = types
        errorTypes = types.indices.filter { types[$0].name.contains("error") }
        otherTypes = types.indices.filter { !types[$0].name.contains("error") }
        // Zipf over plan order: the first-listed type is the busiest, as page
        // views outnumber signups, which outnumber purchases.
        errorChoice = errorTypes.isEmpty ? nil : .zipf(count: errorTypes.count, exponent: 1)
        otherChoice = otherTypes.isEmpty ? nil : .zipf(count: otherTypes.count, exponent: 1)
    }

    /// The next event. `errorStorm` raises the error types' share from the
    /// contract's normal share to its storm share (when the plan has any).
    func makeEvent(rng: inout SplitMix64, now: Timestamp, errorStorm: Bool = false) -> (String, JSONObject) {
        let type: EventType
        if let errorChoice, let otherChoice {
            let errorShare = errorStorm ? Simulator.stormErrorShare : Simulator.normalErrorShare
            type = rng.unit() < errorShare ? types[errorTypes[errorChoice.pick(&rng)]] : types[otherTypes[otherChoice.pick(&rng)]]
        } else if let otherChoice {
            type = types[otherTypes[otherChoice.pick(&rng)]]
        } else {
            type = types[errorTypes[errorChoice!.pick(&rng)]]
        }
        var members: [JSONObject.Member] = []
        members.reserveCapacity(type.fields.count)
        for field in type.fields {
            // Required fields draw no presence roll: always sent, one rng call saved.
            guard field.required || rng.unit() < Self.optionalPresence else { continue }
            members.append(JSONObject.Member(key: field.key, value: Self.make(field.value, &rng, now)))
        }
        return (type.name, JSONObject(members))
    }

    static func make(_ value: Value, _ rng: inout SplitMix64, _ now: Timestamp) -> JSONValue {
        switch value {
        case .pool(let values, let choice):
            return values[choice.pick(&rng)]
        case .longTail(let lo, let hi):
            return .int(Int64((lo * pow(hi / lo, rng.unit())).rounded(.down)))
        case .uniform(let range):
            return .int(range.lowerBound + Int64(rng.next() % UInt64(range.upperBound - range.lowerBound + 1)))
        case .millis(let integer):
            // The contract's latency curve: a sum of three uniforms is near-normal, exp makes it log-normal.
            let ms = exp(6.8 + 0.6 * (rng.unit() + rng.unit() + rng.unit() - 1.5) * 2)
            return integer ? .int(Int64(ms.rounded())) : .double((ms * 10).rounded() / 10)
        case .decimal(let lo, let hi, let scale):
            return .double(((lo + (hi - lo) * rng.unit()) * scale).rounded() / scale)
        case .longTailDecimal:
            return .double((0.1 * pow(10_000, rng.unit()) * 100).rounded() / 100)
        case .bool(let share):
            return .bool(rng.unit() < share)
        case .timestamp(let short):
            let at = now.adding(milliseconds: -Int64(rng.next() % 2000)).iso8601
            // `2025-01-27T00:00:00Z`: still ISO-8601, 4 characters shorter.
            return .string(short ? String(at.prefix(19)) + "Z" : at)
        case .never:
            // Only a required field gets here: the plan cannot be met, send the full form.
            return .string(now.iso8601)
        }
    }

    // MARK: - Choosing a generator from a field's type and name (once, at init)

    static func generator(for field: FieldSpec) -> Value {
        let name = FieldName(field.name)
        switch field.type {
        case .integer: return integer(name)
        case .number: return number(name)
        case .boolean:
            // Flags for things going wrong are mostly false; other flags mostly true.
            return .bool(trueShare: name.has("error", "fail", "failed", "bot", "test", "debug", "churn", "churned", "cancel",
                                              "cancelled", "refund", "refunded", "blocked", "spam", "crash", "deleted") ? 0.05 : 0.8)
        case .timestamp:
            return field.maxLength >= 24 ? .timestamp(short: false) : field.maxLength >= 20 ? .timestamp(short: true) : .never
        case .object:
            return pool([["source": "web"], ["source": "ios"], ["source": "android"], ["experiment": "checkout_v2"], ["variant": "b"]])
        case .array:
            return pool([["beta"], ["beta", "mobile"], ["new"], ["new", "sale"], ["mobile"], ["a11y", "beta", "new"]])
        case .string, .any:
            // `any` takes a string: the plainest value, checked like a string field.
            return string(name, field)
        }
    }

    static func integer(_ n: FieldName) -> Value {
        if n.isMillis { return .millis(integer: true) }
        if n.isID { return pool((1...300).map { JSONValue.int(Int64($0)) }, exponent: 1.1) }
        if n.has("status", "http") {
            return .pool([200, 201, 204, 304, 400, 401, 404, 429, 500, 503].map { JSONValue.int($0) },
                         WeightedChoice(weights: [60, 8, 4, 6, 3, 2, 5, 2, 2, 1]))
        }
        if n.has("age") { return .uniform(18...70) }
        if n.has("year") { return .uniform(2018...2025) }
        if n.has("percent", "pct") { return .uniform(0...100) }
        // Counts before money: `total_items` is a count, `total` alone an amount.
        if n.has("count", "quantity", "qty", "items", "num", "retries", "retry", "attempt", "attempts", "tokens", "page") {
            return .longTail(lo: 1, hi: 20)
        }
        if n.isMoney { return pool([9, 19, 29, 49, 99, 5, 199, 499].map { JSONValue.int($0) }) }
        return .longTail(lo: 1, hi: 1000)
    }

    static func number(_ n: FieldName) -> Value {
        if n.isMillis { return .millis(integer: false) }
        if n.isMoney || n.has("value", "subtotal") {
            return pool([9.99, 19.99, 4.99, 49.0, 99.0, 29.99, 0.99, 199.0, 14.5].map { JSONValue.double($0) })
        }
        if n.has("rating", "score", "stars") { return .decimal(lo: 1, hi: 5, scale: 10) }
        if n.has("percent", "pct") { return .decimal(lo: 0, hi: 100, scale: 10) }
        if n.has("ratio", "rate", "share", "progress", "probability", "fraction", "confidence") { return .decimal(lo: 0, hi: 1, scale: 1000) }
        if n.has("lat", "latitude") { return .decimal(lo: -60, hi: 70, scale: 10_000) }
        if n.has("lon", "lng", "longitude") { return .decimal(lo: -180, hi: 180, scale: 10_000) }
        return .longTailDecimal
    }

    static func string(_ n: FieldName, _ field: FieldSpec) -> Value {
        let max = field.maxLength
        /// Cut to `max_length` code points, as the plan counts them; never empty (max_length > 0).
        func fit(_ values: [String], exponent: Double = 0.9) -> Value {
            pool(values.map { JSONValue.string($0.unicodeScalars.count <= max ? $0 : String(String.UnicodeScalarView($0.unicodeScalars.prefix(max)))) },
                 exponent: exponent)
        }
        if n.isTimeOfDay && max >= 20 { return .timestamp(short: max < 24) }
        if n.has("email", "mail") {
            return fit(["ana@example.com", "ben@example.org", "chen@example.net", "dara@example.com", "eli@example.io",
                        "fatima@example.com", "gus@example.org", "hana@example.com"])
        }
        if n.isID {
            // `user_117`, or `u117` or `117` when max_length is too short for it:
            // cutting `user_117` to 6 would fold a hundred users into `user_1`.
            let prefix = n.idPrefix
            let form: (Int) -> String = prefix.count + 4 <= max ? { "\(prefix)_\($0)" } : max >= 4 ? { "\(prefix.prefix(1))\($0)" } : { "\($0)" }
            return fit((0..<300).map { form(100 + $0) }, exponent: 1.1)
        }
        if n.has("url", "href", "link", "referrer", "referer", "uri") {
            return fit(["https://example.com/", "https://example.com/pricing", "https://example.com/docs/getting-started",
                        "https://example.com/blog/launch", "https://www.google.com/", "https://news.ycombinator.com/"])
        }
        if n.has("title", "headline") {
            return fit(["Pricing", "Getting started", "API reference", "Launch week", "Sign up", "Tracking plans"])
        }
        if n.has("path", "page", "route", "screen", "pathname") {
            return fit(["/", "/pricing", "/docs/getting-started", "/docs/api", "/blog/launch", "/signup", "/login",
                        "/settings", "/docs/guides/tracking-plans", "/checkout"])
        }
        if n.has("query", "search", "term", "keyword", "keywords", "q") {
            return fit(["pricing", "how to export data", "api key", "reset password", "tracking plan example",
                        "webhooks", "delete account", "rate limits"])
        }
        if n.has("message", "msg", "reason", "detail", "details") {
            return fit(["request timed out after 30000 ms", "upstream returned 502 Bad Gateway", "rate limit exceeded",
                        "invalid API key", "payment declined by the card issuer", "resource not found"])
        }
        if n.has("error", "exception", "fault") {
            return fit(["timeout", "rate_limited", "not_found", "unauthorized", "validation_error", "internal_error"])
        }
        if n.has("country", "region") { return fit(["US", "DE", "IN", "GB", "BR", "FR", "JP", "CA", "NL", "ES"]) }
        if n.has("currency") { return fit(["USD", "EUR", "GBP", "INR", "JPY"]) }
        // Version before os and browser: `os_version` is a version.
        if n.has("version") { return fit(["2.4.1", "2.4.0", "2.3.7", "2.3.2", "1.9.0"]) }
        if n.has("browser", "agent") { return fit(["Chrome", "Safari", "Firefox", "Edge", "Samsung Internet"]) }
        if n.has("os", "platform") { return fit(["macOS", "Windows", "iOS", "Android", "Linux"]) }
        if n.has("device") { return fit(["desktop", "mobile", "tablet"]) }
        if n.has("plan", "tier", "subscription") { return fit(["free", "pro", "team", "enterprise"], exponent: 1.2) }
        if n.has("status", "state", "result", "outcome") { return fit(["success", "pending", "failed", "cancelled"], exponent: 1.5) }
        if n.has("product", "sku", "item") {
            if n.has("name", "title") { return fit(["Starter Kit", "Pro Plan (annual)", "Team Seat", "Sensor Pack", "Gift Card"]) }
            return fit((0..<50).map { "sku_\(1001 + $0)" }, exponent: 1.1)
        }
        if n.has("lang", "language", "locale") { return fit(["en", "de", "es", "fr", "ja", "pt-BR"]) }
        if n.has("source", "channel", "utm", "campaign", "medium") {
            return fit(["direct", "google", "newsletter", "twitter", "partner", "ads"])
        }
        if n.has("name", "username", "author") {
            return fit(["Ana", "Ben", "Chen", "Dara", "Eli", "Fatima", "Gus", "Hana", "Ivan", "Jo"])
        }
        if n.has("user", "customer", "account", "member") { return fit((0..<300).map { "user_\(100 + $0)" }, exponent: 1.1) }
        // Anything else: a handful of values named after the field (`color_3`), so the feed reads sensibly.
        return fit((1...20).map { "\(n.stem)_\($0)" })
    }

    static func pool(_ values: [JSONValue], exponent: Double = 0.9) -> Value {
        .pool(values, .zipf(count: values.count, exponent: exponent))
    }
}

/// A field name split into lowercase words (`user_id`, `userId`, `user-id`
/// → `user`, `id`), so `os` matches `os` but not `cost`, and `price` matches
/// `unit_price` and `totalPrice`. Used only at init.
struct FieldName {
    let words: [String]
    /// The whole name lowercased with separators removed.
    let flat: String

    init(_ name: String) {
        var words: [String] = []
        var current = ""
        var previousLower = false
        for ch in name {
            if !(ch.isLetter || ch.isNumber) {
                if !current.isEmpty { words.append(current); current = "" }
                previousLower = false
                continue
            }
            if ch.isUppercase && previousLower && !current.isEmpty { words.append(current); current = "" }
            current += ch.lowercased()
            previousLower = ch.isLowercase || ch.isNumber
        }
        if !current.isEmpty { words.append(current) }
        self.words = words
        flat = words.joined()
    }

    /// A word equals one of `candidates`, or a candidate of five letters or more
    /// appears inside the name (`latency` in `latencyms`, `email` in `useremail`).
    func has(_ candidates: String...) -> Bool {
        candidates.contains { c in words.contains(c) || (c.count >= 5 && flat.contains(c)) }
    }

    var isID: Bool { ["id", "uuid", "guid"].contains(words.last ?? "") }
    /// `user_id` → `user`; a bare `id` → `id`.
    var idPrefix: String { words.count > 1 ? words.dropLast().joined(separator: "_") : "id" }
    var isMillis: Bool {
        words.last == "ms" || flat.hasSuffix("millis") || has("latency", "duration", "elapsed", "took", "ttfb", "milliseconds")
    }
    var isMoney: Bool { has("price", "amount", "revenue", "cost", "total", "cents", "fee") }
    /// `created_at`, `sent_time`, `timestamp`: a string field holding a time.
    var isTimeOfDay: Bool { ["at", "time", "timestamp", "date", "ts"].contains(words.last ?? "") }
    /// The field name as written in fallback values, at most 24 characters.
    var stem: String { words.isEmpty ? "value" : String(words.joined(separator: "_").prefix(24)) }
}
