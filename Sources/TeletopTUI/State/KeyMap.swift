import TeletopCore

/// What a key does. `update` carries out actions; the key map says which key
/// means which action where, so that `update`, the footer, the help screen and
/// the README's key table cannot disagree.
public enum Action: Hashable, Sendable {
    // Anywhere.
    case quit, redraw
    // The main view.
    case help, analytics, pauseOrResume, followTail, oldest, down, up, pageDown, pageUp, details
    case filter, cycleTypeFilter, clearFilters, focusNext, focusPrevious, focus(Pane), sortCounters
    case newEvent, refire, toggleSimulator, simulatorFaster, simulatorSlower, burst, errorStorm, cycleFault, inferPlan, narrowCollector
    case zoom, nextMatch, previousMatch, scrollLeft, scrollRight, copy
    // Overlays (help, detail, analytics, the type list), with down/up/pageDown/pageUp above.
    case close, top, nextWindow, reload, choose
    // Alerts.
    case alerts, acknowledge, acknowledgeAll
    // The numbers view.
    case numbers
    // The timeline view.
    case timeline, nextTimelineField
    // The flow view.
    case flow
    // The filter line.
    case keepFilter, discardFilter, olderFilter, newerFilter
    // The form's fields.
    case nextField, previousField, submit, rawJSON, curl, closeKeepingDraft
}

/// Where a binding applies: the main view, each overlay, or everywhere.
public enum KeyContext: Hashable, Sendable, CaseIterable {
    /// `mainFiltered`: the main view with a text filter set, where n/N jump between matches.
    case everywhere, main, mainFiltered, help, detail, analytics, alerts, numbers, timeline, flow, filter, formTypes, formFields

    /// The main view, filtered or not.
    public static let mainViews: Set<KeyContext> = [.main, .mainFiltered]
}

/// When the footer shows a binding (it shows what can be done now, not everything).
public enum FooterCondition: Sendable {
    case always, notFollowing, paused, hasFired, hasFilter, hasDraft, simulator, zoomed, curlShown, faultOn, severalCollectors
    case alertRules, unacknowledgedAlerts

    func holds(_ state: DashboardState) -> Bool {
        switch self {
        case .always: true
        case .notFollowing: !state.follow
        case .paused: state.pausedAt != nil
        case .hasFired: !state.fired.isEmpty
        case .hasFilter: !state.filter.isEmpty
        case .hasDraft: state.form != nil
        case .simulator: state.simulator != nil
        case .zoomed: state.zoomed
        case .curlShown: state.form?.showCurl == true
        case .faultOn: state.fault != nil
        case .severalCollectors: state.origins.count > 1
        case .alertRules: state.alerts != nil
        case .unacknowledgedAlerts: !state.unacknowledgedAlerts.isEmpty
        }
    }
}

/// A binding's place in the footer: `space pause` (or `space resume` when paused).
public struct FooterItem: Sendable {
    public let key: String
    public let label: String
    public let when: FooterCondition
    /// The label to show instead while `alternateWhen` holds.
    public let alternate: (label: String, when: FooterCondition)?

    init(_ key: String, _ label: String, when: FooterCondition = .always, alternate: (String, FooterCondition)? = nil) {
        self.key = key
        self.label = label
        self.when = when
        self.alternate = alternate.map { (label: $0.0, when: $0.1) }
    }
}

/// One row of the key map: the keys, what each does, where, and how the
/// footer, the help screen and the README describe them.
public struct KeyBinding: Sendable {
    public let contexts: Set<KeyContext>
    /// Each key and its action. Empty for a row that only documents the line
    /// editor's keys, which the editor handles itself.
    public let keys: [(key: Key, action: Action)]
    /// How the keys read in the help screen and the README: "j/k, Down/Up".
    public let keysText: String
    /// What they do, for the help screen and the README (empty: not listed).
    public let help: String
    public let footer: FooterItem?
    /// Shown under this heading in the help screen.
    public let section: HelpSection

    init(_ contexts: Set<KeyContext>, _ keys: [(Key, Action)], _ keysText: String, _ help: String,
         footer: FooterItem? = nil, section: HelpSection = .keys) {
        self.contexts = contexts
        self.keys = keys.map { (key: $0.0, action: $0.1) }
        self.keysText = keysText
        self.help = help
        self.footer = footer
        self.section = section
    }
}

