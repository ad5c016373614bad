import Synchronization
import TeletopCore

#if canImport(Glibc)
import Glibc
#endif

/// The loop that joins logger, simulator and terminal: read keys, update the
/// state, and draw a frame only when something changed, at most `maxFPS`
/// times a second. Runs on one thread, the one that owns the terminal.
public final class DashboardApp {
    public struct Options {
        public var maxFPS = 30
        public var logPath = ""
        /// Extra source lines for the header and health pane (stdin, HTTP, ...).
        public var sources: () -> [SourceStatus] = { [] }
        /// The HTTP API's address, for the form's `curl` line.
        public var apiBaseURL = "http://127.0.0.1:7311"
        public var apiNeedsToken = false
        /// Stored history for the analytics view (nil: no store).
        public var analytics: (any AnalyticsSource)?
        public init() {}
    }

    let backend: TerminalBackend
    let logger: EventLogger
    let simulator: Simulator?
    let options: Options
    let feedSource: FeedSource
    let analyticsLoader: AnalyticsLoader
    private var analyticsRequestedAt: UInt64 = 0
    public private(set) var state: DashboardState
    private var worstLagInSecond: Double?
    private var lagSecond: Int64 = 0
    private var lastShownSequence: UInt64 = 0

    static let quietAfterNanos: UInt64 = 2_000_000_000
    static let quietPollNanos: UInt64 = 100_000_000

    public init(backend: TerminalBackend, logger: EventLogger, simulator: Simulator?, options: Options = Options()) {
        self.backend = backend
        self.logger = logger
        self.simulator = simulator
        self.options = options
        feedSource = FeedSource(logger: logger)
        analyticsLoader = AnalyticsLoader(source: options.analytics)
        state = DashboardState(width: backend.width, height: backend.height, snapshot: logger.snapshot(),
                               glyphs: backend.glyphs, logPath: options.logPath, plan: logger.plan)
        // Events already there (restored from the store) arrived long ago: not a lag to measure.
        lastShownSequence = logger.sequenceRange.newest
        state.apiBaseURL = options.apiBaseURL
        state.apiNeedsToken = options.apiNeedsToken
    }

    /// Runs until `q`, Ctrl-C, SIGTERM or `shouldStop` says so.
    public func run(shouldStop: () -> Bool = { terminationRequested.load(ordering: .relaxed) != 0 }) {
        let frameNanos = UInt64(1_000_000_000 / max(1, options.maxFPS))
        var dirty = true
        var lastDrawn: (sequence: UInt64, second: Int64) = (.max, .min)
        var nextFrameAt: UInt64 = 0
        var quit = false
        var lastActivity = monotonicNanos()
        while !quit && !shouldStop() {
            let now = monotonicNanos()
            // Quiet for a while: look for new events ten times a second instead of
            // thirty, so an idle dashboard costs next to nothing.
            let quiet = now > lastActivity + Self.quietAfterNanos
            let poll = quiet ? Self.quietPollNanos : frameNanos
            let wait = nextFrameAt > now ? Int32((nextFrameAt - now) / 1_000_000) + 1 : Int32(poll / 1_000_000)
            // Block for the first event, then take whatever else is queued, so a
            // storm of resizes or a pasted string costs one frame.
            var event = backend.nextEvent(timeoutMilliseconds: wait)
            while let e = event, !quit {
                dirty = true
                lastActivity = monotonicNanos()
                for effect in update(&state, msg(e)) where apply(effect) { quit = true }
                if !quit { event = backend.nextEvent(timeoutMilliseconds: 0) }
            }
            if quit { break }
            let range = logger.sequenceRange
            let second = logger.clock.now().secondsSinceEpoch
            // New events, or a new second (uptime, rates, ages), make a frame due.
            if range.newest != lastDrawn.sequence { dirty = true; lastActivity = monotonicNanos() }
            if second != lastDrawn.second { dirty = true }
            if refreshAnalytics() { dirty = true }
            let t = monotonicNanos()
            if dirty && t >= nextFrameAt {
                drawFrame()
                lastDrawn = (range.newest, second)
                dirty = false
                nextFrameAt = t + frameNanos
            }
        }
    }

