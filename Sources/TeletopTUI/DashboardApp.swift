import Dispatch
import Synchronization
import TeletopCore

#if canImport(Glibc)
import Glibc
#endif

/// The loop that joins logger, simulator and terminal. It only gathers
/// (keys, counters, feed pages, analytics reports), dispatches each as a
/// message to `update`, carries out the effects `update` returns, and draws a
/// frame when something changed, at most `maxFPS` times a second. Runs on one
/// thread, the one that owns the terminal.
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
        /// The SDK endpoints' fault mode (nil: no HTTP API, so no SDK endpoints).
        public var faults: FaultSwitch?
        /// Attached (`teletop attach`): the collectors' names, by event origin.
        public var origins: [String] = []
        /// Attached: the figures the counters and health show (the collectors'
        /// own, summed; one collector's when narrowed), instead of the logger's.
        public var snapshot: ((_ only: UInt8?) -> TelemetrySnapshot)?
        /// Attached to several: each type's lifetime total per collector, by origin.
        public var breakdown: (() -> [String: [UInt64]])?
        /// Attached: the form's events go to a collector; the outcome comes back later.
        public var fire: (@Sendable (_ eventType: String, _ payload: JSONObject, _ only: UInt8?) async -> EventLogger.Outcome)?
        /// Attached: the plan the form lists (the collectors'), instead of the logger's.
        public var plan: TrackingPlan?
        /// Why the simulator keys do nothing (attached).
        public var simulatorAbsence: String?
        /// The recent filters kept across runs (one per line); nil: kept for this run only.
        public var filterHistoryPath: String?
        /// Where `P` writes the inferred plan (a new file each time).
        public var planDirectory = "."
        /// The alert rules running (nil: none given): the header, the alerts view and the bell show them.
        public var alerts: AlertMonitor?
        /// The numeric payload fields' percentiles, for the numbers view (nil: the view says there are none).
        public var numbers: NumbersMonitor?
        /// The config file's colours per event type, and the feed's columns.
        public var typeColors: [String: TypeColor] = [:]
        public var feedColumns: [String] = []
        /// Ring the bell when an alert fires.
        public var bell = true
        /// teletop's own log (a file: nothing may print while curses owns the screen).
        public var log: @Sendable (String) -> Void = { _ in }
        public init() {}
    }

    let backend: TerminalBackend
    let logger: EventLogger
    let simulator: Simulator?
    let options: Options
    let feedSource: FeedSource
    let analyticsLoader: AnalyticsLoader
    private var analyticsRequestedAt: UInt64 = 0
    /// Read here, written only by `update` (through `dispatch`).
    public private(set) var state: DashboardState
    private var lag = LagMeter()
    private var quitRequested = false
    /// The numbers view's report, taken at most once a second while it is open.
    private var numbersTakenAt: Int64?
    /// Messages from work finished elsewhere (a remote fire), taken by the loop.
    private let inbox = Inbox()
    /// The store's part of a timeline is read here, never on the terminal's thread.
    private let timelineQueue = DispatchQueue(label: "teletop.timeline")

    static let quietAfterNanos: UInt64 = 2_000_000_000
    static let quietPollNanos: UInt64 = 100_000_000
    static let analyticsRefreshNanos: UInt64 = 5_000_000_000

    public init(backend: TerminalBackend, logger: EventLogger, simulator: Simulator?, options: Options = Options()) {
        self.backend = backend
        self.logger = logger
        self.simulator = simulator
        self.options = options
        feedSource = FeedSource(logger: logger)
        analyticsLoader = AnalyticsLoader(source: options.analytics)
        state = DashboardState(width: backend.width, height: backend.height, snapshot: options.snapshot?(nil) ?? logger.snapshot(),
                               glyphs: backend.glyphs, logPath: options.logPath, plan: options.plan ?? logger.plan,
                               apiBaseURL: options.apiBaseURL, apiNeedsToken: options.apiNeedsToken)
        state.faultsAvailable = options.faults != nil
        // Attached, the analytics are the collectors': they hold no rows to look a timeline up in.
        state.hasStore = options.analytics != nil && options.origins.isEmpty
        state.typeColors = options.typeColors
        state.feedColumns = options.feedColumns
        state.origins = options.origins
        if let path = options.filterHistoryPath { state.filterHistory = Self.loadFilterHistory(path) }
        state.simulatorAbsence = options.simulatorAbsence
        state.bell = options.bell
        state.alerts = options.alerts?.current
        state.newestAlert = state.alerts?.history.last?.id ?? 0
        // Events already there (restored from the store) arrived long ago: not a lag to measure.
        lag.lastShownSequence = logger.sequenceRange.newest
    }

    /// Runs until `q`, Ctrl-C, SIGTERM or `shouldStop` says so.
    public func run(shouldStop: () -> Bool = { terminationRequested.load(ordering: .relaxed) != 0 }) {
        let frameNanos = UInt64(1_000_000_000 / max(1, options.maxFPS))
        var dirty = true
        var lastDrawn: (sequence: UInt64, second: Int64) = (.max, .min)
        var nextFrameAt: UInt64 = 0
        var lastActivity = monotonicNanos()
        while !quitRequested && !shouldStop() {
            let now = monotonicNanos()
            // Quiet for a while: look for new events ten times a second instead of
            // thirty, so an idle dashboard costs next to nothing.
            let quiet = now > lastActivity + Self.quietAfterNanos
            let poll = quiet ? Self.quietPollNanos : frameNanos
            let wait = nextFrameAt > now ? Int32((nextFrameAt - now) / 1_000_000) + 1 : Int32(poll / 1_000_000)
            // Block for the first event, then take whatever else is queued, so a
            // storm of resizes or a pasted string costs one frame.
            var event = backend.nextEvent(timeoutMilliseconds: wait)
            while let e = event, !quitRequested {
                dirty = true
                lastActivity = monotonicNanos()
                dispatch(message(e))
                if !quitRequested { event = backend.nextEvent(timeoutMilliseconds: 0) }
            }
            if quitRequested { break }
            if deliverInbox() { dirty = true }
            let range = logger.sequenceRange
            let second = logger.clock.now().secondsSinceEpoch
            // New events, or a new second (uptime, rates, ages), make a frame due.
            if range.newest != lastDrawn.sequence { dirty = true; lastActivity = monotonicNanos() }
            if second != lastDrawn.second { dirty = true }
            if pollAnalytics() { dirty = true }
            let t = monotonicNanos()
            if dirty && t >= nextFrameAt {
                drawFrame()
                lastDrawn = (range.newest, second)
                dirty = false
                nextFrameAt = t + frameNanos
            }
        }
    }

    func message(_ e: TerminalEvent) -> Msg {
        switch e {
        case .key(let k): .key(k)
        case .resize(let w, let h): .resize(width: w, height: h)
        case .mouse(let m): .mouse(m)
        }
    }

    /// Dispatches what work finished elsewhere posted; true when there was any.
    @discardableResult
    func deliverInbox() -> Bool {
        let messages = inbox.take()
        for msg in messages { dispatch(msg) }
        return !messages.isEmpty
    }

    /// The one way into the state: `update`, then its effects, each of which
    /// may answer with a message of its own (a page, a fired event's outcome).
    /// Returns the effects `update` asked for (already carried out), for tests.
    @discardableResult
    func dispatch(_ msg: Msg) -> [Effect] {
        let effects = update(&state, msg)
        for effect in effects { perform(effect) }
        return effects
    }

    private func perform(_ effect: Effect) {
        switch effect {
        case .quit: quitRequested = true
        case .toggleSimulator: simulator?.toggle()
        case .stepSimulatorRate(let up): simulator?.stepRate(up: up)
        case .burst: simulator?.burst()
        case .toggleErrorStorm: simulator?.toggleErrorStorm()
        case .forceRedraw: backend.invalidate()
        case .copy(let text, let what):
            backend.copyToClipboard(text)
            options.log("copied \(what) to the clipboard: \(text)")
        case .loadAnalytics: requestAnalytics()
        case .loadFeed(let query): dispatch(.feedLoaded(feedSource.page(for: query)))
        case .cycleFault:
            let now = options.faults?.cycle()
            options.log("fault mode of the SDK endpoints: \(now.map(\.description) ?? "off")")
            dispatch(.notice(now.map { "fault mode on: \($0); F for the next, until off" } ?? "fault mode off: the SDK endpoints answer normally"))
        case .saveFilterHistory(let filters):
            if let path = options.filterHistoryPath, let problem = Self.saveFilterHistory(filters, to: path) {
                options.log("could not keep the recent filters in \(path): \(problem)")
            }
        case .bell: backend.bell()
        case .loadTimeline(let query):
            // The ring at once; the store off this thread (it holds what left the ring), through the inbox.
            let matches = logger.recentEvents(limit: logger.configuration.ringCapacity).filter(query.matches)
            dispatch(.timelineLoaded(TimelinePart(query: query, events: matches)))
            if let source = options.analytics {
                let inbox = self.inbox
                let log = options.log
                timelineQueue.async {
                    do {
                        inbox.post(.timelineLoaded(TimelinePart(query: query, events: [], stored: try source.timeline(query))))
                    } catch {
                        log("the timeline of \(query.field) = \(JSONWriter.compact(query.value)) could not be read from the store: \(error)")
                        inbox.post(.timelineLoaded(TimelinePart(query: query, events: [], stored: TimelineResult(indexed: false))))
                    }
                }
            }
        case .writeInferredPlan:
            dispatch(.notice(writeInferredPlan()))
        case .fire(let eventType, let payload) where options.fire != nil:
            // Attached: to the collector, off this thread; the outcome comes back through the inbox.
            let fire = options.fire!
            let only = state.onlyOrigin
            let inbox = self.inbox
            Task.detached {
                let outcome = await fire(eventType, payload, only)
                inbox.post(.fired(FiredEvent(eventType: eventType, payload: payload, accepted: outcome.event != nil), outcome))
            }
        case .fire(let eventType, let payload):
            // Through the one door, like every other source; the outcome goes back into the state.
            let outcome = logger.log(eventType, payload, source: .form)
            dispatch(.fired(FiredEvent(eventType: eventType, payload: payload, accepted: outcome.event != nil), outcome))
        }
    }

    /// While the analytics view is open: pick up a finished report, and ask
    /// for a fresh one every few seconds. True when a report arrived.
    private func pollAnalytics() -> Bool {
        var arrived = false
        if let report = analyticsLoader.take() {
            dispatch(.analyticsLoaded(report))
            arrived = true
        }
        if state.mode == .analytics && monotonicNanos() - analyticsRequestedAt > Self.analyticsRefreshNanos { requestAnalytics() }
        return arrived
    }

    private func requestAnalytics() {
        analyticsRequestedAt = monotonicNanos()
        analyticsLoader.request(window: state.analyticsWindow, now: logger.clock.now())
    }

    /// Gathers fresh data, renders and draws one frame, then reports its cost.
    public func drawFrame() {
        let start = monotonicNanos()
        dispatch(.refreshed(Refresh(snapshot: options.snapshot?(state.onlyOrigin) ?? logger.snapshot(), simulator: simulator?.status, sources: sourceLines(),
                                    fault: options.faults?.fault, breakdown: options.breakdown?() ?? [:],
                                    alerts: options.alerts?.current, numbers: numbersDue())))
        backend.draw(render(state))
        let millis = Double(monotonicNanos() - start) / 1e6
        dispatch(.frameMeasured(FrameStats(frameMillis: millis, lagMillis: lag.measure(state, now: logger.clock.now()))))
    }

    /// The numbers' report when the view is open and the last is a second old.
    private func numbersDue() -> NumbersReport? {
        guard case .numbers = state.mode else {
            numbersTakenAt = nil
            return nil
        }
        let now = logger.clock.now()
        guard numbersTakenAt != now.secondsSinceEpoch else { return nil }
        numbersTakenAt = now.secondsSinceEpoch
        return options.numbers?.report(now: now) ?? NumbersReport()
    }

    /// The recent filters, oldest first: one a line, at most the last 50.
    static func loadFilterHistory(_ path: String) -> [String] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 << 10)
        while bytes.count < 1 << 20 {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        let lines = bytes.split(separator: 0x0A).map { String(decoding: $0, as: UTF8.self) }.filter { !$0.isEmpty }
        return Array(lines.suffix(DashboardState.filterHistoryLimit))
    }

    /// Written whole to a temporary file, then renamed: a crash never leaves half a list. nil, or what failed.
    static func saveFilterHistory(_ filters: [String], to path: String) -> String? {
        let dir = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
        if !dir.isEmpty { mkdirAll(dir) }
        let temp = path + ".tmp"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return String(cString: strerror(errno)) }
        // A filter never holds a newline (the line editor takes none): one a line.
        let bytes = Array(filters.map { $0.replacingNewlines() }.joined(separator: "\n").utf8) + [0x0A]
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        guard written == bytes.count else { return String(cString: strerror(errno)) }
        guard rename(temp, path) == 0 else { return String(cString: strerror(errno)) }
        return nil
    }

    private static func mkdirAll(_ dir: String) {
        var current = dir.hasPrefix("/") ? "" : "."
        for part in dir.split(separator: "/") {
            current += "/" + part
            mkdir(current, 0o700)
        }
    }

    /// `P`: the plan the events in memory imply, to a new file; the notice says where, or why not.
    private func writeInferredPlan() -> String {
        var inference = PlanInference()
        for event in logger.recentEvents(limit: logger.configuration.ringCapacity) {
            inference.add(eventType: event.eventType, payload: event.payload)
        }
        guard inference.events > 0 else { return "no events yet to infer a plan from" }
        let c = logger.clock.now().civil
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let name = "teletop-plan-\(c.year)\(two(c.month))\(two(c.day))-\(two(c.hour))\(two(c.minute))\(two(c.second)).json"
        let path = options.planDirectory + "/" + name
        let bytes = Array(inference.plan.fileText.utf8)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return "could not write \(path): \(String(cString: strerror(errno)))" }
        defer { close(fd) }
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else { return "could not write \(path): \(String(cString: strerror(errno)))" }
        options.log("wrote the inferred plan to \(path)")
        return "plan of \(inference.plan.eventTypes.count) types from \(Describe.grouped(inference.events)) recent events written to \(path): edit it, then --plan"
    }

    private func sourceLines() -> [SourceStatus] {
        var lines: [SourceStatus] = []
        if options.simulatorAbsence != nil {
            // Attached: the links' lines say what matters.
        } else if let s = simulator?.status {
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

/// Messages posted from other threads, taken by the loop before each frame.
final class Inbox: Sendable {
    private let messages = Mutex<[Msg]>([])
    func post(_ msg: Msg) { messages.withLock { $0.append(msg) } }
    func take() -> [Msg] { messages.withLock { m in defer { m.removeAll() }; return m } }
}

/// Ingest-to-screen lag: from the newest event's arrival to the end of the
/// frame that first showed it, worst over the last second.
struct LagMeter {
    var lastShownSequence: UInt64 = 0
    private var worstInSecond: Double?
    private var second: Int64 = 0
    private var shown: Double?

    /// The lag to show after a frame of `state` drawn at `now`.
    mutating func measure(_ state: DashboardState, now: Timestamp) -> Double? {
        if now.secondsSinceEpoch != second {
            second = now.secondsSinceEpoch
            if worstInSecond != nil { shown = worstInSecond }
            worstInSecond = nil
        }
        // Only a frame that shows a new newest event measures anything.
        guard state.follow, state.pausedAt == nil, let newest = state.feed.events.last, newest.sequence > lastShownSequence,
              newest.sequence == state.snapshot.lastSequence, let arrived = state.snapshot.lastEventAt else { return shown }
        lastShownSequence = newest.sequence
        let lag = Double(now.millisecondsSinceEpoch - arrived.millisecondsSinceEpoch)
        worstInSecond = max(worstInSecond ?? 0, lag)
        if shown == nil { shown = lag }
        return shown
    }
}

func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

extension String {
    /// A newline or carriage return as a space: a stored filter is one line.
    func replacingNewlines() -> String {
        String(map { $0 == "\n" || $0 == "\r" || $0 == "\r\n" ? " " : $0 })
    }
}