public enum HelpSection: String, Sendable, CaseIterable {
    case keys = "Keys"
    case firing = "Firing events"
    case form = "In the form"
    case filter = "In the filter line (/)"
    case analytics = "In the analytics view (a)"
    case alerts = "Alerts (--alert)"
    case numbers = "In the numbers view (%)"
    case timeline = "In the timeline (T)"
    case sdk = "Analytics SDKs"
    case simulator = "Simulator"
}

public enum KeyMap {
    /// The one list. Order is the footer's order and the help screen's.
    public static let bindings: [KeyBinding] = [
        // The main view.
        KeyBinding(KeyContext.mainViews, [(.char("q"), .quit)], "q", "quit (in a popup or the analytics view, q closes it)", footer: FooterItem("q", "quit")),
        KeyBinding(KeyContext.mainViews, [(.char("?"), .help), (.f1, .help)], "?, F1", "this help; q or Esc closes it", footer: FooterItem("?", "help")),
        KeyBinding(KeyContext.mainViews, [(.char("z"), .zoom)], "z", "zoom the focused pane to the whole screen; z again goes back",
                   footer: FooterItem("z", "unzoom", when: .zoomed)),
        KeyBinding(KeyContext.mainViews, [(.char("a"), .analytics)], "a",
                   "analytics from the store: top chapters, sections, block types, error types, busiest users, events per minute",
                   footer: FooterItem("a", "analytics")),
        KeyBinding(KeyContext.mainViews, [(.char(" "), .pauseOrResume)], "Space", "pause the feed (counters keep counting); again resumes at the tail",
                   footer: FooterItem("space", "pause", alternate: ("resume", .paused))),
        KeyBinding(KeyContext.mainViews, [(.char("g"), .oldest), (.home, .oldest), (.char("G"), .followTail), (.end, .followTail)],
                   "g/Home, G/End", "oldest retained event; follow the tail again", footer: FooterItem("G", "follow", when: .notFollowing)),
        KeyBinding(KeyContext.mainViews, [(.char("j"), .down), (.down, .down), (.char("k"), .up), (.up, .up), (.pageDown, .pageDown), (.pageUp, .pageUp)],
                   "j/k, Down/Up, PgDn/PgUp", "move in the focused pane: the feed (moving up stops following), the counters' types, health"),
        KeyBinding(KeyContext.mainViews, [(.char("/"), .filter)], "/", "filter the feed by text as you type; Enter keeps it, Esc clears it",
                   footer: FooterItem("/", "filter")),
        KeyBinding(KeyContext.mainViews, [(.char("t"), .cycleTypeFilter)], "t", "cycle a filter by event type", footer: FooterItem("t", "type")),
        KeyBinding([.mainFiltered], [(.char("n"), .nextMatch), (.char("N"), .previousMatch)], "n/N",
                   "with a text filter: the next (newer) / previous (older) match, as after / in less",
                   footer: FooterItem("n/N", "match")),
        KeyBinding(KeyContext.mainViews, [(.enter, .details)], "Enter",
                   "the selected event as pretty JSON (j/k scroll); q or Esc closes. In Counters: filter the feed to the selected type",
                   footer: FooterItem("enter", "details")),
        KeyBinding(KeyContext.mainViews, [(.left, .scrollLeft), (.right, .scrollRight)], "Left/Right",
                   "scroll the feed's payloads sideways (a clipped line ends in …)"),
        KeyBinding(KeyContext.mainViews.union([.detail]), [(.char("y"), .copy)], "y",
                   "copy the selected event's JSON to the clipboard (OSC 52; also written to the log)", footer: FooterItem("y", "copy")),
        KeyBinding([.main], [(.char("n"), .newEvent), (.char("f"), .newEvent)], "n, f",
                   "new event form (f also while a filter is set); a kept draft comes back, recent events can be re-opened",
                   footer: FooterItem("n", "new event", alternate: ("draft", .hasDraft)), section: .firing),
        KeyBinding([.mainFiltered], [(.char("f"), .newEvent)], "f", "",
                   footer: FooterItem("f", "new event", alternate: ("draft", .hasDraft)), section: .firing),
        KeyBinding(KeyContext.mainViews, [(.char("r"), .refire)], "r", "re-fire the last event fired from the form",
                   footer: FooterItem("r", "re-fire", when: .hasFired), section: .firing),
        KeyBinding(KeyContext.mainViews, [(.tab, .focusNext), (.backTab, .focusPrevious), (.char("1"), .focus(.feed)), (.char("2"), .focus(.counters)),
                             (.char("3"), .focus(.health))],
                   "Tab, Shift-Tab, 1 2 3", "move the focus between panes", footer: FooterItem("tab", "focus")),
        KeyBinding(KeyContext.mainViews, [(.escape, .clearFilters)], "Esc", "clear the filters", footer: FooterItem("esc", "clear filter", when: .hasFilter)),
        KeyBinding(KeyContext.mainViews, [(.char("F"), .cycleFault)], "F",
                   "fault mode of the SDK endpoints, to watch an SDK retry: 503, 429, a 2 s delay, dropped connections (each on half the requests), off",
                   footer: FooterItem("F", "fault", when: .faultOn), section: .sdk),
        KeyBinding(KeyContext.mainViews, [(.char("P"), .inferPlan)], "P",
                   "write the plan the recent events imply (types, fields, JSON types, required) to a new file, to edit and load with --plan",
                   section: .sdk),
        KeyBinding(KeyContext.mainViews, [(.char("c"), .narrowCollector)], "c",
                   "attached to several collectors: narrow every pane to one collector, the next, then all again",
                   footer: FooterItem("c", "collector", when: .severalCollectors)),
        KeyBinding(KeyContext.mainViews, [(.char("!"), .alerts)], "!",
                   "the alerts (--alert rules): what fired and resolved, newest first; Enter acknowledges one, A all",
                   footer: FooterItem("!", "alerts", when: .alertRules, alternate: ("ALERTS", .unacknowledgedAlerts)), section: .alerts),
        KeyBinding(KeyContext.mainViews, [(.char("p"), .flow)], "p",
                   "the flow: each source, validation, the logger and each consumer, with live rates, queues and drops (for demos)",
                   footer: FooterItem("p", "flow")),
        KeyBinding(KeyContext.mainViews, [(.char("T"), .timeline)], "T",
                   "the timeline of the highlighted event's user (user_id; f there for another field): every event with that value, "
                       + "from memory and the store, oldest first", footer: FooterItem("T", "timeline", when: .notFollowing)),
        KeyBinding(KeyContext.mainViews, [(.char("%"), .numbers)], "%",
                   "the numbers: p50, p95, p99 and max of every numeric payload field, per type, over the last minute and the session"),
        KeyBinding(KeyContext.mainViews, [(.char("o"), .sortCounters)], "o", "sort the counters (type, total, rate, share, rejected)"),
        // Everywhere (the table below lets these win over a mode's own bindings).
        KeyBinding([.everywhere], [(.ctrl("c"), .quit)], "Ctrl-C", "quit from anywhere (the terminal is restored)"),
        KeyBinding([.everywhere], [(.ctrl("l"), .redraw)], "Ctrl-L", "redraw the whole screen"),
        KeyBinding(KeyContext.mainViews.union([.flow]), [(.char("s"), .toggleSimulator)], "s", "start or stop the simulator",
                   footer: FooterItem("s", "sim", when: .simulator), section: .simulator),
        KeyBinding(KeyContext.mainViews.union([.flow]), [(.char("+"), .simulatorFaster), (.char("="), .simulatorFaster), (.char("-"), .simulatorSlower),
                             (.char("_"), .simulatorSlower)],
                   "+ / -", "simulator faster / slower (1, 2, 5, 10, 20, 50, ... events/s)",
                   footer: FooterItem("+/-", "rate", when: .simulator), section: .simulator),
        KeyBinding(KeyContext.mainViews.union([.flow]), [(.char("b"), .burst)], "b", "burst: adds ten times the rate (at least 100/s) for three seconds",
                   footer: FooterItem("b", "burst", when: .simulator), section: .simulator),
        KeyBinding(KeyContext.mainViews.union([.flow]), [(.char("e"), .errorStorm)], "e", "error storm on/off: 35% error_event, so health goes degraded, then recovers",
                   footer: FooterItem("e", "error storm", when: .simulator), section: .simulator),

        // The help screen and the event detail. q closes, as in less, lnav and k9s:
        // only the main view quits with it.
        KeyBinding([.help, .detail], [(.char("q"), .close), (.escape, .close), (.enter, .close)], "q, Esc, Enter", "",
                   footer: FooterItem("q/esc", "close")),
        KeyBinding([.help], [(.char("?"), .close), (.f1, .close)], "?, F1", ""),
        KeyBinding([.help, .detail], [(.char("j"), .down), (.down, .down), (.char("k"), .up), (.up, .up), (.pageDown, .pageDown),
                                      (.pageUp, .pageUp), (.char("g"), .top), (.home, .top)],
                   "j/k, PgDn/PgUp, g", "", footer: FooterItem("j/k", "scroll")),

        // The analytics view.
        KeyBinding([.analytics], [(.char("w"), .nextWindow)], "w", "the window: 5m, 1h, 24h, 7d, 30d, all",
                   footer: FooterItem("w", "window"), section: .analytics),
        KeyBinding([.analytics], [(.char("r"), .reload)], "r", "ask the store again; it also asks every five seconds",
                   footer: FooterItem("r", "refresh"), section: .analytics),
        KeyBinding([.analytics], [(.char("q"), .close), (.escape, .close), (.char("a"), .close), (.enter, .close)], "q, Esc, a",
                   "back to the dashboard", footer: FooterItem("q/esc", "back"), section: .analytics),

        // The alerts view.
        KeyBinding([.alerts], [(.char("j"), .down), (.down, .down), (.char("k"), .up), (.up, .up), (.pageDown, .pageDown),
                               (.pageUp, .pageUp), (.char("g"), .top), (.home, .top)],
                   "j/k", "move through the history", footer: FooterItem("j/k", "move"), section: .alerts),
        KeyBinding([.alerts], [(.enter, .acknowledge)], "Enter", "acknowledge the highlighted alert (again: take it back); it leaves the header",
                   footer: FooterItem("enter", "acknowledge"), section: .alerts),
        KeyBinding([.alerts], [(.char("A"), .acknowledgeAll)], "A", "acknowledge every alert that is on",
                   footer: FooterItem("A", "acknowledge all"), section: .alerts),
        KeyBinding([.alerts], [(.char("q"), .close), (.escape, .close), (.char("!"), .close)], "q, Esc, !",
                   "back to the dashboard", footer: FooterItem("q/esc", "back"), section: .alerts),
        // The timeline.
        KeyBinding([.timeline], [(.char("j"), .down), (.down, .down), (.char("k"), .up), (.up, .up), (.pageDown, .pageDown),
                                 (.pageUp, .pageUp), (.char("g"), .top), (.home, .top), (.char("G"), .followTail), (.end, .followTail)],
                   "j/k, g/G", "move through the events", footer: FooterItem("j/k", "move"), section: .timeline),
        KeyBinding([.timeline], [(.enter, .details)], "Enter", "open the highlighted event; closing it comes back here",
                   footer: FooterItem("enter", "open"), section: .timeline),
        KeyBinding([.timeline], [(.char("f"), .nextTimelineField)], "f",
                   "follow the next field of the event the timeline started from (user_id, session_id, chapter_id, ...)",
                   footer: FooterItem("f", "field"), section: .timeline),
        KeyBinding([.timeline], [(.char("q"), .close), (.escape, .close), (.char("T"), .close)], "q, Esc, T",
                   "back to the dashboard", footer: FooterItem("q/esc", "back"), section: .timeline),
        // The flow view.
        KeyBinding([.flow], [(.char("q"), .close), (.escape, .close), (.char("p"), .close)], "q, Esc, p", "",
                   footer: FooterItem("q/esc", "back")),
        // The numbers view.
        KeyBinding([.numbers], [(.char("j"), .down), (.down, .down), (.char("k"), .up), (.up, .up), (.pageDown, .pageDown),
                                (.pageUp, .pageUp), (.char("g"), .top), (.home, .top)],
                   "j/k", "scroll the fields", footer: FooterItem("j/k", "scroll"), section: .numbers),
        KeyBinding([.numbers], [(.char("q"), .close), (.escape, .close), (.char("%"), .close)], "q, Esc, %",
                   "back to the dashboard", footer: FooterItem("q/esc", "back"), section: .numbers),

        // The filter line: keys the map does not name go to its line editor.
        KeyBinding([.filter], [(.enter, .keepFilter)], "Enter", "keep the filter", footer: FooterItem("enter", "keep"), section: .filter),
        KeyBinding([.filter], [(.up, .olderFilter), (.down, .newerFilter)], "Up/Down",
                   "the filters kept before, this run's and earlier runs' (the last 50)", footer: FooterItem("↑↓", "recent"), section: .filter),
        KeyBinding([.filter], [(.escape, .discardFilter)], "Esc", "clear it; other keys edit the line as in the form",
                   footer: FooterItem("esc", "clear"), section: .filter),

        // The form's type list.
        KeyBinding([.formTypes], [(.char("j"), .down), (.down, .down), (.tab, .down), (.char("k"), .up), (.up, .up), (.backTab, .up)],
                   "j/k, Down/Up", "", footer: FooterItem("j/k", "move")),
        KeyBinding([.formTypes], [(.enter, .choose)], "Enter", "", footer: FooterItem("enter", "choose")),
        KeyBinding([.formTypes], [(.escape, .close), (.char("q"), .close)], "q, Esc", "", footer: FooterItem("q/esc", "close")),

        // The form's fields: keys the map does not name go to the focused field's line editor.
        KeyBinding([.formFields], [(.tab, .nextField), (.down, .nextField), (.backTab, .previousField), (.up, .previousField)],
                   "Tab/Shift-Tab", "next / previous field", footer: FooterItem("tab", "next field"), section: .form),
        KeyBinding([.formFields], [(.enter, .submit)], "Enter", "submit (through EventLogger.log, source form)",
                   footer: FooterItem("enter", "submit"), section: .form),
        KeyBinding([.formFields], [(.escape, .closeKeepingDraft)], "Esc", "close; anything typed stays as a draft for n",
                   footer: FooterItem("esc", "close, keep draft"), section: .form),
        KeyBinding([.formFields], [(.ctrl("r"), .rawJSON)], "Ctrl-R", "edit the payload as raw JSON",
                   footer: FooterItem("ctrl-r", "raw JSON"), section: .form),
        KeyBinding([.formFields], [(.f2, .curl)], "F2", "the same event as a curl command, on one line of its own under the form",
                   footer: FooterItem("f2", "curl"), section: .form),
        KeyBinding([.formFields], [(.ctrl("y"), .copy)], "Ctrl-Y", "copy the curl command to the clipboard (OSC 52; also written to the log)",
                   footer: FooterItem("ctrl-y", "copy curl", when: .curlShown), section: .form),
        KeyBinding([.formFields], [(.shiftLeft, .scrollLeft), (.shiftRight, .scrollRight)], "Shift-Left/Right",
                   "scroll the curl line sideways", section: .form),
        KeyBinding([.formFields, .filter], [], "Left/Right, Home/End, Ctrl-U, Ctrl-W",
                   "edit the line: move by character, erase to the start, erase a word (UTF-8 and wide characters)",
                   footer: FooterItem("ctrl-u/w", "erase"), section: .form),
    ]

