// The only file that talks to ncurses. Every call happens on the thread that
// created the backend: ncurses is not thread-safe.
@preconcurrency import CNcurses
import Synchronization
import TeletopCore

#if canImport(Glibc)
import Glibc
#endif

public enum CursesError: Error, CustomStringConvertible {
    case notATerminal(stream: String)
    case noTerminal(String)
    case cannotMoveCursor(String)

    public var description: String {
        switch self {
        case .notATerminal(let stream):
            "standard \(stream) is not a terminal: the dashboard needs an interactive terminal (run it without redirecting \(stream))"
        case .noTerminal(let term):
            "cannot open the terminal (TERM=\(term)): teletop's dashboard needs an interactive terminal on standard input and output"
        case .cannotMoveCursor(let term):
            "TERM=\(term) cannot move the cursor, which a full-screen dashboard needs; set TERM to your terminal's type (e.g. xterm-256color)"
        }
    }
}

/// Set from signal handlers, read by the app loop.
public let terminationRequested = Atomic<Int32>(0)

public final class CursesBackend: TerminalBackend {
    private let screen: OpaquePointer
    private let window: UnsafeMutablePointer<WINDOW>
    public let glyphs: Glyphs
    public let colors: Bool
    public private(set) var width: Int
    public private(set) var height: Int
    private var active = true

    /// Opens the terminal. `monochrome` forces no colour (NO_COLOR does too).
    /// `keysFromTTY` reads keys from /dev/tty, for when standard input carries data (`--stdin`).
    /// `mouse`: report clicks and the wheel (off with `--no-mouse`, and where the terminal cannot).
    public init(monochrome: Bool = false, keysFromTTY: Bool = false, mouse: Bool = true) throws(CursesError) {
        setlocale(LC_ALL, "")
        CursesBackend.resetInheritedSignalState()
        let term = getenv("TERM").map { String(cString: $0) } ?? "unset"
        let inputName = keysFromTTY ? "input (/dev/tty)" : "input"
        guard let input = keysFromTTY ? fopen("/dev/tty", "r") : stdin else { throw .notATerminal(stream: inputName) }
        guard isatty(fileno(input)) == 1 else { throw .notATerminal(stream: inputName) }
        guard isatty(STDOUT_FILENO) == 1 else { throw .notATerminal(stream: "output") }
        // newterm rather than initscr: initscr exits the process when there is no terminal.
        guard let screen = newterm(nil, stdout, input) else { throw .noTerminal(term) }
        guard teletop_can_address_cursor() != 0 else {
            endwin()
            delscreen(screen)
            throw .cannotMoveCursor(term)
        }
        self.screen = screen
        set_term(screen)
        window = stdscr
        glyphs = teletop_locale_is_utf8() != 0 ? .unicode : .ascii
        cbreak()
        noecho()
        nonl()
        keypad(window, true)
        curs_set(0)
        // Esc answers in 25 ms, unless ESCDELAY says otherwise (as for any ncurses program).
        if getenv("ESCDELAY") == nil { set_escdelay(25) }
        let noColor = (getenv("NO_COLOR").map { String(cString: $0) } ?? "").isEmpty == false
        colors = !monochrome && !noColor && has_colors()
        if colors {
            start_color()
            use_default_colors()
            for role in ColorRole.allCases {
                if let fg = Self.foreground(role) { init_pair(Int16(role.rawValue) + 1, fg, -1) }
            }
        }
        width = Int(getmaxx(window))
        height = Int(getmaxy(window))
        mouseOn = mouse && teletop_enable_mouse() != 0
        CursesBackend.installSignalHandlers()
    }

    /// Whether clicks and the wheel are reported.
    public private(set) var mouseOn = false

    deinit { shutdown() }

    /// Restores the terminal. Safe to call more than once.
    public func shutdown() {
        guard active else { return }
        active = false
        // Without an alternate screen (TERM=vt100, linux) endwin leaves the last
        // frame standing: clear it first, so the shell comes back to a clean screen.
        if teletop_has_alternate_screen() == 0 {
            werase(window)
            wnoutrefresh(window)
            doupdate()
        }
        endwin()
        delscreen(screen)
    }

    static func foreground(_ role: ColorRole) -> Int16? {
        switch role {
        case .normal, .title, .muted, .selection: nil
        case .accent: Int16(COLOR_CYAN)
        case .aiBlock: Int16(COLOR_MAGENTA)
        case .chapterVisit: Int16(COLOR_BLUE)
        case .errorEvent, .unhealthy: Int16(COLOR_RED)
        case .otherType: Int16(COLOR_CYAN)
        case .healthy: Int16(COLOR_GREEN)
        case .degraded: Int16(COLOR_YELLOW)
        case .red: Int16(COLOR_RED)
        case .green: Int16(COLOR_GREEN)
        case .yellow: Int16(COLOR_YELLOW)
        case .blue: Int16(COLOR_BLUE)
        case .magenta: Int16(COLOR_MAGENTA)
        case .cyan: Int16(COLOR_CYAN)
        case .white: Int16(COLOR_WHITE)
        }
    }

    public func nextEvent(timeoutMilliseconds: Int32) -> TerminalEvent? {
        wtimeout(window, timeoutMilliseconds)
        var ch: wint_t = 0
        let result = wget_wch(window, &ch)
        if result == ERR { return nil }
        if result == KEY_CODE_YES {
            let code = Int32(ch)
            if code == KEY_RESIZE {
                width = Int(getmaxx(window))
                height = Int(getmaxy(window))
                return .resize(width: width, height: height)
            }
            if code == KEY_MOUSE {
                var x: Int32 = 0, y: Int32 = 0
                switch teletop_mouse_event(&x, &y) {
                case 1: return .mouse(MouseEvent(.press, x: Int(x), y: Int(y)))
                case 4: return .mouse(MouseEvent(.wheelUp, x: Int(x), y: Int(y)))
                case 5: return .mouse(MouseEvent(.wheelDown, x: Int(x), y: Int(y)))
                default: return nil
                }
            }
            return Self.functionKey(code).map { .key($0) }
        }
        return Self.characterKey(UInt32(ch)).map { .key($0) }
    }

