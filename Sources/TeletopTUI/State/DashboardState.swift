import TeletopCore

public enum Pane: Int, CaseIterable, Sendable {
    case feed, counters, health

    public var title: String {
        switch self {
        case .feed: "Feed"
        case .counters: "Counters"
        case .health: "Health"
        }
    }
}

public enum CounterSort: Int, CaseIterable, Sendable {
    case name, total, rate, share, rejected

    public var label: String {
        switch self {
        case .name: "type"
        case .total: "total"
        case .rate: "rate"
        case .share: "share"
        case .rejected: "rejected"
        }
    }
}

extension CounterSort {
    /// The counters' rows in this order (ties by name, so the order is stable).
    public func order(_ types: [TypeStats]) -> [TypeStats] {
        switch self {
        case .name: types.sorted { $0.name < $1.name }
        case .total: types.sorted { ($0.accepted, $1.name) > ($1.accepted, $0.name) }
        case .rate: types.sorted { ($0.rate1s, $1.name) > ($1.rate1s, $0.name) }
        case .share: types.sorted { ($0.acceptedInWindow, $1.name) > ($1.acceptedInWindow, $0.name) }
        case .rejected: types.sorted { ($0.rejected, $1.name) > ($1.rejected, $0.name) }
        }
    }
}

public enum Mode: Equatable, Sendable {
    case normal
    case help(scroll: Int)
    /// The event shown in the detail popup, and how far it is scrolled.
    case detail(LoggedEvent, scroll: Int)
    /// Typing a feed filter after `/`.
    case filtering
    /// The "new event" form (`n`); the form itself is `DashboardState.form`.
    case form
    /// Aggregates over stored history (`a`); the data is `DashboardState.analytics`.
    case analytics
    /// The alerts and their history (`!`), with the highlighted row (newest first).
    case alerts(selected: Int)
    /// Percentiles of the numeric payload fields (`%`), scrolled by rows; the data is `DashboardState.numbers`.
    case numbers(scroll: Int)
    /// One value's events through time (`T`); the data is `DashboardState.timeline`.
    case timeline
    /// The pipeline as it runs (`p`), from the snapshot.
    case flow
}

/// One input source's line in the header and health pane.
public struct SourceStatus: Equatable, Sendable {
    public var name: String
    public var state: String
    public var active: Bool
    /// What the header shows when `state` does not fit (the HTTP port, say);
    /// nil: a source that does not fit is left to the health pane.
    public var short: String?

    public init(name: String, state: String, active: Bool, short: String? = nil) {
        self.name = name
        self.state = state
        self.active = active
        self.short = short
    }
}

/// The dashboard's own figures.
public struct FrameStats: Equatable, Sendable {
    /// Milliseconds to build and draw the last frame.
    public var frameMillis: Double = 0
    /// From the newest shown event's arrival to its frame reaching the terminal, worst over the last second.
    public var lagMillis: Double?

    public init(frameMillis: Double = 0, lagMillis: Double? = nil) {
        self.frameMillis = frameMillis
        self.lagMillis = lagMillis
    }
}

/// Everything the screen shows, as a value. Only `update` changes it (from
/// keys and from the data the app gathers), `render` draws it; neither
/// touches the terminal or the clock.
public struct DashboardState: Equatable, Sendable {
    public var width: Int
    public var height: Int
    public var glyphs: Glyphs
    public var version: String
    public var logPath: String

    // Data, arriving as messages (`.refreshed`, `.feedLoaded`, `.frameMeasured`).
    public var snapshot: TelemetrySnapshot
    public var feed = FeedPage()
    public var simulator: Simulator.Status?
    public var sources: [SourceStatus] = []
    public var frame = FrameStats()
    /// Events per second over the last ten minutes, for the counters' chart.
    public var rateHistory = RateHistory()
    /// The numeric fields' percentiles, while the numbers view is open (nil: none taken yet).
    public var numbers: NumbersReport?
    /// The timeline open now, or the last one (Enter on a row opens its detail; closing that comes back here).
    public var timeline: TimelineView?
    /// The detail popup was opened from the timeline: closing it goes back there.
    public var detailReturnsToTimeline = false
    /// The config file's colours per event type (`[colors]`).
    public var typeColors: [String: TypeColor] = [:]
    /// Payload fields the feed shows as aligned columns instead of `key=value` (`[feed] columns`; empty: key=value).
    public var feedColumns: [String] = []
    /// There is a store to ask for what left the ring (the timeline says so when there is not).
    public var hasStore = false

    // The user's view.
    public var mode: Mode = .normal
    public var focus: Pane = .feed
    /// Following the tail of the feed.
    public var follow = true
    /// Sequence number the feed was frozen at by Space; counters keep counting.
    public var pausedAt: UInt64?
    /// The highlighted event when not following, and its row in the viewport.
    public var selected: UInt64?
    public var selectedRow = 0
    /// The `/` filter's text, edited like a form field.
    public var filterEditor = LineEditor()
    /// The filter in force, parsed once when applied.
    public var appliedFilter = EventQuery.all
    /// Filters kept with Enter, newest last, across runs (the app loads and saves them).
    public var filterHistory: [String] = []
    /// Where Up/Down is in `filterHistory` while the filter line is open (nil: the line being typed).
    public var historyIndex: Int?
    /// Where the text after `/` does not read as a query, shown inline.
    public var filterError: QueryError?
    public var typeFilter: String?
    public var counterSort: CounterSort = .name
    /// Columns the feed's payloads are scrolled sideways (Left/Right).
    public var feedScroll = 0
    public static let feedScrollStep = 16
    /// The focused pane fills the body (`z`).
    public var zoomed = false
    /// The highlighted row of the counters pane, by type name (j/k with Counters focused).
    public var counterSelection: String?
    public var healthScroll = 0

