import TeletopCore

/// How one event reads in the feed: `12:00:01.250  ai_block_used  sim   user_id=user_123 chapter_id=1 ...`.
public enum FeedLine {
    /// `key=value` pairs in the order received (the query language's free
    /// text matches this same line). Strings are shown bare unless they
    /// contain spaces or quotes; nested values as compact JSON; `_sdk` is left
    /// to the detail popup.
    public static func summary(_ payload: JSONObject) -> String {
        EventQuery.summary(payload)
    }
}
