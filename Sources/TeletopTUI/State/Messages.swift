import TeletopCore

/// A key as the dashboard understands it, independent of curses key codes.
public enum Key: Hashable, Sendable {
    case char(Character)
    case ctrl(Character)
    case up, down, left, right, shiftLeft, shiftRight, pageUp, pageDown, home, end
    case enter, escape, tab, backTab, backspace, delete, f1, f2
}

/// A click or a turn of the wheel, at a cell of the screen.
public struct MouseEvent: Equatable, Sendable {
    public enum Kind: Equatable, Sendable { case press, wheelUp, wheelDown }
    public var kind: Kind
    public var x: Int
    public var y: Int

    public init(_ kind: Kind, x: Int, y: Int) {
        self.kind = kind
        self.x = x
        self.y = y
    }
}

/// What the app gathers from the logger and the sources before a frame.
public struct Refresh: Equatable, Sendable {
    public var snapshot: TelemetrySnapshot
    public var simulator: Simulator.Status?
    public var sources: [SourceStatus]
    /// The SDK endpoints' fault mode, while one is on.
    public var fault: SDKFault?
    /// Attached to several collectors: each type's lifetime total per collector, by origin.
    public var breakdown: [String: [UInt64]]
    /// The alert rules' board, when rules were given.
    public var alerts: AlertBoard?
    /// The numeric fields' percentiles: taken only while the numbers view is open, at most once a second.
    public var numbers: NumbersReport?

    public init(snapshot: TelemetrySnapshot, simulator: Simulator.Status? = nil, sources: [SourceStatus] = [], fault: SDKFault? = nil,
                breakdown: [String: [UInt64]] = [:], alerts: AlertBoard? = nil, numbers: NumbersReport? = nil) {
        self.numbers = numbers
        self.alerts = alerts
        self.snapshot = snapshot
        self.simulator = simulator
        self.sources = sources
        self.fault = fault
        self.breakdown = breakdown
    }
}

/// Everything that can change the dashboard's state: `update` is the only
/// function that applies one.
public enum Msg: Equatable, Sendable {
    case key(Key)
    case resize(width: Int, height: Int)
    case mouse(MouseEvent)
    /// Fresh counters, health and source lines, taken before a frame.
    case refreshed(Refresh)
    /// The page a `.loadFeed` effect asked for.
    case feedLoaded(FeedPage)
    /// A report a `.loadAnalytics` effect asked for, finished off the UI thread.
    case analyticsLoaded(AnalyticsReport)
    /// What became of an event fired from the form (or re-fired with `r`).
    case fired(FiredEvent, EventForm.Result)
    /// How long the last frame took and the ingest-to-screen lag the app measured.
    case frameMeasured(FrameStats)
    /// Events for the open timeline: the ring's at once, the store's when they come.
    case timelineLoaded(TimelinePart)
    /// What an effect did, for the one-line notice (a plan written, a fault mode changed).
    case notice(String)
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
    /// Load a fresh analytics report for `state.analyticsWindow`, then report back with `.analyticsLoaded`.
    case loadAnalytics
    /// Put `text` on the terminal's clipboard (OSC 52) and in teletop's log.
    case copy(text: String, what: String)
    /// Load the feed page for this query, then report back with `.feedLoaded`
    /// (at once, before the next key: a key's effect is complete before the next is handled).
    case loadFeed(FeedQuery)
    /// Keep these recent filters for the next run.
    case saveFilterHistory([String])
    /// The SDK endpoints' next fault mode (503, 429, delay, drop, off), then `.notice` and the header.
    case cycleFault
    /// Write the plan the recent events imply to a new file, then `.notice` where.
    case writeInferredPlan
    /// Ring the terminal's bell (an alert fired).
    case bell
    /// Find the events of this timeline in the ring, then in the store; each part comes back as `.timelineLoaded`.
    case loadTimeline(TimelineQuery)
}