    // Firing events by hand.
    public var plan: TrackingPlan = .contract
    /// The open form, or the draft Esc kept.
    public var form: EventForm?
    /// Last values typed per event type and field, to pre-fill the next form.
    public var formMemory: [String: [String: String]] = [:]
    /// Events fired from the form, newest first (at most `firedHistoryLimit`).
    public var fired: [FiredEvent] = []
    public static let firedHistoryLimit = 20
    /// One line for the footer until the next key (e.g. what `r` did).
    public var notice: String?
    /// Where the contract's HTTP API is, for the form's `curl` line.
    public var apiBaseURL = "http://127.0.0.1:7311"
    /// The API wants a bearer token (`--token`).
    public var apiNeedsToken = false

    // Attached to collectors (`teletop attach`).
    /// Their names, by origin; empty for a dashboard of this process.
    public var origins: [String] = []
    /// Every pane narrowed to this collector (`c` steps through them).
    public var onlyOrigin: UInt8?
    /// Each type's lifetime total per collector (by origin), for its detail.
    public var breakdown: [String: [UInt64]] = [:]
    /// Why the simulator keys do nothing here (attached: the collectors run their own).
    public var simulatorAbsence: String?

    // The SDK endpoints.
    /// The fault mode on now (the header shows it while it is).
    public var fault: SDKFault?
    /// False without the HTTP API: there are no SDK endpoints to fault.
    public var faultsAvailable = false

    // Alerts (`--alert`).
    /// The rules' board: what fired, what is on (nil: no rules given).
    public var alerts: AlertBoard?
    /// Alerts acknowledged in the alerts view: they leave the header's banner.
    public var acknowledged: Set<UInt64> = []
    /// The newest alert seen, so that each new one rings the bell once.
    public var newestAlert: UInt64 = 0
    /// Ring the terminal's bell when an alert fires (`--no-bell`: not).
    public var bell = true

    /// Alerts on now that nobody acknowledged, oldest first: the header shows the newest.
    public var unacknowledgedAlerts: [AlertEvent] { alerts?.active.filter { !acknowledged.contains($0.id) } ?? [] }

    // The analytics view.
    public var analyticsWindow: AnalyticsWindow = .hour
    /// The latest report loaded from the store (nil until the first arrives).
    public var analytics: AnalyticsReport?

    public init(width: Int, height: Int, snapshot: TelemetrySnapshot, glyphs: Glyphs = .unicode,
                version: String = TeletopVersion.current, logPath: String = "", plan: TrackingPlan = .contract,
                apiBaseURL: String = "http://127.0.0.1:7311", apiNeedsToken: Bool = false) {
        self.plan = plan
        self.apiBaseURL = apiBaseURL
        self.apiNeedsToken = apiNeedsToken
        self.width = width
        self.height = height
        self.snapshot = snapshot
        self.glyphs = glyphs
        self.version = version
        self.logPath = logPath
    }

    public var layout: DashboardLayout { DashboardLayout(width: width, height: height, zoom: zoomed ? focus : nil) }

    public var isTooSmall: Bool { width < DashboardLayout.minimumWidth || height < DashboardLayout.minimumHeight }

    /// The filter in force: the last text typed after `/` that read as a query
    /// (while a half-typed one does not, the last good one stays applied).
    public var textFilter: String { appliedFilter.text }
    public static let filterHistoryLimit = 50

    /// The counters' type names in their shown order.
    public var counterNames: [String] { counterSort.order(snapshot.types).map(\.name) }

    /// The counters row Enter filters by: the chosen one, else the first.
    public var selectedCounter: String? { counterSelection ?? counterNames.first }

    public var filter: FeedFilter { FeedFilter(eventType: typeFilter, query: appliedFilter, origin: onlyOrigin) }

    /// Events that arrived since the feed was paused.
    public var newWhilePaused: UInt64 {
        guard let p = pausedAt else { return 0 }
        return snapshot.lastSequence > p ? snapshot.lastSequence - p : 0
    }

    /// What the feed pane needs loaded for this state.
    public var feedQuery: FeedQuery {
        let rows = layout.feedRows
        if follow {
            return FeedQuery(anchor: .tail(upTo: pausedAt), before: rows, after: 0, filter: filter)
        }
        guard let selected else {
            return FeedQuery(anchor: .head, before: 0, after: rows * 3, filter: filter)
        }
        return FeedQuery(anchor: .around(selected, upTo: pausedAt), before: rows * 3, after: rows * 3, filter: filter)
    }

    /// The rows the feed pane draws and which of them is highlighted.
    public var visibleFeed: (events: ArraySlice<LoggedEvent>, highlighted: Int?) {
        let rows = layout.feedRows
        let events = feed.events
        if follow || selected == nil {
            return (events.suffix(rows), nil)
        }
        guard let index = events.firstIndex(where: { $0.sequence == selected }) ?? events.lastIndex(where: { $0.sequence < selected! }) else {
            return (events.prefix(rows), nil)
        }
        var top = max(0, index - min(selectedRow, rows - 1))
        // Fill the viewport when there are enough events after the selection.
        top = max(0, min(top, events.count - rows))
        top = min(top, index)
        let slice = events[top..<min(events.count, top + rows)]
        return (slice, index - top)
    }
}

