/// What the app loop needs from a terminal. `CursesBackend` is the real one;
/// tests use a recording fake, as Ratatui's TestBackend does.
public protocol TerminalBackend: AnyObject {
    var width: Int { get }
    var height: Int { get }
    /// Glyphs this terminal can show (UTF-8 locale or not).
    var glyphs: Glyphs { get }
    /// Waits up to `timeoutMilliseconds` for input; nil when none came.
    func nextEvent(timeoutMilliseconds: Int32) -> TerminalEvent?
    /// Shows the grid; one terminal update per call.
    func draw(_ grid: CellGrid)
    /// Repaints everything on the next draw (Ctrl-L).
    func invalidate()
    /// Puts `text` on the terminal's clipboard (OSC 52), where the terminal allows it.
    func copyToClipboard(_ text: String)
    /// Rings the terminal's bell (an alert fired).
    func bell()
}

public enum TerminalEvent: Equatable, Sendable {
    case key(Key)
    case resize(width: Int, height: Int)
    case mouse(MouseEvent)
}
