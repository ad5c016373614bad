import TeletopCore

/// The dashboard's only writer of state, as a pure function: state and a
/// message in, the changed state and the effects to carry out. Keys are looked
/// up in `KeyMap`; data the app gathered arrives as messages too.
public func update(_ state: inout DashboardState, _ msg: Msg) -> [Effect] {
    switch msg {
    case .resize(let width, let height):
        let before = state.feedQuery
        state.width = width
        state.height = height
        state.selectedRow = min(state.selectedRow, state.layout.feedRows - 1)
        return reloadIfMoved(state, from: before)
    case .refreshed(let refresh):
        let old = state.snapshot
        state.snapshot = refresh.snapshot
        state.simulator = refresh.simulator
        state.sources = refresh.sources
        state.fault = refresh.fault
        state.breakdown = refresh.breakdown
        state.rateHistory.adopt(refresh.snapshot)
        if let numbers = refresh.numbers { state.numbers = numbers }
        let rang = adoptAlerts(&state, refresh.alerts)
        // New events, or events that left the ring: the loaded page is stale.
        let moved = old.lastSequence != refresh.snapshot.lastSequence || old.evicted != refresh.snapshot.evicted
        return (moved || state.feed.events.isEmpty && refresh.snapshot.lastSequence > 0 ? [.loadFeed(state.feedQuery)] : []) + rang
    case .feedLoaded(let page):
        adopt(&state, page)
        return []
    case .notice(let text):
        state.notice = text
        return []
    case .timelineLoaded(let part):
        // A part for a timeline since closed or moved to another field is dropped.
        if state.timeline?.query == part.query { state.timeline?.adopt(part) }
        return []
    case .analyticsLoaded(let report):
        state.analytics = report
        // The window changed while that one was loading: ask again.
        return report.window != state.analyticsWindow ? [.loadAnalytics] : []
    case .fired(let event, let result):
        applyFired(&state, event, result)
        return []
    case .frameMeasured(let stats):
        state.frame = stats
        return []
    case .mouse(let event):
        let before = state.feedQuery
        mouse(&state, event)
        return reloadIfMoved(state, from: before)
    case .key(let key):
        state.notice = nil
        let before = state.feedQuery
        var effects: [Effect]
        if let action = KeyMap.action(for: key, in: state.keyContext) {
            effects = perform(&state, action)
        } else {
            effects = edit(&state, key)
        }
        return effects + reloadIfMoved(state, from: before)
    }
}

/// The alert board as the monitor has it now: a new firing alert rings the
/// bell once; acknowledgements of alerts no longer held are forgotten.
private func adoptAlerts(_ state: inout DashboardState, _ board: AlertBoard?) -> [Effect] {
    guard let board else { return [] }
    state.alerts = board
    // Ids only grow: nothing new, nothing to ring or forget (the common frame).
    guard let newest = board.history.last?.id, newest > state.newestAlert else { return [] }
    let fresh = board.history.reversed().prefix { $0.id > state.newestAlert }.contains { $0.state == .firing }
    state.newestAlert = newest
    if !state.acknowledged.isEmpty {
        let held = Set(board.history.map(\.id)).union(board.active.map(\.id))
        state.acknowledged.formIntersection(held)
    }
    if case .alerts(let selected) = state.mode { state.mode = .alerts(selected: min(selected, max(0, board.history.count - 1))) }
    return fresh && state.bell ? [.bell] : []
}

/// The alerts view's highlighted alert (its rows are newest first).
func selectedAlert(_ state: DashboardState) -> AlertEvent? {
    guard case .alerts(let selected) = state.mode, let history = state.alerts?.history, !history.isEmpty else { return nil }
    return history[history.count - 1 - min(selected, history.count - 1)]
}

/// A key that moved the feed's window asks for the page at once, so the next
/// key (Enter after `g`, say) sees the events it moved to.
private func reloadIfMoved(_ state: DashboardState, from before: FeedQuery) -> [Effect] {
    state.feedQuery != before ? [.loadFeed(state.feedQuery)] : []
}

/// The filter line's text as a query: applied when it reads as one; else the
/// error is shown and the last good filter stays.
func applyFilterText(_ state: inout DashboardState) {
    let text = state.filterEditor.text
    do {
        state.appliedFilter = try EventQuery.parse(text)
        state.filterError = nil
    } catch {
        state.filterError = error
    }
}

/// Keys the map does not name: typing, in the two places that take text.
private func edit(_ state: inout DashboardState, _ key: Key) -> [Effect] {
    switch state.keyContext {
    case .filter:
        _ = state.filterEditor.handle(key)
        applyFilterText(&state)
    case .formFields: editForm(&state, key)
    default: break
    }
    return []
}

