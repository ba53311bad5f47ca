import DataFormats
import FuzzSupport

/// IDX reader (raw and gzipped): any bytes must give an array or a DataError, never a crash.
/// gzip input is also inflated with a limit, and what inflates must survive a round trip.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIDX(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let array = try? IDXArray(bytes: bytes, name: "fuzz.idx") {
        _ = array.floats()
        _ = try? array.integers()
    }
    if Gzip.isGzip(bytes), let inflated = try? Gzip.decompress(bytes, name: "fuzz.gz", limit: 1 << 16) {
        let again = try? Gzip.decompress(Gzip.compress(inflated), name: "again.gz", limit: inflated.count)
        precondition(again == inflated, "gzip round trip changed the bytes")
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
