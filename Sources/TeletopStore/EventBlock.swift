import TeletopCore

/// Events stored several to a row (schema v6's `event_block`).
///
/// A row per event made SQLite's per-row work (a statement step, a cell, a
/// b-tree insert) half the cost of storing an event; a row per block pays it
/// once for a page of them. A block's `events` column is JSON text, an
/// array with one element per event id, `[type_id, ts, source, payload]`,
/// or `[type_id, ts, source, payload, client_ts]` when the client sent a
/// timestamp (the payload as the compact JSON the store has always written),
/// so `sqlite3` users still read it with SQLite's JSON functions, and the
/// `event` view unpacks it.
///
/// Ids stay one per event: a block's row id is its first event's id, and
/// element `i` is event `id + i`, so the minute map and the timeline keys
/// keep naming events. Retention that takes some of a block's events
/// replaces their elements with `null`, so the others keep their ids.
enum EventBlock {
    /// A block holds at most `maxBytes` of text: what fits in one page of the
    /// b-tree with its row's header. A longer row spills into overflow pages,
    /// and its last one is mostly empty: 64 contract events to a row made a
    /// stored event 153 bytes of file instead of 132; so did a cap of 64
    /// events in an 8 KB page, which left a fifth of each page empty. An event
    /// too long for a page has a block to itself; `maxEvents` only bounds a
    /// block of tiny events (what one block read decodes for the timeline).
    static let maxEvents: Int64 = 512

    /// For a file of `pageSize` bytes a page (8,192 for a new store; 4,096 for one made before v6).
    static func maxBytes(pageSize: Int) -> Int { pageSize - 56 }

    /// One event of a block, read back; `payload` is its byte range in the block's text.
    struct Element {
        var index: Int
        var typeID: Int64
        var ts: Int64
        var source: Int64
        var clientTS: Int64?
        var payload: Range<Int>
    }

    /// A block whose text is not what the store writes (edited by hand, say).
    struct Malformed: Error, CustomStringConvertible {
        var offset: Int
        var description: String { "an event block's text is not the store's format (at byte \(offset))" }
    }

    /// Appends one event's element (with no separator: the caller writes `[`, `,` and `]`).
    static func append(typeID: Int64, ts: Int64, source: Int64, clientTS: Int64?, payload: PackedPayload, into out: inout [UInt8]) {
        appendElement(typeID, ts, source, clientTS, payloadRoom: payload.jsonBound, into: &out) { payload.writeJSON(to: &$0) }
    }

    /// The same with the payload already JSON text (the upgrade from rows, a block rewritten by retention).
    static func append(typeID: Int64, ts: Int64, source: Int64, clientTS: Int64?, payloadJSON: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        appendElement(typeID, ts, source, clientTS, payloadRoom: payloadJSON.count, into: &out) { p in
            if let base = payloadJSON.baseAddress { p.update(from: base, count: payloadJSON.count) }
            p += payloadJSON.count
        }
    }

