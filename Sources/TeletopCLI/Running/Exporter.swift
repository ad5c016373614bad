import ArgumentParser
import Foundation
import TeletopCore
import TeletopStore

/// `teletop export`'s work: stored events streamed from a cursor through a
/// small buffer, so memory stays flat however many there are.
struct Exporter {
    let address: StoreAddress
    var path: String { address.place }
    let filter: ExportFilter
    /// `--where`: evaluated on each row's payload (parsed only when there is a query).
    let query: EventQuery?
    let format: Export.Format
    let output: String?

    func run() throws {
        let store: StoreReader
        do {
            store = try StoreReader(address)
        } catch {
            throw commandFailure("teletop export: \(error.description)")
        }
        let fd: Int32
        if let output {
            fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw commandFailure("teletop export: -o \(output): \(String(cString: strerror(errno)))") }
        } else {
            fd = STDOUT_FILENO
        }
        defer { if output != nil { close(fd) } }
        // A closed pipe (export | head) ends the export quietly, as with any Unix tool.
        signal(SIGPIPE, SIG_IGN)
        var out = BufferedOutput(fd: fd)
        var count = 0
        if format == .csv { out.append("timestamp,event_type,source,payload\n") }
        // The store may hand our write error back wrapped in its own: what
        // failed is remembered here, so a closed pipe is never blamed on the store.
        var writeFailure: BufferedOutput.WriteError?
        do {
            try store.export(filter) { row in
                if let query, !Self.matches(query, row) { return }
                switch format {
                case .jsonl: Self.writeJSONLine(row, into: &out)
                case .csv: Self.writeCSVLine(row, into: &out)
                }
                count += 1
                do {
                    try out.flushIfFull()
                } catch let error as BufferedOutput.WriteError {
                    writeFailure = error
                    throw error
                }
            }
            try out.flush()
        } catch {
            let failure = writeFailure ?? (error as? BufferedOutput.WriteError)
            guard let failure else { throw commandFailure("teletop export: reading \(path): \(error)") }
            if failure.code == EPIPE { return }
            throw commandFailure("teletop export: writing \(output ?? "standard output"): \(failure.description)")
        }
        if let output {
            FileHandle.standardError.write(Data("exported \(Describe.count(count, "event")) to \(output)\n".utf8))
        }
    }

    static func matches(_ query: EventQuery, _ row: ExportRow) -> Bool {
        guard case .object(let payload)? = try? JSONParser.parse(Array(row.payloadJSON.utf8)) else { return false }
        return query.matches(LoggedEvent(sequence: 0, eventType: row.eventType, timestamp: row.timestamp, source: row.source ?? .replay,
                                         unplanned: false, packedPayload: PackedPayload(payload), clientTimestamp: row.clientTimestamp))
    }

    /// `{"event_type":…,"payload":…,"timestamp":…}`: the stored payload text goes out as it is.
    static func writeJSONLine(_ row: ExportRow, into out: inout BufferedOutput) {
        out.append(#"{"event_type":"#)
        JSONWriter.writeString(row.eventType, into: &out.bytes)
        out.append(#","payload":"#)
        out.append(row.payloadJSON)
        out.append(#","timestamp":""#)
        out.append(row.timestamp.iso8601)
        if let client = row.clientTimestamp {
            out.append(#"","client_timestamp":""#)
            out.append(client.iso8601)
        }
        out.append("\"}\n")
    }

    /// RFC 4180: every field that could hold a comma, quote or newline is quoted.
    static func writeCSVLine(_ row: ExportRow, into out: inout BufferedOutput) {
        func quoted(_ s: String) {
            out.bytes.append(0x22)
            for b in s.utf8 {
                if b == 0x22 { out.bytes.append(0x22) }
                out.bytes.append(b)
            }
            out.bytes.append(0x22)
        }
        out.append(row.timestamp.iso8601)
        out.append(",")
        quoted(row.eventType)
        out.append(",")
        out.append(row.source?.description ?? "")
        out.append(",")
        quoted(row.payloadJSON)
        out.append("\n")
    }
}

/// Bytes gathered and written 64 KiB at a time.
struct BufferedOutput {
    struct WriteError: Error, CustomStringConvertible {
        var code: Int32
        var description: String { String(cString: strerror(code)) }
    }

    let fd: Int32
    var bytes: [UInt8] = []

    init(fd: Int32) {
        self.fd = fd
        bytes.reserveCapacity(1 << 17)
    }

    mutating func append(_ s: String) { bytes.append(contentsOf: s.utf8) }

    mutating func flushIfFull() throws(WriteError) {
        if bytes.count >= 1 << 16 { try flush() }
    }

    mutating func flush() throws(WriteError) {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw WriteError(code: errno)
            }
            sent += n
        }
        bytes.removeAll(keepingCapacity: true)
    }
}
