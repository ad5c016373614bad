/// What a writer (the HTTP API) may tell its client about its events.
public enum Durability: Sendable, Equatable {
    /// The events' batch has committed: they survive a crash.
    case durable
    /// Not stored, and never will be; the reason says why (store failing, queue full).
    case notDurable(String)
}

/// The store as the HTTP API sees it. An HTTP client's events are written
/// before they are logged: the route validates them, hands them to `write`,
/// and logs them (`EventLogger.log(stored: true)`) only once they are on disk.
/// An event answered "not stored" is so in every view: it is never counted,
/// shown, streamed or written later. Implemented by TeletopStore; the core and
/// the server know only this protocol.
public protocol DurabilityGate: Sendable {
    /// nil while the store takes writes; otherwise why it does not.
    var refusal: String? { get }
    /// Writes these events (stamped, not yet logged) in the next commit and
    /// returns once it is done.
    func write(_ events: [LoggedEvent]) async -> Durability
}
