/// Where each pane goes for a terminal size. The feed gets the width: below
/// 200 columns it spans the screen over counters and health side by side
/// (which need a dozen rows, not half the width); from 200 on they sit to its
/// right. A zoomed pane has it all.
public struct DashboardLayout: Equatable, Sendable {
    public static let minimumWidth = 80
    public static let minimumHeight = 24
    /// From here on counters and health sit to the right of the feed, not under it.
    public static let sideBySideWidth = 200

    public var header: Rect
    public var feed: Rect
    public var counters: Rect
    public var health: Rect
    public var footer: Rect

    /// `zoom`: that pane takes the whole body (`z`); the others are not drawn.
    public init(width: Int, height: Int, zoom: Pane? = nil) {
        header = Rect(x: 0, y: 0, width: width, height: 1)
        footer = Rect(x: 0, y: height - 1, width: width, height: 1)
        let bodyTop = 1
        let bodyHeight = height - 2
        if let zoom {
            let body = Rect(x: 0, y: bodyTop, width: width, height: bodyHeight)
            let none = Rect(x: 0, y: bodyTop, width: 0, height: 0)
            feed = zoom == .feed ? body : none
            counters = zoom == .counters ? body : none
            health = zoom == .health ? body : none
            return
        }
        if width >= Self.sideBySideWidth {
            // Counters and health beside the feed only when the feed still has
            // the width a whole ai_block_used line needs (about 125 columns);
            // they read well in 72. Narrower, they go under it.
            let rightWidth = 72
            let feedWidth = width - rightWidth
            feed = Rect(x: 0, y: bodyTop, width: feedWidth, height: bodyHeight)
            let countersHeight = min(max(8, bodyHeight / 2 - 2), bodyHeight - 10)
            counters = Rect(x: feedWidth, y: bodyTop, width: rightWidth, height: countersHeight)
            health = Rect(x: feedWidth, y: bodyTop + countersHeight, width: rightWidth, height: bodyHeight - countersHeight)
        } else {
            // A dozen rows, more on a tall terminal (health has more lines than counters).
            let lowerHeight = max(min(12, bodyHeight / 2), min(16, bodyHeight / 3))
            feed = Rect(x: 0, y: bodyTop, width: width, height: bodyHeight - lowerHeight)
            let countersWidth = width * 58 / 100
            counters = Rect(x: 0, y: feed.maxY, width: countersWidth, height: lowerHeight)
            health = Rect(x: countersWidth, y: feed.maxY, width: width - countersWidth, height: lowerHeight)
        }
    }

    /// Everything between the header and the footer (the analytics view covers it).
    public var body: Rect { Rect(x: 0, y: header.maxY, width: header.width, height: footer.y - header.maxY) }

    /// Rows of events the feed pane shows.
    public var feedRows: Int { max(1, feed.height - 2) }
}