    /// Per context, each key's action; `everywhere` is folded into each context.
    static let table: [KeyContext: [Key: Action]] = {
        var table: [KeyContext: [Key: Action]] = [:]
        for context in KeyContext.allCases {
            var map: [Key: Action] = [:]
            // The mode's own bindings first; an `everywhere` key wins over them.
            for binding in bindings where binding.contexts.contains(context) {
                for (key, action) in binding.keys where map[key] == nil { map[key] = action }
            }
            for binding in bindings where binding.contexts.contains(.everywhere) {
                for (key, action) in binding.keys { map[key] = action }
            }
            table[context] = map
        }
        return table
    }()

    /// The action `key` has in `context`, if the map names one.
    public static func action(for key: Key, in context: KeyContext) -> Action? {
        table[context]?[key]
    }

    /// The footer's entries for this state, in the map's order.
    static func footer(_ state: DashboardState) -> [(key: String, label: String)] {
        let context = state.keyContext
        return bindings.compactMap { binding in
            guard binding.contexts.contains(context), let item = binding.footer, item.when.holds(state) else { return nil }
            if let alt = item.alternate, alt.when.holds(state) { return (item.key, alt.label) }
            return (item.key, item.label)
        }
    }

    /// The help screen's rows under one heading.
    static func helpRows(_ section: HelpSection) -> [KeyBinding] {
        bindings.filter { $0.section == section && !$0.help.isEmpty }
    }

    /// The README's key table: the main view's keys and those that work everywhere.
    public static var readmeTable: String {
        var out = "| key | does |\n|---|---|\n"
        for binding in bindings where !binding.help.isEmpty && !binding.contexts.isDisjoint(with: KeyContext.mainViews.union([.everywhere])) {
            out += "| `\(binding.keysText)` | \(binding.help) |\n"
        }
        return out
    }
}

extension DashboardState {
    /// Which bindings apply now.
    public var keyContext: KeyContext {
        switch mode {
        case .normal: textFilter.isEmpty ? .main : .mainFiltered
        case .help: .help
        case .detail: .detail
        case .analytics: .analytics
        case .alerts: .alerts
        case .numbers: .numbers
        case .timeline: .timeline
        case .flow: .flow
        case .filtering: .filter
        case .form:
            if case .chooseType? = form?.stage { .formTypes } else { .formFields }
        }
    }
}