    static func functionKey(_ code: Int32) -> Key? {
        switch code {
        case KEY_UP: .up
        case KEY_DOWN: .down
        case KEY_LEFT: .left
        case KEY_RIGHT: .right
        case KEY_SLEFT: .shiftLeft
        case KEY_SRIGHT: .shiftRight
        case KEY_PPAGE: .pageUp
        case KEY_NPAGE: .pageDown
        case KEY_HOME: .home
        case KEY_END: .end
        case KEY_ENTER: .enter
        case KEY_BACKSPACE: .backspace
        case KEY_DC: .delete
        case KEY_BTAB: .backTab
        case teletop_key_f(1): .f1
        case teletop_key_f(2): .f2
        default: nil
        }
    }

    static func characterKey(_ v: UInt32) -> Key? {
        switch v {
        case 27: return .escape
        case 9: return .tab
        case 10, 13: return .enter
        case 8, 127: return .backspace
        case 1...26: return .ctrl(Character(Unicode.Scalar(v + 96)!))
        default:
            guard let scalar = Unicode.Scalar(v), v >= 32 else { return nil }
            return .char(Character(scalar))
        }
    }

    public func invalidate() {
        clearok(teletop_curscr(), true)
    }

    /// OSC 52 (`ESC ] 52 ; c ; base64 BEL`), written after the frame so it
    /// never lands inside ncurses' output. Terminals that do not take it ignore it.
    public func copyToClipboard(_ text: String) {
        let sequence = "\u{1b}]52;c;" + Base64.encode(Array(text.utf8)) + "\u{07}"
        fflush(stdout)
        _ = sequence.withCString { write(STDOUT_FILENO, $0, strlen($0)) }
    }

    /// BEL, after the frame like OSC 52 (ncurses' own beep() may flash instead, or write mid-frame).
    public func bell() {
        fflush(stdout)
        _ = write(STDOUT_FILENO, "\u{07}", 1)
    }

    public func draw(_ grid: CellGrid) {
        werase(window)
        var run: [wchar_t] = []
        for y in 0..<min(grid.height, height) {
            var x = 0
            while x < min(grid.width, width) {
                let cell = grid[x, y]
                if cell.continuation {
                    x += 1
                    continue
                }
                // Runs of one style: ASCII characters go out together; anything
                // wider is placed at its own column, so a terminal that measures
                // a character differently cannot shift the rest of the line.
                let style = cell.style
                let start = x
                run.removeAll(keepingCapacity: true)
                if cell.character.isASCII {
                    while x < min(grid.width, width), grid[x, y].style == style, !grid[x, y].continuation, grid[x, y].character.isASCII {
                        run.append(wchar_t(grid[x, y].character.unicodeScalars.first!.value))
                        x += 1
                    }
                } else {
                    for scalar in cell.character.unicodeScalars { run.append(wchar_t(scalar.value)) }
                    x += 1
                }
                apply(style)
                run.append(0)
                _ = run.withUnsafeBufferPointer { mvwaddnwstr(window, Int32(y), Int32(start), $0.baseAddress!, Int32($0.count - 1)) }
            }
        }
        wattr_set(window, teletop_A_NORMAL, 0, nil)
        wnoutrefresh(window)
        doupdate()
    }

    private func apply(_ style: Style) {
        var attrs = teletop_A_NORMAL
        if style.bold { attrs |= teletop_A_BOLD }
        if style.reverse { attrs |= teletop_A_REVERSE }
        if style.underline { attrs |= teletop_A_UNDERLINE }
        if style.dim || style.role == .muted { attrs |= teletop_A_DIM }
        let pair: Int16 = colors && Self.foreground(style.role) != nil ? Int16(style.role.rawValue) + 1 : 0
        wattr_set(window, attrs, pair, nil)
    }

    // MARK: signals

    private static let handlersInstalled = Atomic<Bool>(false)

    /// A parent may start us with signals blocked or SIGWINCH ignored (test
    /// runners and some supervisors do, and both are inherited): then SIGTERM
    /// would never arrive and resizes would go unnoticed. Runs before newterm,
    /// which installs its SIGWINCH handler only over the default disposition.
    static func resetInheritedSignalState() {
        var wanted = sigset_t()
        sigemptyset(&wanted)
        for sig in [SIGINT, SIGTERM, SIGHUP, SIGWINCH, SIGTSTP, SIGCONT] { sigaddset(&wanted, sig) }
        pthread_sigmask(SIG_UNBLOCK, &wanted, nil)
        signal(SIGWINCH, SIG_DFL)
    }

    /// SIGINT/SIGTERM ask the loop to stop (it restores the terminal on its
    /// way out); fatal signals restore the terminal, then die as they would have.
    static func installSignalHandlers() {
        guard !handlersInstalled.exchange(true, ordering: .relaxed) else { return }
        signal(SIGINT) { _ in terminationRequested.store(SIGINT, ordering: .relaxed) }
        signal(SIGTERM) { _ in terminationRequested.store(SIGTERM, ordering: .relaxed) }
        signal(SIGHUP) { _ in terminationRequested.store(SIGHUP, ordering: .relaxed) }
        for sig in [SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGABRT] {
            signal(sig) { s in
                endwin()
                signal(s, SIG_DFL)
                raise(s)
            }
        }
    }
}
