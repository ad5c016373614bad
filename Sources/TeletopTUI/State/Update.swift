import TeletopCore

/// The dashboard's key handling as a pure function: state and a message in,
/// the changed state and the effects to carry out.
public func update(_ state: inout DashboardState, _ msg: Msg) -> [Effect] {
    switch msg {
    case .resize(let width, let height):
        state.width = width
        state.height = height
        state.selectedRow = min(state.selectedRow, state.layout.feedRows - 1)
        return []
    case .fired(let event, let result):
        applyFired(&state, event, result)
        return []
    case .key(let key):
        state.notice = nil
        // Keys that mean the same in every mode.
        switch key {
        case .ctrl("c"): return [.quit]
        case .ctrl("l"): return [.forceRedraw]
        default: break
        }
        switch state.mode {
        case .filtering: return updateFiltering(&state, key)
        case .form: return updateForm(&state, key)
        case .help(let scroll): return updateHelp(&state, key, scroll: scroll)
        case .detail(let event, let scroll): return updateDetail(&state, key, event: event, scroll: scroll)
        case .analytics: return updateAnalytics(&state, key)
        case .normal: return updateNormal(&state, key)
        }
    }
}

private func updateNormal(_ state: inout DashboardState, _ key: Key) -> [Effect] {
    switch key {
    case .char("q"): return [.quit]
    case .char("?"), .f1: state.mode = .help(scroll: 0)
    case .char("a"):
        state.mode = .analytics
        return [.loadAnalytics]
    case .char(" "):
        if state.pausedAt == nil {
            state.pausedAt = state.snapshot.lastSequence
        } else {
            // Resume at the tail, as people expect from a live view.
            state.pausedAt = nil
            state.follow = true
            state.selected = nil
        }
    case .char("/"): state.mode = .filtering
    case .char("t"): cycleTypeFilter(&state)
    case .escape:
        state.textFilter = ""
        state.typeFilter = nil
    case .tab: state.focus = Pane(rawValue: (state.focus.rawValue + 1) % Pane.allCases.count)!
    case .backTab: state.focus = Pane(rawValue: (state.focus.rawValue + Pane.allCases.count - 1) % Pane.allCases.count)!
    case .char("1"): state.focus = .feed
    case .char("2"): state.focus = .counters
    case .char("3"): state.focus = .health
    case .char("o"): state.counterSort = CounterSort(rawValue: (state.counterSort.rawValue + 1) % CounterSort.allCases.count)!
    case .char("s"): return [.toggleSimulator]
    case .char("+"), .char("="): return [.stepSimulatorRate(up: true)]
    case .char("-"), .char("_"): return [.stepSimulatorRate(up: false)]
    case .char("b"): return [.burst]
    case .char("e"): return [.toggleErrorStorm]
    case .char("n"): openForm(&state)
    case .char("r"): return refire(&state)
    case .enter:
        if let event = currentEvent(state) { state.mode = .detail(event, scroll: 0) }
    case .char("G"), .end: followTail(&state)
    case .char("g"), .home:
        if state.focus == .health { state.healthScroll = 0 } else { jumpToOldest(&state) }
    case .char("k"), .up: move(&state, by: -1)
    case .char("j"), .down: move(&state, by: 1)
    case .pageUp: move(&state, by: -state.layout.feedRows)
    case .pageDown: move(&state, by: state.layout.feedRows)
    default: break
    }
    return []
}

private func updateFiltering(_ state: inout DashboardState, _ key: Key) -> [Effect] {
    switch key {
    case .enter: state.mode = .normal
    case .escape:
        state.textFilter = ""
        state.mode = .normal
    case .backspace: if !state.textFilter.isEmpty { state.textFilter.removeLast() }
    case .ctrl("u"): state.textFilter = ""
    case .char(let c): state.textFilter.append(c)
    default: break
    }
    return []
}

private func updateAnalytics(_ state: inout DashboardState, _ key: Key) -> [Effect] {
    switch key {
    case .char("q"): return [.quit]
    case .escape, .char("a"), .enter: state.mode = .normal
    case .char("w"):
        state.analyticsWindow = state.analyticsWindow.next
        return [.loadAnalytics]
    case .char("r"): return [.loadAnalytics]
    default: break
    }
    return []
}

