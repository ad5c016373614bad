/// What a cell means, not which colour it is: the backend maps roles to
/// colours, or to nothing at all under NO_COLOR.
public enum ColorRole: UInt8, Sendable, CaseIterable {
    case normal, muted, accent, title, aiBlock, chapterVisit, errorEvent, otherType, healthy, degraded, unhealthy, selection
}

public struct Style: Hashable, Sendable {
    public var role: ColorRole
    public var bold: Bool
    public var reverse: Bool
    public var underline: Bool
    public var dim: Bool

    public init(_ role: ColorRole = .normal, bold: Bool = false, reverse: Bool = false, underline: Bool = false, dim: Bool = false) {
        self.role = role
        self.bold = bold
        self.reverse = reverse
        self.underline = underline
        self.dim = dim
    }

    public static let plain = Style()
    public static let muted = Style(.muted, dim: true)
    public static let title = Style(.title, bold: true)
    public static let selected = Style(.selection, reverse: true)
}
