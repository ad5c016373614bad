/// What a cell means, not which colour it is: the backend maps roles to
/// colours, or to nothing at all under NO_COLOR.
public enum ColorRole: UInt8, Sendable, CaseIterable {
    case normal, muted, accent, title, aiBlock, chapterVisit, errorEvent, otherType, healthy, degraded, unhealthy, selection
    /// A colour the config file gave an event type (`[colors]`).
    case red, green, yellow, blue, magenta, cyan, white
}

/// The colours an event type can be given in the config file.
public enum TypeColor: String, CaseIterable, Sendable {
    case red, green, yellow, blue, magenta, cyan, white

    public var role: ColorRole {
        switch self {
        case .red: .red
        case .green: .green
        case .yellow: .yellow
        case .blue: .blue
        case .magenta: .magenta
        case .cyan: .cyan
        case .white: .white
        }
    }
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