private func updateHelp(_ state: inout DashboardState, _ key: Key, scroll: Int) -> [Effect] {
    switch key {
    case .char("q"): return [.quit]
    case .escape, .char("?"), .f1, .enter: state.mode = .normal
    case .char("j"), .down: state.mode = .help(scroll: scroll + 1)
    case .char("k"), .up: state.mode = .help(scroll: max(0, scroll - 1))
    case .pageDown: state.mode = .help(scroll: scroll + 10)
    case .pageUp: state.mode = .help(scroll: max(0, scroll - 10))
    case .char("g"), .home: state.mode = .help(scroll: 0)
    default: break
    }
    return []
}

private func updateDetail(_ state: inout DashboardState, _ key: Key, event: LoggedEvent, scroll: Int) -> [Effect] {
    switch key {
    case .char("q"): return [.quit]
    case .escape, .enter: state.mode = .normal
    case .char("j"), .down: state.mode = .detail(event, scroll: scroll + 1)
    case .char("k"), .up: state.mode = .detail(event, scroll: max(0, scroll - 1))
    case .pageDown: state.mode = .detail(event, scroll: scroll + 10)
    case .pageUp: state.mode = .detail(event, scroll: max(0, scroll - 10))
    case .char("g"), .home: state.mode = .detail(event, scroll: 0)
    default: break
    }
    return []
}

/// The event Enter opens: the highlighted one, or the newest shown when following.
private func currentEvent(_ state: DashboardState) -> LoggedEvent? {
    let visible = state.visibleFeed
    if let h = visible.highlighted { return visible.events[visible.events.startIndex + h] }
    return visible.events.last
}

private func followTail(_ state: inout DashboardState) {
    state.follow = true
    state.selected = nil
    state.healthScroll = state.focus == .health ? Int.max / 2 : state.healthScroll
}

private func jumpToOldest(_ state: inout DashboardState) {
    state.follow = false
    state.selected = nil
    state.selectedRow = 0
}

/// Moves the highlight by `delta` events within the loaded page. Moving up
/// stops following; `G` resumes.
private func move(_ state: inout DashboardState, by delta: Int) {
    if state.focus == .health {
        state.healthScroll = max(0, state.healthScroll + delta)
        return
    }
    guard state.focus == .feed else { return }
    let events = state.feed.events
    guard !events.isEmpty else { return }
    let rows = state.layout.feedRows
    if state.follow || state.selected == nil {
        guard delta < 0 else { return }
        // Start from the newest visible line.
        let visible = events.suffix(rows)
        state.follow = false
        state.selectedRow = visible.count - 1
        state.selected = visible.last!.sequence
    }
    let current = events.firstIndex { $0.sequence == state.selected } ?? events.count - 1
    let target = max(0, min(events.count - 1, current + delta))
    state.selected = events[target].sequence
    state.selectedRow = max(0, min(rows - 1, state.selectedRow + (target - current)))
}

private func cycleTypeFilter(_ state: inout DashboardState) {
    let names = state.snapshot.types.map(\.name)
    guard !names.isEmpty else { return }
    if let current = state.typeFilter, let i = names.firstIndex(of: current) {
        state.typeFilter = i + 1 < names.count ? names[i + 1] : nil
    } else {
        state.typeFilter = names[0]
    }
}

extension DashboardState {
    /// Called by the app after loading a page: when jumping to the oldest
    /// event, select it now that it is known.
    public mutating func adopt(_ page: FeedPage) {
        feed = page
        guard !follow, let first = page.events.first else { return }
        guard let current = selected else {
            selected = first.sequence
            selectedRow = 0
            return
        }
        // The selected event left the ring or the filter: hold on to its neighbour.
        if !page.events.contains(where: { $0.sequence == current }) {
            selected = (page.events.first { $0.sequence > current } ?? page.events.last!).sequence
        }
    }
}
