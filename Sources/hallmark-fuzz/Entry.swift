import Foundation

#if HALLMARK_FUZZING
/// The target libFuzzer drives, chosen once from `HALLMARK_FUZZ_TARGET`.
let selectedTarget: @Sendable (Data) -> Void = {
    let name = ProcessInfo.processInfo.environment["HALLMARK_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTargets.all[name] else {
        FileHandle.standardError.write(Data("HALLMARK_FUZZ_TARGET must be one of: \(FuzzTargets.all.keys.sorted().joined(separator: ", "))\n".utf8))
        exit(2)
    }
    return target
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = bytes.map { Data(bytes: $0, count: count) } ?? Data()
    selectedTarget(data)
    return 0
}

/// libFuzzer's driver, run from the entry point SwiftPM gives executables (it links `main` to `<module>_main`).
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

@_cdecl("hallmark_fuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var vector = argv
    return runFuzzerDriver(&count, &vector) { bytes, size in fuzzOneInput(bytes, size) }
}
#else
/// Without the fuzzer: replays inputs through a target (`hallmark-fuzz TARGET FILE…`), e.g. a crash to fix.
@main
struct FuzzReplay {
    static func main() {
        let arguments = CommandLine.arguments.dropFirst()
        guard let name = arguments.first, let target = FuzzTargets.all[name] else {
            print("usage: hallmark-fuzz TARGET FILE…   (targets: \(FuzzTargets.all.keys.sorted().joined(separator: ", ")))")
            print("Fuzzing itself: scripts/fuzz.sh [SECONDS] builds this with libFuzzer and runs every target.")
            exit(arguments.isEmpty ? 0 : 2)
        }
        for file in arguments.dropFirst() {
            guard let data = FileManager.default.contents(atPath: file) else {
                print("\(file): cannot read")
                exit(2)
            }
            target(data)
            print("\(name): \(file): parsed without a crash")
        }
        FuzzTargets.removeScratch()
    }
}
#endif
