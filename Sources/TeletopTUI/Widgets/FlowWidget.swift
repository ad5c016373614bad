import TeletopCore

/// The flow view (`p`), for demos: the pipeline as it runs, drawn from the
/// logger's own counters. Each source → validation (accepted, rejected by
/// reason) → `EventLogger` (the ring, its evictions) → each consumer (its
/// queue, its drops; the store's commit latency). Every arrow carries its
/// rate over the last 10 s and moves while events cross it; a box with
/// drops or rejections turns red, so a burst or an error storm can be seen
/// going through.
struct FlowWidget {
    var snapshot: TelemetrySnapshot
    var sourceLines: [SourceStatus]
    var glyphs: Glyphs

    init(_ state: DashboardState) {
        snapshot = state.snapshot
        sourceLines = state.sources
        glyphs = state.glyphs
    }

    /// One box: a title, lines, and whether it is in trouble.
    struct Node {
        var title: String
        var lines: [String]
        var alarm = false
        var role: ColorRole = .accent
    }

    func draw(into grid: inout CellGrid, at rect: Rect) {
        guard rect.height >= 8 else { return }
        let g = glyphs
        grid.fill(rect)
        grid.box(rect, title: "Flow: the pipeline as it runs (p or q back)", note: "rates over the last 10 s", focused: true, glyphs: g)
        let inner = rect.inner
        let arrowW = min(12, max(7, inner.width / 14))
        let columnW = max(12, (inner.width - 3 * arrowW) / 4)
        let columns = [sourceNodes(), [validationNode()], [loggerNode()], consumerNodes()]
        var tops: [[Int]] = []
        for (c, nodes) in columns.enumerated() {
            let x = inner.x + c * (columnW + arrowW)
            var y = inner.y + 1
            var rowTops: [Int] = []
            for node in nodes {
                let h = min(node.lines.count + 2, inner.maxY - y)
                guard h >= 3 else { break }
                drawNode(node, in: Rect(x: x, y: y, width: columnW, height: h), into: &grid)
                rowTops.append(y)
                y += h
            }
            tops.append(rowTops)
        }
        // Arrows: each source into validation, validation into the logger, the logger out to each consumer.
        let offered = snapshot.sources.reduce(0.0) { $0 + $1.acceptedRate + $1.rejectedRate }
        let accepted = snapshot.sources.reduce(0.0) { $0 + $1.acceptedRate }
        for (i, top) in tops[0].enumerated() where i < snapshot.sources.count {
            let s = snapshot.sources[i]
            arrow(s.acceptedRate + s.rejectedRate, x: inner.x + columnW, y: top + 1, width: arrowW, into: &grid)
        }
        if let top = tops[1].first { arrow(accepted, x: inner.x + 2 * columnW + arrowW, y: top + 1, width: arrowW, into: &grid) }
        if offered == 0 && tops[0].isEmpty, let top = tops[1].first {
            grid.put("no source has sent anything yet", x: inner.x, y: top + 1, maxWidth: columnW, style: .muted, asciiOnly: g.asciiOnly)
        }
        for top in tops[3] {
            // Every consumer is offered every accepted event.
            arrow(accepted, x: inner.x + 3 * columnW + 2 * arrowW, y: top + 1, width: arrowW, into: &grid)
        }
    }

    /// `──›─ 12/s ▶`: a marker walks the arrow once a second while events cross it.
    func arrow(_ rate: Double, x: Int, y: Int, width: Int, into grid: inout CellGrid) {
        let g = glyphs
        let moving = rate >= 0.05
        let label = Format.rate(rate) + "/s"
        var line = Array(repeating: g.horizontal, count: max(1, width - 1))
        if moving {
            let step = Int(snapshot.takenAt.secondsSinceEpoch % Int64(max(1, line.count)))
            line[step] = g.asciiOnly ? ">" : "›"
        }
        let style = moving ? Style(.accent, bold: true) : .muted
        grid.put(String(line) + (g.asciiOnly ? ">" : "▶"), x: x, y: y, maxWidth: width, style: style, asciiOnly: g.asciiOnly)
        grid.put(label, x: x + max(0, (width - DisplayWidth.of(label)) / 2), y: y - 1, maxWidth: width, style: style, asciiOnly: g.asciiOnly)
    }

    func drawNode(_ node: Node, in rect: Rect, into grid: inout CellGrid) {
        let g = glyphs
        grid.box(rect, title: node.title, focused: node.alarm, glyphs: g)
        let role: ColorRole = node.alarm ? .unhealthy : node.role
        grid.restyle(x: rect.x + 3, y: rect.y, width: min(DisplayWidth.of(node.title), rect.width - 4), style: Style(role, bold: true))
        for (i, line) in node.lines.enumerated() {
            let y = rect.y + 1 + i
            guard y < rect.maxY - 1 else { break }
            grid.put(line, x: rect.x + 1, y: y, maxWidth: rect.width - 2, style: .plain, asciiOnly: g.asciiOnly, clipMark: g.ellipsis)
        }
    }

