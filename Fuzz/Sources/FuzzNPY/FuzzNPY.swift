import DataFormats
import FuzzSupport

/// NPY reader: any bytes must give an array or a DataError, never a crash; what parses holds
/// exactly the elements its shape calls for.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNPY(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let array = try? NPYArray(bytes: bytes, name: "fuzz.npy") {
        precondition(array.values.count == array.shape.reduce(1, *), "values do not match the shape")
    }
    return 0
}

/// The entry point SwiftPM links as `main`: runs libFuzzer with `fuzzNPY`.
@_cdecl("FuzzNPY_main")
public func fuzzNPYMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzNPY(data!, size) }
}
