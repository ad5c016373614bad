/// Server-Sent Events, parsed as bytes arrive (the WHATWG rules teletop's
/// stream needs): `field: value` lines, a blank line ends an event, `:` lines
/// are comments, `\r\n` or `\n`. A line longer than `maxLineBytes` is dropped
/// with its event and counted, so a broken server cannot grow memory.
public struct SSEParser: Sendable {
    public struct Event: Sendable, Equatable {
        public var id: String?
        public var event: String
        public var data: [UInt8]
    }

    public let maxLineBytes: Int
    private var line: [UInt8] = []
    private var overlong = false
    private var id: String?
    private var event = ""
    private var data: [UInt8] = []
    private var hasData = false
    public private(set) var droppedLines = 0

    public init(maxLineBytes: Int = 4 << 20) {
        self.maxLineBytes = maxLineBytes
    }

    public mutating func feed(_ bytes: some Sequence<UInt8>, _ emit: (Event) -> Void) {
        for b in bytes {
            if b == 0x0A {
                if line.last == 0x0D { line.removeLast() }
                if overlong {
                    droppedLines += 1
                    overlong = false
                    reset()
                } else {
                    take(emit)
                }
                line.removeAll(keepingCapacity: true)
            } else if line.count < maxLineBytes {
                line.append(b)
            } else {
                overlong = true
            }
        }
    }

    private mutating func reset() {
        id = nil
        event = ""
        data.removeAll(keepingCapacity: true)
        hasData = false
    }

    private mutating func take(_ emit: (Event) -> Void) {
        if line.isEmpty {
            if hasData { emit(Event(id: id, event: event.isEmpty ? "message" : event, data: data)) }
            reset()
            return
        }
        if line[0] == 0x3A { return }  // a comment
        let colon = line.firstIndex(of: 0x3A) ?? line.count
        let field = String(decoding: line[0..<colon], as: UTF8.self)
        var value = colon < line.count ? line[(colon + 1)...] : []
        if value.first == 0x20 { value = value.dropFirst() }
        switch field {
        case "data":
            if hasData { data.append(0x0A) }
            data += value
            hasData = true
        case "event": event = String(decoding: value, as: UTF8.self)
        case "id": id = String(decoding: value, as: UTF8.self)
        default: break
        }
    }
}
