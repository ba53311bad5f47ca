import Distill
import Foundation
import FuzzSupport
import SafeTensors

/// safetensors reader and checkpoint loading: any bytes must parse or throw, never crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafeTensors(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(bytes: data, count: size)
    guard let file = try? SafeTensorsFile(bytes: bytes) else { return 0 }
    for name in file.names { _ = try? file.floats(name) }
    _ = try? Checkpoint.load(file: file, path: "fuzz.safetensors", spec: nil)
    return 0
}

/// The entry point SwiftPM links as `main`: runs libFuzzer with `fuzzSafeTensors`.
@_cdecl("FuzzSafeTensors_main")
public func fuzzSafeTensorsMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzSafeTensors(data!, size) }
}
