import TeletopCore

/// How one event reads in the feed: `12:00:01.250  ai_block_used  sim   user_id=user_123 chapter_id=1 ...`.
public enum FeedLine {
    /// `key=value` pairs in the order received. Strings are shown bare unless
    /// they contain spaces or quotes; nested values as compact JSON.
    /// What an SDK sent besides its properties (`_sdk`) is left to the detail popup.
    public static func summary(_ payload: JSONObject) -> String {
        var out = ""
        for m in payload.members where m.key != SDKMetadata.key {
            if !out.isEmpty { out += " " }
            out += m.key
            out += "="
            out += value(m.value)
        }
        return out
    }

    static func value(_ v: JSONValue) -> String {
        switch v {
        case .string(let s):
            if s.isEmpty || s.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" }) {
                return JSONWriter.compact(v)
            }
            return s
        case .int(let i): return String(i)
        default: return JSONWriter.compact(v)
        }
    }

    /// Whether the line as shown contains `needle` (lowercased UTF-8), ignoring ASCII case.
    public static func matches(_ event: LoggedEvent, needle: [UInt8]) -> Bool {
        if needle.isEmpty { return true }
        let haystack = event.eventType + " " + event.source.description + " " + summary(event.payload)
        return containsIgnoringCase(Array(haystack.utf8), needle)
    }

    static func containsIgnoringCase(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count else { return false }
        @inline(__always) func lower(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b + 32 : b }
        outer: for start in 0...(haystack.count - needle.count) {
            for j in 0..<needle.count where lower(haystack[start + j]) != needle[j] { continue outer }
            return true
        }
        return false
    }
}
