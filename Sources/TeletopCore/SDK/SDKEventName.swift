/// How an SDK's event name becomes a contract event type (1-64 bytes of
/// a-z, 0-9, `_`, `.`, `-`). The original name is always kept in `_sdk`.
///
/// The rule, in order:
/// 1. A leading `$` is dropped (PostHog's own events): `$pageview` → `pageview`.
/// 2. An upper-case letter that follows a lower-case letter or a digit starts
///    a new word: `checkoutStarted` → `checkout_started`, `orderID` → `order_id`.
/// 3. Letters are lower-cased; `.`, `-`, a-z and 0-9 are kept.
/// 4. Every other run of characters (spaces, `/`, `:`, non-ASCII) is one `_`:
///    `Order Completed` → `order_completed`, `Café – Visited` → `caf_visited`.
/// 5. `_` at either end is trimmed; the name is cut to 64 bytes.
/// 6. A name with nothing left is `unnamed`.
public enum SDKEventName {
    public static func eventType(for name: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(min(name.utf8.count, EventTypeName.maxBytes))
        var previousLowerOrDigit = false
        var pendingSeparator = false
        var bytes = name.utf8[...]
        if bytes.first == UInt8(ascii: "$") { bytes = bytes.dropFirst() }
        func emit(_ b: UInt8) {
            if pendingSeparator && !out.isEmpty { out.append(UInt8(ascii: "_")) }
            pendingSeparator = false
            out.append(b)
        }
        for b in bytes {
            switch b {
            case 0x41...0x5A:  // A-Z
                if previousLowerOrDigit { pendingSeparator = true }
                emit(b | 0x20)
                previousLowerOrDigit = false
            case 0x61...0x7A, 0x30...0x39:
                emit(b)
                previousLowerOrDigit = true
            case 0x2E, 0x2D:  // . -
                emit(b)
                previousLowerOrDigit = false
            default:
                // A continuation byte of a multi-byte character joins the run it is part of.
                pendingSeparator = true
                previousLowerOrDigit = false
            }
            if out.count >= EventTypeName.maxBytes { break }
        }
        while out.last == UInt8(ascii: "_") { out.removeLast() }
        if out.count > EventTypeName.maxBytes { out.removeLast(out.count - EventTypeName.maxBytes) }
        while out.last == UInt8(ascii: "_") { out.removeLast() }
        return out.isEmpty ? "unnamed" : String(decoding: out, as: UTF8.self)
    }
}