private func perform(_ state: inout DashboardState, _ action: Action) -> [Effect] {
    switch action {
    case .quit: return [.quit]
    case .redraw: return [.forceRedraw]
    case .help: state.mode = .help(scroll: 0)
    case .analytics:
        state.mode = .analytics
        return [.loadAnalytics]
    case .pauseOrResume:
        if state.pausedAt == nil {
            state.pausedAt = state.snapshot.lastSequence
        } else {
            // Resume at the tail, as people expect from a live view.
            state.pausedAt = nil
            state.follow = true
            state.selected = nil
        }
    case .filter: state.mode = .filtering
    case .keepFilter:
        // Enter keeps what is applied: a text that does not read as a query goes back to it.
        if state.filterError != nil {
            state.filterEditor = LineEditor(state.appliedFilter.text)
            state.filterError = nil
        }
        state.mode = .normal
        state.historyIndex = nil
        let kept = state.appliedFilter.text
        guard !kept.isEmpty, state.filterHistory.last != kept else { return [] }
        state.filterHistory.removeAll { $0 == kept }
        state.filterHistory.append(kept)
        if state.filterHistory.count > DashboardState.filterHistoryLimit {
            state.filterHistory.removeFirst(state.filterHistory.count - DashboardState.filterHistoryLimit)
        }
        return [.saveFilterHistory(state.filterHistory)]
    case .olderFilter, .newerFilter:
        let history = state.filterHistory
        guard !history.isEmpty else { return [] }
        let current = state.historyIndex ?? history.count
        let next = action == .olderFilter ? max(0, current - 1) : current + 1
        if next >= history.count {
            state.historyIndex = nil
            state.filterEditor = LineEditor()
        } else {
            state.historyIndex = next
            state.filterEditor = LineEditor(history[next])
        }
        applyFilterText(&state)
    case .discardFilter:
        state.filterEditor = LineEditor()
        applyFilterText(&state)
        state.mode = .normal
    case .cycleTypeFilter: cycleTypeFilter(&state)
    case .clearFilters:
        state.filterEditor = LineEditor()
        applyFilterText(&state)
        state.typeFilter = nil
    case .focusNext: state.focus = Pane(rawValue: (state.focus.rawValue + 1) % Pane.allCases.count)!
    case .focusPrevious: state.focus = Pane(rawValue: (state.focus.rawValue + Pane.allCases.count - 1) % Pane.allCases.count)!
    case .focus(let pane): state.focus = pane
    case .sortCounters: state.counterSort = CounterSort(rawValue: (state.counterSort.rawValue + 1) % CounterSort.allCases.count)!
    case .toggleSimulator, .simulatorFaster, .simulatorSlower, .burst, .errorStorm:
        // Attached: the collectors run their own simulators, if any; these keys say so.
        if let why = state.simulatorAbsence {
            state.notice = why
            return []
        }
        switch action {
        case .toggleSimulator: return [.toggleSimulator]
        case .simulatorFaster: return [.stepSimulatorRate(up: true)]
        case .simulatorSlower: return [.stepSimulatorRate(up: false)]
        case .burst: return [.burst]
        default: return [.toggleErrorStorm]
        }
    case .narrowCollector:
        guard state.origins.count > 1 else {
            state.notice = state.origins.isEmpty ? "c narrows an attached dashboard to one collector (teletop attach URL URL ...)"
                                                 : "one collector only: nothing to narrow"
            return []
        }
        let next = state.onlyOrigin.map { Int($0) + 1 } ?? 0
        state.onlyOrigin = next < state.origins.count ? UInt8(next) : nil
        state.notice = state.onlyOrigin.map { "only \(state.origins[Int($0)]): every pane; c for the next, then all" } ?? "every collector again"
        return [.loadFeed(state.feedQuery)]
    case .cycleFault:
        guard state.faultsAvailable else {
            state.notice = "fault modes act on the SDK endpoints of the HTTP API, which is off (--no-http)"
            return []
        }
        return [.cycleFault]
    case .inferPlan: return [.writeInferredPlan]
    case .newEvent: openForm(&state)
    case .refire: return refire(&state)
    case .details where state.mode == .timeline:
        guard let view = state.timeline, !view.rows.isEmpty else { return [] }
        state.mode = .detail(view.rows[min(view.selected, view.rows.count - 1)].event, scroll: 0)
        state.detailReturnsToTimeline = true
    case .timeline: return openTimeline(&state, on: currentEvent(state), field: nil)
    case .nextTimelineField:
        guard let view = state.timeline else { return [] }
        let fields = TimelineView.followableFields(of: view.anchor)
        let next = fields[((fields.firstIndex(of: view.query.field) ?? -1) + 1) % max(1, fields.count)]
        return openTimeline(&state, on: view.anchor, field: next)
    case .details:
        if state.focus == .counters {
            drillDown(&state)
        } else if let event = currentEvent(state) {
            state.mode = .detail(event, scroll: 0)
        }
    case .zoom: state.zoomed.toggle()
    case .nextMatch: jumpToMatch(&state, newer: true)
    case .previousMatch: jumpToMatch(&state, newer: false)
    case .scrollLeft, .scrollRight:
        let step = action == .scrollLeft ? -DashboardState.feedScrollStep : DashboardState.feedScrollStep
        if state.mode == .form, var form = state.form {
            form.curlScroll = max(0, form.curlScroll + step)
            state.form = form
        } else {
            state.feedScroll = max(0, state.feedScroll + step)
        }
    case .copy where state.mode == .form:
        guard let curl = state.form?.curl(baseURL: state.apiBaseURL, withToken: state.apiNeedsToken, now: state.snapshot.takenAt) else {
            state.form?.rawError = "fix the payload to copy its curl command"
            return []
        }
        return [.copy(text: curl, what: "the curl command")]
    case .copy:
        let event: LoggedEvent?
        if case .detail(let shown, _) = state.mode { event = shown } else { event = currentEvent(state) }
        guard let event else { return [] }
        state.notice = "copied event #\(event.sequence)'s JSON to the clipboard (OSC 52) and the log"
        return [.copy(text: JSONWriter.compact(event.analyticsEvent.jsonValue), what: "event #\(event.sequence)")]
    case .followTail where state.mode == .timeline:
        let count = state.timeline?.rows.count ?? 0
        state.timeline?.selected = max(0, count - 1)
    case .followTail: followTail(&state)
    case .oldest:
        if state.focus == .health { state.healthScroll = 0 } else { jumpToOldest(&state) }
    case .down, .up, .pageDown, .pageUp, .top: scroll(&state, action)
    case .close: close(&state)
    case .nextWindow:
        state.analyticsWindow = state.analyticsWindow.next
        return [.loadAnalytics]
    case .reload: return [.loadAnalytics]
    case .alerts: state.mode = .alerts(selected: 0)
    case .numbers: state.mode = .numbers(scroll: 0)
    case .flow: state.mode = .flow
    case .acknowledge:
        if let alert = selectedAlert(state) {
            // Enter again on an acknowledged one takes it back.
            if state.acknowledged.remove(alert.id) == nil { state.acknowledged.insert(alert.id) }
        }
    case .acknowledgeAll:
        for alert in state.alerts?.active ?? [] { state.acknowledged.insert(alert.id) }
    case .choose, .nextField, .previousField, .submit, .rawJSON, .curl, .closeKeepingDraft:
        return performForm(&state, action)
    }
    return []
}

