import Foundation
import FuzzTargets

// The libFuzzer entry point for every target in FuzzTargets; FUZZ_TARGET names the one to run.
// Built only by scripts/fuzz.sh (OCTOPODS_FUZZ=1 adds this target to the package), never by `swift build`.

private let target: FuzzTargets.Target = {
    let name = ProcessInfo.processInfo.environment["FUZZ_TARGET"] ?? ""
    guard let target = FuzzTargets.target(named: name) else {
        let names = FuzzTargets.all.map(\.name).joined(separator: ", ")
        FileHandle.standardError.write(Data("FUZZ_TARGET must be one of: \(names)\n".utf8))
        exit(2)
    }
    return target
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    target.run(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
