import TeletopCore

/// The whole screen as a pure function of state: each widget takes what it
/// shows from the state and draws it into its rect.
public func render(_ state: DashboardState) -> CellGrid {
    var grid = CellGrid(width: state.width, height: state.height)
    if state.isTooSmall {
        TooSmallScreen(width: state.width, height: state.height, glyphs: state.glyphs).draw(into: &grid)
        return grid
    }
    let layout = state.layout
    HeaderWidget(state).draw(into: &grid, at: layout.header)
    // A zoomed pane has the body; the others have no room and are not drawn.
    if layout.feed.width > 0 { FeedWidget(state).draw(into: &grid, at: layout.feed) }
    if layout.counters.width > 0 { CountersWidget(state).draw(into: &grid, at: layout.counters) }
    if layout.health.width > 0 { HealthWidget(state).draw(into: &grid, at: layout.health) }
    FooterWidget(state).draw(into: &grid, at: layout.footer)
    switch state.mode {
    case .help(let scroll): HelpPopup(state, scroll: scroll).draw(into: &grid)
    case .detail(let event, let scroll):
        // Opened from the timeline: it stays underneath, where closing the popup returns.
        if state.detailReturnsToTimeline { TimelineWidget(state).draw(into: &grid, at: layout.body) }
        DetailPopup(event: event, scroll: scroll, glyphs: state.glyphs).draw(into: &grid)
    case .form: FormWidget(state)?.draw(into: &grid)
    case .analytics: AnalyticsWidget(state).draw(into: &grid, at: layout.body)
    case .alerts: AlertsWidget(state).draw(into: &grid, at: layout.body)
    case .numbers: NumbersWidget(state).draw(into: &grid, at: layout.body)
    case .timeline: TimelineWidget(state).draw(into: &grid, at: layout.body)
    case .flow: FlowWidget(state).draw(into: &grid, at: layout.body)
    case .normal, .filtering: break
    }
    return grid
}