/// Closes the overlay on top.
private func close(_ state: inout DashboardState) {
    if state.keyContext == .formTypes {
        // Nothing typed yet: nothing to keep.
        state.form = nil
    }
    if case .detail = state.mode, state.detailReturnsToTimeline, state.timeline != nil {
        state.detailReturnsToTimeline = false
        state.mode = .timeline
        return
    }
    if state.mode == .timeline { state.timeline = nil }
    state.mode = .normal
}

/// `T` (or `f` in the timeline): the events sharing the field's value with
/// this one, from the ring first; the app asks the store for older ones.
private func openTimeline(_ state: inout DashboardState, on event: LoggedEvent?, field: String?) -> [Effect] {
    guard let event else {
        state.notice = "no event to follow yet"
        return []
    }
    guard let field = field ?? TimelineView.defaultField(of: event), let view = TimelineView(anchor: event, field: field)
    else {
        state.notice = "event #\(event.sequence) has no string, integer or boolean field to follow"
        return []
    }
    state.timeline = view
    state.mode = .timeline
    return [.loadTimeline(view.query)]
}

/// Movement keys: in the feed or health pane, or scrolling an overlay, or the form's type list.
private func scroll(_ state: inout DashboardState, _ action: Action) {
    let page = 10
    func scrolled(_ current: Int) -> Int {
        switch action {
        case .down: current + 1
        case .up: max(0, current - 1)
        case .pageDown: current + page
        case .pageUp: max(0, current - page)
        default: 0
        }
    }
    switch state.mode {
    case .help(let s): state.mode = .help(scroll: scrolled(s))
    case .detail(let event, let s): state.mode = .detail(event, scroll: scrolled(s))
    case .alerts(let s):
        let last = max(0, (state.alerts?.history.count ?? 1) - 1)
        state.mode = .alerts(selected: action == .top ? 0 : min(last, scrolled(s)))
    case .timeline:
        let last = max(0, (state.timeline?.rows.count ?? 1) - 1)
        let at = state.timeline?.selected ?? 0
        state.timeline?.selected = action == .top ? 0 : min(last, scrolled(at))
    case .numbers(let s):
        // The last page stays full: no scrolling past it (the view's frame and two header rows take four).
        let last = max(0, (state.numbers?.rows.count ?? 0) - max(1, state.layout.body.height - 4))
        state.mode = .numbers(scroll: action == .top ? 0 : min(last, scrolled(s)))
    case .form: moveInTypeList(&state, by: action == .down ? 1 : -1)
    default:
        let rows = state.layout.feedRows
        switch action {
        case .down: move(&state, by: 1)
        case .up: move(&state, by: -1)
        case .pageDown: move(&state, by: rows)
        case .pageUp: move(&state, by: -rows)
        default: break
        }
    }
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
    if state.focus == .counters {
        let names = state.counterNames
        guard !names.isEmpty else { return }
        let current = state.counterSelection.flatMap { names.firstIndex(of: $0) } ?? (delta > 0 ? -1 : names.count)
        state.counterSelection = names[max(0, min(names.count - 1, current + delta))]
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

/// Enter on a counters row: the feed, filtered to that type (as k9s and htop drill down).
private func drillDown(_ state: inout DashboardState) {
    guard let name = state.selectedCounter else { return }
    // Attached to several collectors: where this type's events came from, with the feed of them.
    if state.origins.count > 1, let counts = state.breakdown[name] {
        let total = max(1, counts.reduce(0, +))
        let parts = zip(state.origins, counts).map { "\($0) \(Format.grouped($1)) (\(Int((Double($1) * 100 / Double(total)).rounded()))%)" }
        state.notice = "\(name) by collector: " + parts.joined(separator: ", ")
    }
    state.typeFilter = name
    state.focus = .feed
    state.follow = true
    state.selected = nil
}

/// n/N with a text filter: the feed shows only matches, so the next match is
/// the next line; from the tail, n wraps to the oldest match and N takes the newest.
private func jumpToMatch(_ state: inout DashboardState, newer: Bool) {
    state.focus = .feed
    if state.follow || state.selected == nil {
        if newer { jumpToOldest(&state) } else { move(&state, by: -1) }
        return
    }
    let events = state.feed.events
    if newer, events.last?.sequence == state.selected {
        followTail(&state)  // past the newest: back to the tail, like less at the end
        return
    }
    move(&state, by: newer ? 1 : -1)
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

/// A loaded page replaces the feed. After jumping to the oldest event, the
/// first one is selected now that it is known; a selected event that left the
/// ring or the filter hands the highlight to its neighbour.
private func adopt(_ state: inout DashboardState, _ page: FeedPage) {
    state.feed = page
    guard !state.follow, let first = page.events.first else { return }
    guard let current = state.selected else {
        state.selected = first.sequence
        state.selectedRow = 0
        return
    }
    if !page.events.contains(where: { $0.sequence == current }) {
        state.selected = (page.events.first { $0.sequence > current } ?? page.events.last!).sequence
    }
}

/// A click focuses the pane under it and selects the feed line or the
/// counters row clicked; the wheel scrolls what is under the pointer (or the
/// popup that is open). Elsewhere in an overlay a click does nothing.
private func mouse(_ state: inout DashboardState, _ event: MouseEvent) {
    let wheel = event.kind == .wheelUp ? -3 : 3
    switch state.mode {
    case .help, .detail:
        if event.kind != .press { scroll(&state, event.kind == .wheelUp ? .up : .down) }
        return
    case .normal: break
    default: return
    }
    let layout = state.layout
    func inside(_ r: Rect) -> Bool { event.x >= r.x && event.x < r.maxX && event.y >= r.y && event.y < r.maxY }
    guard let pane: Pane = inside(layout.feed) ? .feed : inside(layout.counters) ? .counters : inside(layout.health) ? .health : nil else { return }
    state.focus = pane
    guard event.kind == .press else {
        move(&state, by: wheel)
        return
    }
    switch pane {
    case .feed:
        let row = event.y - layout.feed.y - 1
        let visible = state.visibleFeed.events
        guard row >= 0, row < visible.count else { return }
        state.follow = false
        state.selected = visible[visible.startIndex + row].sequence
        state.selectedRow = row
    case .counters:
        let names = state.counterNames
        let row = event.y - layout.counters.y - 2  // under the border and the column titles
        if names.indices.contains(row) { state.counterSelection = names[row] }
    case .health: break
    }
}
