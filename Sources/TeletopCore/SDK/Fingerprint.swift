/// An event's identity for spotting one seen before: an OTLP record sent
/// again (it has no id), an event a restarted collector streams again.
/// FNV-1a, 64 bits: cheap and well spread, not a security hash.
public enum Fingerprint {
    public static func of(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }
}
