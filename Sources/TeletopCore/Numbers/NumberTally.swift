import Histogram

/// One numeric field's distribution over a span: how many values, their
/// percentiles (HdrHistogram, to two significant digits: within 1%) and the
/// exact largest.
public struct NumberSummary: Sendable, Equatable {
    public var count: UInt64
    public var p50: Double
    public var p95: Double
    public var p99: Double
    public var max: Double

    public init(count: UInt64, p50: Double, p95: Double, p99: Double, max: Double) {
        self.count = count
        self.p50 = p50
        self.p95 = p95
        self.p99 = p99
        self.max = max
    }
}

/// A numeric payload field of one event type, over the last minute and the session.
public struct NumberRow: Sendable, Equatable {
    public var eventType: String
    public var field: String
    /// nil: no value in the last minute.
    public var lastMinute: NumberSummary?
    public var session: NumberSummary

    public init(eventType: String, field: String, lastMinute: NumberSummary?, session: NumberSummary) {
        self.eventType = eventType
        self.field = field
        self.lastMinute = lastMinute
        self.session = session
    }
}

/// What the numbers view shows, and what the tally left out to stay bounded.
public struct NumbersReport: Sendable, Equatable {
    /// By event type, then field.
    public var rows: [NumberRow] = []
    /// Values of fields the tally had no room for (beyond `maxFields` or `maxBytes`).
    public var untrackedValues: UInt64 = 0
    /// Fields dropped to stay within the byte bound (the least recently seen first).
    public var evictedFields = 0
    /// Values the histograms cannot hold: negative, or beyond `NumberTally.largest`.
    public var outOfRange: UInt64 = 0
    /// Events the tally never saw: its queue was full (the `numbers` consumer's drops).
    public var dropped: UInt64 = 0
    public var bytes = 0

    public init() {}
}

/// Percentiles of every top-level numeric payload field (integers and
/// numbers, planned or not), per event type: over the session, and over the
/// last minute as six ten-second slices merged when asked. Values are
/// recorded in thousandths, so fractions count too.
/// Bounded: at most `maxFields` fields and `maxBytes` of histograms; the
/// least recently seen field goes first, and the report says so.
public struct NumberTally {
    public static let maxFields = 256
    public static let maxBytes = 8 << 20
    /// The largest value a histogram takes (in the field's own units).
    public static let largest = 1e12
    static let scale = 1000.0
    static let sliceSeconds: Int64 = 10
    static let slices = 6

    struct Field {
        var eventType: String
        var name: String
        var key: [UInt8]
        var session = Histogram<UInt64>(numberOfSignificantValueDigits: .two)
        var slices = [Histogram<UInt32>](repeating: Histogram<UInt32>(numberOfSignificantValueDigits: .two), count: NumberTally.slices)
        /// Which ten-second period each slice holds.
        var periods = [Int64](repeating: .min, count: NumberTally.slices)
        var lastSeen: Int64 = 0
        /// Every value so far was a whole number: the percentiles read as whole numbers too.
        var integral = true

        var bytes: Int { session.estimatedFootprintInBytes + slices.reduce(0) { $0 + $1.estimatedFootprintInBytes } + key.count * 2 + 64 }

        mutating func record(_ scaled: UInt64, period: Int64) {
            session.record(scaled)
            let i = Int(floorMod(period, Int64(NumberTally.slices)))
            if periods[i] != period {
                periods[i] = period
                slices[i].reset()
            }
            slices[i].record(scaled)
        }
    }

    var fields: [Field] = []
    /// Each event type's fields, by index into `fields`.
    var byType: [String: [Int]] = [:] { didSet { lastType = nil } }
    /// The last event's type and its fields: most streams repeat a type, and
    /// hashing its name for every numeric member was a third of the tally's work.
    var lastType: String?
    var lastFields: [Int] = []
    var report = NumbersReport()

    public init() {}