    /// The element's one layout, written through a pointer into stack room and
    /// copied once (see `PackedPayload.writeJSON`): four integers of at most 20
    /// characters and their commas, two brackets, and `payloadRoom` for the payload.
    private static func appendElement(_ typeID: Int64, _ ts: Int64, _ source: Int64, _ clientTS: Int64?, payloadRoom: Int, into out: inout [UInt8],
                                      payload: (inout UnsafeMutablePointer<UInt8>) -> Void) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: payloadRoom + 4 * 21 + 8) { scratch in
            let start = scratch.baseAddress!
            var p = start
            p.pointee = 0x5B; p += 1
            JSONWriter.writeInt(typeID, to: &p); p.pointee = 0x2C; p += 1
            JSONWriter.writeInt(ts, to: &p); p.pointee = 0x2C; p += 1
            JSONWriter.writeInt(source, to: &p); p.pointee = 0x2C; p += 1
            payload(&p)
            if let clientTS { p.pointee = 0x2C; p += 1; JSONWriter.writeInt(clientTS, to: &p) }
            p.pointee = 0x5D; p += 1
            out.append(contentsOf: UnsafeBufferPointer(start: start, count: p - start))
        }
    }

    /// Every element of a block's text, nil for those retention removed.
    static func elements(_ text: UnsafeBufferPointer<UInt8>) throws(Malformed) -> [Element?] {
        var out: [Element?] = []
        var i = 0
        skipSpace(text, &i)
        guard i < text.count, text[i] == 0x5B else { throw Malformed(offset: i) }
        i += 1
        skipSpace(text, &i)
        if i < text.count, text[i] == 0x5D { return out }
        while true {
            skipSpace(text, &i)
            if i + 4 <= text.count, text[i] == 0x6E {
                i += 4
                out.append(nil)
            } else {
                out.append(try element(text, &i, index: out.count))
            }
            skipSpace(text, &i)
            guard i < text.count else { throw Malformed(offset: i) }
            if text[i] == 0x5D { return out }
            guard text[i] == 0x2C else { throw Malformed(offset: i) }
            i += 1
        }
    }

    private static func element(_ text: UnsafeBufferPointer<UInt8>, _ i: inout Int, index: Int) throws(Malformed) -> Element {
        guard i < text.count, text[i] == 0x5B else { throw Malformed(offset: i) }
        i += 1
        let typeID = try int(text, &i)
        try comma(text, &i)
        let ts = try int(text, &i)
        try comma(text, &i)
        let source = try int(text, &i)
        try comma(text, &i)
        skipSpace(text, &i)
        let start = i
        try skipValue(text, &i)
        let payload = start..<i
        skipSpace(text, &i)
        var clientTS: Int64?
        if i < text.count, text[i] == 0x2C {
            i += 1
            skipSpace(text, &i)
            if i < text.count, text[i] == 0x6E { i += 4 } else { clientTS = try int(text, &i) }
            skipSpace(text, &i)
        }
        guard i < text.count, text[i] == 0x5D else { throw Malformed(offset: i) }
        i += 1
        return Element(index: index, typeID: typeID, ts: ts, source: source, clientTS: clientTS, payload: payload)
    }

    private static func int(_ text: UnsafeBufferPointer<UInt8>, _ i: inout Int) throws(Malformed) -> Int64 {
        skipSpace(text, &i)
        var negative = false
        if i < text.count, text[i] == 0x2D { negative = true; i += 1 }
        let start = i
        // Summed on the negative side, which reaches one further: Int64.min reads back too.
        var v: Int64 = 0
        while i < text.count, text[i] >= 0x30, text[i] <= 0x39 {
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.subtractingReportingOverflow(Int64(text[i] - 0x30))
            guard !o1, !o2 else { throw Malformed(offset: i) }
            v = s
            i += 1
        }
        guard i > start else { throw Malformed(offset: i) }
        if negative { return v }
        guard v != .min else { throw Malformed(offset: start) }
        return -v
    }

    private static func comma(_ text: UnsafeBufferPointer<UInt8>, _ i: inout Int) throws(Malformed) {
        skipSpace(text, &i)
        guard i < text.count, text[i] == 0x2C else { throw Malformed(offset: i) }
        i += 1
    }

    private static func skipSpace(_ text: UnsafeBufferPointer<UInt8>, _ i: inout Int) {
        while i < text.count, text[i] == 0x20 || text[i] == 0x0A || text[i] == 0x0D || text[i] == 0x09 { i += 1 }
    }

    /// Past one JSON value: brackets counted, strings (and their escapes) stepped over.
    private static func skipValue(_ text: UnsafeBufferPointer<UInt8>, _ i: inout Int) throws(Malformed) {
        var depth = 0
        let start = i
        while i < text.count {
            switch text[i] {
            case 0x22:
                i += 1
                while i < text.count, text[i] != 0x22 { i += text[i] == 0x5C ? 2 : 1 }
                guard i < text.count else { throw Malformed(offset: start) }
            case 0x5B, 0x7B: depth += 1
            case 0x5D, 0x7D:
                if depth == 0 { return }
                depth -= 1
            case 0x2C where depth == 0: return
            default: break
            }
            i += 1
            if depth == 0 && (text[i - 1] == 0x22 || text[i - 1] == 0x5D || text[i - 1] == 0x7D) { return }
        }
        if depth != 0 || i == start { throw Malformed(offset: start) }
    }

    /// The block's text with the elements at `removed` replaced by null.
    static func text(_ text: UnsafeBufferPointer<UInt8>, _ elements: [Element?], removing removed: Set<Int>) -> [UInt8] {
        var out: [UInt8] = [0x5B]
        out.reserveCapacity(text.count)
        for (index, element) in elements.enumerated() {
            if index > 0 { out.append(0x2C) }
            guard let e = element, !removed.contains(index) else {
                out.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
                continue
            }
            append(typeID: e.typeID, ts: e.ts, source: e.source, clientTS: e.clientTS, payloadJSON: UnsafeBufferPointer(rebasing: text[e.payload]), into: &out)
        }
        out.append(0x5D)
        return out
    }
}
