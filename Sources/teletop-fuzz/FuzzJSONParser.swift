// libFuzzer target for the JSON parser and the ingest path behind it.
//
//   swift build -c release --product teletop-fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING
//   .build/release/teletop-fuzz -max_total_time=600 fuzz-corpus/
//
// Without FUZZING it builds as a replayer: `teletop-fuzz FILE...` runs saved inputs
// (crash reproducers, say) through the same checks.
import Foundation
import TeletopCore

/// The properties every input must keep: no crash, no hang, and anything the
/// parser accepts writes back to text that parses to the same value.
func check(_ bytes: UnsafeBufferPointer<UInt8>) {
    let limits = JSONParserLimits(maxDepth: 64, maxBytes: 1 << 16, maxStringBytes: 4096)
    guard let value = try? JSONParser.parse(bytes, limits: limits) else { return }
    let text = JSONWriter.compactBytes(value)
    guard let again = try? JSONParser.parse(text, limits: JSONParserLimits(maxDepth: 64, maxBytes: 1 << 20, maxStringBytes: 1 << 16)) else {
        fatalError("accepted input does not re-parse after writing: \(String(decoding: text, as: UTF8.self))")
    }
    precondition(again == value, "write/parse round trip changed the value")
    if case .object(let object) = value {
        precondition(PackedPayload(object).unpack() == object, "packed payload round trip changed the value")
        _ = TrackingPlan.contract.validate(eventType: "ai_block_used", payload: object)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    check(UnsafeBufferPointer(start: data, count: size))
    return 0
}

#if FUZZING
// SwiftPM links an executable's entry point as `main`; hand control to
// libFuzzer's driver from there. (libFuzzer's C signature takes int*, char***
// and a C callback: plain pointers and integers, passed the same way by Swift.)
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt

@main
struct Fuzz {
    static func main() {
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOneInput))
    }
}
#else

@main
struct Replay {
    static func main() {
        let paths = CommandLine.arguments.dropFirst()
        if paths.isEmpty {
            print("usage: teletop-fuzz FILE... (build with -sanitize=fuzzer -DFUZZING to fuzz; see README)")
        }
        for path in paths {
            guard let data = FileManager.default.contents(atPath: path) else {
                print("\(path): cannot read")
                continue
            }
            Array(data).withUnsafeBufferPointer(check)
            print("\(path): ok")
        }
    }
}
#endif