    func msg(_ e: TerminalEvent) -> Msg {
        switch e {
        case .key(let k): .key(k)
        case .resize(let w, let h): .resize(width: w, height: h)
        }
    }

    /// Carries out one effect; true means quit.
    func apply(_ effect: Effect) -> Bool {
        switch effect {
        case .quit: return true
        case .toggleSimulator: simulator?.toggle()
        case .stepSimulatorRate(let up): simulator?.stepRate(up: up)
        case .burst: simulator?.burst()
        case .toggleErrorStorm: simulator?.toggleErrorStorm()
        case .forceRedraw: backend.invalidate()
        case .loadAnalytics: requestAnalytics()
        case .fire(let eventType, let payload):
            // Through the one door, like every other source; the outcome goes back into the state.
            let result: EventForm.Result
            switch logger.log(eventType, payload, source: .form) {
            case .accepted(let event): result = .accepted(event)
            case .rejected(let issues): result = .rejected(issues)
            }
            for effect in update(&state, .fired(FiredEvent(eventType: eventType, payload: payload, accepted: {
                if case .accepted = result { return true } else { return false }
            }()), result)) where apply(effect) { return true }
        }
        return false
    }

    /// While the analytics view is open: pick up a finished report, and ask
    /// for a fresh one every few seconds. True when the state changed.
    private func refreshAnalytics() -> Bool {
        var changed = false
        if let report = analyticsLoader.take() {
            state.analytics = report
            changed = true
            // The window changed while that one was loading: ask again.
            if report.window != state.analyticsWindow { requestAnalytics() }
        }
        if state.mode == .analytics && monotonicNanos() - analyticsRequestedAt > Self.analyticsRefreshNanos { requestAnalytics() }
        return changed
    }

    private func requestAnalytics() {
        analyticsRequestedAt = monotonicNanos()
        analyticsLoader.request(window: state.analyticsWindow, now: logger.clock.now())
    }

    static let analyticsRefreshNanos: UInt64 = 5_000_000_000

    /// Refreshes the data in the state, renders and draws one frame.
    public func drawFrame() {
        let start = monotonicNanos()
        state.snapshot = logger.snapshot()
        state.simulator = simulator?.status
        state.sources = sourceLines()
        state.adopt(feedSource.page(for: state.feedQuery))
        let grid = render(state)
        backend.draw(grid)
        let end = monotonicNanos()
        state.frame.frameMillis = Double(end - start) / 1e6
        state.frame.framesDrawn += 1
        measureLag()
    }

    /// Ingest-to-screen lag: from the newest event's arrival to the end of the
    /// frame that first showed it, worst over the last second.
    private func measureLag() {
        let now = logger.clock.now()
        if now.secondsSinceEpoch != lagSecond {
            lagSecond = now.secondsSinceEpoch
            if worstLagInSecond != nil { state.frame.lagMillis = worstLagInSecond }
            worstLagInSecond = nil
        }
        // Only a frame that shows a new newest event measures anything.
        guard state.follow, state.pausedAt == nil, let newest = state.feed.events.last, newest.sequence > lastShownSequence,
              newest.sequence == state.snapshot.lastSequence, let arrived = state.snapshot.lastEventAt else { return }
        lastShownSequence = newest.sequence
        let lag = Double(now.millisecondsSinceEpoch - arrived.millisecondsSinceEpoch)
        worstLagInSecond = max(worstLagInSecond ?? 0, lag)
        if state.frame.lagMillis == nil { state.frame.lagMillis = lag }
    }

    private func sourceLines() -> [SourceStatus] {
        var lines: [SourceStatus] = []
        if let s = simulator?.status {
            var text = s.enabled ? "on \(Format.rate(s.rate))/s" : "off"
            if s.enabled && s.bursting { text += " burst" }
            if s.enabled && s.errorStorm { text += " error-storm" }
            lines.append(SourceStatus(name: "SIM", state: text, active: s.enabled))
        } else {
            lines.append(SourceStatus(name: "SIM", state: "off (--no-sim)", active: false))
        }
        return lines + options.sources()
    }
}

func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}
