import DataFormats
import FuzzSupport

/// IDX reader (raw and gzipped): any bytes must give an array or a DataError, never a crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIDX(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let array = try? IDXArray(bytes: bytes, name: "fuzz.idx") {
        _ = array.floats()
        _ = try? array.integers()
    }
    return 0
}

/// The entry point SwiftPM links as `main`: runs libFuzzer with `fuzzIDX`.
@_cdecl("FuzzIDX_main")
public func fuzzIDXMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzIDX(data!, size) }
}
