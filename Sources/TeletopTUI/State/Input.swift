import TeletopCore

/// A key as the dashboard understands it, independent of curses key codes.
public enum Key: Equatable, Sendable {
    case char(Character)
    case ctrl(Character)
    case up, down, left, right, pageUp, pageDown, home, end
    case enter, escape, tab, backTab, backspace, delete, f1, f2
}

/// Everything that can change the dashboard's state.
public enum Msg: Equatable, Sendable {
    case key(Key)
    case resize(width: Int, height: Int)
    /// What became of an event fired from the form (or re-fired with `r`).
    case fired(FiredEvent, EventForm.Result)
}

/// What `update` asks the outside world to do; the app carries these out.
public enum Effect: Equatable, Sendable {
    case quit
    case toggleSimulator
    case stepSimulatorRate(up: Bool)
    case burst
    case toggleErrorStorm
    case forceRedraw
    /// Log this event with source `form`, then report back with `.fired`.
    case fire(eventType: String, payload: JSONObject)
    /// Load a fresh analytics report for `state.analyticsWindow`.
    case loadAnalytics
}
