import TeletopCore

/// What things look like, in one place: a colour role per event type, and a
/// symbol, a role and a word per health status (the symbol and the word carry
/// the meaning without colour, for NO_COLOR and monochrome terminals).
enum Theme {
    /// `colors`: what the config file's `[colors]` gave types (it wins).
    static func role(forEventType type: String, colors: [String: TypeColor] = [:]) -> ColorRole {
        if let chosen = colors[type] { return chosen.role }
        return switch type {
        case "ai_block_used": .aiBlock
        case "chapter_visit": .chapterVisit
        case "error_event": .errorEvent
        default: .otherType
        }
    }

    static func role(_ status: HealthStatus) -> ColorRole {
        switch status {
        case .healthy: .healthy
        case .degraded: .degraded
        case .unhealthy: .unhealthy
        }
    }

    static func symbol(_ status: HealthStatus, _ glyphs: Glyphs) -> String {
        switch status {
        case .healthy: glyphs.healthy
        case .degraded: glyphs.degraded
        case .unhealthy: glyphs.unhealthy
        }
    }

    /// `✔ HEALTHY`.
    static func statusWord(_ status: HealthStatus, _ glyphs: Glyphs) -> String {
        "\(symbol(status, glyphs)) \(status.rawValue.uppercased())"
    }

    /// A fired event's mark in the form's history.
    static func outcomeMark(accepted: Bool, _ glyphs: Glyphs) -> String {
        accepted ? glyphs.healthy : glyphs.unhealthy
    }
}
