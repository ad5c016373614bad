/// A key as the dashboard understands it, independent of curses key codes.
public enum Key: Equatable, Sendable {
    case char(Character)
    case ctrl(Character)
    case up, down, left, right, pageUp, pageDown, home, end
    case enter, escape, tab, backTab, backspace, delete, f1
}

/// Everything that can change the dashboard's state.
public enum Msg: Equatable, Sendable {
    case key(Key)
    case resize(width: Int, height: Int)
}

/// What `update` asks the outside world to do; the app carries these out.
public enum Effect: Equatable, Sendable {
    case quit
    case toggleSimulator
    case stepSimulatorRate(up: Bool)
    case burst
    case toggleErrorStorm
    case forceRedraw
}