    /// Each source that sent anything (an arrow each), then those set up that have not yet, with their state
    /// (the HTTP API waiting, an attached collector): the header's source lines, less the store and the recorder.
    func sourceNodes() -> [Node] {
        let active = snapshot.sources.map { s in
            var lines = ["\(Format.rate(s.acceptedRate))/s in, \(Format.grouped(s.accepted)) in all"]
            if s.rejected > 0 { lines.append("\(Format.rate(s.rejectedRate))/s refused, \(Format.grouped(s.rejected))") }
            return Node(title: s.source.description, lines: lines, alarm: s.rejectedRate >= 0.05)
        }
        let sent = Set(snapshot.sources.map(\.source.description))
        let kinds = Set(EventSource.allCases.map(\.description))
        let idle = sourceLines.filter { !["STORE", "RECORD", "SDK"].contains($0.name) && !sent.contains($0.name.lowercased()) }.map { line in
            let state = SafeText.clean(line.state, asciiOnly: glyphs.asciiOnly)
            // A kind of source that has sent nothing yet says so; an attached collector (its events
            // arrive under their own sources) shows its link's state.
            return kinds.contains(line.name.lowercased())
                ? Node(title: line.name.lowercased(), lines: ["nothing yet: " + state], role: .muted)
                : Node(title: line.name, lines: [state], role: line.active ? .accent : .muted)
        }
        return active + idle
    }

    func validationNode() -> Node {
        let accepted = snapshot.sources.reduce(0.0) { $0 + $1.acceptedRate }
        let rejected = snapshot.sources.reduce(0.0) { $0 + $1.rejectedRate }
        var lines = ["accepted \(Format.rate(accepted))/s", "rejected \(Format.rate(rejected))/s, \(Format.grouped(snapshot.totalRejected)) in all"]
        for (problem, n) in snapshot.rejectedByProblem.sorted(by: { ($0.value, $1.key.rawValue) > ($1.value, $0.key.rawValue) }).prefix(4) {
            lines.append("  \(problem.rawValue): \(Format.grouped(n))")
        }
        return Node(title: "validation (plan)", lines: lines, alarm: rejected >= 0.05)
    }

    func loggerNode() -> Node {
        var lines = ["ring \(Format.grouped(snapshot.retained)) of \(Format.grouped(snapshot.ringCapacity))",
                     "\(Format.bytes(Int64(snapshot.ringBytes))) of \(Format.bytes(Int64(snapshot.ringByteCapacity)))",
                     "evicted \(Format.grouped(snapshot.evicted))" + (snapshot.evictedForBytes > 0 ? " (\(Format.grouped(snapshot.evictedForBytes)) for bytes)" : "")]
        if snapshot.dropped > 0 { lines.append("dropped by a consumer \(Format.grouped(snapshot.dropped))") }
        // The types arriving now: an error storm shows here first.
        for t in snapshot.types.filter({ $0.rate10s >= 0.05 }).sorted(by: { $0.rate10s > $1.rate10s }).prefix(3) {
            lines.append("  \(t.name) \(Format.rate(t.rate10s))/s")
        }
        return Node(title: "EventLogger", lines: lines, alarm: snapshot.health.status != .healthy, role: Theme.role(snapshot.health.status))
    }

    func consumerNodes() -> [Node] {
        // Subscriptions of one kind (every SSE client is an "http stream") are one box.
        var order: [String] = []
        var byName: [String: [EventSubscription.Stats]] = [:]
        for s in snapshot.subscribers {
            if byName[s.name] == nil { order.append(s.name) }
            byName[s.name, default: []].append(s)
        }
        return order.map { name in
            let subs = byName[name]!
            let queued = subs.reduce(0) { $0 + $1.queued }, capacity = subs.reduce(0) { $0 + $1.capacity }
            let drops = snapshot.droppedByConsumer[name] ?? 0
            // Red while it drops now (health's window), not for a drop long ago.
            let recent = snapshot.healthInputs.droppedBy.first { $0.name == name }?.events ?? 0
            var lines = ["queue \(Format.grouped(queued)) of \(Format.grouped(capacity))" + (subs.count > 1 ? " (\(subs.count) clients)" : ""),
                         "drops \(Format.grouped(drops))" + (recent > 0 ? ", \(Format.grouped(recent)) lately" : "")
                             + (subs.contains(where: \.lossless) ? " (lossless: waits)" : "")]
            if name == "store", let line = sourceLines.first(where: { $0.name == "STORE" }) {
                lines.append(SafeText.clean(line.state, asciiOnly: glyphs.asciiOnly))
            }
            return Node(title: name, lines: lines, alarm: recent > 0 || subs.contains { $0.backlogShare > 0.5 })
        }
    }
}
