/// Byte-for-byte equality for keys and short values on the hot paths (the
/// packer, the plan's and the tallies' field lookups, the query's `=`).
/// `elementsEqual` on slices, arrays and UTF8Views is generic and was a
/// twentieth of reading a line; `memcmp` costs more than the compare itself
/// for a few dozen bytes. So: eight bytes a step, then the rest.
enum Bytes {
    @inline(__always)
    static func equal(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        guard let pa = a.baseAddress.map(UnsafeRawPointer.init), let pb = b.baseAddress.map(UnsafeRawPointer.init) else { return true }
        var k = 0
        while k + 8 <= a.count {
            if pa.loadUnaligned(fromByteOffset: k, as: UInt64.self) != pb.loadUnaligned(fromByteOffset: k, as: UInt64.self) { return false }
            k += 8
        }
        while k < a.count {
            if pa.load(fromByteOffset: k, as: UInt8.self) != pb.load(fromByteOffset: k, as: UInt8.self) { return false }
            k += 1
        }
        return true
    }

    @inline(__always)
    static func equal(_ a: UnsafeBufferPointer<UInt8>, _ b: [UInt8]) -> Bool {
        b.withUnsafeBufferPointer { equal(a, $0) }
    }

    @inline(__always)
    static func equal(_ a: UnsafeBufferPointer<UInt8>, _ word: StaticString) -> Bool {
        equal(a, UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount))
    }
}