    /// Counts the event's numeric top-level fields.
    public mutating func add(_ event: LoggedEvent) {
        let type = event.eventType
        let second = event.timestamp.secondsSinceEpoch
        let period = Self.period(of: second)
        if lastType != type {
            lastFields = byType[type] ?? []
            lastType = type
        }
        event.packedPayload.forEachMember { m in
            let value: Double
            switch m.tag {
            case .int, .double:
                switch m.decode() {
                case .int(let i): value = Double(i)
                case .double(let d): value = d
                default: return
                }
            default: return
            }
            guard value >= 0, value <= Self.largest, value.isFinite else {
                report.outOfRange += 1
                return
            }
            guard let index = field(type: type, key: m.key) else {
                report.untrackedValues += 1
                return
            }
            fields[index].record(UInt64((value * Self.scale).rounded()), period: period)
            if value != value.rounded() { fields[index].integral = false }
            fields[index].lastSeen = second
        }
    }

    /// The field's index (of the event's type: `lastFields`), made when there is room.
    private mutating func field(type: String, key: UnsafeBufferPointer<UInt8>) -> Int? {
        for i in lastFields where Bytes.equal(key, fields[i].key) { return i }
        guard fields.count < Self.maxFields, report.bytes < Self.maxBytes else { return nil }
        let name = String(decoding: key, as: UTF8.self)
        fields.append(Field(eventType: type, name: name, key: Array(key)))
        byType[type, default: []].append(fields.count - 1)
        lastFields = byType[type] ?? []
        lastType = type
        report.bytes += fields[fields.count - 1].bytes
        return fields.count - 1
    }

    /// Measures the histograms (they grow with the values' range) and drops
    /// the least recently seen fields while they exceed the byte bound.
    public mutating func enforceBound() {
        report.bytes = fields.reduce(0) { $0 + $1.bytes }
        guard report.bytes > Self.maxBytes else { return }
        var order = fields.indices.sorted { fields[$0].lastSeen < fields[$1].lastSeen }[...]
        var gone = Set<Int>()
        while report.bytes > Self.maxBytes, let i = order.popFirst() {
            report.bytes -= fields[i].bytes
            gone.insert(i)
        }
        report.evictedFields += gone.count
        fields = fields.indices.filter { !gone.contains($0) }.map { fields[$0] }
        byType = [:]
        for (i, f) in fields.enumerated() { byType[f.eventType, default: []].append(i) }
    }

    static func period(of second: Int64) -> Int64 { floorDiv(second, sliceSeconds) }

    /// The rows as of `now`: the last minute is the slices of the last six periods.
    public func report(now: Timestamp, dropped: UInt64 = 0) -> NumbersReport {
        var out = report
        out.dropped = dropped
        let current = Self.period(of: now.secondsSinceEpoch)
        out.rows = fields.map { f in
            var minute = Histogram<UInt32>(numberOfSignificantValueDigits: .two)
            for (i, p) in f.periods.enumerated() where p > current - Int64(Self.slices) && p <= current { minute.add(f.slices[i]) }
            return NumberRow(eventType: f.eventType, field: f.name,
                             lastMinute: minute.totalCount > 0 ? Self.summary(minute, integral: f.integral) : nil,
                             session: Self.summary(f.session, integral: f.integral))
        }.sorted { ($0.eventType, $0.field) < ($1.eventType, $1.field) }
        return out
    }

    /// A bucket's value is its highest equivalent (2 recorded reads 2.007):
    /// whole-number fields are rounded back to whole numbers.
    static func summary<C>(_ h: Histogram<C>, integral: Bool) -> NumberSummary {
        func unscale(_ v: UInt64) -> Double { integral ? (Double(v) / scale).rounded() : Double(v) / scale }
        return NumberSummary(count: h.totalCount, p50: unscale(h.valueAtPercentile(50)), p95: unscale(h.valueAtPercentile(95)),
                             p99: unscale(h.valueAtPercentile(99)), max: unscale(h.maxRecorded))
    }
}
